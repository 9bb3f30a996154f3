"""evaluate_claims on simulated datasets: planted and null effects, hand-checked estimates,
Holm, missing tables, small groups, SSI sources, determinism, serialisation, display."""
from __future__ import annotations

import dataclasses
import json
import math
import re

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.stats.multitest import multipletests

from claims_fixtures import (DESIGN_CLAIMS, RESAMPLES, claim_entry, hand_period_ssi, hand_quarter_sums,
                             hand_training_diffs, report, simulated, without)
from ssi_kit.claims import CSV_COLUMNS, VERDICTS, ClaimsReport, evaluate_claims, load_claims, parse_claims
from ssi_kit.claims.did import estimate_did
from ssi_kit.exceptions import UsageError
from ssi_kit.io import Dataset

SSI_CLAIMS = ("leaders_opportunities", "leaders_quota", "training_median_shift",
              "higher_ssi_opportunities", "opportunities_per_10_points")
OUTCOME_CLAIMS = ("leaders_opportunities", "leaders_quota", "social_outsell",
                  "higher_ssi_opportunities", "opportunities_per_10_points")


@pytest.fixture(scope="module")
def planted():
    return simulated()


@pytest.fixture(scope="module")
def main_report():
    return report()


# ----------------------------------------------------------------------------- planted effects

def test_report_shape(main_report):
    assert isinstance(main_report, ClaimsReport)
    assert [r.claim_id for r in main_report.results] == list(DESIGN_CLAIMS)
    assert main_report.ssi_source == "observed"
    for r in main_report.results:
        assert r.verdict in VERDICTS
        assert (r.published, r.null_value) == DESIGN_CLAIMS[r.claim_id]


def test_planted_published_effects_are_not_rejected(main_report, planted):
    sim, _ = planted
    covered = 0
    for r in main_report.results:
        assert r.testable, (r.claim_id, r.reason)
        assert r.verdict not in ("opposite", "not_supported"), (r.claim_id, r.verdict)
        assert r.ci_low <= r.estimate <= r.ci_high
        truth = sim.truth["claims"][r.claim_id]["expected"]
        covered += r.ci_low <= truth <= r.ci_high
    assert covered >= 6


def test_planted_strong_claims_are_consistent(main_report):
    for claim_id in ("leaders_opportunities", "higher_ssi_opportunities", "opportunities_per_10_points",
                     "conversation_growth", "training_median_shift"):
        assert main_report[claim_id].verdict == "consistent", claim_id


@pytest.mark.parametrize("seed", [3, 4])
def test_null_effects_are_not_consistent(seed):
    rep = report(seed=seed, null=True, specifications=False)
    for claim_id in ("leaders_opportunities", "leaders_quota", "higher_ssi_opportunities",
                     "opportunities_per_10_points", "conversation_growth"):
        r = rep[claim_id]
        published, null = DESIGN_CLAIMS[claim_id]
        assert r.testable, r.reason
        assert r.verdict not in ("consistent", "stronger"), (claim_id, r.verdict)
        assert abs(r.estimate - null) < abs(published - null) / 2, (claim_id, r.estimate)
    assert sum(r.verdict == "not_supported" for r in rep.results) >= 4


# ----------------------------------------------------------------------------- hand-checked estimates

def test_leaders_opportunities_by_hand(main_report, planted):
    _, ds = planted
    sp = hand_period_ssi(ds)
    data = sp[(sp["ssi"] > 70) | (sp["ssi"] < 30)].assign(x=lambda f: (f["ssi"] > 70).astype(int),
                                                          y=lambda f: f["opportunities"].astype(float))
    r = main_report["leaders_opportunities"]
    assert r.n == len(data) and r.n_sellers == data["member_id"].nunique()
    assert r.estimate == pytest.approx(data.loc[data.x == 1, "y"].mean() / data.loc[data.x == 0, "y"].mean(),
                                       rel=1e-9)
    codes = pd.factorize(data["member_id"])[0]
    fit = smf.glm("y ~ x", data=data, family=sm.families.Poisson()).fit(
        cov_type="cluster", cov_kwds={"groups": codes}, use_t=True)  # t with (sellers - 1) df
    lo, hi = np.exp(fit.conf_int().loc["x"])
    assert (r.ci_low, r.ci_high) == pytest.approx((lo, hi), rel=1e-7)


