"""Power at the published effect (ssi_kit.claims.power), checked against Monte-Carlo rejection rates.

For each claim type one "observed" dataset is drawn with numpy (often at an effect other
than the published one), :func:`estimate_power` is asked for the power at the published
effect, and the kit's own estimator is run on many datasets drawn *at* the published
effect: the share of them whose test rejects the null must agree with the computed power.
Tolerance: 0.07, about three Monte-Carlo standard errors of a rate near 0.5 over 400
datasets (0.025) plus the sampling error of the observed dataset's variance estimate.
The ``slow`` test repeats the checks with 2,000 datasets and a tolerance of 0.04.
"""
from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
from scipy import stats

from ssi_kit.claims.estimators import (estimate_paired_median, estimate_ratio, estimate_share_exceeding,
                                       estimate_slope)
from ssi_kit.claims.power import POWER_MODELS, PowerResult, estimate_power, power_at_n
from ssi_kit.claims.types import CLAIM_TYPES

TOL = 0.07


def _type(model):
    return SimpleNamespace(power_model=model)


# ----------------------------------------------------------------------------- data generators

def _binary(rng, n, p0, rr):
    y = np.r_[rng.random(n) < p0, rng.random(n) < p0 * rr].astype(float)
    return dict(y=y, x=np.r_[np.zeros(n), np.ones(n)], groups=np.arange(2 * n))


def _clustered_counts(rng, sellers, periods, mu0, ratio, shared=0.5):
    """Counts with a persistent seller part: variance and within-seller covariance proportional to the mean."""
    x = np.repeat(np.r_[np.zeros(sellers), np.ones(sellers)], periods)
    mu = mu0 * np.where(x == 1, ratio, 1.0)
    ids = np.repeat(np.arange(2 * sellers), periods)
    seller_part = rng.poisson(shared * mu0 * np.r_[np.ones(sellers), np.full(sellers, ratio)])
    y = seller_part[ids] + rng.poisson((1 - shared) * mu)
    return dict(y=y.astype(float), x=x, groups=ids)


def _pairs(rng, n, mu0, ratio, frailty=0.3):
    f = rng.gamma(1 / frailty, frailty, n)
    y = np.r_[rng.poisson(mu0 * f), rng.poisson(mu0 * ratio * f)].astype(float)
    return dict(y=y, x=np.r_[np.zeros(n), np.ones(n)], groups=np.r_[np.arange(n), np.arange(n)])


def _slope_data(rng, n, slope_per_10):
    x = rng.uniform(20, 90, n)
    y = rng.poisson(20 + slope_per_10 / 10 * (x - 55)).astype(float)
    return dict(y=y, x=x, groups=np.arange(n), per=10)


def _clustered_slope(rng, sellers, slope_per_10, periods=4, shared=0.5):
    """Four periods a seller at a persistent SSI; a shared Poisson part makes the periods correlated."""
    x = rng.uniform(20, 90, sellers)
    mu = 20 + slope_per_10 / 10 * (x - 55)
    y = rng.poisson(shared * mu)[:, None] + rng.poisson((1 - shared) * mu[:, None], (sellers, periods))
    return dict(y=y.ravel().astype(float), x=np.repeat(x, periods),
                groups=np.repeat(np.arange(sellers), periods), per=10)


def _share_data(rng, n, share):
    return dict(group=rng.normal(stats.norm.ppf(share), 1, n), other=rng.normal(0, 1, n))


def _diffs(rng, n, median):
    e = rng.gamma(2.0, 5.0, n)
    return dict(diffs=median + e - stats.gamma.median(2.0, scale=5.0))


# ----------------------------------------------------------------------------- kit estimators

def _fit(model, d, null):
    if model in ("rate_ratio", "risk_ratio"):
        return estimate_ratio(d["y"], d["x"], d["groups"], null=null)
    if model == "slope":
        return estimate_slope(d["y"], d["x"], d["groups"], per=d["per"], null=null)
    if model == "share":
        return estimate_share_exceeding(d["group"], d["other"], null=null, n_resamples=200, seed=1)
    return estimate_paired_median(d["diffs"], null=null)


