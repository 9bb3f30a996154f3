"""Difference-in-differences with two-way fixed effects, for staggered training dates."""
from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from .estimators import Estimate, Untestable

__all__ = ["estimate_did"]

_Z = stats.norm.ppf(0.975)


def _demean_two_way(values: np.ndarray, a: np.ndarray, b: np.ndarray, tol: float = 1e-10,
                    max_iter: int = 500) -> np.ndarray:
    """Remove seller and date means by alternating projections (works on unbalanced panels)."""
    out = values.astype(float).copy()
    na, nb = np.bincount(a), np.bincount(b)
    for _ in range(max_iter):
        before = out.copy()
        out -= (np.bincount(a, weights=out) / na)[a]
        out -= (np.bincount(b, weights=out) / nb)[b]
        if np.max(np.abs(out - before)) < tol:
            break
    return out


def estimate_did(panel: pd.DataFrame, *, null: float = 0.0) -> Estimate:
    """Effect of ``treated_post`` on ``ssi`` with seller and date fixed effects.

    Parameters
    ----------
    panel : pandas.DataFrame
        Columns ``member_id``, ``date``, ``ssi``, ``treated_post`` (0/1).

    Returns
    -------
    Estimate
        Errors clustered by seller (normal reference).
    """
    seller = pd.factorize(panel["member_id"])[0]
    date = pd.factorize(panel["date"])[0]
    y = _demean_two_way(panel["ssi"].to_numpy(float), seller, date)
    d = _demean_two_way(panel["treated_post"].to_numpy(float), seller, date)
    if np.allclose(d, 0):
        raise Untestable("treatment does not vary within sellers over time")
    res = sm.OLS(y, d[:, None]).fit(cov_type="cluster", cov_kwds={"groups": seller})
    b, se = float(res.params[0]), float(res.bse[0])
    if not (np.isfinite(se) and se > 0):
        raise Untestable("the difference-in-differences fit has no standard error")
    z = (b - null) / se
    return Estimate(b, b - _Z * se, b + _Z * se, se, False, float(2 * stats.norm.sf(abs(z))),
                    len(panel), int(seller.max() + 1),
                    "difference-in-differences, seller and date fixed effects, errors clustered by seller")