def test_adjusted_estimate_matches_glm_with_covariates(main_report, planted):
    _, ds = planted
    sp = hand_period_ssi(ds).merge(ds["members"][["member_id", "tenure_months", "region", "team", "industry"]],
                                   on="member_id")
    data = sp[(sp["ssi"] > 70) | (sp["ssi"] < 30)].assign(x=lambda f: (f["ssi"] > 70).astype(int),
                                                          y=lambda f: f["opportunities"].astype(float),
                                                          tenure=lambda f: f["tenure_months"].astype(float))
    data = data.dropna(subset=["tenure"]).astype({"team": str, "region": str, "industry": str})
    fit = smf.glm("y ~ x + tenure + C(team) + C(region) + C(industry)", data=data,
                  family=sm.families.Poisson()).fit()
    r = main_report["leaders_opportunities"]
    assert r.adjusted_estimate == pytest.approx(math.exp(fit.params["x"]), rel=1e-6)
    assert r.adjusted_ci_low < r.adjusted_estimate < r.adjusted_ci_high


def test_leaders_quota_is_a_risk_ratio_by_hand(main_report, planted):
    _, ds = planted
    sp = hand_period_ssi(ds).dropna(subset=["quota_attained"])
    q = sp["quota_attained"].astype(float)
    p_hi, p_lo = q[sp["ssi"] > 70].mean(), q[sp["ssi"] < 30].mean()
    r = main_report["leaders_quota"]
    assert r.estimate == pytest.approx(p_hi / p_lo, rel=1e-9)
    assert r.estimate != pytest.approx((p_hi / (1 - p_hi)) / (p_lo / (1 - p_lo)), rel=1e-3)


def test_higher_ssi_and_slope_by_hand(main_report, planted):
    _, ds = planted
    sp = hand_period_ssi(ds)
    y = sp["opportunities"].astype(float)
    med = np.median(sp["ssi"])
    r = main_report["higher_ssi_opportunities"]
    assert r.n == len(sp)
    assert r.estimate == pytest.approx(y[sp["ssi"] > med].mean() / y[sp["ssi"] <= med].mean(), rel=1e-9)
    codes = pd.factorize(sp["member_id"])[0]  # errors clustered by seller (CR1), t(sellers - 1)
    fit = sm.OLS(y, sm.add_constant(sp["ssi"])).fit(cov_type="cluster", cov_kwds={"groups": codes})
    s = main_report["opportunities_per_10_points"]
    assert s.estimate == pytest.approx(10 * fit.params["ssi"], rel=1e-8)
    q = stats.t.ppf(0.975, codes.max())
    assert s.ci_low == pytest.approx(10 * (fit.params["ssi"] - q * fit.bse["ssi"]), rel=1e-8)


def test_social_outsell_by_hand(main_report, planted):
    _, ds = planted
    revenue = ds["outcomes"].groupby("member_id")["revenue"].mean().astype(float).dropna()
    social = ds["members"].set_index("member_id")["social_media"].reindex(revenue.index)
    group = revenue[social == True]  # noqa: E712
    other = revenue[social == False]  # noqa: E712
    r = main_report["social_outsell"]
    assert r.estimate == pytest.approx(np.mean(group.to_numpy() > np.median(other.to_numpy())), abs=1e-12)
    assert r.n == len(group) + len(other) == 120


