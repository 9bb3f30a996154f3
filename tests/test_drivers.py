"""The within-seller drivers model (ssi_kit.drivers): estimates, clustered errors, spec view."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from conftest import simple_spec

from ssi_kit.drivers import DRIVER_COLUMNS, explain_rank_change, fit_drivers, fit_within, window_sums
from ssi_kit.exceptions import UsageError
from ssi_kit.io.dataset import Dataset, load_dataset

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
START = pd.Timestamp("2025-01-01")
BETA = {"posts": 1.5, "searches": 0.4}  # true points per 10 units over 4 weeks


def _spec():
    """brand reads posts (exp, 40, weight 25); people searches (exp, 500); the rest posts (linear)."""
    def one(column, transform, target, window=90):
        return [{"name": column, "source": "activity", "columns": [column], "window": window,
                 "transform": transform, "target": target, "weight": 25}]
    return simple_spec({"brand": one("posts", "exp", 40), "people": one("searches", "exp", 500),
                        "insights": one("posts", "linear", 100), "relationships": one("searches", "log", 900)},
                       window_days=90)


def _panel(sellers=40, readings=12, seed=7):
    """Daily activity with seller-specific levels; SSI = seller effect + beta . 4-week sums / 10 + noise."""
    rng = np.random.default_rng(seed)
    ids = [f"m{i:03d}" for i in range(sellers)]
    days = pd.date_range(START, periods=28 + 7 * readings, freq="D")
    rows = []
    for k, member in enumerate(ids):
        level = rng.uniform(0.2, 2.0)
        for day in days:
            if rng.random() < 0.7:
                rows.append((member, day, int(rng.poisson(level)), int(rng.poisson(8 * level))))
    activity = pd.DataFrame(rows, columns=["member_id", "date", "posts", "searches"])
    read_days = days[27::7][:readings]
    ssi = pd.DataFrame([(m, d) for m in ids for d in read_days], columns=["member_id", "date"])
    sums = _naive_sums(activity, ssi, ["posts", "searches"], 28)
    effect = pd.Series(rng.normal(40, 8, sellers), index=ids)
    ssi["ssi"] = (effect[ssi["member_id"]].to_numpy() + sums @ np.array([BETA["posts"], BETA["searches"]]) / 10
                  + rng.normal(0, 1.0, len(ssi)) + rng.normal(0, 0.5, sellers)[np.repeat(range(sellers), readings)])
    members = pd.DataFrame({"member_id": ids})
    return Dataset(tables={"members": members, "activity": activity, "ssi": ssi}), sums


def _naive_sums(activity, ssi, columns, window):
    """Window sums from each seller's calendar of days, rolled by pandas (the independent reference)."""
    first = min(activity["date"].min(), ssi["date"].min())
    calendar = pd.date_range(first, ssi["date"].max(), freq="D")
    parts = []
    for member, readings in ssi.groupby("member_id", sort=False):
        mine = activity[activity["member_id"] == member].set_index("date")[columns]
        daily = mine.reindex(calendar, fill_value=0).astype(float)
        rolled = daily.rolling(window, min_periods=1).sum() if window else daily.cumsum()
        parts.append(pd.DataFrame(rolled.loc[readings["date"]].to_numpy(), index=readings.index))
    return pd.concat(parts).loc[ssi.index].to_numpy()


@pytest.fixture(scope="module")
def panel():
    return _panel()


