"""The claims registry: the shipped YAML, user-written claims of every type, invalid entries."""
from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from claims_fixtures import (DESIGN_CLAIMS, RESAMPLES, USER_CLAIMS, claim_entry, hand_period_ssi,
                             hand_quarter_sums, hand_training_diffs, simulated, write_registry)
from ssi_kit.claims import GroupRule, evaluate_claims, load_claims, parse_claims
from ssi_kit.claims.registry import CLAIM_TYPES, default_claims_path
from ssi_kit.exceptions import InputError

# ----------------------------------------------------------------------------- shipped registry

SHIPPED_TYPES = {
    "leaders_opportunities": "ratio_of_means",
    "leaders_quota": "risk_ratio",
    "social_outsell": "share_exceeding",
    "training_median_shift": "paired_median_shift",
    "higher_ssi_opportunities": "ratio_of_means",
    "opportunities_per_10_points": "slope",
    "conversation_growth": "growth_ratio",
}


@pytest.fixture(scope="module")
def shipped():
    return {c.claim_id: c for c in load_claims()}


def test_shipped_registry_has_the_seven_design_claims(shipped):
    assert default_claims_path().name == "claims.yaml" and default_claims_path().parent.name == "claims"
    assert list(shipped) == list(DESIGN_CLAIMS)
    for claim_id, (published, null) in DESIGN_CLAIMS.items():
        claim = shipped[claim_id]
        assert (claim.published, claim.null_value) == (published, null), claim_id
        assert claim.type == SHIPPED_TYPES[claim_id]


def test_shipped_claims_are_documented(shipped):
    for claim in shipped.values():
        assert len(claim.statement) > 20, claim.claim_id
        assert claim.source.strip(), claim.claim_id
        assert isinstance(claim.year, int) and 2010 <= claim.year <= 2025, claim.claim_id
        assert isinstance(claim.primary_source, bool), claim.claim_id
        assert len(claim.definition) > 40, claim.claim_id
        assert claim.margin > 0, claim.claim_id
        lo, hi = claim.equivalence_bounds()
        assert lo < claim.published < hi


def test_shipped_claims_sources_and_definitions(shipped):
    # the Microsoft figures and the Forbes survey could not be traced to a primary source
    for claim_id in ("social_outsell", "training_median_shift", "higher_ssi_opportunities",
                     "opportunities_per_10_points"):
        assert shipped[claim_id].primary_source is False
    assert shipped["leaders_opportunities"].primary_source is True
    assert shipped["leaders_opportunities"].year == 2014
    assert "not an SSI study" in shipped["social_outsell"].source
    assert "risk ratio" in shipped["leaders_quota"].definition
    assert "odds ratio" in shipped["leaders_quota"].definition  # says it is not one


def test_shipped_claims_params(shipped):
    for claim_id in ("leaders_opportunities", "leaders_quota"):
        p = shipped[claim_id].params
        assert (p["high"], p["low"]) == (GroupRule(">", "70"), GroupRule("<", "30"))
    p = shipped["higher_ssi_opportunities"].params
    assert (str(p["high"]), str(p["low"])) == (">median", "<=median")
    assert shipped["leaders_quota"].params["outcome"] == "quota_attained"
    assert shipped["opportunities_per_10_points"].params["per"] == 10
    assert shipped["training_median_shift"].params == {"event": "training", "window_days": 90}
    assert shipped["conversation_growth"].params["column"] == "messages_sent"
    assert dict(shipped["social_outsell"].params) == {"outcome": "revenue", "group": "social_media"}


def test_ratio_margin_is_a_factor_and_additive_margin_a_difference(shipped):
    lo, hi = shipped["leaders_opportunities"].equivalence_bounds()
    assert (lo, hi) == pytest.approx((1.45 / 1.1, 1.45 * 1.1))
    lo, hi = shipped["training_median_shift"].equivalence_bounds()
    assert (lo, hi) == pytest.approx((6.0, 10.0))


# ----------------------------------------------------------------------------- group rules

@pytest.mark.parametrize("text,op,value", [
    (">70", ">", "70"), ("<30", "<", "30"), (">=q75", ">=", "q75"), ("<=median", "<=", "median"),
    (" > 42.5 ", ">", "42.5"), ("<-1", "<", "-1"),
])
def test_group_rule_parse(text, op, value):
    assert GroupRule.parse(text) == GroupRule(op, value)


@pytest.mark.parametrize("text", [">>70", "=70", "70", ">q", ">q123", ">mean", "", "> 7 0"])
def test_group_rule_rejects(text):
    with pytest.raises(ValueError):
        GroupRule.parse(text)


def test_group_rule_thresholds_and_masks():
    ssi = pd.Series([10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0])
    assert GroupRule.parse(">median").threshold(ssi) == 45.0
    assert GroupRule.parse(">=q75").threshold(ssi) == np.quantile(ssi, 0.75)
    assert list(GroupRule.parse(">=q75").mask(ssi)) == [False] * 6 + [True] * 2
    assert list(GroupRule.parse("<=median").mask(ssi)) == [True] * 4 + [False] * 4
    assert list(GroupRule.parse(">70").mask(ssi)) == [False] * 7 + [True]  # strict
    assert list(GroupRule.parse(">=70").mask(ssi)) == [False] * 6 + [True] * 2


