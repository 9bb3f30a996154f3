"""Power of each claim's test to detect the published effect, and the sample size for 80%.

Power is computed *at the published effect*: the standard error is the one the
estimator would have if the true quantity were the published value, keeping what the
data say about everything else (the reference group's level, group sizes, clustering
by seller, overdispersion, the spread of the differences).  Each estimator hands its
analysis data to :func:`estimate_power` as ``extra["power_inputs"]`` (a dict, keys
below) and the claim type's record names the model (:attr:`ClaimType.power_model`):

``rate_ratio`` (``ratio_of_means``, ``growth_ratio``; keys ``y``, ``x``, ``groups``)
    Variance proportional to the mean.  The clustered variance of the log ratio is
    split into the high group's part ``V1``, the low group's ``V0`` and their
    covariance ``C`` (a seller in both groups, or both quarters of a pair).  The low
    group's mean ``mu0`` is kept and ``mu1 = mu0 * published``; with variance
    ``phi * mu`` each group's part scales as ``1 / (n mu)``, so ``V1`` is multiplied
    by ``a = mu1_observed / mu1``, ``C`` by ``sqrt(a)``; dispersion and design effects
    (clustered over independent variance) are those measured on the data.
``risk_ratio`` (keys as above, ``y`` 0/1)
    The same with the binomial variance ``p (1 - p)``: ``var(log RR) =
    deff1 (1 - p1) / (n1 p1) + deff0 (1 - p0) / (n0 p0)`` (+ covariance) with
    ``p1 = p0 * published``, capped at 0.999.
``slope`` (keys ``y``, ``x``, ``groups``, ``per``)
    Residuals and SSI spread from the data, clustered by seller.  For a count outcome
    (non-negative integers) the variance is taken proportional to the mean, so each
    residual is scaled by ``sqrt(mu_published / mu_fitted)`` along the line through
    the means with the published slope (fitted means floored at 5% of the mean
    outcome); for other outcomes the slope moves the mean, not the spread, and the
    observed standard error is kept.
``share`` (``share_exceeding``; keys ``group``, ``other``)
    By simulation: the group is shifted so that the published share of it lies above
    the other group's median, both groups resampled (the reference median's
    variability included), the standard deviation of the share is the standard error
    at the published share; the test is on the arcsine-square-root scale as the
    estimator's.
``sign_test`` (``paired_median_shift``; key ``diffs``)
    A location shift leaves the spread of the differences unchanged: the differences
    are shifted so their median is the published value and the power is that of the
    exact two-sided sign test with ``P(d > null)`` under the shifted empirical
    distribution (exact binomial).

The ratio, slope and share tests are Wald tests whose standard error is estimated from
the data, so under the alternative it estimates the alternative's standard error: the
critical value and the spread both use it (t reference with the estimator's degrees of
freedom, a noncentral t; normal for the share).  ``n_for_80_power`` scales every sample
size (and the sellers) by a common factor and solves for 80% (a root finder); for the
sign test, whose exact power saw-tooths in ``n``, it is the 80% crossing nearest the
observed ``n``.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats
from statsmodels.stats.power import NormalIndPower

__all__ = ["PowerResult", "POWER_MODELS", "estimate_power", "power_at_n", "n_for_power"]

_SOLVER = NormalIndPower()
_P_CAP = 0.999
_TARGET = 0.8


@dataclass(frozen=True)
class PowerResult:
    """Power at the published effect.

    Attributes
    ----------
    power : float
        Probability that the claim's test rejects the null at the observed sample size.
    n_for_80_power : float
        Analysis units (rows, pairs or sellers, as the estimate's ``n``) for 80% power.
    method : str
        How it was computed, in words ("formula, ..." or "simulation, 2000 draws, ...").
    """

    power: float
    n_for_80_power: float
    method: str


_NAN = PowerResult(math.nan, math.nan, "not computed")


# ----------------------------------------------------------------------------- Wald tests

def _wald_power(delta: float, se: float, df: float | None, k: float = 1.0) -> float:
    """Two-sided 5% Wald power with ``k`` times the sample (se / sqrt(k), df scaled alike)."""
    nc = abs(delta) / (se / math.sqrt(k))
    if df is None:
        q = stats.norm.ppf(0.975)
        return float(stats.norm.sf(q - nc) + stats.norm.cdf(-q - nc))
    dfk = max(k * (df + 1.0) - 1.0, 1.0)
    q = stats.t.ppf(0.975, dfk)
    power = float(stats.nct.sf(q, dfk, nc) + stats.nct.cdf(-q, dfk, nc))
    # scipy's noncentral t returns NaN far in the tail: the normal shift is then exact enough
    return power if math.isfinite(power) else float(stats.norm.sf(q - nc) + stats.norm.cdf(-q - nc))


def _wald_n80(delta: float, se: float, df: float | None, n: int) -> float:
    """Units for 80% power: the common scale factor of every sample size, by a root finder."""
    def gap(k):
        return _wald_power(delta, se, df, k) - _TARGET
    lo = 2.0 / n
    if gap(lo) >= 0:
        return 2.0
    hi = 1.0
    while gap(hi) < 0:
        hi *= 4.0
        if hi > 1e9:
            return math.nan
    k = optimize.brentq(gap, lo, hi, xtol=1e-10)
    return float(max(2, math.ceil(k * n - 1e-9)))


def _wald_result(delta, se, est, method) -> PowerResult:
    if not (se > 0 and math.isfinite(se)) or delta == 0:
        return PowerResult(0.05 if delta == 0 else math.nan, math.nan, method)
    return PowerResult(_wald_power(delta, se, est.df), _wald_n80(delta, se, est.df, est.n), method)


# ----------------------------------------------------------------------------- ratios

def _ratio_parts(y, x, groups):
    """Means and the clustered variance parts (V1, V0, C) of the log ratio of group means."""
    codes = pd.factorize(np.asarray(groups))[0]
    hi = x == 1
    mu1, mu0 = y[hi].mean(), y[~hi].mean()
    r = y - np.where(hi, mu1, mu0)
    s1 = np.bincount(codes, weights=np.where(hi, r, 0.0)) / (hi.sum() * mu1)
    s0 = np.bincount(codes, weights=np.where(hi, 0.0, r)) / ((~hi).sum() * mu0)
    return mu1, mu0, float(s1 @ s1), float(s0 @ s0), float(-2 * s1 @ s0)


def _ratio_power(inputs, est, published, null, *, binary: bool, **_) -> PowerResult:
    y = np.asarray(inputs["y"], dtype=float)
    x = np.asarray(inputs["x"], dtype=float)
    mu1, mu0, v1, v0, c = _ratio_parts(y, x, inputs["groups"])
    alt = mu0 * published
    capped = binary and alt > _P_CAP
    if capped:
        alt = _P_CAP
    var = (lambda m: m * (1 - m)) if binary else (lambda m: m)
    a = (var(alt) / var(mu1)) / (alt / mu1) ** 2 if var(mu1) > 0 else math.inf
    observed = v1 + v0 + c
    if not (math.isfinite(a) and observed > 0):
        return _NAN
    alt_var = a * v1 + v0 + math.sqrt(a) * c
    se = est.se * math.sqrt(max(alt_var, 0.0) / observed)
    model = "binomial variance p(1 - p)" if binary else "variance proportional to the mean"
    method = (f"formula: clustered variance of the log ratio at the published ratio ({model}, "
              "reference group's level, dispersion and design effects as observed)")
    if capped:
        method += f"; the high group's rate capped at {_P_CAP}"
    return _wald_result(math.log(published) - math.log(null), se, est, method)


def _rate_ratio_power(inputs, est, published, null, **kw) -> PowerResult:
    return _ratio_power(inputs, est, published, null, binary=False)


def _risk_ratio_power(inputs, est, published, null, **kw) -> PowerResult:
    return _ratio_power(inputs, est, published, null, binary=True)


# ----------------------------------------------------------------------------- slope

def _slope_power(inputs, est, published, null, **_) -> PowerResult:
    y = np.asarray(inputs["y"], dtype=float)
    x = np.asarray(inputs["x"], dtype=float)
    per = float(inputs.get("per", 1.0))
    codes = pd.factorize(np.asarray(inputs["groups"]))[0]
    xc = x - x.mean()
    b = float(xc @ (y - y.mean()) / (xc @ xc))
    fitted = y.mean() + b * xc
    resid = y - fitted
    method = "formula: clustered residual variance and SSI spread as observed"
    se = est.se
    counts = bool(np.all(y >= 0) and np.all(y == np.round(y)))
    if counts and y.mean() > 0:
        floor = 0.05 * y.mean()
        alt = y.mean() + (published / per) * xc
        scaled = resid * np.sqrt(np.maximum(alt, floor) / np.maximum(fitted, floor))
        def clustered(e):
            s = np.bincount(codes, weights=xc * e)
            return float(s @ s)
        observed = clustered(resid)
        if observed > 0:
            se = est.se * math.sqrt(clustered(scaled) / observed)
        method += ("; count outcome: variance proportional to the mean along the published slope "
                   "(means floored at 5% of the mean outcome)")
    else:
        method += "; the slope moves the mean, not the spread: observed standard error"
    return _wald_result(published - null, se, est, method)


# ----------------------------------------------------------------------------- share above a median

def _shift_to_share(group, ref, share):
    """Shift ``group`` so that ``share`` of it lies above ``ref`` (midway between order statistics)."""
    g = np.sort(group)
    k = int(round(share * len(g)))
    if k <= 0:
        return group + (ref - g[-1]) - 1.0
    if k >= len(g):
        return group + (ref - g[0]) + 1.0
    return group + ref - 0.5 * (g[len(g) - k] + g[len(g) - k - 1])


def _share_power(inputs, est, published, null, *, seed: int = 0, n_draws: int = 2000, **_) -> PowerResult:
    group = np.asarray(inputs["group"], dtype=float)
    other = np.asarray(inputs["other"], dtype=float)
    shifted = _shift_to_share(group, float(np.median(other)), published)
    rng = np.random.default_rng(seed)
    med = np.median(rng.choice(other, (n_draws, len(other))), axis=1)
    shares = np.mean(rng.choice(shifted, (n_draws, len(group))) > med[:, None], axis=1)
    p = min(max(published, 0.5 / len(group)), 1 - 0.5 / len(group))
    se_angle = float(np.std(shares, ddof=1)) / (2 * math.sqrt(p * (1 - p)))
    delta = math.asin(math.sqrt(min(max(published, 0.0), 1.0))) - math.asin(math.sqrt(min(max(null, 0.0), 1.0)))
    method = (f"simulation, {n_draws} draws: the group shifted to the published share, both groups "
              "resampled; arcsine-square-root Wald test")
    return _wald_result(delta, se_angle, dataclasses.replace(est, df=None), method)


# ----------------------------------------------------------------------------- sign test

def _sign_power(m, theta):
    """Exact power of the two-sided 5% sign test with ``m`` non-tied pairs, ``P(d > null) = theta``."""
    m = np.asarray(m)
    c = stats.binom.ppf(0.025, m, 0.5) - 1  # largest count with 2 * cdf < 0.05
    return stats.binom.cdf(c, m, theta) + stats.binom.sf(m - c - 1, m, theta)


def _sign_n80(m_obs: int, theta: float) -> float:
    """Pairs (non-tied) at the 80% crossing nearest the observed number (exact power saw-tooths)."""
    z = stats.norm.ppf(0.975) + stats.norm.ppf(_TARGET)
    approx = (z * 0.5 / abs(theta - 0.5)) ** 2 if theta != 0.5 else math.inf
    top = int(min(max(3 * approx, 2 * m_obs) + 50, 200_000))
    grid = np.arange(1, top + 1)
    ok = _sign_power(grid, theta) >= _TARGET
    if ok[m_obs - 1]:
        below = np.flatnonzero(~ok[: m_obs])
        return float(below[-1] + 2 if below.size else 1)
    above = np.flatnonzero(ok[m_obs:])
    return float(m_obs + above[0] + 1) if above.size else math.nan


def _share_above(values, null):
    """``P(d > null)`` under a Gaussian kernel density of ``values`` (scipy; Silverman's robust bandwidth).

    The plain share of shifted differences above the null counts the few differences
    within the shift of the median and is noisy; the power, concave in it near 80%, then
    reads low on average (0.70 against 0.74 over 200 samples of 40 skewed differences,
    0.72 smoothed).  Constant differences fall back to the plain share.
    """
    sd = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
    if not sd > 0:
        return float(np.mean(values > null))
    spread = min(sd, stats.iqr(values) / 1.349) or sd
    factor = 0.9 * spread / sd * len(values) ** -0.2
    return float(stats.gaussian_kde(values, bw_method=factor).integrate_box_1d(null, np.inf))


def _median_power(inputs, est, published, null, **_) -> PowerResult:
    d = np.asarray(inputs["diffs"], dtype=float)
    shifted = d - np.median(d) + published
    untied = float(np.mean(shifted != null))
    if untied == 0:
        return _NAN
    theta = _share_above(shifted[shifted != null], null)
    m = max(int(round(len(d) * untied)), 1)
    power = float(_sign_power(m, theta))
    n80 = _sign_n80(m, theta) / untied
    method = ("formula: exact sign test, differences shifted so their median is the published value "
              "(spread as observed, kernel-smoothed)")
    return PowerResult(power, float(max(2, math.ceil(n80 - 1e-9))) if math.isfinite(n80) else n80, method)


#: Power model name (:attr:`ssi_kit.claims.types.ClaimType.power_model`) -> its function.
POWER_MODELS = {"rate_ratio": _rate_ratio_power, "risk_ratio": _risk_ratio_power, "slope": _slope_power,
                "share": _share_power, "sign_test": _median_power}


def estimate_power(claim_type, inputs, est, published: float, null: float, *, seed: int = 0) -> PowerResult:
    """Power of a claim's test at the published effect, and the sample size for 80% power.

    Parameters
    ----------
    claim_type : ClaimType
        The claim's type record; its ``power_model`` names the model (:data:`POWER_MODELS`).
    inputs : dict or None
        The estimator's ``extra["power_inputs"]`` (the module docstring lists the keys);
        None falls back to the observed standard error (:func:`power_at_n`).
    est : Estimate
        The claim's estimate (standard error, degrees of freedom, ``n``).
    published, null : float
        The published and null values of the quantity.
    seed : int
        Seed of the simulation models (same seed, same result).

    Returns
    -------
    PowerResult
    """
    model = POWER_MODELS.get(getattr(claim_type, "power_model", ""))
    if model is None or inputs is None:
        args = (est.se, est.n, published, null)
        return PowerResult(power_at_n(*args, log_scale=est.log_scale),
                           n_for_power(*args, log_scale=est.log_scale),
                           "formula: Wald test at the observed standard error")
    return model(inputs, est, published, null, seed=seed)


# ----------------------------------------------------------------------------- observed standard error

def _effect_size(se: float, n: int, published: float, null: float, log_scale: bool) -> float:
    g = np.log if log_scale else (lambda v: v)
    delta = abs(float(g(published)) - float(g(null)))
    return delta / (se * math.sqrt(n))


def power_at_n(se: float, n: int, published: float, null: float, *, log_scale: bool,
               alpha: float = 0.05) -> float:
    """Power at the observed ``n`` with the *observed* standard error (normal Wald test).

    Kept for callers that have only a standard error; :func:`estimate_power` uses the
    standard error at the published effect instead.
    """
    if not (se > 0 and n > 0):
        return float("nan")
    d = _effect_size(se, n, published, null, log_scale)
    return float(_SOLVER.power(effect_size=d, nobs1=n, alpha=alpha, ratio=0))


def n_for_power(se: float, n: int, published: float, null: float, *, log_scale: bool,
                power: float = 0.8, alpha: float = 0.05) -> float:
    """Analysis units needed for ``power`` at the observed standard error; NaN when undefined."""
    if not (se > 0 and n > 0):
        return float("nan")
    d = _effect_size(se, n, published, null, log_scale)
    if d == 0:
        return float("nan")
    # closed form of NormalIndPower's one-sample equation (the far tail is negligible at 80%);
    # its root finder fails when fewer than two units would do
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    return float(max(2, math.ceil((z / d) ** 2)))
