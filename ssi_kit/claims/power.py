"""Power of each claim's test to detect the published effect, and the sample size for 80%.

The test is the Wald test the estimator reports, so its standard error already
carries the design (clustering by seller, overdispersion, bootstrap variability).
With ``sigma = se * sqrt(n)`` the standardized effect is
``d = |g(published) - g(null)| / sigma`` (``g`` = log for ratios), and power and
the power comes from statsmodels' ``NormalIndPower`` for one sample; the sample size
from the same equation solved in closed form.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import stats
from statsmodels.stats.power import NormalIndPower

__all__ = ["power_at_n", "n_for_power"]

_SOLVER = NormalIndPower()


def _effect_size(se: float, n: int, published: float, null: float, log_scale: bool) -> float:
    g = np.log if log_scale else (lambda v: v)
    delta = abs(float(g(published)) - float(g(null)))
    return delta / (se * math.sqrt(n))


def power_at_n(se: float, n: int, published: float, null: float, *, log_scale: bool,
               alpha: float = 0.05) -> float:
    """Power at the observed ``n`` to detect the published value (two-sided, level ``alpha``)."""
    if not (se > 0 and n > 0):
        return float("nan")
    d = _effect_size(se, n, published, null, log_scale)
    return float(_SOLVER.power(effect_size=d, nobs1=n, alpha=alpha, ratio=0))


def n_for_power(se: float, n: int, published: float, null: float, *, log_scale: bool,
                power: float = 0.8, alpha: float = 0.05) -> float:
    """Analysis units needed for ``power`` (same design, same variability); NaN when undefined."""
    if not (se > 0 and n > 0):
        return float("nan")
    d = _effect_size(se, n, published, null, log_scale)
    if d == 0:
        return float("nan")
    # closed form of NormalIndPower's one-sample equation (the far tail is negligible at 80%);
    # its root finder fails when fewer than two units would do
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    return float(max(2, math.ceil((z / d) ** 2)))
