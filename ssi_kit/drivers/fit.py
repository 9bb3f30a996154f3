"""Fit the within-seller drivers model: :func:`fit_drivers`."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..exceptions import UsageError
from ..io.dataset import Dataset
from ..io.schemas import PILLARS
from ..scoring.spec import ScoringSpec, load_spec
from .panel import day_numbers, demean, fit_within, window_sums
from .results import DriversResult, driver_table
from .specview import activity_columns, spec_marginals

__all__ = ["fit_drivers", "MIN_SELLERS", "MIN_DF"]

#: Fewest sellers with at least two readings a fit takes (clusters).
MIN_SELLERS = 10
#: Fewest residual degrees of freedom (readings - sellers - regressors) a fit takes.
MIN_DF = 10


def fit_drivers(dataset: Dataset, *, spec: ScoringSpec | None = None, weeks: int = 4,
                pillars: bool = True, per: float = 10.0) -> DriversResult:
    """Which activity moves the observed SSI (and each pillar) within a seller.

    For each reading (seller, day) of the ``ssi`` table, each activity column the
    spec reads is summed over the ``weeks`` weeks up to the day (the day
    included).  The observed SSI, and each pillar the readings carry, is
    regressed on these sums with seller fixed effects (within transformation)
    and errors clustered by seller (:func:`ssi_kit.drivers.panel.fit_within`).
    Beside each estimate: the spec's marginal points for the same change at the
    median reading (:func:`ssi_kit.drivers.specview.spec_marginals`).

    Parameters
    ----------
    dataset : Dataset
        With ``ssi`` readings and ``activity``.
    spec : ScoringSpec, optional
        The spec whose activity columns are the regressors and whose view is
        shown; default the shipped spec.
    weeks : int
        Weeks of activity before each reading (1 to 52).
    pillars : bool
        Also fit each pillar the readings carry.
    per : float
        Estimates are points per ``per`` units of a column (default 10).

    Returns
    -------
    DriversResult

    Raises
    ------
    UsageError
        Without readings or activity, with an invalid ``weeks`` or ``per``, or
        with fewer than :data:`MIN_SELLERS` sellers or too few readings.
    """
    spec = spec or load_spec()
    _check_options(weeks, per)
    readings, activity, columns = _inputs(dataset, spec, weeks)
    notes = []
    first, last = day_numbers(activity["date"]).min(), day_numbers(activity["date"]).max()
    day = day_numbers(readings["date"])
    inside = (day - 7 * weeks + 1 >= first) & (day <= last)
    if not inside.all():
        notes.append(f"{int((~inside).sum())} readings whose {weeks}-week window is not within the activity "
                     "table's span were left out.")
    readings, day = readings[inside].reset_index(drop=True), day[inside]
    x = window_sums(activity, readings["member_id"], day, columns, 7 * weeks) / per
    outcomes = ["ssi"] + ([p for p in PILLARS if p in readings and readings[p].notna().any()] if pillars else [])
    used = readings["ssi"].notna().to_numpy()
    view = spec_marginals(spec, activity, readings["member_id"][used], day[used], columns, outcomes) * per
    rows = []
    for outcome in outcomes:
        rows += _fit_outcome(readings, x, columns, outcome, view[outcome], notes, dataset)
    return DriversResult(table=driver_table(rows), weeks=weeks, per=per, spec_source=spec.source,
                         notes=tuple(dict.fromkeys(notes)))


def _check_options(weeks, per) -> None:
    if isinstance(weeks, bool) or not isinstance(weeks, (int, np.integer)) or not 1 <= weeks <= 52:
        raise UsageError(f"weeks: expected a whole number of weeks from 1 to 52, got {weeks!r}.")
    if isinstance(per, bool) or not isinstance(per, (int, float)) or not np.isfinite(per) or per <= 0:
        raise UsageError(f"per: expected a positive number of units, got {per!r}.")


def _inputs(dataset: Dataset, spec: ScoringSpec, weeks: int):
    """The readings, the activity table and the columns regressed on, or a UsageError."""
    what = "the drivers model (readings regressed on recent activity)"
    for table, content in (("ssi", "LinkedIn SSI readings (member_id, date, ssi)"),
                           ("activity", "daily activity counts")):
        if table not in dataset:
            where = dataset.path or "the dataset"
            raise UsageError(f"{where}: no {table} table; {what} needs {content}.")
    readings = dataset["ssi"]
    file = dataset.files.get("ssi", "the ssi table")
    if readings["ssi"].notna().sum() == 0:
        raise UsageError(f"{file}, column 'ssi': no readings; {what} needs observed SSI values.")
    activity = dataset["activity"]
    if activity.empty:
        raise UsageError(f"{dataset.files.get('activity', 'the activity table')}: no rows; {what} "
                         "needs daily activity counts.")
    columns = tuple(c for c in activity_columns(spec) if c in activity.columns)
    if not columns:
        raise UsageError(f"{spec.source}: no input reads an activity column; {what} needs one.")
    return readings, activity, columns


def _fit_outcome(readings, x, columns, outcome, view, notes, dataset) -> list[dict]:
    """Rows of the table for one outcome (drops singleton sellers and constant columns)."""
    y = readings[outcome].to_numpy(dtype=float, na_value=np.nan)
    ids = readings["member_id"].to_numpy(dtype=object)
    keep = ~np.isnan(y)
    counts = pd.Series(ids[keep]).value_counts()
    keep &= pd.Series(ids).map(counts).fillna(0).to_numpy() >= 2
    y, xs, ids = y[keep], x[keep], ids[keep]
    codes = pd.factorize(pd.Series(ids), sort=True)[0]
    varies = _within_varies(xs, codes)
    if not varies.all():
        notes.append("no within-seller variation, left out: "
                     + ", ".join(c for c, v in zip(columns, varies) if not v) + ".")
    n, g, k = len(y), len(set(codes)), int(varies.sum())
    file = dataset.files.get("ssi", "the ssi table")
    if g < MIN_SELLERS:
        raise UsageError(f"{file}, column '{outcome}': {g} sellers with at least two readings inside the "
                         f"activity span; the drivers model needs at least {MIN_SELLERS}.")
    if n - g - k < MIN_DF or k == 0:
        raise UsageError(f"{file}, column '{outcome}': {n} readings of {g} sellers for {k} activity columns; "
                         f"expected at least {g + k + MIN_DF} (sellers + columns + {MIN_DF}).")
    fit = fit_within(y, xs[:, varies], ids)
    ci, p = fit.conf_int(), fit.p_values()
    rows = []
    for j, column in enumerate(c for c, v in zip(columns, varies) if v):
        spec_value = float(view[column])
        rows.append({"outcome": outcome, "column": column, "estimate": fit.params[j],
                     "std_error": fit.bse[j], "ci_low": ci[j, 0], "ci_high": ci[j, 1], "p_value": p[j],
                     "spec_view": spec_value, "disagrees": not ci[j, 0] <= spec_value <= ci[j, 1],
                     "n_readings": n, "n_sellers": g})
    return rows


def _within_varies(x: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Per column: whether any seller's values differ from that seller's mean."""
    if not len(x):
        return np.zeros(x.shape[1], dtype=bool)
    return np.abs(demean(x, codes)).max(axis=0) > 1e-9 * np.maximum(np.abs(x).max(axis=0), 1.0)