# ----------------------------------------------------------------------------- user claims

def test_user_claims_of_every_type_load(tmp_path):
    assert {e["type"] for e in USER_CLAIMS} == set(CLAIM_TYPES)
    claims = load_claims(write_registry(tmp_path / "mine.yaml", USER_CLAIMS))
    assert [c.claim_id for c in claims] == [e["claim_id"] for e in USER_CLAIMS]
    by_id = {c.claim_id: c for c in claims}
    assert by_id["user_quartile_opps"].params["high"] == GroupRule(">=", "q75")
    assert by_id["user_training_60"].params["window_days"] == 60
    assert by_id["user_revenue_slope"].params["per"] == 1
    assert by_id["user_posts_growth"].is_ratio and not by_id["user_revenue_slope"].is_ratio


def test_optional_params_take_their_defaults():
    entries = [claim_entry("p", "paired_median_shift", {"event": "training"}, 8, 0),
               claim_entry("s", "slope", {"outcome": "opportunities"}, 4.3, 0)]
    p, s = parse_claims({"claims": entries})
    assert p.params["window_days"] == 90 and s.params["per"] == 10


def test_margin_defaults_when_left_out():
    entry = claim_entry("m", "slope", {"outcome": "opportunities"}, 4.3, 0)
    del entry["margin"]
    (claim,) = parse_claims({"claims": [entry]})
    assert claim.margin > 0


@pytest.fixture(scope="module")
def user_report(tmp_path_factory):
    path = write_registry(tmp_path_factory.mktemp("reg") / "mine.yaml", USER_CLAIMS)
    _, ds = simulated()
    return evaluate_claims(ds, load_claims(path), n_resamples=RESAMPLES)


def test_user_claims_are_evaluated_without_code_change(user_report):
    assert [r.claim_id for r in user_report.results] == [e["claim_id"] for e in USER_CLAIMS]
    for r in user_report.results:
        assert r.testable, (r.claim_id, r.reason)
        assert r.ci_low <= r.estimate <= r.ci_high, r.claim_id
        assert 0 <= r.p_value <= 1 and r.n > 0, r.claim_id


def test_user_ratio_of_means_by_hand(user_report):
    _, ds = simulated()
    sp = hand_period_ssi(ds)
    q25, q75 = np.quantile(sp["ssi"], [0.25, 0.75])
    hi, lo = sp[sp["ssi"] >= q75], sp[sp["ssi"] <= q25]
    r = user_report["user_quartile_opps"]
    assert r.n == len(hi) + len(lo)
    assert r.estimate == pytest.approx(hi["opportunities"].mean() / lo["opportunities"].mean(), rel=1e-9)


def test_user_risk_ratio_by_hand(user_report):
    _, ds = simulated()
    sp = hand_period_ssi(ds).dropna(subset=["quota_attained"])
    med = np.median(sp["ssi"])
    q = sp["quota_attained"].astype(float)
    by_hand = q[sp["ssi"] > med].mean() / q[sp["ssi"] <= med].mean()
    assert user_report["user_median_quota"].estimate == pytest.approx(by_hand, rel=1e-9)


def test_user_share_by_hand(user_report):
    _, ds = simulated()
    per_seller = ds["outcomes"].groupby("member_id")["opportunities"].mean().astype(float)
    nav = ds["members"].set_index("member_id")["sales_navigator"].reindex(per_seller.index)
    group, other = per_seller[nav.fillna(False).astype(bool)], per_seller[~nav.fillna(True).astype(bool)]
    r = user_report["user_navigator_opps"]
    assert r.estimate == pytest.approx(np.mean(group > np.median(other)), abs=1e-12)
    assert r.n == len(group) + len(other)


def test_user_paired_shift_by_hand(user_report):
    _, ds = simulated()
    d = hand_training_diffs(ds, window=60)
    r = user_report["user_training_60"]
    assert r.n == len(d)
    assert r.estimate == pytest.approx(np.median(d), abs=1e-9)


def test_user_slope_by_hand(user_report):
    _, ds = simulated()
    sp = hand_period_ssi(ds).dropna(subset=["revenue"])
    res = sm.OLS(sp["revenue"].astype(float), sm.add_constant(sp["ssi"])).fit(cov_type="HC3")
    r = user_report["user_revenue_slope"]
    assert r.estimate == pytest.approx(res.params["ssi"], rel=1e-8)
    assert r.n == len(sp)


def test_user_growth_by_hand(user_report):
    _, ds = simulated()
    earlier, later = hand_quarter_sums(ds, "posts")
    r = user_report["user_posts_growth"]
    assert r.n == len(earlier)
    assert r.estimate == pytest.approx(later.mean() / earlier.mean(), rel=1e-9)


# ----------------------------------------------------------------------------- invalid registries