#: model -> (generator(rng, effect), observed effect, published, null)
CASES = {
    "risk_ratio": (lambda rng, e: _binary(rng, 1177, 0.1, e), 2.146, 1.2, 1.0),
    "rate_ratio": (lambda rng, e: _clustered_counts(rng, 40, 4, 3.0, e), 1.6, 1.25, 1.0),
    "growth": (lambda rng, e: _pairs(rng, 60, 4.0, e), 1.2, 1.2, 1.0),
    "slope": (lambda rng, e: _slope_data(rng, 30, e), 2.0, 1.0, 0.0),
    "clustered_slope": (lambda rng, e: _clustered_slope(rng, 80, e), 0.8, 0.4, 0.0),
    "share": (lambda rng, e: _share_data(rng, 60, e), 0.6, 0.7, 0.5),
    "sign_test": (lambda rng, e: _diffs(rng, 40, e), 5.0, 3.0, 0.0),
}


def _model(case):
    return {"growth": "rate_ratio", "clustered_slope": "slope"}.get(case, case)


def _computed(case, seed=0):
    make, observed, published, null = CASES[case]
    data = make(np.random.default_rng(seed), observed)
    est = _fit(_model(case), data, null)
    if case == "growth":
        est = SimpleNamespace(**{**est.__dict__, "n": len(data["y"]) // 2})
    return estimate_power(_type(_model(case)), data, est, published, null, seed=seed), est, data


def _rejection_rate(case, draws, seed=100):
    make, _, published, null = CASES[case]
    rng = np.random.default_rng(seed)
    return float(np.mean([_fit(_model(case), make(rng, published), null).p_value < 0.05 for _ in range(draws)]))


# ----------------------------------------------------------------------------- the issue's case

def test_issue_case_binary_risk_ratio_reads_034_not_042():
    """Binary outcome, observed RR 2.15 (p0 = 0.10), power at a published RR of 1.2."""
    n = 1177
    y = np.r_[np.arange(n) < 118, np.arange(n) < 253].astype(float)
    data = dict(y=y, x=np.r_[np.zeros(n), np.ones(n)], groups=np.arange(2 * n))
    est = estimate_ratio(data["y"], data["x"], data["groups"])
    old = power_at_n(est.se, est.n, 1.2, 1.0, log_scale=True)
    new = estimate_power(_type("risk_ratio"), data, est, 1.2, 1.0)
    # hand formula: var(log RR) = (1 - p1)/(n p1) + (1 - p0)/(n p0), p1 = 1.2 p0, normal shift
    p0 = 118 / n
    se = math.sqrt((1 - 1.2 * p0) / (n * 1.2 * p0) + (1 - p0) / (n * p0))
    hand = stats.norm.sf(1.96 - math.log(1.2) / se)
    assert old == pytest.approx(0.42, abs=0.01)
    assert new.power == pytest.approx(hand, abs=0.01) and new.power == pytest.approx(0.34, abs=0.01)
    rate = _rejection_rate("risk_ratio", 600)
    assert abs(new.power - rate) < 0.05 and abs(old - rate) > abs(new.power - rate), (new.power, old, rate)


# ----------------------------------------------------------------------------- every type vs simulation

@pytest.mark.parametrize("case", ["rate_ratio", "growth", "slope", "clustered_slope", "share", "sign_test"])
def test_power_matches_rejection_rate_of_the_estimator(case):
    """The mean over 8 observed datasets: one dataset's power carries its own sampling error."""
    powers = [_computed(case, seed)[0].power for seed in range(8)]
    assert 0.2 < np.mean(powers) < 0.95, powers
    rate = _rejection_rate(case, 400)
    assert abs(np.mean(powers) - rate) < TOL, (case, powers, rate)


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_power_matches_rejection_rate_large(case):
    powers = [_computed(case, seed)[0].power for seed in range(40)]
    rate = _rejection_rate(case, 2000, seed=7)
    assert abs(float(np.mean(powers)) - rate) < 0.04, (case, np.mean(powers), rate)


# ----------------------------------------------------------------------------- n for 80% power

def _quantile_diffs(n, median):
    """Differences at the population quantiles: an observed sample without sampling error."""
    q = stats.gamma.ppf((np.arange(n) + 0.5) / n, 2.0, scale=5.0)
    return dict(diffs=median + q - stats.gamma.median(2.0, scale=5.0))


@pytest.mark.parametrize("case", ["risk_ratio", "sign_test"])
def test_n_for_80_power_gives_80_percent_when_plugged_back(case):
    """Observed data without sampling error (exact rates, population quantiles), then simulation at n80."""
    if case == "risk_ratio":
        n = 1177
        y = np.r_[np.arange(n) < 118, np.arange(n) < 253].astype(float)
        data = dict(y=y, x=np.r_[np.zeros(n), np.ones(n)], groups=np.arange(2 * n))
        est = estimate_ratio(data["y"], data["x"], data["groups"])
        need = estimate_power(_type(case), data, est, 1.2, 1.0).n_for_80_power
        gen = lambda rng: _binary(rng, int(round(need / 2)), 118 / n, 1.2)  # noqa: E731
    else:
        data = _quantile_diffs(40, 5.0)
        est = estimate_paired_median(data["diffs"])
        need = estimate_power(_type(case), data, est, 3.0, 0.0).n_for_80_power
        gen = lambda rng: _diffs(rng, int(need), 3.0)  # noqa: E731
    rng = np.random.default_rng(5)
    rate = np.mean([_fit(case, gen(rng), 0.0 if case == "sign_test" else 1.0).p_value < 0.05
                    for _ in range(300)])
    assert abs(rate - 0.8) < 0.07, (case, need, rate)


@pytest.mark.parametrize("case", ["rate_ratio", "growth", "slope", "share"])
def test_n_for_80_power_does_not_depend_on_the_sample_size(case):
    """Four copies of the data (new sellers) hold the same information per unit: the same n80, four times the n."""
    computed, est, data = _computed(case)
    _, _, published, null = CASES[case]
    big = _copies(data, 4)
    big_est = _fit(_model(case), big, null)
    if case == "growth":
        big_est = SimpleNamespace(**{**big_est.__dict__, "n": 4 * est.n})
    again = estimate_power(_type(_model(case)), big, big_est, published, null)
    assert again.n_for_80_power == pytest.approx(computed.n_for_80_power, rel=0.06), (computed, again)
    assert again.power > computed.power


def test_n_for_80_power_agrees_with_the_power_at_the_observed_n():
    for case in CASES:
        computed, est, _ = _computed(case)
        assert (est.n >= computed.n_for_80_power) == (computed.power >= 0.8), case


# ----------------------------------------------------------------------------- monotone, deterministic

@pytest.mark.parametrize("case", list(CASES))
def test_power_increases_with_the_effect(case):
    _, est, data = _computed(case)
    _, _, published, null = CASES[case]
    steps = [null + (published - null) * f for f in (0.5, 1.0, 1.5)]
    powers = [estimate_power(_type(_model(case)), data, est, p, null).power for p in steps]
    assert powers[0] < powers[1] < powers[2], (case, powers)


@pytest.mark.parametrize("case", ["risk_ratio", "rate_ratio", "slope", "share", "sign_test"])
def test_power_increases_with_n(case):
    make, observed, published, null = CASES[case]
    small = make(np.random.default_rng(3), observed)
    large = _copies(small, 2)
    powers = [estimate_power(_type(_model(case)), d, _fit(_model(case), d, null), published, null).power
              for d in (small, large)]
    assert powers[0] < powers[1], (case, powers)


def _copies(d, k):
    """``k`` copies of a dataset, each copy's sellers new ones."""
    out = {}
    for key, v in d.items():
        if key == "groups":
            out[key] = np.concatenate([v + i * (v.max() + 1) for i in range(k)])
        elif isinstance(v, np.ndarray):
            out[key] = np.tile(v, k)
        else:
            out[key] = v
    return out


def test_share_power_is_deterministic_for_a_seed():
    a, _, _ = _computed("share", seed=4)
    b, _, _ = _computed("share", seed=4)
    assert a == b and "simulation, 2000 draws" in a.method


def test_no_effect_gives_the_level():
    _, est, data = _computed("rate_ratio")
    assert estimate_power(_type("rate_ratio"), data, est, 1.0, 1.0).power == pytest.approx(0.05)


def test_every_claim_type_names_a_power_model():
    for name, record in CLAIM_TYPES.items():
        assert record.power_model in POWER_MODELS, name


def test_risk_ratio_caps_the_high_group_rate_below_one():
    data = _binary(np.random.default_rng(0), 200, 0.6, 1.3)
    est = estimate_ratio(data["y"], data["x"], data["groups"])
    got = estimate_power(_type("risk_ratio"), data, est, 2.0, 1.0)
    assert isinstance(got, PowerResult) and "capped" in got.method and 0 < got.power <= 1
