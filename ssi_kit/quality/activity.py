"""Checks of the activity table and of dates across tables."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..io.schemas import ACTIVITY_COUNTS
from .findings import Thresholds, day, finding, per_seller

__all__ = ["check_activity", "check_future_dates", "check_after_readings"]

#: MAD times this estimates the standard deviation of a normal distribution.
_MAD_TO_SD = 1.4826
#: The smallest robust scale on the log scale (a factor of 1.65).
_MIN_LOG_SCALE = 0.5
#: Days with the column above 0 a seller needs before their usual range is judged.
_MIN_DAYS = 5
#: The dated column of each table checked for future dates.
_DATE_COLUMNS = {"ssi": "date", "activity": "date", "profiles": "date", "events": "date",
                 "outcomes": "period_start"}


def check_activity(activity: pd.DataFrame, limits: Thresholds) -> list[dict]:
    """``activity_outlier``: days far above the seller's usual range, per count column.

    Counts are skewed (a post that takes off gets ten times its usual views), so the
    usual range is taken on ``log(1 + count)`` over the seller's days with the column
    above 0: a day is flagged when it lies more than ``outlier_mads`` robust standard
    deviations (1.4826 x MAD, at least 0.5) above that median, and its count exceeds
    ``outlier_floor``.  Sellers with fewer than 5 such days are not judged.
    """
    out = []
    counts = [c for c in ACTIVITY_COUNTS if c in activity.columns]
    by = pd.Series(pd.factorize(activity["member_id"])[0], index=activity.index)  # group once by code
    for column in counts:
        value = activity[column].astype("float64")
        logs = np.log1p(value.where(value > 0))
        median = logs.groupby(by).transform("median")
        mad = (logs - median).abs().groupby(by).transform("median")
        scale = (mad * _MAD_TO_SD).clip(lower=_MIN_LOG_SCALE)
        enough = logs.notna().groupby(by).transform("sum") >= _MIN_DAYS
        hit = (logs > median + limits.outlier_mads * scale) & (value > limits.outlier_floor) & enough
        rows = activity.loc[hit.fillna(False), ["member_id", "date"]].assign(
            _value=value, _usual=np.expm1(median).round())
        out += per_seller(rows, "activity_outlier", lambda g, c=column: (
            f"{len(g)} day(s) of {c} far above the seller's usual range (up to "
            f"{g['_value'].max():g} against a typical {g['_usual'].iloc[0]:g} on active days)."))
    return out


def check_future_dates(tables: dict, limits: Thresholds) -> list[dict]:
    """``future_date``: rows of any dated table after the day of the check."""
    today = limits.today_ts()
    out = []
    for name, column in _DATE_COLUMNS.items():
        table = tables.get(name)
        if table is None or column not in table.columns:
            continue
        rows = table.loc[table[column] > today, ["member_id", column]].rename(columns={column: "date"})
        out += per_seller(rows, "future_date", lambda g, n=name: (
            f"{len(g)} row(s) of the {n} table dated after the day of the check ({day(today)})."))
    return out


def check_after_readings(activity: pd.DataFrame, ssi: pd.DataFrame, limits: Thresholds) -> list[dict]:
    """``activity_after_readings``: activity long after a seller's last SSI reading.

    Only sellers with readings and only activity rows with some count above 0 count.
    """
    counts = [c for c in ACTIVITY_COUNTS if c in activity.columns]
    if not counts:
        return []
    last = ssi.groupby("member_id")["date"].max().rename("_last")
    active = activity.loc[(activity[counts].fillna(0) > 0).any(axis=1), ["member_id", "date"]]
    if last.empty or active.empty:
        return []
    active = active.join(last, on="member_id", how="inner")
    rows = active[(active["date"] - active["_last"]).dt.days > limits.after_readings_days]
    out = []
    for member, g in rows.groupby("member_id", sort=True):
        out.append(finding("activity_after_readings", member, g["date"].min(), g["date"].max(), len(g),
                           f"{len(g)} day(s) of activity more than {limits.after_readings_days} days "
                           f"after the last SSI reading ({day(last[member])}): readings stopped?"))
    return out
