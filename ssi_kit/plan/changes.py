"""Actions as data changes: extra activity units on given days, a new profile row dated ``day``.

Each function changes many sellers at once (one row of ``changes`` per seller
and day) and returns a new table; the input table is never modified.  These
are the exact changes whose re-scoring gives a plan's ``gain``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["spread_units", "add_activity", "set_profile", "window_totals", "latest_profiles"]


def spread_units(amount: int, weeks: int) -> np.ndarray:
    """Units per day on ``day``, ``day - 7``, ... ``day - 7 * (weeks - 1)`` (most recent first).

    ``amount // weeks`` a week, and one more on each of the ``amount % weeks``
    most recent of those days: whole units, as even as possible, summing to ``amount``.
    """
    base, extra = divmod(int(amount), int(weeks))
    return base + (np.arange(weeks) < extra).astype(np.int64)


def _key(table: pd.DataFrame) -> pd.MultiIndex:
    return pd.MultiIndex.from_arrays([table["member_id"].to_numpy(dtype=object),
                                      pd.to_datetime(table["date"]).to_numpy()])


def add_activity(activity: pd.DataFrame, column: str, changes: pd.DataFrame) -> pd.DataFrame:
    """``activity`` with ``changes.units`` added to ``column`` on each ``(member_id, date)`` of ``changes``.

    A seller-day the table has gets the units added to its count (a blank counts 0);
    a seller-day it lacks gets a new row with the units in ``column`` and every other
    count blank (no activity).  The result is sorted by ``member_id`` and ``date``.
    """
    changes = changes[changes["units"] > 0]
    pos = _key(activity).get_indexer(_key(changes))
    hit = pos >= 0
    values = activity[column].to_numpy(dtype=np.int64, na_value=0, copy=True) if column in activity else \
        np.zeros(len(activity), dtype=np.int64)  # a copy: to_numpy may return the table's own buffer
    touched = np.zeros(len(activity), dtype=bool)
    np.add.at(values, pos[hit], changes["units"].to_numpy(dtype=np.int64)[hit])
    touched[pos[hit]] = True
    out = activity.copy()
    old = out[column] if column in out else pd.Series(pd.NA, index=out.index, dtype="Int64")
    out[column] = old.where(~touched, pd.array(values, dtype="Int64"))
    new = changes.loc[~hit]
    if len(new):
        rows = out.iloc[:0].reindex(range(len(new)))
        rows["member_id"] = new["member_id"].to_numpy()
        rows["date"] = pd.to_datetime(new["date"]).to_numpy().astype(out["date"].dtype)
        rows[column] = pd.array(new["units"].to_numpy(dtype=np.int64), dtype="Int64")
        out = pd.concat([out, rows.astype(out.dtypes.to_dict())], ignore_index=True)
    return out.sort_values(["member_id", "date"], kind="mergesort").reset_index(drop=True)


def latest_profiles(profiles: pd.DataFrame, day, members: pd.Index) -> pd.DataFrame:
    """Each seller's latest profile row on or before ``day``, indexed by ``member_id`` (all of ``members``)."""
    seen = profiles[pd.to_datetime(profiles["date"]) <= pd.Timestamp(day)]
    seen = seen.sort_values(["member_id", "date"], kind="mergesort").groupby("member_id", sort=False).tail(1)
    return seen.set_index("member_id").reindex(members)


def set_profile(profiles: pd.DataFrame, column: str, values: pd.Series, day) -> pd.DataFrame:
    """``profiles`` with a row dated ``day`` per seller of ``values``: their latest profile, ``column`` changed.

    The new row copies the seller's latest row on or before ``day`` (a blank row when
    there is none) and sets ``column`` to the seller's value; a row already dated
    ``day`` is replaced.  The result is sorted by ``member_id`` and ``date``.
    """
    day = pd.Timestamp(day)
    base = latest_profiles(profiles, day, pd.Index(values.index, name="member_id"))
    rows = base.reset_index()[profiles.columns].copy()
    rows["member_id"] = values.index.to_numpy()
    rows["date"] = np.full(len(rows), day.to_datetime64()).astype(profiles["date"].dtype)
    rows[column] = pd.array(values.to_numpy(), dtype=profiles[column].dtype)
    same_day = (pd.to_datetime(profiles["date"]) == day) & profiles["member_id"].isin(values.index)
    out = pd.concat([profiles.loc[~same_day], rows.astype(profiles.dtypes.to_dict())], ignore_index=True)
    return out.sort_values(["member_id", "date"], kind="mergesort").reset_index(drop=True)


def window_totals(activity: pd.DataFrame, column: str, day, weeks: int, members: pd.Index) -> pd.Series:
    """Each seller's total of ``column`` over the ``7 * weeks`` days up to ``day`` (0 without rows)."""
    dates = pd.to_datetime(activity["date"])
    day = pd.Timestamp(day)
    inside = (dates <= day) & (dates > day - pd.Timedelta(days=7 * weeks))
    if column not in activity:
        return pd.Series(0, index=members, dtype=np.int64)
    values = activity.loc[inside, column].to_numpy(dtype=np.int64, na_value=0)
    sums = pd.Series(values).groupby(activity.loc[inside, "member_id"].to_numpy()).sum()
    return sums.reindex(members, fill_value=0).astype(np.int64)