def good():
    return claim_entry("good_one", "slope", {"outcome": "opportunities", "per": 10}, 4.3, 0.0, margin=1.0)


def ratio():
    return claim_entry("my_ratio", "ratio_of_means",
                       {"outcome": "opportunities", "high": ">70", "low": "<30"}, 1.45, 1.0)


def error_of(entries) -> str:
    with pytest.raises(InputError) as info:
        parse_claims({"claims": entries}, source="mine.yaml")
    msg = str(info.value)
    assert "mine.yaml" in msg and "\n\n" not in msg
    return msg


def mutate(entry, **changes):
    entry = copy.deepcopy(entry)
    for key, value in changes.items():
        if value is ...:
            del entry[key]
        else:
            entry[key] = value
    return entry


@pytest.mark.parametrize("entry,words", [
    (mutate(good(), type="median_ratio"), ["good_one", "type", "median_ratio"]),
    (mutate(good(), params={}), ["good_one", "params", "outcome"]),
    (mutate(ratio(), params={"outcome": "opportunities", "high": ">70"}), ["my_ratio", "params", "low"]),
    (mutate(ratio(), params={"outcome": "opportunities", "high": ">>70", "low": "<30"}),
     ["my_ratio", "params.high", ">>70"]),
    (mutate(ratio(), params={"outcome": "opportunities", "high": ">70", "low": "under 30"}),
     ["my_ratio", "params.low", "under 30"]),
    (mutate(good(), margin=0), ["good_one", "margin"]),
    (mutate(good(), margin=-0.5), ["good_one", "margin"]),
    (mutate(good(), published="a lot"), ["good_one", "published"]),
    (mutate(good(), published=True), ["good_one", "published"]),
    (mutate(good(), published=float("nan")), ["good_one", "published"]),
    (mutate(good(), null_value="0"), ["good_one", "null_value"]),
    (mutate(ratio(), published=0), ["my_ratio", "published", "> 0"]),
    (mutate(ratio(), published=-1.45), ["my_ratio", "published", "> 0"]),
    (mutate(good(), statement=...), ["good_one", "missing", "statement"]),
    (mutate(good(), published=...), ["good_one", "missing", "published"]),
    (mutate(good(), colour="red"), ["good_one", "unknown", "colour"]),
    (mutate(good(), params={"outcome": "opportunities", "slope_of": "x"}), ["good_one", "slope_of"]),
    (mutate(good(), params={"outcome": "opportunities", "per": 0}), ["good_one", "params.per"]),
    (mutate(good(), claim_id="bad id!"), ["bad id!", "claim_id"]),
    (claim_entry("pm", "paired_median_shift", {"event": "training", "window_days": -3}, 8, 0),
     ["pm", "params.window_days"]),
])
def test_invalid_entry_names_claim_and_field(entry, words):
    msg = error_of([good(), entry])
    for word in words:
        assert word in msg, (word, msg)
    assert "claims[1]" in msg


def test_duplicate_claim_id():
    msg = error_of([good(), ratio(), good()])
    assert "unique" in msg and "good_one" in msg


def test_several_problems_reported_together():
    entries = [mutate(good(), type="nope"),
               mutate(ratio(), params={"outcome": "opportunities", "high": ">>70", "low": "<30"}),
               mutate(ratio(), claim_id="third", margin=0, published="x")]
    msg = error_of(entries)
    for word in ("claims[0] (good_one)", "nope", "claims[1] (my_ratio)", ">>70",
                 "claims[2] (third)", "margin", "published"):
        assert word in msg, (word, msg)


@pytest.mark.parametrize("data", [None, {}, {"claims": []}, {"claims": "x"}, [1, 2], {"claim": [1]}])
def test_registry_shape(data):
    with pytest.raises(InputError) as info:
        parse_claims(data, source="mine.yaml")
    assert "claims" in str(info.value)


def test_non_mapping_entry():
    assert "claims[1]: expected a mapping" in error_of([good(), "just text"])


def test_load_claims_file_errors(tmp_path):
    with pytest.raises(InputError) as info:
        load_claims(tmp_path / "missing.yaml")
    assert "missing.yaml" in str(info.value)
    bad = tmp_path / "bad.yaml"
    bad.write_text("claims: [\n  - {claim_id: x\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_claims(bad)
    assert "bad.yaml" in str(info.value) and "Traceback" not in str(info.value)


# ----------------------------------------------------------------------------- gaps found

@pytest.mark.parametrize("null", [0.0, -1.0])
def test_ratio_null_value_must_be_positive(null):
    msg = error_of([mutate(ratio(), null_value=null)])
    assert "my_ratio" in msg and "null_value" in msg


def test_primary_source_string_is_not_true():
    entry = mutate(good(), primary_source="false")
    try:
        (claim,) = parse_claims({"claims": [entry]})
    except InputError as err:
        assert "primary_source" in str(err)
    else:
        assert claim.primary_source is False


def test_null_claim_id_is_rejected():
    msg = error_of([mutate(good(), claim_id=None)])
    assert "claim_id" in msg
