"""The specification curve: its choices, the as-defined row, hand-computed variants, the summary."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats

from claims_fixtures import RESAMPLES, hand_period_ssi, report, simulated, without
from ssi_kit.claims import evaluate_claims, load_claims
from ssi_kit.claims.specifications import (CHOICE_COLUMNS, CONTINUOUS, GROUP_VARIANTS, summarize_specifications)

CUTOFFS = ["as defined", "top vs bottom quartile", "article bands: 70+ vs below 40", "continuous SSI"]


@pytest.fixture(scope="module")
def planted():
    return simulated()


@pytest.fixture(scope="module")
def main_report():
    return report()


def _pick(table, claim_id, **choices):
    rows = table[table["claim_id"] == claim_id]
    for key, value in choices.items():
        rows = rows[rows[key] == value]
    assert len(rows) == 1, choices
    return rows.iloc[0]


def test_choices_cross_per_claim(main_report):
    table = main_report.specifications
    counts = table.groupby("claim_id").size().to_dict()
    # cut-offs x windows x sources x covariates x periods
    assert counts == {"leaders_opportunities": 4 * 3 * 2 * 2 * 2, "leaders_quota": 96,
                      "higher_ssi_opportunities": 2 * 3 * 2 * 2 * 2, "opportunities_per_10_points": 3 * 2 * 2 * 2,
                      "training_median_shift": 3 * 2, "social_outsell": 1, "conversation_growth": 1}
    lead = table[table["claim_id"] == "leaders_opportunities"]
    assert list(pd.unique(lead["leader_cutoff"])) == CUTOFFS
    assert set(lead["ssi_window"]) == {"90 days", "60 days", "30 days"}
    assert set(lead["covariates"]) == {"with", "without"}
    assert set(lead["outcome_period"]) == {"all periods", "latest period per seller"}
    assert set(table.loc[table["claim_id"] == "higher_ssi_opportunities", "leader_cutoff"]) == \
        {"as defined", CONTINUOUS}
    assert (table.loc[table["claim_id"] == "social_outsell", list(CHOICE_COLUMNS)] == "n/a").all(axis=None)
    assert not any("_" in str(v) for col in CHOICE_COLUMNS for v in table[col].unique())


def test_only_the_first_specification_is_the_main_claim(main_report):
    table = main_report.specifications
    for result in main_report.results:
        rows = table[table["claim_id"] == result.claim_id].reset_index(drop=True)
        first = rows.iloc[0]
        assert first["as_defined"] and first["spec"] == 0 and rows["as_defined"].sum() == 1
        assert first["estimate"] == result.estimate
        assert (first["ci_low"], first["ci_high"]) == (result.ci_low, result.ci_high)
        assert first["verdict"] == result.verdict
        if len(rows) > 1:  # every other specification moves the estimate
            assert (rows["estimate"].iloc[1:] != result.estimate).all(), result.claim_id


def test_covariate_rows_are_the_adjusted_estimate(main_report):
    row = _pick(main_report.specifications, "leaders_opportunities", spec=1)
    assert row["covariates"] == "with"
    main = main_report["leaders_opportunities"]
    assert row["estimate"] == main.adjusted_estimate and row["p_value"] == main.adjusted_p_value
    assert 0 <= row["p_value"] < 0.05 and row["n"] == main.adjusted_n > 0


def test_cutoffs_windows_and_latest_period_by_hand(main_report, planted):
    _, ds = planted
    table = main_report.specifications
    base = dict(ssi_source="observed", covariates="without")
    sp = hand_period_ssi(ds)
    y = sp["opportunities"].astype(float)
    q25, q75 = np.quantile(sp["ssi"], [0.25, 0.75])
    quart = _pick(table, "leaders_opportunities", leader_cutoff="top vs bottom quartile", ssi_window="90 days",
                  outcome_period="all periods", **base)
    assert quart["estimate"] == pytest.approx(y[sp["ssi"] >= q75].mean() / y[sp["ssi"] <= q25].mean(), rel=1e-9)
    bands = _pick(table, "leaders_opportunities", leader_cutoff=GROUP_VARIANTS[1][0], ssi_window="90 days",
                  outcome_period="all periods", **base)
    assert bands["estimate"] == pytest.approx(y[sp["ssi"] >= 70].mean() / y[sp["ssi"] < 40].mean(), rel=1e-9)
    sp30 = hand_period_ssi(ds, lookback=30)
    y30 = sp30["opportunities"].astype(float)
    w30 = _pick(table, "leaders_opportunities", leader_cutoff="as defined", ssi_window="30 days",
                outcome_period="all periods", **base)
    assert w30["estimate"] == pytest.approx(y30[sp30["ssi"] > 70].mean() / y30[sp30["ssi"] < 30].mean(), rel=1e-9)
    last = sp.sort_values("period_start").groupby("member_id").tail(1)
    yl = last["opportunities"].astype(float)
    latest = _pick(table, "leaders_opportunities", leader_cutoff="as defined", ssi_window="90 days",
                   outcome_period="latest period per seller", **base)
    assert latest["n"] == int(((last["ssi"] > 70) | (last["ssi"] < 30)).sum())
    assert latest["estimate"] == pytest.approx(yl[last["ssi"] > 70].mean() / yl[last["ssi"] < 30].mean(), rel=1e-9)


def test_continuous_ssi_by_formula_glm(main_report, planted):
    _, ds = planted
    sp = hand_period_ssi(ds).dropna(subset=["opportunities"])
    gap = sp.loc[sp["ssi"] > 70, "ssi"].mean() - sp.loc[sp["ssi"] < 30, "ssi"].mean()
    fit = smf.glm("opportunities ~ ssi", sp.assign(opportunities=sp["opportunities"].astype(float)),
                  family=sm.families.Poisson()).fit(cov_type="cluster",
                                                    cov_kwds={"groups": pd.factorize(sp["member_id"])[0]})
    b, se = fit.params["ssi"], fit.bse["ssi"]
    q = stats.t.ppf(0.975, sp["member_id"].nunique() - 1)
    row = _pick(main_report.specifications, "leaders_opportunities", leader_cutoff=CONTINUOUS,
                ssi_window="90 days", ssi_source="observed", covariates="without", outcome_period="all periods")
    assert row["estimate"] == pytest.approx(math.exp(b * gap), rel=1e-7)
    assert row["ci_low"] == pytest.approx(math.exp((b - q * se) * gap), rel=1e-6)
    assert row["ci_high"] == pytest.approx(math.exp((b + q * se) * gap), rel=1e-6)
    assert row["n"] == len(sp)


def test_flags_follow_the_interval(main_report):
    table = main_report.specifications
    ok = table[table["verdict"] != "untestable"]
    inside = (ok["ci_low"] <= ok["published"]) & (ok["published"] <= ok["ci_high"])
    assert (ok["includes_published"] == inside).all()
    assert (ok["consistent"] == ok["verdict"].eq("consistent")).all()
    assert (ok.loc[ok["consistent"], "includes_published"]).all()


def test_summary_by_hand():
    table = pd.DataFrame({
        "claim_id": ["a"] * 4 + ["b"], "as_defined": [True, False, False, False, True],
        "estimate": [1.5, 1.2, 2.0, np.nan, 3.0], "published": [1.45] * 4 + [4.0],
        "verdict": ["consistent", "weaker", "inconclusive", "untestable", "untestable"],
        "includes_published": [True, False, True, False, False],
        "consistent": [True, False, False, False, False]})
    out = summarize_specifications(table).set_index("claim_id")
    assert out.loc["a", "specifications"] == 4 and out.loc["a", "testable"] == 3
    assert out.loc["a", "share_includes_published"] == pytest.approx(2 / 3)
    assert out.loc["a", "share_consistent"] == pytest.approx(1 / 3)
    assert out.loc["a", "median_estimate"] == 1.5 and out.loc["a", "as_defined_estimate"] == 1.5
    assert out.loc["b", "testable"] == 0 and math.isnan(out.loc["b", "share_consistent"])


def test_without_ssi_table_only_computed(planted):
    _, ds = planted
    rep = evaluate_claims(without(ds, "ssi"), n_resamples=200,
                          claims=[c for c in load_claims() if c.claim_id == "leaders_opportunities"])
    assert set(rep.specifications["ssi_source"]) == {"computed"}
    assert len(rep.specifications) == 4 * 3 * 2 * 2


def test_specifications_off(planted):
    _, ds = planted
    rep = evaluate_claims(ds, n_resamples=RESAMPLES, specifications=False)
    assert rep.specifications.empty and rep.consistency is None


def test_small_dataset_marks_failed_fits_untestable():
    # 20 sellers: one period per seller leaves the adjusted fits too few rows; nothing raises
    _, ds = simulated(members=20, seed=5)
    rep = evaluate_claims(ds, n_resamples=100)
    table = rep.specifications
    bad = table[table["verdict"] == "untestable"]
    assert len(bad) and (bad["reason"] != "").all() and bad["estimate"].isna().all()
    assert (table.groupby("claim_id")["spec"].min() == 0).all()
