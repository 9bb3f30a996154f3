"""The staggered training DiD (ssi_kit.claims.staggered), its simulator truth, report and validation.

Numbers are checked against independent computations: ATT(g, t) by hand with pandas
groupby, the 2x2 standard error against statsmodels OLS with HC2 errors (Welch's), the overall
standard error against a cluster bootstrap, and the simulator's truth against the
estimator on noise-free data.
"""
from __future__ import annotations

import json
import math

import matplotlib
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from ssi_kit.claims.estimators import Untestable
from ssi_kit.claims.staggered import EVENT_COLUMNS, analyse_training, estimate_staggered_did
from ssi_kit.exceptions import UsageError
from ssi_kit.report.event_study import (alt_event_study, describe_event_study, plot_event_study,
                                        table_event_study)
from ssi_kit.simulate import SimulationConfig, simulate_dataset
from ssi_kit.simulate.training import training_effects
from ssi_kit.validation.staggered import run_staggered_validation, staggered_markdown

matplotlib.use("Agg")


def _panel(seed=0, periods=8, sizes=None, effect=3.0, pretrend=0.0):
    """Seller x period panel: cohorts {3: n, 5: n}, never-trained; seller effects and noise."""
    rng = np.random.default_rng(seed)
    sizes = sizes or {3: 30, 5: 40, -1: 50}
    rows = []
    k = 0
    for g, n in sizes.items():
        for _ in range(n):
            alpha = rng.normal(50, 10)
            for t in range(periods):
                y = alpha + 0.5 * t + rng.normal(0, 2)
                if g >= 0 and t >= g:
                    y += effect + (g - 3) + 0.5 * (t - g)  # differs by cohort, grows
                if g == 3 and t < g:
                    y += pretrend * t  # only the first cohort drifts before training
                rows.append((f"s{k:03d}", t, y, g))
            k += 1
    return pd.DataFrame(rows, columns=["member_id", "period", "ssi", "cohort"])


def _hand_att(panel, g, t):
    """ATT(g, t) with base g-1 and not-yet-treated controls, by pandas groupby."""
    wide = panel.pivot(index="member_id", columns="period", values="ssi")
    cohort = panel.groupby("member_id")["cohort"].first()
    dy = wide[t] - wide[g - 1]
    ctrl = (cohort < 0) | (cohort > max(t, g))
    return dy[cohort == g].mean() - dy[ctrl].mean(), int((cohort == g).sum())


def test_event_study_matches_hand_computation():
    panel = _panel()
    res = estimate_staggered_did(panel, pre_periods=2, post_periods=2)
    es = res.event_study.set_index("event_time")
    for e in (-3 + 1, 0, 1, 2):
        cells = [_hand_att(panel, g, g + e) for g in (3, 5) if 0 <= g + e < 8 and
                 ((panel["cohort"] < 0) | (panel["cohort"] > max(g + e, g))).any()]
        want = sum(a * n for a, n in cells) / sum(n for _, n in cells)
        assert es.loc[e, "estimate"] == pytest.approx(want, abs=1e-10)
    post = [es.loc[e, "estimate"] for e in (0, 1, 2)]
    assert res.att == pytest.approx(np.mean(post), abs=1e-12)
    assert es.loc[-1, "estimate"] == 0 and list(res.event_study.columns) == list(EVENT_COLUMNS)


def test_two_by_two_se_equals_ols_hc2_and_welch():
    panel = _panel(sizes={1: 12, -1: 35}, periods=2, effect=2.0)
    res = estimate_staggered_did(panel, pre_periods=0, post_periods=0)
    wide = panel.pivot(index="member_id", columns="period", values="ssi")
    treated = panel.groupby("member_id")["cohort"].first().eq(1)
    diff = (wide[1] - wide[0]).to_numpy()
    ols = sm.OLS(diff, sm.add_constant(treated.to_numpy(float))).fit(cov_type="HC2")
    assert res.att == pytest.approx(ols.params[1], abs=1e-10)
    assert res.se == pytest.approx(ols.bse[1], rel=1e-10)
    a, b = diff[treated.to_numpy()], diff[~treated.to_numpy()]
    assert res.se ** 2 == pytest.approx(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b), rel=1e-10)  # Welch
    assert res.df == 47 - 1 and math.isnan(res.pretrend_p)