def test_training_shift_and_did_note_by_hand(main_report, planted):
    _, ds = planted
    d = hand_training_diffs(ds)
    r = main_report["training_median_shift"]
    assert r.n == len(d) == 36
    assert r.estimate == pytest.approx(np.median(d), abs=1e-9)
    assert r.p_value == pytest.approx(stats.wilcoxon(d, zero_method="pratt").pvalue, rel=1e-9)
    # the DiD note: a panel built by hand from the readings around the training dates
    ev = ds["events"][ds["events"]["event"] == "training"].groupby("member_id")["date"].min()
    ssi = ds["ssi"]
    lo, hi = ev.min() - pd.Timedelta(days=90), ev.max() + pd.Timedelta(days=90)
    panel = ssi[(ssi["date"] >= lo) & (ssi["date"] < hi)][["member_id", "date", "ssi"]].copy()
    start = panel["member_id"].map(ev)
    panel["treated_post"] = (start.notna() & (panel["date"] >= start)).astype(float)
    panel["ssi"] = panel["ssi"].astype(float)
    did = estimate_did(panel.reset_index(drop=True))
    note = next(n for n in r.notes if n.startswith("two-way fixed-effects estimate, for comparison only"))
    shown = float(re.search(r"after training\): (-?[\d.]+)", note).group(1))
    assert shown == pytest.approx(did.estimate, abs=0.006)
    staggered = next(n for n in r.notes if n.startswith("staggered difference-in-differences"))
    assert "not-yet-trained sellers as controls" in staggered and "pre-trend test p = " in staggered
    assert any(n.startswith("difference of medians") for n in r.notes)
    assert any("regression to the mean" in n for n in r.notes)


def test_conversation_growth_by_hand(main_report, planted):
    _, ds = planted
    earlier, later = hand_quarter_sums(ds, "messages_sent")
    r = main_report["conversation_growth"]
    assert r.n == len(earlier) == 120
    assert r.estimate == pytest.approx(later.mean() / earlier.mean(), rel=1e-9)
    assert "2026Q3" in r.method and "2025Q3" in r.method


def test_power_and_n_for_power_are_consistent(main_report):
    for r in main_report.results:
        assert 0.05 <= r.power <= 1, r.claim_id
        assert r.n_for_80_power >= 2
        # more units than needed for 80% <=> at least 80% power at the observed n
        assert (r.n >= r.n_for_80_power) == (r.power >= 0.8 - 1e-6), r.claim_id


# ----------------------------------------------------------------------------- Holm

def test_holm_adjustment(main_report):
    testable = [r for r in main_report.results if r.testable]
    p = [r.p_value for r in testable]
    expected = multipletests(p, method="holm")[1]
    assert [r.p_adjusted for r in testable] == pytest.approx(list(expected), rel=1e-12)
    for r in testable:
        assert r.p_value <= r.p_adjusted <= 1


def test_holm_only_over_testable_claims(planted):
    _, ds = planted
    rep = evaluate_claims(without(ds, "outcomes"), n_resamples=RESAMPLES, specifications=False)
    testable = [r for r in rep.results if r.testable]
    assert [r.claim_id for r in testable] == ["training_median_shift", "conversation_growth"]
    expected = multipletests([r.p_value for r in testable], method="holm")[1]
    assert [r.p_adjusted for r in testable] == pytest.approx(list(expected), rel=1e-12)
    for r in rep.results:
        if not r.testable:
            assert math.isnan(r.p_adjusted) and math.isnan(r.p_value)


# ----------------------------------------------------------------------------- missing tables

@pytest.mark.parametrize("drop,claims,word", [
    (("outcomes",), OUTCOME_CLAIMS, "outcomes"),
    (("events",), ("training_median_shift",), "events"),
    (("activity",), ("conversation_growth",), "activity"),
])
def test_missing_table_makes_its_claims_untestable(planted, drop, claims, word):
    _, ds = planted
    rep = evaluate_claims(without(ds, *drop), n_resamples=RESAMPLES, specifications=False)
    for r in rep.results:
        if r.claim_id in claims:
            assert r.verdict == "untestable", r.claim_id
            assert word in r.reason, (r.claim_id, r.reason)
            assert math.isnan(r.estimate) and r.n == 0
        else:
            assert r.testable, (r.claim_id, r.reason)
    assert rep.untestable() == {r.claim_id: r.reason for r in rep.results if r.claim_id in claims}


def test_missing_ssi_table_falls_back_to_computed(planted):
    _, ds = planted
    auto = evaluate_claims(without(ds, "ssi"), n_resamples=RESAMPLES, specifications=False)
    assert auto.ssi_source == "computed"
    computed = evaluate_claims(ds, ssi_source="computed", n_resamples=RESAMPLES, specifications=False)
    pd.testing.assert_frame_equal(auto.to_frame(), computed.to_frame())
    for claim_id in SSI_CLAIMS:
        assert auto[claim_id].ssi_source == "computed"


