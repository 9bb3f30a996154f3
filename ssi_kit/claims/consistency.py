"""Can the published figures all hold at once?

Three published figures relate opportunities to SSI: leaders (SSI > 70) create 45% more
opportunities than laggards (SSI < 30); sellers above the median SSI see 37% more than those
at or below it; every 10 points of SSI bring 4.3 more opportunities.  Suppose, as the third
figure does, that mean opportunities are linear in SSI, ``m(S) = a + b S`` with
``b = 0.43`` per point.  The mean over any group of sellers is then ``a + b * mean SSI``
(linearity of expectation; no assumption on the SSI distribution).  A ratio ``r`` between a
high and a low group, ``a + b S_high = r (a + b S_low)``, gives

* the low group's mean opportunities ``m_low = b (S_high - S_low) / (r - 1)`` (the implied
  baseline: for "45% more", ``0.43 (S_leaders - S_laggards) / 0.45``);
* the SSI at which mean opportunities would be zero, ``S0 = -a / b = S_low - (S_high - S_low) / (r - 1)``,
  which does not depend on the slope.

One line cannot pass through two different zero points: the two ratios are consistent with
one linear relation only if they imply the same ``S0``.  Because the published figures are
rounded (45% means 44.5% to 45.5%; 4.3 means 4.25 to 4.35), each ``S0`` is an interval; the
figures are judged inconsistent only when the two intervals do not overlap.  A second,
necessary check: laggards (SSI < 30) are part of the at-or-below-median group whenever the
median is at least 30, so with a positive slope their implied mean cannot exceed that group's.

The group mean SSI come from an SSI distribution: the dataset's period SSI
(:func:`check_consistency`), or the stylised reference :func:`reference_ssi` (SSI spread evenly
over 0 to 100; LinkedIn publishes no distribution, so this is an assumption, not its data).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["ConsistencyResult", "check_consistency", "reference_ssi", "PUBLISHED_FIGURES"]

#: The published figures: leaders' ratio (SSI > 70 vs < 30), the median split's, the slope per 10 points.
PUBLISHED_FIGURES = {"leaders_ratio": 1.45, "median_ratio": 1.37, "slope_per_10": 4.3}
#: Half a unit of the published figures' last digit (45% is 44.5% to 45.5%).
_ROUND_RATIO = 0.005
_COLUMNS = ["comparison", "published_ratio", "mean_ssi_high", "mean_ssi_low", "implied_low_mean",
            "implied_high_mean", "zero_ssi", "zero_ssi_low", "zero_ssi_high", "observed_low_mean",
            "observed_high_mean"]


@dataclass(frozen=True)
class ConsistencyResult:
    """Whether the published ratios and slope fit one linear relation of opportunities on SSI.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per ratio: its groups' mean SSI, the implied mean opportunities of both groups
        (per period, on the slope's scale), the SSI at which the implied line reaches zero
        opportunities and its range under rounding (``zero_ssi_low``, ``zero_ssi_high``).
    consistent : bool or None
        Whether the zero points' ranges overlap (equal zero points also give the subset
        ordering: laggards below the at-or-below-median group); None when the
        SSI distribution cannot form the groups.
    basis : str
        Which SSI distribution the group means come from.
    reason : str
        Why the check could not be made (empty otherwise).
    """

    table: pd.DataFrame
    consistent: bool | None
    basis: str
    slope_per_10: float = PUBLISHED_FIGURES["slope_per_10"]
    reason: str = ""

    def summary(self) -> str:
        """The finding in sentences."""
        if self.consistent is None:
            return f"The published figures could not be checked on {self.basis}: {self.reason}."
        lead, med = self.table.iloc[0], self.table.iloc[1]
        text = (f"With SSI distributed as in {self.basis}, and {self.slope_per_10:g} more opportunities per "
                f"10 points of SSI, \"{lead.published_ratio - 1:.0%} more\" for leaders implies that laggards "
                f"average {lead.implied_low_mean:.1f} opportunities per period, while \"{med.published_ratio - 1:.0%} "
                f"more\" above the median implies {med.implied_low_mean:.1f} for sellers at or below the median. "
                f"One straight line would reach zero opportunities at an SSI of {lead.zero_ssi:.0f} by the first "
                f"figure and {med.zero_ssi:.0f} by the second (allowing for rounding: {lead.zero_ssi_low:.0f} to "
                f"{lead.zero_ssi_high:.0f}, and {med.zero_ssi_low:.0f} to {med.zero_ssi_high:.0f}).")
        observed = ""
        if np.isfinite(lead.observed_low_mean):
            observed = (f" In the data, laggards average {lead.observed_low_mean:.1f} opportunities per period "
                        f"and sellers at or below the median {med.observed_low_mean:.1f}.")
        if self.consistent:
            return text + " These agree: the three figures can hold at once." + observed
        order = (" Laggards would also have more opportunities than the larger, higher-SSI group they belong "
                 "to, which a positive slope rules out." if lead.implied_low_mean > med.implied_low_mean else "")
        return (text + " These do not agree: the three figures cannot all hold under one linear relation."
                + order + observed)

    def to_dict(self) -> dict:
        """JSON-ready: the verdict, basis, reason and table rows."""
        rows = [{k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in r.items()}
                for r in self.table.to_dict("records")]
        return {"consistent": self.consistent, "basis": self.basis, "reason": self.reason,
                "slope_per_10": self.slope_per_10, "summary": self.summary(), "rows": rows}


def reference_ssi(points: int = 10_001) -> np.ndarray:
    """A stylised SSI distribution: evenly spread over 0 to 100 (an assumption, not LinkedIn data)."""
    return np.linspace(0.0, 100.0, points)


def _zero(gap: float, low: float, ratio: float) -> float:
    return low - gap / (ratio - 1)


def _row(name, ratio, high, low, beta, y_high, y_low) -> dict:
    gap = float(high.mean() - low.mean())
    base = beta * gap / (ratio - 1)
    zeros = [_zero(gap, float(low.mean()), ratio + d) for d in (-_ROUND_RATIO, _ROUND_RATIO)]
    return {"comparison": name, "published_ratio": ratio, "mean_ssi_high": float(high.mean()),
            "mean_ssi_low": float(low.mean()), "implied_low_mean": base, "implied_high_mean": ratio * base,
            "zero_ssi": _zero(gap, float(low.mean()), ratio), "zero_ssi_low": min(zeros),
            "zero_ssi_high": max(zeros), "observed_low_mean": _mean(y_low), "observed_high_mean": _mean(y_high)}


def _mean(values) -> float:
    return float(np.mean(values)) if values is not None and len(values) else math.nan


def check_consistency(ssi, outcome=None, *, basis: str = "the dataset's period SSI", leaders_ratio: float = 1.45,
                      median_ratio: float = 1.37, slope_per_10: float = 4.3, high: float = 70,
                      low: float = 30, min_group: int = 1) -> ConsistencyResult:
    """Check whether the two ratios and the slope fit one linear relation, on an SSI distribution.

    Parameters
    ----------
    ssi : array-like
        SSI values (e.g. every seller-period's SSI, or :func:`reference_ssi`).
    outcome : array-like, optional
        Opportunities of the same rows: the groups' observed means are reported beside the
        implied ones (they do not enter the check).
    basis : str
        Words naming the distribution, for the summary.
    leaders_ratio, median_ratio : float
        Published ratios of mean opportunities: SSI > ``high`` vs < ``low``; above vs at or
        below the median.
    slope_per_10 : float
        Published opportunities per 10 points of SSI (only the implied means depend on it).
    high, low : float
        The leaders' and laggards' SSI cut-offs.
    min_group : int
        Fewest values a group needs.

    Returns
    -------
    ConsistencyResult
    """
    ssi = np.asarray(ssi, dtype=float)
    y = None if outcome is None else np.asarray(outcome, dtype=float)
    keep = np.isfinite(ssi) if y is None else np.isfinite(ssi) & np.isfinite(y)
    ssi, y = ssi[keep], (None if y is None else y[keep])
    median = float(np.median(ssi)) if ssi.size else math.nan
    masks = {"leaders": ssi > high, "laggards": ssi < low, "above": ssi > median, "below": ssi <= median}
    groups = {k: ssi[m] for k, m in masks.items()}
    ys = {k: (None if y is None else y[m]) for k, m in masks.items()}
    small = [k for k, v in groups.items() if len(v) < max(min_group, 1)]
    if small:
        return ConsistencyResult(pd.DataFrame(columns=_COLUMNS), None, basis, slope_per_10,
                                 f"too few SSI values in the group(s) {', '.join(small)}")
    beta = slope_per_10 / 10
    table = pd.DataFrame([
        _row(f"leaders (SSI above {high:g}) vs laggards (below {low:g})", leaders_ratio,
             groups["leaders"], groups["laggards"], beta, ys["leaders"], ys["laggards"]),
        _row("above vs at or below the median SSI", median_ratio, groups["above"], groups["below"], beta,
             ys["above"], ys["below"]),
    ], columns=_COLUMNS)
    lead, med = table.iloc[0], table.iloc[1]
    overlap = lead.zero_ssi_low <= med.zero_ssi_high and med.zero_ssi_low <= lead.zero_ssi_high
    return ConsistencyResult(table, bool(overlap), basis, slope_per_10)
