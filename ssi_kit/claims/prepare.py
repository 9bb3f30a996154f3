"""Analysis tables for the claims: SSI per seller-period, training pairs, quarterly activity.

A seller's SSI for an outcome period is the mean of their SSI in the ``lookback``
days before ``period_start`` (``start - lookback <= date < start``): SSI is measured
before the outcomes it is compared with.  The SSI is the observed readings (the
``ssi`` table) or the kit's computed score.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..io import Dataset
from ..scoring import score_days
from ..scoring.micro import from_micro
from ..scoring.engine import score_blocks
from ..scoring.features import day_numbers
from .estimators import Untestable

__all__ = ["ssi_readings", "window_mean", "seller_periods", "event_pairs", "did_panel",
           "staggered_panel", "PERIOD_DAYS", "quarter_pairs", "COVARIATES"]

#: Member columns used for covariate adjustment, when present.
COVARIATES = ("tenure_months", "region", "team", "industry")
_SHIFT = np.int64(1) << np.int64(32)
_PAD = 1 << 20


#: Days between computed SSI readings (LinkedIn's own history is read about weekly).
COMPUTED_EVERY = 7


def ssi_readings(dataset: Dataset, source: str, days=None) -> pd.DataFrame:
    """SSI per seller and date: ``observed`` (the ssi table) or ``computed`` (the kit's score).

    Parameters
    ----------
    dataset : Dataset
    source : {"observed", "computed"}
    days : array-like of dates, optional
        Days to score when computing (default: every :data:`COMPUTED_EVERY`-th day
        counted back from the last date, as weekly readings; the windows the claims
        average over are 90 days long, so a daily score would add cost, not
        information).

    Returns
    -------
    pandas.DataFrame
        ``member_id``, ``date``, ``ssi``; computed readings have a categorical
        ``member_id`` and come from :func:`ssi_kit.scoring.engine.score_blocks`
        without ranks or the wide score table, so memory stays linear and small.
    """
    if source == "observed":
        if "ssi" not in dataset:
            raise Untestable("no ssi table (observed readings)")
        return dataset["ssi"][["member_id", "date", "ssi"]]
    if "activity" not in dataset and "profiles" not in dataset:
        raise Untestable("no activity or profiles table to compute SSI from")
    days = score_days(dataset, every=COMPUTED_EVERY) if days is None else days
    scored = score_blocks(dataset, days=days, hold_bytes=0, rank=False)
    ssi = np.concatenate([from_micro(a["ssi"]) for a in scored.arrays])
    n, d = ssi.shape
    return pd.DataFrame({
        "member_id": pd.Categorical.from_codes(np.repeat(np.arange(n), d),
                                               categories=scored.plan.ids.astype(str)),
        "date": np.tile(scored.plan.scored.astype("datetime64[D]").astype("datetime64[ns]"), n),
        "ssi": ssi.ravel()})


def window_mean(readings: pd.DataFrame, member_ids, anchors, lookback: int, *, after: bool = False) -> np.ndarray:
    """Mean reading of each (member, anchor) over ``[anchor - lookback, anchor)``.

    With ``after=True`` the window is ``[anchor, anchor + lookback)``.  NaN where a
    seller has no reading in the window.
    """
    ids, rcode = _reading_codes(readings["member_id"], member_ids)
    keys = rcode * _SHIFT + day_numbers(readings["date"]) + _PAD
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    values = readings["ssi"].to_numpy(dtype=float)[order]
    csum = np.concatenate([[0.0], np.cumsum(values)])
    qcode = ids.get_indexer(np.asarray(member_ids, dtype=object)).astype(np.int64)
    anchor = day_numbers(anchors) + _PAD
    lo_day, hi_day = (anchor, anchor + lookback) if after else (anchor - lookback, anchor)
    lo = np.searchsorted(keys, qcode * _SHIFT + lo_day, side="left")
    hi = np.searchsorted(keys, qcode * _SHIFT + hi_day, side="left")
    count = hi - lo
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, (csum[hi] - csum[lo]) / count, np.nan)


def _reading_codes(readers: pd.Series, member_ids) -> tuple[pd.Index, np.ndarray]:
    """An index of every id (readings' and queried) and each reading's position in it."""
    queried = pd.Index(pd.unique(np.asarray(member_ids, dtype=object)))
    if isinstance(readers.dtype, pd.CategoricalDtype):  # computed readings: no per-row lookup
        cats = pd.Index(readers.cat.categories.astype(object))
        ids = cats.append(queried.difference(cats, sort=False))
        return ids, readers.cat.codes.to_numpy().astype(np.int64)
    ids = pd.Index(pd.unique(np.concatenate([readers.to_numpy(object), queried.to_numpy()])))
    return ids, ids.get_indexer(readers).astype(np.int64)


def seller_periods(dataset: Dataset, readings: pd.DataFrame, lookback: int) -> pd.DataFrame:
    """Outcome rows with the seller's period SSI (``ssi``) and member covariates.

    Rows without any SSI reading in the lookback window are dropped; their count is
    in ``attrs["dropped"]``.
    """
    if "outcomes" not in dataset:
        raise Untestable("no outcomes table")
    out = dataset["outcomes"].copy()
    out["ssi"] = window_mean(readings, out["member_id"], out["period_start"], lookback)
    members = dataset["members"]
    keep = ["member_id"] + [c for c in COVARIATES if c in members.columns]
    out = out.merge(members[keep], on="member_id", how="left", validate="many_to_one")
    dropped = int(out["ssi"].isna().sum())
    out = out[out["ssi"].notna()].reset_index(drop=True)
    out.attrs["dropped"] = dropped
    return out


def _first_events(dataset: Dataset, event: str) -> pd.DataFrame:
    if "events" not in dataset:
        raise Untestable("no events table")
    ev = dataset["events"]
    ev = ev[ev["event"].astype(str) == event]
    if ev.empty:
        raise Untestable(f"no '{event}' events")
    return ev.sort_values(["member_id", "date"]).drop_duplicates("member_id")[["member_id", "date"]]


def event_pairs(dataset: Dataset, readings: pd.DataFrame, event: str, window: int) -> pd.DataFrame:
    """Per seller with ``event``: mean SSI in the window before and after their first such event."""
    ev = _first_events(dataset, event).reset_index(drop=True)
    ev["before"] = window_mean(readings, ev["member_id"], ev["date"], window)
    ev["after"] = window_mean(readings, ev["member_id"], ev["date"], window, after=True)
    return ev.dropna(subset=["before", "after"]).reset_index(drop=True)


def did_panel(dataset: Dataset, readings: pd.DataFrame, event: str, window: int) -> pd.DataFrame:
    """Readings around the events with ``treated_post`` = trained and on/after the event."""
    ev = _first_events(dataset, event)
    lo, hi = ev["date"].min() - pd.Timedelta(days=window), ev["date"].max() + pd.Timedelta(days=window)
    panel = readings[(readings["date"] >= lo) & (readings["date"] < hi)]
    when = panel["member_id"].map(ev.set_index("member_id")["date"])
    panel = panel.assign(trained=when.notna().to_numpy(),
                         treated_post=(when.notna() & (panel["date"] >= when)).to_numpy().astype(float))
    return panel.reset_index(drop=True)


#: Length in days of the staggered DiD's periods (4 weeks: four weekly readings each).
PERIOD_DAYS = 28


def staggered_panel(dataset: Dataset, readings: pd.DataFrame, event: str,
                    period_days: int = PERIOD_DAYS) -> pd.DataFrame:
    """Mean SSI per seller and period, with each seller's cohort, for the staggered DiD.

    Periods are consecutive ``period_days``-day blocks counted from the first reading
    date; an incomplete last block is dropped.  ``cohort`` is the period holding the
    seller's first ``event`` (-1 when they have none, or when it falls after the last
    complete period: such sellers are never trained within the panel; 0 when it falls
    in the first period or before, so they have no base period and serve as nobody's control).

    Returns
    -------
    pandas.DataFrame
        ``member_id``, ``period`` (int), ``ssi``, ``cohort``; ``attrs["period_starts"]``
        holds each period's first day.
    """
    ev = _first_events(dataset, event)
    start = readings["date"].min()
    n_periods = int((readings["date"].max() - start).days + 1) // period_days
    if n_periods < 3:
        raise Untestable(f"fewer than three {period_days}-day periods of SSI readings")
    period = ((readings["date"] - start).dt.days // period_days).to_numpy()
    ids = readings["member_id"].astype(str).to_numpy()
    frame = pd.DataFrame({"member_id": ids, "period": period, "ssi": readings["ssi"].to_numpy(float)})
    frame = frame[frame["period"] < n_periods]
    panel = frame.groupby(["member_id", "period"], sort=True)["ssi"].mean().reset_index()
    when = ev.assign(member_id=ev["member_id"].astype(str)).set_index("member_id")["date"]
    g = ((panel["member_id"].map(when) - start).dt.days // period_days).to_numpy()
    g = np.where(np.isnan(g) | (g >= n_periods), -1, np.maximum(g, 0))  # trained before the data: cohort 0
    panel["cohort"] = g.astype(np.int64)
    panel.attrs["period_starts"] = [start + pd.Timedelta(days=period_days * k) for k in range(n_periods)]
    return panel


def quarter_pairs(dataset: Dataset, column: str) -> tuple[pd.DataFrame, tuple]:
    """Per seller: ``column`` summed over the latest complete quarter and the same quarter a year before.

    Sellers are those with any activity in both quarters.

    Returns
    -------
    pairs : pandas.DataFrame
        Columns ``member_id``, ``earlier``, ``later``.
    quarters : tuple of pandas.Period
        (earlier, later).
    """
    if "activity" not in dataset:
        raise Untestable("no activity table")
    act = dataset["activity"]
    if column not in act.columns:
        raise Untestable(f"activity has no column {column}")
    first, last = act["date"].min(), act["date"].max()
    later = pd.Period(last, freq="Q")
    if later.end_time.normalize() > last:
        later -= 1
    earlier = later - 4
    if earlier.start_time < first:
        raise Untestable(f"the activity table does not cover {earlier} (a year before {later}, "
                         f"the latest complete quarter)")
    quarter = act["date"].dt.to_period("Q")
    values = act[column].astype("Float64").fillna(0).astype(float)
    sums = pd.DataFrame({"member_id": act["member_id"], "q": quarter, "v": values})
    sums = sums[sums["q"].isin([earlier, later])]
    wide = sums.pivot_table(index="member_id", columns="q", values="v", aggfunc="sum", observed=True)
    wide = wide.dropna()
    if earlier not in wide or later not in wide:
        raise Untestable(f"no seller has activity in both {earlier} and {later}")
    pairs = pd.DataFrame({"member_id": wide.index.astype(str), "earlier": wide[earlier].to_numpy(),
                          "later": wide[later].to_numpy()})
    return pairs, (earlier, later)