def test_observed_source_without_ssi_table(planted):
    _, ds = planted
    rep = evaluate_claims(without(ds, "ssi"), ssi_source="observed", n_resamples=RESAMPLES,
                          specifications=False)
    for claim_id in SSI_CLAIMS:
        assert rep[claim_id].verdict == "untestable" and "ssi table" in rep[claim_id].reason
    assert rep["social_outsell"].testable and rep["conversation_growth"].testable


def test_nothing_to_compute_ssi_from(planted):
    _, ds = planted
    rep = evaluate_claims(without(ds, "ssi", "activity", "profiles", "events"), n_resamples=RESAMPLES)
    for claim_id in ("leaders_opportunities", "leaders_quota", "higher_ssi_opportunities",
                     "opportunities_per_10_points"):
        assert rep[claim_id].verdict == "untestable"
        assert "activity" in rep[claim_id].reason and "profiles" in rep[claim_id].reason
    assert "events" in rep["training_median_shift"].reason or "activity" in rep["training_median_shift"].reason
    assert rep["social_outsell"].testable
    json.dumps(rep.to_dict(), allow_nan=False)


def test_members_only_dataset(planted):
    _, ds = planted
    rep = evaluate_claims(without(ds, "ssi", "activity", "profiles", "events", "outcomes", "connections"))
    assert all(r.verdict == "untestable" and r.reason for r in rep.results)
    assert rep.specifications["verdict"].eq("untestable").all()
    json.dumps(rep.to_dict(), allow_nan=False)
    assert rep.summary().count("untestable") == 7


def test_too_small_groups_state_the_minimum():
    _, ds = simulated(members=12, seed=3)
    rep = evaluate_claims(ds, n_resamples=200, specifications=False)
    small = {r.claim_id: r.reason for r in rep.results if not r.testable}
    assert {"leaders_opportunities", "social_outsell", "training_median_shift"} <= set(small)
    for reason in small.values():
        assert re.search(r"\d+ < 10\b", reason), reason
    assert "social_media" in small["social_outsell"]


def test_min_group_is_configurable(planted):
    _, ds = planted
    rep = evaluate_claims(ds, min_group=200, n_resamples=200, specifications=False)
    assert "< 200" in rep["leaders_opportunities"].reason
    # 240 seller-periods per side of the median, but only 120 sellers in all
    assert "too few sellers in a group" in rep["higher_ssi_opportunities"].reason
    assert "< 200" in rep["opportunities_per_10_points"].reason
    rep = evaluate_claims(ds, min_group=250, n_resamples=200, specifications=False)
    assert "240 < 250" in rep["higher_ssi_opportunities"].reason
    assert "480 < 500" in rep["opportunities_per_10_points"].reason
    rep = evaluate_claims(ds, min_group=30, n_resamples=200, specifications=False)
    assert rep["higher_ssi_opportunities"].testable and rep["opportunities_per_10_points"].testable


def test_overlapping_groups_are_untestable(planted):
    _, ds = planted
    entry = claim_entry("overlap", "ratio_of_means", {"outcome": "opportunities", "high": ">40", "low": "<60"},
                        1.5, 1.0)
    rep = evaluate_claims(ds, parse_claims({"claims": [entry]}), specifications=False)
    assert rep["overlap"].verdict == "untestable" and "overlap" in rep["overlap"].reason


def test_unknown_event_and_column(planted):
    _, ds = planted
    entries = [claim_entry("webinar", "paired_median_shift", {"event": "webinar"}, 5, 0),
               claim_entry("no_col", "slope", {"outcome": "pipeline"}, 1, 0),
               claim_entry("no_act", "growth_ratio", {"column": "likes"}, 1.2, 1)]
    rep = evaluate_claims(ds, parse_claims({"claims": entries}), specifications=False)
    assert "webinar" in rep["webinar"].reason
    assert "pipeline" in rep["no_col"].reason
    assert "likes" in rep["no_act"].reason


def test_bad_ssi_source(planted):
    _, ds = planted
    with pytest.raises(UsageError):
        evaluate_claims(ds, ssi_source="linkedin")


