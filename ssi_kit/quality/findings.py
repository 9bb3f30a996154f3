"""The registry of data-quality checks, their thresholds and the shape of a finding.

A finding is one row: ``check, severity, member_id, first_date, last_date, count,
detail``.  Checks that flag single rows (a reading whose pillars do not add up) give
one finding per seller, spanning the first and last flagged row and counting them;
checks that flag a stretch of time (a stale tracker, a gap) give one finding per
stretch.  Why each check matters is in docs/quality.md.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..exceptions import UsageError

__all__ = ["CHECKS", "SEVERITIES", "FINDING_COLUMNS", "Thresholds", "Check", "per_seller",
           "finding", "day"]

#: Columns of a findings table (and of quality.csv), in order.
FINDING_COLUMNS = ("check", "severity", "member_id", "first_date", "last_date", "count", "detail")

#: Severities, most serious first: ``error`` cannot be right, ``warning`` is probably
#: wrong, ``info`` deserves a look.
SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Check:
    """One check: its name, severity, the table it reads and what it flags, in words."""

    name: str
    severity: str
    table: str
    flags: str


#: Every check in report order (quality.csv is sorted by this order first).
CHECKS = tuple(Check(*row) for row in (
    ("failed_scrape", "error", "ssi", "readings whose total, pillars and ranks are all 0 or empty"),
    ("duplicate_conflict", "error", "ssi/activity", "the same seller and day twice with different values"),
    ("out_of_range", "error", "ssi", "pillars outside 0-25, SSI outside 0-100, a top % of 0 or above 100"),
    ("future_date", "error", "all dated tables", "rows dated after the day of the check"),
    ("pillar_sum", "warning", "ssi", "pillars that do not add up to the total beyond rounding"),
    ("jump", "warning", "ssi", "a change of more than N points a day between consecutive readings"),
    ("stale", "warning", "ssi", "the same total and pillars for N days of readings or more"),
    ("duplicate_row", "warning", "ssi/activity", "the same row twice"),
    ("activity_outlier", "warning", "activity", "a day's count far above the seller's usual range"),
    ("gap", "info", "ssi", "no reading for more than N days from a seller read at least weekly"),
    ("activity_after_readings", "info", "activity",
     "activity more than N days after the seller's last SSI reading"),
))
_BY_NAME = {c.name: c for c in CHECKS}


@dataclass(frozen=True)
class Thresholds:
    """The documented thresholds of the checks (docs/quality.md).

    Attributes
    ----------
    max_daily_change : float
        ``jump``: points of SSI a day between consecutive readings (default 5).
    stale_days : int
        ``stale``: days an unchanged reading may last (default 21).
    max_gap_days : int
        ``gap``: days between readings of a regularly read seller (default 14).
    regular_days : int
        ``gap``: a seller is read regularly when the median interval is at most this (7).
    sum_tolerance : float
        ``pillar_sum``: points the pillars may differ from a total shown with
        decimals (default 0.05); half a point more when the total is whole.
    outlier_mads : float
        ``activity_outlier``: robust standard deviations of ``log(1 + count)`` above
        the seller's median (default 6).
    outlier_floor : int
        ``activity_outlier``: a day's count must also exceed this (default 50).
    after_readings_days : int
        ``activity_after_readings``: days of activity allowed after the last reading (30).
    today : str or None
        ``future_date``: the day of the check, ``YYYY-MM-DD`` (default today).
    """

    max_daily_change: float = 5.0
    stale_days: int = 21
    max_gap_days: int = 14
    regular_days: int = 7
    sum_tolerance: float = 0.05
    outlier_mads: float = 6.0
    outlier_floor: int = 50
    after_readings_days: int = 30
    today: str | None = None

    def __post_init__(self):
        for name, value in vars(self).items():
            if name == "today":
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 \
                    or value == float("inf"):
                raise UsageError(f"The quality threshold {name} must be a positive number, got {value!r}.")
        if self.today is not None:
            try:
                pd.Timestamp(self.today)
            except (ValueError, TypeError):
                raise UsageError(f"today must be a date YYYY-MM-DD, got {self.today!r}.") from None

    def today_ts(self) -> pd.Timestamp:
        """The day of the check as a timestamp."""
        return pd.Timestamp(self.today).normalize() if self.today else pd.Timestamp.today().normalize()


def day(value) -> str:
    """A date as ``YYYY-MM-DD``."""
    return pd.Timestamp(value).strftime("%Y-%m-%d")


def finding(check: str, member_id, first, last, count: int, detail: str) -> dict:
    """One finding row of ``check`` (its severity from the registry)."""
    return {"check": check, "severity": _BY_NAME[check].severity, "member_id": str(member_id),
            "first_date": pd.Timestamp(first), "last_date": pd.Timestamp(last),
            "count": int(count), "detail": detail}


def per_seller(rows: pd.DataFrame, check: str, describe, date: str = "date") -> list[dict]:
    """One finding per seller of the flagged ``rows``: first and last date, how many.

    Parameters
    ----------
    rows : pandas.DataFrame
        The flagged rows, with ``member_id`` and ``date``.
    check : str
        The check's name.
    describe : callable
        ``describe(group)`` -> the one-sentence detail for one seller's rows.
    date : str
        The date column.
    """
    out = []
    for member, group in rows.groupby("member_id", sort=True):
        out.append(finding(check, member, group[date].min(), group[date].max(), len(group),
                           describe(group)))
    return out
