"""The claims estimators, DiD and power, pinned to independent computations on small data."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.stats.power import NormalIndPower

from ssi_kit.claims.did import estimate_did
from ssi_kit.claims.estimators import (Untestable, estimate_paired_median, estimate_ratio, median_interval,
                                       estimate_share_exceeding, estimate_slope)
from ssi_kit.claims.power import n_for_power, power_at_n

Z = stats.norm.ppf(0.975)


# ----------------------------------------------------------------------------- data

def count_data(seed=11, sellers=30, periods=3):
    """Seller-periods with a 0/1 group (varying within sellers) and overdispersed counts."""
    rng = np.random.default_rng(seed)
    member = np.repeat([f"s{i:02d}" for i in range(sellers)], periods)
    x = (rng.random(sellers * periods) < 0.4).astype(int)
    seller_effect = np.repeat(rng.gamma(4.0, 0.25, sellers), periods)
    y = rng.poisson(5.0 * seller_effect * np.where(x == 1, 1.5, 1.0))
    return pd.DataFrame({"member_id": member, "x": x, "y": y})


def glm_cluster(frame):
    codes = pd.factorize(frame["member_id"])[0]
    return smf.glm("y ~ x", data=frame, family=sm.families.Poisson()).fit(
        cov_type="cluster", cov_kwds={"groups": codes}, use_t=True)  # t with (sellers - 1) df


# ----------------------------------------------------------------------------- estimate_ratio

def test_ratio_estimate_is_the_ratio_of_group_means():
    frame = count_data()
    est = estimate_ratio(frame["y"], frame["x"], frame["member_id"])
    by_hand = frame.loc[frame.x == 1, "y"].mean() / frame.loc[frame.x == 0, "y"].mean()
    assert est.estimate == pytest.approx(by_hand, rel=1e-9)
    assert est.log_scale and est.n == 90 and est.n_sellers == 30


def test_ratio_tiny_hand_example():
    # group 1: 4, 6 (mean 5); group 0: 1, 2, 3, 2 (mean 2) -> ratio 2.5
    y = [4, 6, 1, 2, 3, 2]
    x = [1, 1, 0, 0, 0, 0]
    est = estimate_ratio(y, x, ["a", "b", "c", "d", "e", "f"])
    assert est.estimate == pytest.approx(2.5, rel=1e-9)


def test_ratio_ci_matches_statsmodels_cluster_glm():
    frame = count_data()
    est = estimate_ratio(frame["y"], frame["x"], frame["member_id"])
    res = glm_cluster(frame)
    lo, hi = np.exp(res.conf_int().loc["x"])
    assert est.ci_low == pytest.approx(lo, rel=1e-7)
    assert est.ci_high == pytest.approx(hi, rel=1e-7)
    assert est.se == pytest.approx(res.bse["x"], rel=1e-7)
    assert est.ci_low < est.estimate < est.ci_high


def test_ratio_clustering_matters():
    """Clustered errors differ from the naive Poisson errors on overdispersed, repeated data."""
    frame = count_data()
    est = estimate_ratio(frame["y"], frame["x"], frame["member_id"])
    naive = smf.glm("y ~ x", data=frame, family=sm.families.Poisson()).fit()
    assert est.se > 1.2 * naive.bse["x"]


@pytest.mark.parametrize("null", [1.0, 1.2, 0.7])
def test_ratio_p_value_against_null(null):
    frame = count_data()
    est = estimate_ratio(frame["y"], frame["x"], frame["member_id"], null=null)
    res = glm_cluster(frame)
    wald = res.wald_test(f"x = {float(np.log(null))!r}", scalar=True)
    assert est.p_value == pytest.approx(float(wald.pvalue), rel=1e-6)
    t = (res.params["x"] - np.log(null)) / res.bse["x"]
    groups = frame["member_id"].nunique()
    assert est.df == groups - 1
    assert est.p_value == pytest.approx(2 * stats.t.sf(abs(t), groups - 1), rel=1e-9)


def test_ratio_p_value_changes_with_null():
    frame = count_data()
    p1 = estimate_ratio(frame["y"], frame["x"], frame["member_id"], null=1.0).p_value
    p_at_estimate = estimate_ratio(frame["y"], frame["x"], frame["member_id"],
                                   null=frame.loc[frame.x == 1, "y"].mean()
                                   / frame.loc[frame.x == 0, "y"].mean()).p_value
    assert p_at_estimate == pytest.approx(1.0, abs=1e-9)
    assert p1 < 0.5


def test_binary_outcome_gives_risk_ratio_not_odds_ratio():
    # group 1: 6 of 10 succeed; group 0: 3 of 10 -> RR = 2.0, OR = (6/4)/(3/7) = 3.5
    y = [1] * 6 + [0] * 4 + [1] * 3 + [0] * 7
    x = [1] * 10 + [0] * 10
    est = estimate_ratio(y, x, [f"s{i}" for i in range(20)])
    assert est.estimate == pytest.approx(2.0, rel=1e-9)
    assert est.estimate != pytest.approx(3.5, rel=0.1)
    # modified Poisson: with one row per seller, clustering is the HC0 sandwich up to G/(G-1)
    frame = pd.DataFrame({"y": y, "x": x})
    hc0 = smf.glm("y ~ x", data=frame, family=sm.families.Poisson()).fit(cov_type="HC0")
    assert est.se == pytest.approx(hc0.bse["x"] * math.sqrt(20 / 19 * 19 / 18), rel=1e-6)


@pytest.mark.parametrize("which", [0, 1])
def test_ratio_group_without_events_is_untestable(which):
    y = [0, 0, 0, 2, 3, 1]
    x = [which] * 3 + [1 - which] * 3
    with pytest.raises(Untestable) as info:
        estimate_ratio(y, x, list("abcdef"))
    assert "no events" in info.value.reason


# ----------------------------------------------------------------------------- estimate_slope

def slope_data(seed=5, n=60):
    rng = np.random.default_rng(seed)
    x = rng.uniform(10, 90, n)
    y = 2.0 + 0.4 * x + rng.normal(0, 0.05 * x, n)  # heteroskedastic
    groups = np.repeat(np.arange(n // 3), 3)
    return x, y, groups


def hc3_by_hand(x, y):
    X = np.column_stack([np.ones_like(x), x])
    xtx_inv = np.linalg.inv(X.T @ X)
    beta = xtx_inv @ X.T @ y
    e = y - X @ beta
    h = np.einsum("ij,jk,ik->i", X, xtx_inv, X)
    meat = X.T @ (X * (e ** 2 / (1 - h) ** 2)[:, None])
    cov = xtx_inv @ meat @ xtx_inv
    return beta[1], math.sqrt(cov[1, 1])


def cr1_by_hand(x, y, groups):
    """Slope and its CR1 standard error: sandwich of the cluster score sums, factor G/(G-1) (N-1)/(N-K)."""
    X = np.column_stack([np.ones_like(x), x])
    xtx_inv = np.linalg.inv(X.T @ X)
    beta = xtx_inv @ X.T @ y
    e = y - X @ beta
    meat = np.zeros((2, 2))
    labels = np.unique(groups)
    for g in labels:
        score = X[groups == g].T @ e[groups == g]
        meat += np.outer(score, score)
    n, k, G = len(y), X.shape[1], len(labels)
    cov = G / (G - 1) * (n - 1) / (n - k) * xtx_inv @ meat @ xtx_inv
    return beta[1], math.sqrt(cov[1, 1]), G


@pytest.mark.parametrize("per", [1.0, 10.0])
def test_slope_clustered_se_matches_hand_cr1_with_t_on_clusters_minus_one(per):
    x, y, groups = slope_data()
    est = estimate_slope(y, x, groups, per=per)
    b, se, G = cr1_by_hand(x, y, groups)
    assert est.estimate == pytest.approx(per * b, rel=1e-9)
    assert est.se == pytest.approx(per * se, rel=1e-9)
    q = stats.t.ppf(0.975, G - 1)
    assert est.df == G - 1 == 19
    assert est.ci_low == pytest.approx(per * (b - q * se), rel=1e-9)
    assert est.ci_high == pytest.approx(per * (b + q * se), rel=1e-9)
    assert est.method == "OLS, errors clustered by seller (CR1), t reference (19 df)"
    assert not est.log_scale and est.n == 60 and est.n_sellers == 20


@pytest.mark.parametrize("null", [0.0, 4.0])
def test_slope_p_value_t_reference(null):
    x, y, groups = slope_data()
    est = estimate_slope(y, x, groups, per=10, null=null)
    b, se, G = cr1_by_hand(x, y, groups)
    t = (10 * b - null) / (10 * se)
    assert est.p_value == pytest.approx(2 * stats.t.sf(abs(t), G - 1), rel=1e-8)


@pytest.mark.parametrize("per", [1.0, 10.0])
def test_unclustered_slope_matches_ols_hc3_times_per(per):
    x, y, groups = slope_data()
    est = estimate_slope(y, x, groups, per=per, cluster=False)
    res = sm.OLS(y, sm.add_constant(x)).fit(cov_type="HC3")
    b, se = res.params[1], res.bse[1]
    b_hand, se_hand = hc3_by_hand(x, y)
    assert b == pytest.approx(b_hand, rel=1e-9) and se == pytest.approx(se_hand, rel=1e-9)
    assert est.estimate == pytest.approx(per * b, rel=1e-9)
    assert est.se == pytest.approx(per * se, rel=1e-9)
    q = stats.t.ppf(0.975, len(y) - 2)
    assert est.df == len(y) - 2
    assert est.ci_low == pytest.approx(per * (b - q * se), rel=1e-9)
    assert est.ci_high == pytest.approx(per * (b + q * se), rel=1e-9)
    assert est.p_value == pytest.approx(2 * stats.t.sf(abs(b / se), len(y) - 2), rel=1e-8)
    assert "not clustered" in est.method and "HC3" in est.method


def test_unclustered_ratio_is_glm_hc1_with_normal_reference():
    frame = count_data()
    member, x, y = frame["member_id"].to_numpy(), frame["x"].to_numpy(), frame["y"].to_numpy(float)
    est = estimate_ratio(y, x, member, cluster=False)
    res = sm.GLM(y, sm.add_constant(x.astype(float)), family=sm.families.Poisson()).fit()
    X = sm.add_constant(x.astype(float))
    mu = res.fittedvalues
    bread = np.linalg.inv(X.T @ (X * mu[:, None]))
    meat = X.T @ (X * ((y - mu) ** 2)[:, None])
    n = len(y)
    se = math.sqrt((bread @ meat @ bread)[1, 1] * n / (n - 2))  # HC1 factor n / (n - k)
    assert est.se == pytest.approx(se, rel=1e-7)
    assert est.df is None
    assert est.ci_low == pytest.approx(math.exp(res.params[1] - Z * se), rel=1e-7)
    assert est.p_value == pytest.approx(2 * stats.norm.sf(abs(res.params[1] / se)), rel=1e-6)
    assert "not clustered" in est.method and "normal reference" in est.method


def test_slope_constant_x_is_untestable():
    with pytest.raises(Untestable) as info:
        estimate_slope([1.0, 2.0, 3.0, 4.0], [50.0] * 4, [1, 2, 3, 4])
    assert "vary" in info.value.reason


# ----------------------------------------------------------------------------- share exceeding

def test_share_hand_example():
    # median of other = 2; group values above 2: 3 and 10 -> 2 of 4
    est = estimate_share_exceeding([1, 2, 3, 10], [0, 2, 5], n_resamples=999, seed=1)
    assert est.estimate == 0.5
    assert est.ci_low <= est.estimate <= est.ci_high
    assert est.n == 7


def share_data(seed=2, n=60):
    rng = np.random.default_rng(seed)
    return rng.lognormal(0.3, 1.0, n), rng.lognormal(0.0, 1.0, n)


def test_share_estimate_and_interval():
    group, other = share_data()
    est = estimate_share_exceeding(group, other, n_resamples=2000, seed=0)
    assert est.estimate == pytest.approx(np.mean(group > np.median(other)), abs=0)
    assert est.ci_low <= est.estimate <= est.ci_high
    assert 0 <= est.ci_low < est.ci_high <= 1
    # p-value from the bootstrap standard error on the arcsine-square-root scale
    p = est.estimate
    se_angle = est.se / (2 * np.sqrt(p * (1 - p)))
    z = (np.arcsin(np.sqrt(p)) - np.arcsin(np.sqrt(0.5))) / se_angle
    assert est.p_value == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-9)
    angle = np.arcsin(np.sqrt(p))
    assert est.ci_low == pytest.approx(np.sin(angle - stats.norm.ppf(0.975) * se_angle) ** 2, rel=1e-9)


def test_share_interval_agrees_with_a_hand_bootstrap():
    group, other = share_data()
    est = estimate_share_exceeding(group, other, n_resamples=4000, seed=0)
    rng = np.random.default_rng(12345)
    b = 4000
    g = group[rng.integers(0, len(group), (b, len(group)))]
    o = other[rng.integers(0, len(other), (b, len(other)))]
    shares = np.mean(g > np.median(o, axis=1, keepdims=True), axis=1)
    lo, hi = np.quantile(shares, [0.025, 0.975])
    assert est.ci_low == pytest.approx(lo, abs=0.04)
    assert est.ci_high == pytest.approx(hi, abs=0.04)
    assert est.se == pytest.approx(shares.std(ddof=1), rel=0.1)


def test_share_same_seed_same_result_other_seeds_differ():
    group, other = share_data()
    a = estimate_share_exceeding(group, other, n_resamples=500, seed=7)
    b = estimate_share_exceeding(group, other, n_resamples=500, seed=7)
    assert a == b
    others = {estimate_share_exceeding(group, other, n_resamples=500, seed=s).se for s in range(4)}
    assert len(others) > 1


def test_share_degenerate_bootstrap_is_untestable():
    with pytest.raises(Untestable):
        estimate_share_exceeding([10, 11, 12, 13], [0, 1, 2], n_resamples=200)


# ----------------------------------------------------------------------------- paired median

def test_paired_median_hand_example():
    d = np.array([3.0, -1.0, 8.0, 5.0, 2.0, 7.0, 4.0, 6.0, 9.0, 1.0, 0.5])
    est = estimate_paired_median(d, n_resamples=999)
    assert est.estimate == 4.0  # sorted: -1 .5 1 2 3 [4] 5 6 7 8 9
    assert est.ci_low <= est.estimate <= est.ci_high
    assert est.n == 11


@pytest.mark.parametrize("null", [0.0, 1.5, 3.0])
def test_paired_median_p_value_is_the_exact_sign_test(null):
    rng = np.random.default_rng(4)
    d = np.round(rng.normal(2.0, 3.0, 25), 1)
    d[:3] = null  # differences equal to the null are left out of the sign test
    est = estimate_paired_median(d, null=null, n_resamples=500)
    assert est.estimate == pytest.approx(np.median(d))
    above, below = int((d > null).sum()), int((d < null).sum())
    assert above + below <= 22  # the three set to the null are left out
    assert est.p_value == pytest.approx(stats.binomtest(above, above + below, 0.5).pvalue, rel=1e-12)


def test_paired_median_all_differences_at_null():
    est = estimate_paired_median(np.full(12, 2.0), null=2.0, n_resamples=200)
    assert est.p_value == 1.0 and est.estimate == 2.0


def test_median_interval_lies_between_the_order_statistics_by_hand():
    x = np.sort(np.random.default_rng(2).normal(0, 1, 25))
    lo, hi = median_interval(x)
    # n = 25: [x(8), x(18)] covers 1 - 2 P(B <= 7) = 95.7%, [x(9), x(17)] covers 89.2%
    assert 1 - 2 * stats.binom.cdf(7, 25, 0.5) > 0.95 > 1 - 2 * stats.binom.cdf(8, 25, 0.5)
    assert x[7] <= lo <= x[8] and x[16] <= hi <= x[17]
    assert lo < np.median(x) < hi


def test_median_interval_covers_about_95_percent():
    rng = np.random.default_rng(11)
    samples = rng.exponential(1.0, (4000, 40))  # skewed: the median, not the mean, is covered
    true_median = np.log(2.0)
    hits = [lo <= true_median <= hi for lo, hi in map(median_interval, samples)]
    assert 0.93 <= np.mean(hits) <= 0.97


def test_paired_median_interval_on_heavy_ties_is_finite():
    d = np.array([0] * 5 + [1] * 10 + [2] * 10 + [3] * 5 + [8] * 3, dtype=float)
    est = estimate_paired_median(d, n_resamples=500)
    assert est.estimate == 2.0
    assert np.isfinite(est.ci_low) and np.isfinite(est.ci_high)
    assert est.ci_low <= 2.0 <= est.ci_high
    assert "order-statistic" in est.method and "sign test" in est.method


# ----------------------------------------------------------------------------- DiD

def panel(noise=0.0, seed=0, effect=3.0, sellers=12, dates=10, drop=0.0):
    rng = np.random.default_rng(seed)
    seller_fx = rng.normal(50, 10, sellers)
    date_fx = np.cumsum(rng.normal(0.5, 1.0, dates))
    start = {i: 3 + i % 5 for i in range(sellers // 2)}  # half the sellers trained, staggered
    rows = []
    for i in range(sellers):
        for t in range(dates):
            tp = float(i in start and t >= start[i])
            rows.append((f"m{i:02d}", pd.Timestamp("2025-01-05") + pd.Timedelta(weeks=t),
                         seller_fx[i] + date_fx[t] + effect * tp + noise * rng.normal(), tp))
    frame = pd.DataFrame(rows, columns=["member_id", "date", "ssi", "treated_post"])
    if drop:
        frame = frame[rng.random(len(frame)) >= drop].reset_index(drop=True)
    return frame


def test_did_recovers_exact_effect_without_noise():
    est = estimate_did(panel(noise=0.0, effect=3.0))
    assert est.estimate == pytest.approx(3.0, abs=1e-8)
    assert est.n == 120 and est.n_sellers == 12


def dummy_ols(frame):
    data = frame.assign(date=frame["date"].dt.strftime("%Y-%m-%d"))
    return smf.ols("ssi ~ treated_post + C(member_id) + C(date)", data=data).fit()


@pytest.mark.parametrize("drop", [0.0, 0.15])
def test_did_equals_ols_with_seller_and_date_dummies(drop):
    frame = panel(noise=2.0, seed=1, drop=drop)
    est = estimate_did(frame)
    ols = dummy_ols(frame)
    assert est.estimate == pytest.approx(ols.params["treated_post"], abs=1e-6)
    assert est.ci_low < est.estimate < est.ci_high
    assert est.ci_high - est.ci_low == pytest.approx(2 * Z * est.se)


def test_did_without_treatment_variation_is_untestable():
    frame = panel().assign(treated_post=0.0)
    with pytest.raises(Untestable):
        estimate_did(frame)


# ----------------------------------------------------------------------------- power

def closed_form_power(delta, se):
    d_sqrt_n = delta / se
    return stats.norm.cdf(d_sqrt_n - Z) + stats.norm.cdf(-d_sqrt_n - Z)


@pytest.mark.parametrize("se,n,published,null,log_scale", [
    (0.12, 200, 1.45, 1.0, True),
    (0.30, 50, 1.51, 1.0, True),
    (1.5, 480, 4.3, 0.0, False),
    (0.08, 120, 0.78, 0.5, False),
    (2.0, 36, 8.0, 0.0, False),
    (0.2, 100, 0.8, 1.0, True),   # published below the null
])
def test_power_at_n_closed_form_and_statsmodels(se, n, published, null, log_scale):
    g = np.log if log_scale else (lambda v: v)
    delta = abs(g(published) - g(null))
    got = power_at_n(se, n, published, null, log_scale=log_scale)
    assert got == pytest.approx(closed_form_power(delta, se), rel=1e-9)
    d = delta / (se * math.sqrt(n))
    assert got == pytest.approx(NormalIndPower().power(effect_size=d, nobs1=n, alpha=0.05, ratio=0),
                                rel=1e-9)
    assert 0.05 <= got <= 1.0


def test_power_undefined_inputs():
    assert math.isnan(power_at_n(0.0, 10, 1.45, 1.0, log_scale=True))
    assert math.isnan(power_at_n(0.1, 0, 1.45, 1.0, log_scale=True))
    assert math.isnan(n_for_power(0.1, 50, 1.0, 1.0, log_scale=True))
    assert power_at_n(0.1, 50, 1.0, 1.0, log_scale=True) == pytest.approx(0.05)


@pytest.mark.parametrize("se,n,published,null,log_scale", [
    (0.30, 50, 1.51, 1.0, True),
    (0.25, 120, 1.45, 1.0, True),
    (3.0, 480, 4.3, 0.0, False),
    (0.15, 120, 0.78, 0.5, False),
    (0.4, 80, 0.8, 1.0, True),
])
def test_n_for_power_is_the_smallest_n_with_80_percent(se, n, published, null, log_scale):
    need = n_for_power(se, n, published, null, log_scale=log_scale)
    assert need == int(need) and need > 20  # not a tiny case
    sigma = se * math.sqrt(n)  # same design and variability, other n

    def power(m):
        return power_at_n(sigma / math.sqrt(m), int(m), published, null, log_scale=log_scale)

    assert power(need) >= 0.8
    assert power(need - 1) < 0.8
    d = abs((np.log if log_scale else float)(published) - (np.log if log_scale else float)(null)) / sigma
    solved = NormalIndPower().solve_power(effect_size=d, power=0.8, alpha=0.05, ratio=0)
    assert need == math.ceil(solved)


def test_n_for_power_tiny_case_is_at_least_two():
    assert n_for_power(0.01, 100, 1.45, 1.0, log_scale=True) == 2


# ----------------------------------------------------------------------------- clustering switched off

def test_evaluate_claims_without_clustering_names_it_and_is_narrower_with_seller_effects():
    """On the simulator's persistent seller effects, ignoring the sellers narrows the intervals
    of the claims with several rows per seller; the one-row-per-seller claims are unchanged."""
    from ssi_kit.claims import evaluate_claims
    from ssi_kit.io import Dataset, validate_tables
    from ssi_kit.simulate import SimulationConfig, simulate_dataset

    sim = simulate_dataset(SimulationConfig(members=200, seed=6))
    dataset = Dataset(tables=validate_tables(sim.tables))
    runs = {flag: {r.claim_id: r for r in evaluate_claims(dataset, specifications=False, n_resamples=199,
                                                          cluster=flag).results} for flag in (True, False)}
    on, off = runs[True], runs[False]
    for claim_id in ("leaders_opportunities", "higher_ssi_opportunities", "opportunities_per_10_points"):
        assert on[claim_id].estimate == pytest.approx(off[claim_id].estimate, rel=1e-12)
        assert "not clustered" in off[claim_id].method and "clustered by seller" in on[claim_id].method
        assert off[claim_id].ci_high - off[claim_id].ci_low < 0.85 * (on[claim_id].ci_high - on[claim_id].ci_low)
    assert on["opportunities_per_10_points"].method.startswith("OLS, errors clustered by seller (CR1)")
    for claim_id in ("social_outsell", "training_median_shift"):
        assert (on[claim_id].ci_low, on[claim_id].ci_high) == (off[claim_id].ci_low, off[claim_id].ci_high)