# ----------------------------------------------------------------------------- SSI sources

def test_computed_source(planted, main_report):
    comp = report(ssi_source="computed", specifications=False)
    assert comp.ssi_source == "computed"
    for claim_id in SSI_CLAIMS:
        assert comp[claim_id].testable and comp[claim_id].ssi_source == "computed"
    assert comp["leaders_opportunities"].n != main_report["leaders_opportunities"].n
    # claims that do not use SSI do not change with the source
    for claim_id in ("social_outsell", "conversation_growth"):
        assert comp[claim_id].estimate == main_report[claim_id].estimate
        assert comp[claim_id].ssi_source == ""


# ----------------------------------------------------------------------------- determinism, output

def test_same_seed_same_report(planted, main_report):
    _, ds = planted
    again = evaluate_claims(ds, n_resamples=RESAMPLES)
    pd.testing.assert_frame_equal(again.to_frame(), main_report.to_frame())
    pd.testing.assert_frame_equal(again.specifications, main_report.specifications)
    other = evaluate_claims(ds, n_resamples=RESAMPLES, seed=1, specifications=False)
    assert other["social_outsell"].ci_low != main_report["social_outsell"].ci_low or \
        other["social_outsell"].ci_high != main_report["social_outsell"].ci_high or \
        other["social_outsell"].p_value != main_report["social_outsell"].p_value
    assert other["leaders_opportunities"].estimate == main_report["leaders_opportunities"].estimate


def test_to_frame_columns(main_report):
    frame = main_report.to_frame()
    assert list(frame.columns) == list(CSV_COLUMNS)
    assert list(frame.columns[:11]) == ["claim_id", "n", "published", "estimate", "ci_low", "ci_high",
                                        "null_value", "p_value", "p_adjusted", "power", "verdict"]
    assert list(frame["claim_id"]) == list(DESIGN_CLAIMS)


def test_to_dict_is_strict_json(main_report, planted):
    text = json.dumps(main_report.to_dict(), allow_nan=False)
    back = json.loads(text)
    assert back["ssi_source"] == "observed"
    assert [c["claim_id"] for c in back["claims"]] == list(DESIGN_CLAIMS)
    training = back["claims"][3]
    assert isinstance(training["notes"], list) and training["notes"]
    assert training["definition"] and back["claims"][0]["adjusted_estimate"] is not None
    assert back["claims"][2]["adjusted_estimate"] is None  # NaN -> null
    assert len(back["specifications"]) == len(main_report.specifications)
    assert back["consistency"]["consistent"] in (True, False)
    _, ds = planted
    sparse = evaluate_claims(without(ds, "outcomes", "events"), n_resamples=RESAMPLES)
    json.dumps(sparse.to_dict(), allow_nan=False)


HOSTILE = "<script>alert('x')</script> & <b>"


def test_summary_and_html(main_report, planted):
    text = main_report.summary()
    html = main_report._repr_html_()
    for claim_id in DESIGN_CLAIMS:
        assert claim_id in text and claim_id in html
        assert claim_id in main_report[claim_id].summary()
        assert claim_id in main_report[claim_id]._repr_html_()
    assert "consistent" in text and "untestable" not in text
    _, ds = planted
    entries = [claim_entry("hostile", "paired_median_shift", {"event": HOSTILE}, 5, 0,
                           statement=f"Statement {HOSTILE}"),
               claim_entry("hostile_col", "slope", {"outcome": "<i>pipeline</i>"}, 1, 0,
                           statement=HOSTILE)]
    rep = evaluate_claims(ds, parse_claims({"claims": entries}), specifications=False)
    assert HOSTILE in rep.summary()  # plain text keeps the words
    for shown in (rep._repr_html_(), rep["hostile"]._repr_html_(), rep["hostile_col"]._repr_html_()):
        assert "<script>" not in shown and "<b>" not in shown and "<i>" not in shown
        assert "&lt;" in shown
    assert "&lt;script&gt;" in rep["hostile"]._repr_html_()
    assert "&lt;i&gt;pipeline" in rep._repr_html_()