def test_window_sums_equal_a_plain_loop(panel):
    dataset, sums = panel
    ssi = dataset["ssi"]
    days = ssi["date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    got = window_sums(dataset["activity"], ssi["member_id"], days, ["posts", "searches"], 28)
    np.testing.assert_array_equal(got, sums)
    every = window_sums(dataset["activity"], ssi["member_id"], days, ["posts"], None)
    early = window_sums(dataset["activity"].assign(date=lambda f: f["date"] - pd.Timedelta(days=30_000)),
                        ssi["member_id"], days - 30_000, ["posts", "searches"], 28)  # days before 1970
    np.testing.assert_array_equal(early, sums)
    np.testing.assert_array_equal(every[:, 0], _naive_sums(dataset["activity"], ssi, ["posts"], None)[:, 0])


def test_estimates_and_clustered_errors_equal_dummy_ols(panel):
    dataset, sums = panel
    result = fit_drivers(dataset, spec=_spec(), weeks=4)
    table = result.table.set_index("column")
    ssi = dataset["ssi"]
    dummies = pd.get_dummies(ssi["member_id"], dtype=float).to_numpy()
    exog = np.column_stack([sums / 10, dummies])
    groups = pd.factorize(ssi["member_id"])[0]
    ref = sm.OLS(ssi["ssi"].to_numpy(dtype=float), exog).fit(cov_type="cluster", cov_kwds={"groups": groups},
                                                              use_t=True)
    assert ref.df_resid_inference == 39  # statsmodels' t reference: G - 1
    for j, column in enumerate(["posts", "searches"]):
        assert table.loc[column, "estimate"] == pytest.approx(ref.params[j], abs=1e-8)
        assert table.loc[column, "std_error"] == pytest.approx(ref.bse[j], abs=1e-8)
        assert table.loc[column, "p_value"] == pytest.approx(ref.pvalues[j], abs=1e-8)
        assert table.loc[column, "ci_low"] == pytest.approx(ref.conf_int()[j, 0], abs=1e-8)
        assert table.loc[column, "ci_high"] == pytest.approx(ref.conf_int()[j, 1], abs=1e-8)
        assert table.loc[column, "ci_low"] < BETA[column] < table.loc[column, "ci_high"]
    assert (table["n_readings"] == 480).all() and (table["n_sellers"] == 40).all()


def test_the_true_effect_is_recovered_across_seeds():
    covered = 0
    for seed in range(5):
        table = fit_drivers(_panel(seed=seed)[0], spec=_spec()).table.set_index("column")
        assert table.loc["posts", "estimate"] == pytest.approx(BETA["posts"], abs=0.5)
        assert table.loc["searches", "estimate"] == pytest.approx(BETA["searches"], abs=0.1)
        covered += sum(table.loc[c, "ci_low"] < BETA[c] < table.loc[c, "ci_high"] for c in BETA)
    assert covered >= 8  # 10 intervals at 95%


def test_fit_within_matches_dummies_on_unbalanced_groups():
    rng = np.random.default_rng(3)
    groups = np.repeat(np.arange(15), rng.integers(2, 9, 15))
    x = rng.normal(size=(len(groups), 3))
    y = x @ [1.0, -2.0, 0.5] + rng.normal(size=15)[groups] + rng.normal(size=len(groups))
    fit = fit_within(y, x, groups)
    ref = sm.OLS(y, np.column_stack([x, pd.get_dummies(groups, dtype=float)])).fit(
        cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    np.testing.assert_allclose(fit.params, ref.params[:3], atol=1e-10)
    np.testing.assert_allclose(fit.cov, ref.cov_params()[:3, :3], atol=1e-10)
    np.testing.assert_allclose(fit.conf_int(), ref.conf_int()[:3], atol=1e-10)


def test_spec_view_is_the_derivative_at_the_median(panel):
    dataset, _ = panel
    result = fit_drivers(dataset, spec=_spec())
    ssi = dataset["ssi"]
    x90 = _naive_sums(dataset["activity"], ssi, ["posts", "searches"], 90)
    posts, searches = np.median(x90[:, 0]), np.median(x90[:, 1])
    brand = 25 * -np.log(0.05) / 40 * 0.05 ** (posts / 40) * 10
    insights = (25 / 100 if posts < 100 else 0.0) * 10
    people = 25 * -np.log(0.05) / 500 * 0.05 ** (searches / 500) * 10
    relationships = 25 / np.log1p(900) / (1 + searches) * 10 if searches < 900 else 0.0
    view = result.table.set_index(["outcome", "column"])["spec_view"]
    assert view[("ssi", "posts")] == pytest.approx(brand + insights, rel=1e-5)
    assert view[("ssi", "searches")] == pytest.approx(people + relationships, rel=1e-5)
    flags = result.table.set_index(["outcome", "column"])
    row = flags.loc[("ssi", "posts")]
    assert row["disagrees"] == (not row["ci_low"] <= row["spec_view"] <= row["ci_high"])


def test_pillars_get_their_own_fit_and_the_spec_view_of_their_inputs(panel):
    dataset, _ = panel
    ssi = dataset["ssi"].assign(brand=dataset["ssi"]["ssi"] / 2, people=np.nan)
    result = fit_drivers(Dataset(tables={**dataset.tables, "ssi": ssi}), spec=_spec())
    t = result.table.set_index(["outcome", "column"])
    assert list(result.table["outcome"].unique()) == ["ssi", "brand"]  # people has no values
    assert t.loc[("brand", "posts"), "estimate"] == pytest.approx(t.loc[("ssi", "posts"), "estimate"] / 2)
    assert t.loc[("brand", "searches"), "spec_view"] == 0.0
    assert fit_drivers(Dataset(tables={**dataset.tables, "ssi": ssi}), spec=_spec(),
                       pillars=False).table["outcome"].unique().tolist() == ["ssi"]


def test_result_api(panel):
    result = fit_drivers(panel[0], spec=_spec())
    assert tuple(result.table.columns) == DRIVER_COLUMNS
    ci = result.conf_int()
    np.testing.assert_allclose(ci["lower"].to_numpy(), result.table["ci_low"].to_numpy())
    assert (result.conf_int(0.5)["upper"] < ci["upper"]).all()
    text = result.summary()
    assert "Within-seller drivers of ssi" in text and "clustered by seller" in text and "posts" in text
    frame = result.to_frame()
    frame.loc[0, "estimate"] = 99
    assert result.table.loc[0, "estimate"] != 99


def test_clear_errors(panel):
    dataset, _ = panel
    tables = dict(dataset.tables)
    with pytest.raises(UsageError, match="no ssi table"):
        fit_drivers(Dataset(tables={k: v for k, v in tables.items() if k != "ssi"}), spec=_spec())
    with pytest.raises(UsageError, match="no activity table"):
        fit_drivers(Dataset(tables={k: v for k, v in tables.items() if k != "activity"}), spec=_spec())
    few = tables["ssi"][tables["ssi"]["member_id"] < "m009"]
    with pytest.raises(UsageError, match="9 sellers.*at least 10"):
        fit_drivers(Dataset(tables={**tables, "ssi": few}), spec=_spec())
    with pytest.raises(UsageError, match="weeks"):
        fit_drivers(dataset, weeks=0)
    sparse = tables["ssi"][tables["ssi"]["member_id"] < "m010"].groupby("member_id").head(2)
    with pytest.raises(UsageError, match="20 readings of 10 sellers for 2 activity columns"):
        fit_drivers(Dataset(tables={**tables, "ssi": sparse}), spec=_spec())


def test_sample_data_runs_finite_and_deterministic():
    dataset = load_dataset(SAMPLE, tables=["members", "activity", "ssi"])
    first, second = fit_drivers(dataset), fit_drivers(dataset)
    table = first.table
    assert set(table["outcome"]) == {"ssi", "brand", "people", "insights", "relationships"}
    numbers = table[["estimate", "std_error", "ci_low", "ci_high", "p_value", "spec_view"]].to_numpy()
    assert np.isfinite(numbers).all()
    assert (table["n_sellers"] == 200).all()
    pd.testing.assert_frame_equal(table, second.table)


def _readings(points, rank="industry_top_pct"):
    return pd.DataFrame([{"member_id": "m1", "date": pd.Timestamp(d), "ssi": s, rank: p} for d, s, p in points])


def test_rank_change_splits_exactly_under_a_normal_group():
    from scipy import stats
    s1, s2, mu1, mu2, sigma = 50.0, 55.0, 40.0, 45.0, 12.0
    p1, p2 = (100 * stats.norm.sf(s, m, sigma) for s, m in ((s1, mu1), (s2, mu2)))
    change = explain_rank_change(_readings([("2025-01-01", s1, p1), ("2025-03-01", s2, p2)]), "m1",
                                 "2025-01-01", "2025-03-05", spread=sigma)
    assert change.end == pd.Timestamp("2025-03-01")  # the latest reading on or before the day
    assert change.own == pytest.approx(100 * (stats.norm.sf(s2, mu1, sigma) - stats.norm.sf(s1, mu1, sigma)))
    assert change.drift == pytest.approx(100 * (stats.norm.sf(s2, mu2, sigma) - stats.norm.sf(s2, mu1, sigma)))
    assert change.group_shift == pytest.approx(mu2 - mu1)
    assert change.own + change.drift == pytest.approx(p2 - p1, abs=1e-12)
    assert "group drift +5.0 SSI points" in change.summary() and len(change.to_frame()) == 1


def test_rank_change_against_a_drawn_group_with_the_definition_of_top_pct():
    rng = np.random.default_rng(0)
    group1 = rng.normal(40, 12, 4000)
    group2 = group1 + 6.0  # the whole group improves by 6 points
    s1, s2 = 50.0, 52.0

    def top(group, s):  # share of the group, the seller included, at or above the seller
        return 100 * (np.sum(group >= s) + 1) / (len(group) + 1)
    readings = _readings([("2025-01-01", s1, top(group1, s1)), ("2025-02-01", s2, top(group2, s2))],
                         rank="network_top_pct")
    change = explain_rank_change(readings, "m1", "2025-01-01", "2025-02-01", rank="network", spread=12.0)
    assert change.own == pytest.approx(top(group1, s2) - top(group1, s1), abs=0.6)
    assert change.drift == pytest.approx(top(group2, s2) - top(group1, s2), abs=0.6)
    assert change.group_shift == pytest.approx(6.0, abs=0.5)


def test_rank_change_default_spread_and_errors():
    dataset = load_dataset(SAMPLE, tables=["members", "ssi"])
    readings = dataset["ssi"]
    change = explain_rank_change(readings, "m0001", "2025-07-01", "2026-06-30")
    day = readings[readings["date"] == change.start]["ssi"].to_numpy(dtype=float)
    assert change.spread == pytest.approx(np.std(day, ddof=1))
    assert np.isfinite([change.own, change.drift, change.group_shift]).all()
    assert change.own + change.drift == pytest.approx(change.top_pct_end - change.top_pct_start)
    with pytest.raises(UsageError, match="rank: expected"):
        explain_rank_change(readings, "m0001", "2025-07-01", "2026-06-30", rank="team")
    with pytest.raises(UsageError, match="no reading of m0001"):
        explain_rank_change(readings, "m0001", "2020-01-01", "2026-06-30")
    with pytest.raises(UsageError, match="is before start"):
        explain_rank_change(readings, "m0001", "2026-06-30", "2025-07-01")
    with pytest.raises(UsageError, match="pass spread="):
        explain_rank_change(_readings([("2025-01-01", 50, 20), ("2025-02-01", 52, 18)]), "m1",
                            "2025-01-01", "2025-02-01")