def test_clustered_se_matches_cluster_bootstrap():
    panel = _panel(seed=4)
    res = estimate_staggered_did(panel, pre_periods=2, post_periods=2)
    wide = panel.pivot(index="member_id", columns="period", values="ssi").to_numpy()
    cohort = panel.groupby("member_id")["cohort"].first().to_numpy()
    rng = np.random.default_rng(1)
    draws = []
    for _ in range(200):  # resample sellers within cohorts (cohort sizes fixed, as the SE assumes)
        pick = np.concatenate([rng.choice(np.flatnonzero(cohort == g), (cohort == g).sum()) for g in (3, 5, -1)])
        n, t = len(pick), wide.shape[1]
        boot = pd.DataFrame({"member_id": np.repeat(np.arange(n), t), "period": np.tile(np.arange(t), n),
                             "ssi": wide[pick].ravel(), "cohort": np.repeat(cohort[pick], t)})
        draws.append(estimate_staggered_did(boot, pre_periods=2, post_periods=2).att)
    assert res.se == pytest.approx(np.std(draws, ddof=1), rel=0.2)


def test_pretrend_test_detects_diverging_trends():
    flat = estimate_staggered_did(_panel(seed=2), pre_periods=2, post_periods=2)
    tilted = estimate_staggered_did(_panel(seed=2, pretrend=10.0), pre_periods=2, post_periods=2)
    assert tilted.pretrend_p < 1e-4 < 0.05 < flat.pretrend_p
    assert flat.pretrend_df == (1, flat.df)  # e = -2 only: e = -1 is the reference


def test_untestable_without_controls():
    with pytest.raises(Untestable):
        estimate_staggered_did(_panel(sizes={3: 20}))


def test_simulator_truth_equals_estimate_without_noise():
    cfg = SimulationConfig(members=120, seed=5, trained_share=0.6, wander_sd=0.0, reading_noise=0.0,
                           training_effect_spread=3.0, training_effect_growth=0.8)
    sim = simulate_dataset(cfg)
    did = analyse_training(sim.tables, sim.tables["ssi"], "training")
    truth = sim.truth["claims"]["training_median_shift"]["did_conditional"]
    assert did.att == pytest.approx(truth, abs=1e-4)
    assert truth > 8.0  # growth adds to the planted 8 points


def test_training_effects_default_is_the_constant_shift():
    cfg = SimulationConfig(members=20)
    train = np.array([-1, 150, 200])
    eff = training_effects(cfg, train, np.arange(400))
    assert eff[0].max() == 0 and (eff[1, 150:] == 8.0).all() and (eff[1, :150] == 0).all()
    grown = training_effects(SimulationConfig(members=20, training_effect_growth=1.5), train, np.arange(400))
    assert grown[2, 260] == pytest.approx(8.0 + 1.5 * 60 / 30)
    with pytest.raises(UsageError):
        SimulationConfig(training_effect_growth=11)


def test_report_event_study_json_and_figure():
    sim = simulate_dataset(SimulationConfig(members=150, seed=2, trained_share=0.5))
    did = analyse_training(sim.tables, sim.tables["ssi"], "training")
    d = json.loads(json.dumps(did.to_dict(), allow_nan=False))
    assert d["ci"][0] < d["att"] < d["ci"][1] and d["twfe"]["estimate"] is not None
    assert [r["event_time"] for r in d["rows"]] == list(range(-4, 7))
    fig = plot_event_study(d)
    ax = fig.axes[0]
    assert "since the training" in ax.get_xlabel() and "SSI (points)" in ax.get_ylabel()
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert any("Before training" in t for t in labels) and any("After training" in t for t in labels)
    sentence = describe_event_study(d)
    assert sentence.startswith("Training raised SSI by") and "pre-trend test p =" in sentence
    assert "3 periods before and 7 periods after" in alt_event_study(d)  # the reference -1 is not an estimate
    table = table_event_study(d).set_index("Periods since training")
    assert table.loc[-1, "Effect (SSI points)"] == 0 and table.loc[-1, ["Trained sellers", "Control sellers"]].isna().all()
    assert (table.drop(index=-1)["Trained sellers"] > 0).all()  # counts stay whole numbers elsewhere
    assert str(table["Trained sellers"].dtype) == "Int64"
    assert "could not be estimated: no events" in describe_event_study({"reason": "no events"})