def test_untestable_summary(planted):
    _, ds = planted
    rep = evaluate_claims(without(ds, "events"), n_resamples=RESAMPLES, specifications=False)
    text = rep["training_median_shift"].summary()
    assert "untestable" in text and "events" in text


def test_report_is_immutable(main_report):
    with pytest.raises(dataclasses.FrozenInstanceError):
        main_report["leaders_opportunities"].verdict = "consistent"  # type: ignore[misc]


# ----------------------------------------------------------------------------- TOST, columns, NA

def test_tost_against_the_equivalence_margin(main_report):
    claims = {c.claim_id: c for c in load_claims()}
    for claim_id in ("leaders_opportunities", "conversation_growth"):  # ratios: log scale, t(sellers - 1)
        r, c = main_report[claim_id], claims[claim_id]
        g = stats.t(r.n_sellers - 1)
        se = (math.log(r.ci_high) - math.log(r.ci_low)) / (2 * g.ppf(0.975))
        lo, hi = c.published / (1 + c.margin), c.published * (1 + c.margin)
        theta = math.log(r.estimate)
        expected = max(g.sf((theta - math.log(lo)) / se), g.cdf((theta - math.log(hi)) / se))
        assert r.tost_p == pytest.approx(expected, rel=1e-6)
        assert r.equivalent == (expected < 0.05)
    r, c = main_report["opportunities_per_10_points"], claims["opportunities_per_10_points"]
    df = r.n_sellers - 1  # errors clustered by seller: t(sellers - 1)
    se = (r.ci_high - r.ci_low) / (2 * stats.t.ppf(0.975, df))
    expected = max(stats.t.sf((r.estimate - (c.published - c.margin)) / se, df),
                   stats.t.cdf((r.estimate - (c.published + c.margin)) / se, df))
    assert r.tost_p == pytest.approx(expected, rel=1e-6)


def test_missing_outcome_and_member_columns(planted):
    _, ds = planted
    tables = dict(ds.tables)
    tables["outcomes"] = ds["outcomes"].drop(columns=["quota_attained", "revenue"])
    tables["members"] = ds["members"].drop(columns=["social_media"])
    rep = evaluate_claims(Dataset(tables=tables), n_resamples=RESAMPLES, specifications=False)
    assert rep["leaders_quota"].verdict == "untestable" and "quota_attained" in rep["leaders_quota"].reason
    assert rep["social_outsell"].verdict == "untestable" and "social_media" in rep["social_outsell"].reason
    assert rep["leaders_opportunities"].testable


def test_missing_outcome_values_are_left_out(planted):
    _, ds = planted
    outcomes = ds["outcomes"].copy()
    rng = np.random.default_rng(0)
    outcomes.loc[rng.random(len(outcomes)) < 0.2, "quota_attained"] = pd.NA
    outcomes.loc[rng.random(len(outcomes)) < 0.2, "opportunities"] = pd.NA
    nds = Dataset(tables={**ds.tables, "outcomes": outcomes})
    rep = evaluate_claims(nds, n_resamples=RESAMPLES, specifications=False)
    sp = hand_period_ssi(nds)
    q = sp.dropna(subset=["quota_attained"])
    qa = q["quota_attained"].astype(float)
    assert rep["leaders_quota"].estimate == pytest.approx(qa[q["ssi"] > 70].mean() / qa[q["ssi"] < 30].mean(),
                                                          rel=1e-9)
    o = sp.dropna(subset=["opportunities"])
    y = o["opportunities"].astype(float)
    assert rep["leaders_opportunities"].n == int(((o["ssi"] > 70) | (o["ssi"] < 30)).sum())
    assert rep["leaders_opportunities"].estimate == pytest.approx(
        y[o["ssi"] > 70].mean() / y[o["ssi"] < 30].mean(), rel=1e-9)


def test_too_few_sellers_in_a_group_is_untestable():
    _, ds = simulated(members=20, seed=2)
    sp = hand_period_ssi(ds)
    leaders = sp[sp["ssi"] > 70]
    assert len(leaders) >= 10 and leaders["member_id"].nunique() < 10  # the situation under test
    rep = evaluate_claims(ds, n_resamples=200, specifications=False)
    r = rep["leaders_opportunities"]
    assert r.verdict == "untestable" and "sellers" in r.reason
