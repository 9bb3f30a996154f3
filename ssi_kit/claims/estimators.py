"""One estimator per claim type, each returning an :class:`Estimate`.

All estimators come from statsmodels and scipy:

* ratios of means and risk ratios: Poisson GLM with a log link and errors clustered
  by seller (for 0/1 outcomes this is the "modified Poisson" risk ratio); it allows any
  overdispersion and the repeated periods of a seller;
* slopes: OLS with HC3 errors;
* shares above a reference: a two-sample bootstrap over both groups;
* paired median shifts: the median of paired differences, a bootstrap interval and a
  Wilcoxon signed-rank p-value;
* growth ratios: the ratio of paired means, as a Poisson GLM on the stacked pairs with
  errors clustered by seller.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

__all__ = ["Estimate", "Untestable", "estimate_ratio", "estimate_slope", "estimate_share_exceeding",
           "estimate_paired_median", "design_matrix", "independent_columns"]

_Z = stats.norm.ppf(0.975)


class Untestable(Exception):
    """The data cannot test the claim; ``reason`` says why (not an error of the kit)."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class Estimate:
    """An estimate with its 95% interval and test against the null.

    Attributes
    ----------
    estimate, ci_low, ci_high : float
        On the quantity's own scale (a ratio, a slope per unit, a share...).
    se : float
        Standard error on the analysis scale (log for ratios).
    log_scale : bool
        Whether the analysis scale is the log of the quantity.
    p_value : float
        Two-sided p-value against the null value.
    n : int
        Analysis units used (rows).
    n_sellers : int
        Distinct sellers among them.
    method : str
        What was fitted.
    df : float or None
        Degrees of freedom of a t reference distribution (None: normal).
    """

    estimate: float
    ci_low: float
    ci_high: float
    se: float
    log_scale: bool
    p_value: float
    n: int
    n_sellers: int
    method: str
    df: float | None = None


def design_matrix(frame: pd.DataFrame, columns, covariates=()) -> pd.DataFrame:
    """Constant, the given numeric columns and dummy-coded covariates (first level dropped)."""
    parts = [pd.Series(1.0, index=frame.index, name="const"), frame[list(columns)].astype(float)]
    for cov in covariates:
        col = frame[cov]
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            parts.append(col.astype(float).rename(cov))
        else:
            dummies = pd.get_dummies(col.astype(str), prefix=cov, drop_first=True, dtype=float)
            parts.append(dummies)
    return pd.concat(parts, axis=1)


def independent_columns(frame: pd.DataFrame, tol: float = 1e-9) -> pd.DataFrame:
    """Drop columns that are linear combinations of earlier ones (e.g. teams nested in regions)."""
    from scipy.linalg import qr

    values = frame.to_numpy(dtype=float)
    _, r, perm = qr(values, mode="economic", pivoting=True)
    diag = np.abs(np.diag(r))
    rank = int((diag > tol * max(diag.max(initial=0.0), 1.0)).sum())
    keep = np.sort(perm[:rank])
    return frame.iloc[:, keep]


def _check_fit(res, name: str) -> None:
    se = np.asarray(res.bse)
    if not np.all(np.isfinite(se)) or not np.all(np.isfinite(np.asarray(res.params))):
        raise Untestable(f"the {name} fit has no finite standard errors (separation or no variation)")