def test_claims_report_carries_event_study_and_notes(tmp_path):
    from ssi_kit.claims import evaluate_claims, load_claims
    from ssi_kit.claims.did import estimate_did
    from ssi_kit.io import Dataset, validate_tables
    sim = simulate_dataset(SimulationConfig(members=120, seed=3, trained_share=0.5))
    ds = Dataset(tables=validate_tables(sim.tables))
    training = [c for c in load_claims() if c.claim_id == "training_median_shift"]
    report = evaluate_claims(ds, training, n_resamples=200, specifications=False)
    es = report.to_dict()["event_study"]
    did = analyse_training(ds, ds["ssi"], "training")
    assert es["att"] == pytest.approx(did.att, abs=1e-12) and es["pretrend_p"] == pytest.approx(did.pretrend_p)
    notes = report["training_median_shift"].notes
    cs = next(n for n in notes if n.startswith("staggered difference-in-differences"))
    assert f"{did.att:.2f} SSI points" in cs and "pre-trend test p =" in cs
    # the TWFE comparison: a panel built by hand from the readings around the training dates
    ev = ds["events"][ds["events"]["event"] == "training"].groupby("member_id")["date"].min()
    ssi = ds["ssi"]
    lo, hi = ev.min() - pd.Timedelta(days=90), ev.max() + pd.Timedelta(days=90)
    panel = ssi[(ssi["date"] >= lo) & (ssi["date"] < hi)][["member_id", "date", "ssi"]].copy()
    panel["treated_post"] = (panel["member_id"].map(ev).notna() & (panel["date"] >= panel["member_id"].map(ev)))
    twfe = estimate_did(panel.assign(treated_post=panel["treated_post"].astype(float)).reset_index(drop=True))
    note = next(n for n in notes if n.startswith("two-way fixed-effects estimate, for comparison only"))
    assert f": {twfe.estimate:.2f} (95% CI" in note
    assert report.event_study_frame()["event_time"].tolist() == list(range(-4, 7))


def test_validation_smoke():
    table = run_staggered_validation(3, seed=1, members=150)
    assert set(table["estimator"]) == {"Staggered DiD (Callaway-Sant'Anna)", "Two-way fixed effects"}
    assert table["coverage"].between(0, 1).all()
    assert "| Staggered DiD" in staggered_markdown(table)


@pytest.mark.slow
def test_staggered_coverage_and_pretrend_type1():
    table = run_staggered_validation(200, seed=11).set_index("estimator")
    cs = table.loc["Staggered DiD (Callaway-Sant'Anna)"]
    assert 0.91 <= cs["coverage"] <= 0.985  # 93-97% target, with 200 datasets' Monte-Carlo error
    assert cs["conditional_coverage"] >= 0.93  # at the sellers' own training days: conservative
    assert table.loc["Two-way fixed effects", "bias"] > 0.2  # TWFE is biased on this design
    assert cs["pretrend_rejection"] <= 0.09


@pytest.mark.slow  # about 15 s: claims_to_dir runs the whole claims engine and specification curve
def test_claims_to_dir_writes_event_study_csv(tmp_path):
    from ssi_kit.io import write_dataset
    from ssi_kit.jobs import claims_to_dir
    sim = simulate_dataset(SimulationConfig(members=80, seed=4, trained_share=0.5))
    ds_dir = write_dataset(sim.tables, tmp_path / "ds")
    report = claims_to_dir(ds_dir, tmp_path / "out", n_resamples=50)
    table = pd.read_csv(tmp_path / "out" / "event_study.csv")
    assert list(table.columns) == list(EVENT_COLUMNS)
    assert pd.api.types.is_float_dtype(table["estimate"]) and pd.api.types.is_integer_dtype(table["event_time"])
    saved = json.loads((tmp_path / "out" / "claims.json").read_text())["event_study"]
    assert saved["att"] == pytest.approx(report.event_study.att)
    assert table.set_index("event_time").loc[0, "estimate"] == pytest.approx(
        next(r["estimate"] for r in saved["rows"] if r["event_time"] == 0))
    assert "Staggered DiD" in report.event_study.summary()


def test_cohort_mean_effects_average_the_allowed_training_days():
    from ssi_kit.simulate.training import cohort_mean_effects, training_window
    cfg = SimulationConfig(members=20, training_effect_spread=2.0, training_effect_growth=1.0)
    first, last = training_window(cfg)
    reading_days = np.arange(0, 400, 7)
    train = np.array([-1, first + 30, first + 31])  # same 28-day period
    got = cohort_mean_effects(cfg, train, reading_days)
    c = (first + 30) // 28
    days = [d for d in range(28 * c, 28 * c + 28) if first <= d <= last]
    want = np.mean([training_effects(cfg, np.array([d]), reading_days)[0] for d in days], axis=0)
    assert np.allclose(got[1], want) and np.allclose(got[2], want) and not got[0].any()
