"""The report's tables built once from a dataset and handed from notebook to notebook.

Notebook 01 builds a :class:`ReportViews` with :func:`build_views` (what the dataset
supports, LinkedIn's readings, the kit's computed score, how closely one tracks the
other) and writes it into the run folder; notebook 03 reads it back with
:func:`read_views`; the explore notebook builds it in place.  Files written:
``plan.json``, ``scores.csv`` and ``scores.parquet`` (the computed score; no rows
when it cannot be computed), ``readings.parquet`` (when there are readings) and
``tracking.csv`` (when there are both).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import UsageError
from ..io import write_table
from . import readings
from .readings import READINGS_FILE, TRACKING_FILE, ReportPlan

__all__ = ["ReportViews", "build_views", "check_view_days", "read_views", "REPORT_EVERY"]

#: Days between the report's scored days, counted back from ``end`` (notebook 01's ``every``).
REPORT_EVERY = 7


@dataclass
class ReportViews:
    """What a report shows.

    Attributes
    ----------
    plan : ReportPlan
    computed : pandas.DataFrame
        The kit's computed scores (no rows when they cannot be computed).
    observed : pandas.DataFrame or None
        LinkedIn's readings (:func:`ssi_kit.report.readings.observed_scores`).
    tracking : pandas.DataFrame or None
        :func:`ssi_kit.report.readings.tracking`, with both.
    notes : list of str
        Scoring notes (tables missing from the computation).
    """

    plan: ReportPlan
    computed: pd.DataFrame
    observed: pd.DataFrame | None = None
    tracking: pd.DataFrame | None = None
    notes: list = field(default_factory=list)

    @property
    def shown(self) -> pd.DataFrame:
        """The headline's numbers: LinkedIn's readings when there are any, else the computed score."""
        return self.observed if self.plan.observed else self.computed

    def for_team(self, team: str) -> "ReportViews":
        """The views restricted to one team (all of them when ``team`` is empty)."""
        if not team:
            return self

        def keep(frame):
            return None if frame is None else frame[frame["team"].astype(str) == team]
        return ReportViews(self.plan, keep(self.computed), keep(self.observed), self.tracking, self.notes)

    def write(self, folder) -> None:
        """Write the views into the run folder for the notebooks that follow."""
        folder = Path(folder)
        self.plan.write(folder)
        write_table(self.computed, folder / "scores.csv")
        write_table(self.computed, folder / "scores.parquet")
        if self.observed is not None:
            write_table(self.observed, folder / READINGS_FILE)
        if self.tracking is not None:
            write_table(self.tracking, folder / TRACKING_FILE)


def build_views(dataset, *, spec=None, start: str | None = None, end: str | None = None,
                every: int = REPORT_EVERY, warmup: bool = True) -> ReportViews:
    """Build the report's views of ``dataset`` (the kit's score only where it can be computed).

    Parameters
    ----------
    dataset : Dataset
    spec : ScoringSpec, optional
        Default: the spec shipped with ssi-kit.
    start, end : str, optional
        First and last day (``YYYY-MM-DD``) scored, and of the readings shown.
    every : int
        Score every N-th day counted back from ``end``.
    warmup : bool
        Skip the first trailing window of the data when choosing the first day to score.
    """
    from ..scoring import load_spec, score_dataset, score_days

    plan = readings.report_plan(dataset)
    plan.require()
    spec = spec or load_spec()
    observed = _between(readings.observed_scores(dataset), start, end) if plan.observed else None
    if not plan.computed:
        return ReportViews(plan, readings.empty_scores(), observed)
    days = score_days(dataset, start=start, end=end, every=every,
                      warmup_days=spec.window_days if warmup else 0, spec=spec)
    computed = score_dataset(dataset, spec=spec, days=days)
    views = ReportViews(plan, computed, observed, notes=list(computed.attrs.get("notes", ())))
    if observed is not None:
        both = _reading_days(observed, days)
        on_readings = score_dataset(dataset, spec=spec, days=both) if len(both) else computed.iloc[:0]
        views.tracking = readings.tracking(on_readings, observed)
    return views


def check_view_days(dataset, parameters: dict) -> None:
    """Check the report's days (``start``, ``end``, ``every``) before any notebook runs.

    ``start`` must not be after ``end``; when the kit's score can be computed, the
    days must pass :func:`ssi_kit.scoring.score_days`'s checks (within the data's
    span widened by the scoring window, a score table that fits in memory).

    Parameters
    ----------
    dataset : Dataset
    parameters : dict
        The report's checked parameters (``start``, ``end``, ``every``, ``warmup``, ``spec``).

    Raises
    ------
    UsageError
        Naming the parameters at fault.
    """
    from ..scoring import load_spec, score_days

    start, end = parameters.get("start") or None, parameters.get("end") or None
    if start and end and start > end:  # ISO dates compare as text
        raise UsageError(f"Parameters start and end: start {start} is after end {end}.")
    if not readings.report_plan(dataset).computed:
        return
    spec = load_spec(parameters.get("spec") or None)
    score_days(dataset, start=start, end=end, every=parameters.get("every", REPORT_EVERY),
               warmup_days=spec.window_days if parameters.get("warmup", True) else 0, spec=spec)


def _between(frame: pd.DataFrame, start, end) -> pd.DataFrame:
    """The readings from ``start`` to ``end``; a span with none is a usage error."""
    keep = np.ones(len(frame), dtype=bool)
    if start:
        keep &= (frame["date"] >= pd.Timestamp(start)).to_numpy()
    if end:
        keep &= (frame["date"] <= pd.Timestamp(end)).to_numpy()
    if not keep.any():
        raise UsageError(f"No readings of LinkedIn's from start {start or '(first date)'} to end "
                         f"{end or '(last date)'}: the ssi table's dates run from "
                         f"{frame['date'].min().date()} to {frame['date'].max().date()}.")
    return frame[keep].reset_index(drop=True)


def _reading_days(observed: pd.DataFrame, days) -> np.ndarray:
    """The readings' days within the span of the scored days (the score needs its warm-up)."""
    read = np.unique(observed["date"].to_numpy().astype("datetime64[D]"))
    days = np.asarray(days, dtype="datetime64[D]")
    return read[(read >= days.min()) & (read <= days.max())] if len(days) else read[:0]


def read_views(folder, team: str = "") -> ReportViews:
    """The views notebook 01 wrote into ``folder`` (one team's when ``team`` is given)."""
    folder = Path(folder)
    plan = readings.read_plan(folder)
    observed = pd.read_parquet(folder / READINGS_FILE) if plan.observed else None
    tracking = pd.read_csv(folder / TRACKING_FILE) if (folder / TRACKING_FILE).exists() else None
    return ReportViews(plan, pd.read_parquet(folder / "scores.parquet"), observed, tracking).for_team(team)
