"""Checks of the SSI readings (the ``ssi`` table): what validation lets through but looks wrong."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..imports.readings import failed_scrapes
from ..io.schemas import MODELS, PILLARS
from .findings import Thresholds, day, finding, per_seller

__all__ = ["check_readings", "check_duplicates"]

#: LinkedIn's "Top N%" ranks: the seller counts in their group, so 0 is out of range too.
_RANKS = ("industry_top_pct", "network_top_pct")


def check_readings(ssi: pd.DataFrame, limits: Thresholds) -> list[dict]:
    """Every reading check on one ``ssi`` table (duplicates excepted: :func:`check_duplicates`).

    Parameters
    ----------
    ssi : pandas.DataFrame
        The ``ssi`` table (``member_id``, ``date``, ``ssi`` and any pillars and ranks).
    limits : Thresholds

    Returns
    -------
    list of dict
        Finding rows (see :data:`~ssi_kit.quality.findings.FINDING_COLUMNS`).
    """
    readings = (ssi.sort_values(["member_id", "date"], kind="stable")
                .drop_duplicates(["member_id", "date"], keep="first").reset_index(drop=True))
    pillars = [p for p in PILLARS if p in readings.columns]
    zero = failed_scrapes(readings).to_numpy()  # the importers' rule: every value 0 or empty
    out = _failed(readings[zero])
    kept = readings[~zero].reset_index(drop=True)
    out += _out_of_range(kept, pillars)
    out += _pillar_sum(kept, pillars, limits.sum_tolerance)
    out += _jumps(kept, limits.max_daily_change)
    out += _stale(kept, pillars, limits.stale_days)
    out += _gaps(readings, limits)
    return out


def _failed(rows: pd.DataFrame) -> list[dict]:
    return per_seller(rows, "failed_scrape", lambda g: (
        f"{len(g)} reading(s) with SSI, every pillar and both ranks 0 or empty: a failed capture, "
        "not a score."))


def _out_of_range(readings: pd.DataFrame, pillars: list[str]) -> list[dict]:
    hits = {}
    for column in ("ssi", *pillars, *(r for r in _RANKS if r in readings.columns)):
        low, high = _contract_range(column)
        value = readings[column].astype("float64")
        hits[column] = (((value <= low) if column in _RANKS else (value < low)) | (value > high)).fillna(False)
    hits = pd.DataFrame(hits, index=readings.index)
    rows = readings[hits.any(axis=1)]
    return per_seller(rows, "out_of_range", lambda g: (
        f"{len(g)} reading(s) with {', '.join(hits.columns[hits.loc[g.index].any()])} outside its range "
        "(pillars 0-25, SSI 0-100, top % above 0 up to 100)."))


def _contract_range(column: str) -> tuple[float, float]:
    """The contract's bounds of an ``ssi`` column (``ssi_kit.io.schemas.Ssi``)."""
    stats = {}
    for check in MODELS["ssi"].to_schema().columns[column].checks:
        stats.update(check.statistics)
    return stats["min_value"], stats["max_value"]


def _pillar_sum(readings: pd.DataFrame, pillars: list[str], tolerance: float) -> list[dict]:
    if len(pillars) < len(PILLARS):
        return []
    total = readings["ssi"].astype("float64")
    parts = readings[list(PILLARS)].astype("float64")
    complete = parts.notna().all(axis=1)
    gap = (parts.sum(axis=1) - total).abs()
    whole = np.isclose(total, np.round(total), rtol=0, atol=1e-9)
    allowed = np.where(whole, tolerance + 0.5, tolerance)
    rows = readings[complete & (gap > allowed + 1e-9)].assign(_gap=gap)
    return per_seller(rows, "pillar_sum", lambda g: (
        f"{len(g)} reading(s) whose pillars differ from the total by more than rounding "
        f"(up to {g['_gap'].max():.2f} points)."))


def _jumps(readings: pd.DataFrame, max_daily_change: float) -> list[dict]:
    same = readings["member_id"].eq(readings["member_id"].shift())
    days = (readings["date"] - readings["date"].shift()).dt.days
    change = readings["ssi"].astype("float64") - readings["ssi"].astype("float64").shift()
    flagged = same & (change.abs() / days > max_daily_change)
    rows = readings.assign(_prev=readings["date"].shift(), _change=change, _days=days)[flagged]
    out = []
    for member, g in rows.groupby("member_id", sort=True):
        top = g.loc[g["_change"].abs().idxmax()]
        out.append(finding("jump", member, g["_prev"].min(), g["date"].max(), len(g), (
            f"{len(g)} change(s) of more than {max_daily_change:g} points a day between consecutive "
            f"readings (largest {top['_change']:+.1f} points in {int(top['_days'])} day(s), "
            f"{day(top['_prev'])} to {day(top['date'])}).")))
    return out


def _stale(readings: pd.DataFrame, pillars: list[str], stale_days: int) -> list[dict]:
    values = readings[["ssi", *pillars]].astype("float64")
    prev = values.shift()
    unchanged = ((values == prev) | (values.isna() & prev.isna())).all(axis=1)
    unchanged &= readings["member_id"].eq(readings["member_id"].shift())
    run = (~unchanged).cumsum()
    runs = readings.assign(_run=run).groupby("_run", sort=True).agg(
        member_id=("member_id", "first"), first=("date", "min"), last=("date", "max"),
        n=("date", "size"), ssi=("ssi", "first"))
    runs = runs[(runs["n"] >= 2) & ((runs["last"] - runs["first"]).dt.days >= stale_days)]
    return [finding("stale", r.member_id, r.first, r.last, r.n,
                    f"{r.n} readings over {(r.last - r.first).days} days with the same SSI ({r.ssi:g}) "
                    "and pillars: a tracker that stopped updating?")
            for r in runs.itertuples(index=False)]


def _gaps(readings: pd.DataFrame, limits: Thresholds) -> list[dict]:
    same = readings["member_id"].eq(readings["member_id"].shift())
    days = (readings["date"] - readings["date"].shift()).dt.days.where(same)
    median = days.groupby(readings["member_id"]).transform("median")
    flagged = (days > limits.max_gap_days) & (median <= limits.regular_days)
    rows = readings.assign(prev_date=readings["date"].shift(), gap_days=days - 1, usual=median)[flagged]
    return [finding("gap", r.member_id, r.prev_date, r.date, int(r.gap_days),
                    f"no reading for {int(r.gap_days)} days between {day(r.prev_date)} and {day(r.date)}, "
                    f"though this seller is read every {r.usual:g} day(s) otherwise.")
            for r in rows.itertuples(index=False)]


def check_duplicates(table: pd.DataFrame, name: str) -> list[dict]:
    """Findings for the same seller and day twice in ``table`` (``ssi`` or ``activity``).

    A validated dataset has none (its key is unique); a table built in Python may.
    Identical rows are ``duplicate_row``; rows that differ are ``duplicate_conflict``.
    """
    key = ["member_id", "date"]
    dup = table[table.duplicated(key, keep=False)]
    if dup.empty:
        return []
    distinct = dup.drop_duplicates().groupby(key, sort=True).size()
    days = distinct.rename("_versions").reset_index()
    out = []
    for check, part in (("duplicate_conflict", days[days["_versions"] > 1]),
                        ("duplicate_row", days[days["_versions"] == 1])):
        if check == "duplicate_conflict":
            words = "with different values"
        else:
            words = "with the same values"
        out += per_seller(part, check, lambda g, w=words: (
            f"{len(g)} day(s) of the {name} table held twice or more {w}."))
    return out
