"""Rank changes explained: a seller's own SSI change against the group's drift.

LinkedIn's "Top N%" is the share of a group (the seller's industry or network)
whose SSI is at least the seller's.  The readings carry the seller's SSI and N,
not the group's scores, so the group is modelled: on each day its SSI is normal
with mean ``mu`` and a spread ``sigma`` that stays the same between the two days.
A reading (SSI ``s``, top ``N%``) then pins the day's mean:
``mu = s - sigma * z`` with ``z = Phi^-1(1 - N/100)``.  The change of N between
two days splits exactly into

* own: how N would have moved had the group stayed as on the first day and only
  the seller's SSI changed, ``100 * (S1(s2) - S1(s1))``;
* drift: what the group's move (``mu2 - mu1`` points) did to N at the seller's new
  SSI, ``100 * (S2(s2) - S1(s2))``,

where ``S_d(x) = 1 - Phi((x - mu_d) / sigma)``.  ``sigma`` defaults to the spread
(standard deviation) of all sellers' readings on the first day: the team stands
in for the group.  See docs/drivers.md for the assumptions.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..exceptions import UsageError

__all__ = ["RankChange", "explain_rank_change", "RANKS"]

#: The ranks a reading may carry: name -> column of the ``ssi`` table.
RANKS = {"industry": "industry_top_pct", "network": "network_top_pct"}
#: Shares closer to 0 or 1 than this are clipped (a "Top 100%" seller is the group's lowest).
_EDGE = 1e-3
#: Fewest sellers whose readings on the first day give the default spread.
_MIN_SPREAD_SELLERS = 10


@dataclass(frozen=True)
class RankChange:
    """A seller's change in "Top N%" split into own SSI change and group drift.

    Attributes
    ----------
    member_id, rank : str
    start, end : pandas.Timestamp
        The readings compared (the latest on or before the days asked).
    ssi_start, ssi_end, top_pct_start, top_pct_end : float
        The seller's readings.
    own, drift : float
        Percentage points of the change in N due to the seller's SSI and to the
        group; ``own + drift == top_pct_end - top_pct_start``.
    group_shift : float
        The modelled group mean's move, in SSI points.
    spread : float
        The group's assumed standard deviation (SSI points).
    """

    member_id: str
    rank: str
    start: pd.Timestamp
    end: pd.Timestamp
    ssi_start: float
    ssi_end: float
    top_pct_start: float
    top_pct_end: float
    own: float
    drift: float
    group_shift: float
    spread: float

    def to_frame(self) -> pd.DataFrame:
        """One row with every attribute."""
        return pd.DataFrame([self.__dict__])

    def summary(self) -> str:
        """Two lines in words."""
        change = self.top_pct_end - self.top_pct_start
        return (f"{self.member_id}, {self.rank} rank: Top {self.top_pct_start:.1f}% on {self.start:%Y-%m-%d} "
                f"-> Top {self.top_pct_end:.1f}% on {self.end:%Y-%m-%d} ({change:+.1f} points; lower is better)\n"
                f"  own SSI {self.ssi_start:.1f} -> {self.ssi_end:.1f}: {self.own:+.1f}; group drift "
                f"{self.group_shift:+.1f} SSI points: {self.drift:+.1f} (group spread {self.spread:.1f}, assumed normal)")


def explain_rank_change(readings: pd.DataFrame, member_id: str, start, end, *, rank: str = "industry",
                        spread: float | None = None) -> RankChange:
    """Split a seller's change in industry or network "Top N%" into own change and group drift.

    Parameters
    ----------
    readings : pandas.DataFrame
        The ``ssi`` table (``member_id``, ``date``, ``ssi`` and the rank's column).
    member_id : str
    start, end : date-like
        The latest reading of the seller on or before each day is used.
    rank : {"industry", "network"}
    spread : float, optional
        The group's SSI standard deviation; default that of all sellers'
        readings on the first reading day (at least 10 sellers).

    Returns
    -------
    RankChange

    Raises
    ------
    UsageError
        Unknown rank, a missing column, no reading on or before a day, or no spread.
    """
    if rank not in RANKS:
        raise UsageError(f"rank: expected one of {', '.join(RANKS)}, got {rank!r}.")
    column = RANKS[rank]
    if column not in readings or "ssi" not in readings:
        raise UsageError(f"the ssi table has no '{column}' column; explaining a {rank} rank change needs "
                         "the seller's SSI and Top N% readings.")
    if pd.Timestamp(end) < pd.Timestamp(start):
        raise UsageError(f"end ({pd.Timestamp(end):%Y-%m-%d}) is before start ({pd.Timestamp(start):%Y-%m-%d}).")
    first, last = (_reading(readings, member_id, day, column) for day in (start, end))
    sigma = _spread(readings, first["date"]) if spread is None else float(spread)
    if not np.isfinite(sigma) or sigma <= 0:
        raise UsageError(f"spread: expected a positive number of SSI points, got {spread!r}.")
    s1, s2 = float(first["ssi"]), float(last["ssi"])
    p1, p2 = float(first[column]), float(last[column])
    mu1, mu2 = (s - sigma * stats.norm.ppf(1 - np.clip(p / 100, _EDGE, 1 - _EDGE)) for s, p in ((s1, p1), (s2, p2)))
    at_start = 100 * stats.norm.sf(s2, loc=mu1, scale=sigma)  # N at the new SSI in the old group
    own = at_start - p1
    return RankChange(member_id=member_id, rank=rank, start=first["date"], end=last["date"], ssi_start=s1,
                      ssi_end=s2, top_pct_start=p1, top_pct_end=p2, own=own, drift=(p2 - p1) - own,
                      group_shift=mu2 - mu1, spread=sigma)


def _reading(readings: pd.DataFrame, member_id: str, day, column: str) -> pd.Series:
    """The seller's latest reading with SSI and rank on or before ``day``."""
    mine = readings[(readings["member_id"] == member_id) & (readings["date"] <= pd.Timestamp(day))]
    mine = mine[mine["ssi"].notna() & mine[column].notna()]
    if mine.empty:
        raise UsageError(f"the ssi table has no reading of {member_id} with 'ssi' and '{column}' on or "
                         f"before {pd.Timestamp(day):%Y-%m-%d}.")
    return mine.sort_values("date").iloc[-1]


def _spread(readings: pd.DataFrame, day: pd.Timestamp) -> float:
    """Standard deviation of all sellers' SSI readings on ``day``."""
    values = readings.loc[readings["date"] == day, "ssi"].dropna().to_numpy(dtype=float)
    if len(values) < _MIN_SPREAD_SELLERS:
        raise UsageError(f"only {len(values)} sellers have a reading on {day:%Y-%m-%d}; the group's spread "
                         f"needs at least {_MIN_SPREAD_SELLERS}: pass spread= (SSI points).")
    return float(np.std(values, ddof=1))