def estimate_ratio(y, x, groups, *, null: float = 1.0, covariates: pd.DataFrame | None = None) -> Estimate:
    """Ratio of mean ``y`` for ``x == 1`` over ``x == 0``: Poisson GLM, errors clustered by ``groups``.

    Parameters
    ----------
    y : array-like
        Counts, 0/1 outcomes or non-negative numbers.
    x : array-like of 0/1
        Group indicator (1 = numerator group).
    groups : array-like
        Cluster labels (sellers).
    null : float
        Null value of the ratio.
    covariates : pandas.DataFrame, optional
        Extra design columns (already dummy-coded) for an adjusted ratio.
    """
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    codes = pd.factorize(np.asarray(groups))[0]
    X = np.column_stack([np.ones_like(x), x] + ([] if covariates is None else [covariates.to_numpy(float)]))
    if y[x == 1].sum() <= 0 or y[x == 0].sum() <= 0:
        raise Untestable("a group has no events (zero total outcome)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sm.GLM(y, X, family=sm.families.Poisson()).fit(cov_type="cluster", cov_kwds={"groups": codes})
    _check_fit(res, "Poisson")
    b, se = float(res.params[1]), float(res.bse[1])
    z = (b - np.log(null)) / se
    return Estimate(np.exp(b), np.exp(b - _Z * se), np.exp(b + _Z * se), se, True,
                    float(2 * stats.norm.sf(abs(z))), len(y), int(codes.max() + 1),
                    "Poisson GLM (log link), errors clustered by seller")


def estimate_slope(y, x, groups, *, per: float = 1.0, null: float = 0.0,
                   covariates: pd.DataFrame | None = None) -> Estimate:
    """Slope of ``y`` on ``x`` times ``per``: OLS with HC3 errors, t reference."""
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    if np.ptp(x) == 0:
        raise Untestable("SSI does not vary")
    X = np.column_stack([np.ones_like(x), x] + ([] if covariates is None else [covariates.to_numpy(float)]))
    res = sm.OLS(y, X).fit(cov_type="HC3", use_t=True)
    _check_fit(res, "OLS")
    b, se, df = per * float(res.params[1]), per * float(res.bse[1]), float(res.df_resid)
    q = stats.t.ppf(0.975, df)
    t = (b - null) / se
    return Estimate(b, b - q * se, b + q * se, se, False, float(2 * stats.t.sf(abs(t), df)), len(y),
                    len(np.unique(np.asarray(groups))), "OLS, HC3 errors", df)


def _share_stat(group, other, axis=-1):
    ref = np.median(other, axis=axis, keepdims=True)
    return np.mean(group > ref, axis=axis)


def estimate_share_exceeding(group, other, *, null: float = 0.5, n_resamples: int = 2000,
                             seed: int = 0) -> Estimate:
    """Share of ``group`` above the median of ``other``; bootstrap over both groups.

    The interval is the percentile bootstrap; the p-value is from the bootstrap
    standard error (normal reference).
    """
    group = np.asarray(group, dtype=float)
    other = np.asarray(other, dtype=float)
    est = float(_share_stat(group, other))
    boot = stats.bootstrap((group, other), _share_stat, n_resamples=n_resamples, vectorized=True,
                           paired=False, method="percentile", rng=np.random.default_rng(seed))
    se = float(boot.standard_error)
    if not se > 0:
        raise Untestable("the bootstrap distribution of the share is degenerate")
    z = (est - null) / se
    lo, hi = boot.confidence_interval
    return Estimate(est, float(lo), float(hi), se, False, float(2 * stats.norm.sf(abs(z))),
                    len(group) + len(other), len(group) + len(other),
                    f"two-sample percentile bootstrap ({n_resamples} resamples)")


def estimate_paired_median(diffs, *, null: float = 0.0, n_resamples: int = 2000, seed: int = 0) -> Estimate:
    """Median of paired differences; bootstrap interval, Wilcoxon signed-rank p-value."""
    d = np.asarray(diffs, dtype=float)
    est = float(np.median(d))
    rng = np.random.default_rng(seed)
    boot = stats.bootstrap((d,), np.median, n_resamples=n_resamples, vectorized=True, method="BCa", rng=rng)
    lo, hi = boot.confidence_interval
    method = "median of paired differences, BCa bootstrap"
    if not (np.isfinite(lo) and np.isfinite(hi)):  # degenerate jackknife on discrete data
        boot = stats.bootstrap((d,), np.median, n_resamples=n_resamples, vectorized=True,
                               method="percentile", rng=np.random.default_rng(seed))
        lo, hi = boot.confidence_interval
        method = "median of paired differences, percentile bootstrap"
    shifted = d - null
    p = 1.0 if np.all(shifted == 0) else float(stats.wilcoxon(shifted, zero_method="pratt").pvalue)
    return Estimate(est, float(lo), float(hi), float(boot.standard_error), False, p, len(d), len(d),
                    method + ", Wilcoxon signed-rank test")
