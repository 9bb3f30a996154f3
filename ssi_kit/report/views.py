"""The report's tables built once from a dataset and handed from notebook to notebook.

Notebook 01 and the explore notebook run :func:`report_views`: the kit's score is
computed and written by the one scoring job, :func:`ssi_kit.jobs.score_to_dir`, then
:func:`build_views` adds what the dataset supports, LinkedIn's readings and how closely
the computed score tracks them; a ``team`` keeps one team's rows
(:meth:`ReportViews.for_team`), and everything is written into the run folder.
Notebook 03 reads it back with :func:`read_views` (the run's rows: one team's in a
team run).

Files written: ``plan.json``, ``scope.json`` (:class:`ReportScope`: the team shown and
the sections that stay organisation-wide), ``scores.csv`` and ``scores.parquet`` (the
computed score; no rows when it cannot be computed), ``readings.parquet`` (when there
are readings), and with both ``tracking_scores.parquet`` (the computed score on the
readings' days) and ``tracking.csv`` (computed from it over the run's sellers).

Ranks (``team_top_pct``, ``industry_top_pct``, ``network_top_pct``) are computed over
the whole organisation before a team is kept, so a seller's rank does not depend on the
report's filter.  A team run of a batch reads the organisation's views from an earlier
run's folder (``reuse``, see :func:`ssi_kit.report.execute.check_reuse`) instead of
scoring again, and copies its claims (:func:`reuse_claims`).
"""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import UsageError
from ..io import write_table
from . import readings
from .readings import READINGS_FILE, TRACKING_FILE, ReportPlan

__all__ = ["ReportViews", "ReportScope", "report_views", "build_views", "check_view_days", "read_views",
           "reuse_claims",
           "REPORT_EVERY", "ORGANISATION_WIDE", "SCOPE_FILE", "TRACKING_SCORES_FILE", "CLAIMS_FILES"]

#: Days between the report's scored days, counted back from ``end`` (notebook 01's ``every``).
REPORT_EVERY = 7
#: Sections computed over the whole organisation even in a team run: the claims (with their
#: power, specification curve and notes) are tested on every seller; see :class:`ReportScope`.
ORGANISATION_WIDE = ("claims",)
#: Files notebook 01 writes besides ``plan.json`` and the score tables.
SCOPE_FILE, TRACKING_SCORES_FILE = "scope.json", "tracking_scores.parquet"
#: The files of notebook 02 (:func:`ssi_kit.jobs.claims_to_dir`), copied by :func:`reuse_claims`.
CLAIMS_FILES = ("claims.csv", "claims.json", "specifications.csv", "event_study.csv")
#: Categorical columns whose levels are a fixed scale (kept whole when a team is kept).
_SCALES = ("tier", "band")
_TRACKED = ("member_id", "date", "team", "brand", "people", "insights", "relationships", "ssi")


@dataclass(frozen=True)
class ReportScope:
    """Whom a report's sections cover: one team, or the whole organisation.

    Attributes
    ----------
    team : str
        The team shown ("" for the whole organisation).
    organisation_wide : tuple of str
        Sections computed over the whole organisation even in a team run
        (:data:`ORGANISATION_WIDE`: ``"claims"``).
    ranks_within : str
        Among whom the kit's ranks are computed: ``"organisation"`` (before a team is kept).
    """

    team: str = ""
    organisation_wide: tuple = ORGANISATION_WIDE
    ranks_within: str = "organisation"

    def is_organisation_wide(self, section: str) -> bool:
        """Whether ``section`` covers more sellers than the team shown (always False without a team)."""
        return bool(self.team) and section in self.organisation_wide

    def note(self, section: str) -> str | None:
        """A plain sentence saying ``section`` covers the whole organisation in a team run, else None.

        The sentence holds the team's name as given: pass it through
        :func:`ssi_kit.report.display.md_text` before showing it as Markdown.
        """
        if not self.is_organisation_wide(section):
            return None
        return (f"This section covers the whole organisation, not team {self.team} alone: the "
                "claims are tested on every seller, so that one team's few sellers do not decide them.")

    def write(self, folder) -> Path:
        """Write ``scope.json`` into ``folder``."""
        path = Path(folder) / SCOPE_FILE
        text = json.dumps({"team": self.team, "organisation_wide": list(self.organisation_wide),
                           "ranks_within": self.ranks_within})
        path.write_text(text + "\n", encoding="utf-8")
        return path

    @classmethod
    def read(cls, folder) -> "ReportScope":
        """The scope written into ``folder`` (the whole organisation when there is no ``scope.json``)."""
        path = Path(folder) / SCOPE_FILE
        if not path.is_file():
            return cls()
        raw = json.loads(path.read_text(encoding="utf-8"))
        return cls(str(raw.get("team", "")), tuple(raw.get("organisation_wide", ORGANISATION_WIDE)),
                   str(raw.get("ranks_within", "organisation")))


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
    tracking_scores : pandas.DataFrame or None
        The kit's computed score on the readings' days (what :attr:`tracking` is computed from).
    scope : ReportScope
        The team shown and the sections that stay organisation-wide.
    """

    plan: ReportPlan
    computed: pd.DataFrame
    observed: pd.DataFrame | None = None
    tracking: pd.DataFrame | None = None
    notes: list = field(default_factory=list)
    tracking_scores: pd.DataFrame | None = None
    scope: ReportScope = field(default_factory=ReportScope)

    @property
    def shown(self) -> pd.DataFrame:
        """The headline's numbers: LinkedIn's readings when there are any, else the computed score."""
        return self.observed if self.plan.observed else self.computed

    def for_team(self, team: str) -> "ReportViews":
        """The views restricted to one team (all of them when ``team`` is empty).

        Every table keeps the team's rows only; levels of categorical columns no kept
        row uses (other teams, industries, sellers) are dropped, except the fixed
        scales ``tier`` and ``band``; :attr:`tracking` is computed again over the
        team's sellers.  Ranks are left as computed over the whole organisation.
        """
        if not team:
            return self
        observed, paired = _keep_team(self.observed, team), _keep_team(self.tracking_scores, team)
        tracked = None if paired is None or observed is None else readings.tracking(paired, observed)
        return ReportViews(self.plan, _keep_team(self.computed, team), observed, tracked, list(self.notes),
                           paired, ReportScope(team, self.scope.organisation_wide, self.scope.ranks_within))

    def write(self, folder, *, scores: bool = True) -> None:
        """Write the views into the run folder for the notebooks that follow.

        ``scores=False`` leaves out ``scores.csv`` and ``scores.parquet``, when
        :func:`ssi_kit.jobs.score_to_dir` wrote them there (see :func:`report_views`).
        """
        folder = Path(folder)
        self.plan.write(folder)
        self.scope.write(folder)
        if scores:
            write_table(self.computed, folder / "scores.csv")
            write_table(self.computed, folder / "scores.parquet")
        if self.observed is not None:
            write_table(self.observed, folder / READINGS_FILE)
        if self.tracking_scores is not None:
            write_table(self.tracking_scores, folder / TRACKING_SCORES_FILE)
        if self.tracking is not None:
            write_table(self.tracking, folder / TRACKING_FILE)


def _keep_team(frame: pd.DataFrame | None, team: str) -> pd.DataFrame | None:
    """``frame``'s rows of ``team``, without the categorical levels no kept row uses."""
    if frame is None:
        return None
    kept = frame[(frame["team"].astype(str) == team).to_numpy()].reset_index(drop=True)
    for col in kept.columns:
        if isinstance(kept[col].dtype, pd.CategoricalDtype) and col not in _SCALES:
            kept[col] = kept[col].cat.remove_unused_categories()
    return kept


def report_views(dataset_dir, out_dir, *, spec: str = "", start: str = "", end: str = "",
                 every: int = REPORT_EVERY, warmup: bool = True, team: str = "", engine: str = "pandas",
                 scheduler: str = "", trusted: str = "", reuse: str = "") -> ReportViews:
    """Notebook 01's step (and the explore notebook's): score, build and write a run's views.

    The kit's score is written into ``out_dir`` by :func:`ssi_kit.jobs.score_to_dir`
    (``scores.csv`` and ``scores.parquet``, one team's rows in a team run, ranks
    over the whole organisation) and read back; :func:`build_views` adds the
    readings and the tracking; the views of ``team`` are written into ``out_dir``.
    Parameters are the notebook's (empty text: the default).

    Parameters
    ----------
    reuse : str
        A folder holding the organisation's views for these parameters (a batch's
        shared stage): they are read from it instead of computed again.
    trusted : str
        A JSON file of the digests of table files already validated
        (see :func:`ssi_kit.io.load_dataset`).

    Returns
    -------
    ReportViews
        The views of ``team`` (of the organisation without one), as written.
    """
    from ..io import load_dataset
    from ..jobs import score_to_dir
    from ..scoring import load_spec

    if reuse:
        views = read_views(reuse).for_team(team)
        views.write(out_dir)
        return views
    dataset = load_dataset(dataset_dir, trusted=trusted or None)
    scoring_spec = load_spec(spec or None)
    run = None
    if readings.report_plan(dataset).computed:
        run = score_to_dir(dataset_dir, out_dir, spec=scoring_spec, start=start or None, end=end or None,
                           every=every, warmup=warmup, team=team or None, formats=("csv", "parquet"),
                           engine=engine, scheduler=scheduler or None, trusted=trusted or None)
    views = build_views(dataset, scores=run, spec=scoring_spec, start=start or None,
                        end=end or None).for_team(team)
    views.write(out_dir, scores=run is None)
    return views


def build_views(dataset, *, scores=None, spec=None, start: str | None = None, end: str | None = None,
                every: int = REPORT_EVERY, warmup: bool = True) -> ReportViews:
    """Build the report's views of ``dataset`` (the kit's score only where it can be computed).

    Parameters
    ----------
    dataset : Dataset
    scores : ssi_kit.jobs.ScoreResult, optional
        The kit's scores as :func:`ssi_kit.jobs.score_to_dir` wrote them (its
        ``scores.parquet`` is read back; its days are the days scored).  Without
        it, a dataset already in memory is scored here on the days ``start``,
        ``end``, ``every`` and ``warmup`` choose
        (:func:`ssi_kit.scoring.days.choose_days`).
    spec : ScoringSpec, optional
        Default: the spec shipped with ssi-kit.
    start, end : str, optional
        First and last day (``YYYY-MM-DD``) scored, and of the readings shown.
    every : int
        Score every N-th day counted back from ``end`` (without ``scores``).
    warmup : bool
        Skip the first trailing window of the data when choosing the first day to
        score (without ``scores``).
    """
    from ..scoring import load_spec, score_dataset
    from ..scoring.days import choose_days

    plan = readings.report_plan(dataset)
    plan.require()
    spec = spec or load_spec()
    observed = _between(readings.observed_scores(dataset), start, end) if plan.observed else None
    if not plan.computed:
        return ReportViews(plan, readings.empty_scores(), observed)
    if scores is None:
        days = choose_days(dataset, spec, start=start, end=end, every=every, warmup=warmup)
        computed = score_dataset(dataset, spec=spec, days=days)
        notes = list(computed.attrs.get("notes", ()))
    else:
        days, notes = scores.days, list(scores.notes)
        computed = pd.read_parquet(scores.paths["parquet"])
    views = ReportViews(plan, computed, observed, notes=notes)
    if observed is not None:
        both = _reading_days(observed, days)
        on_readings = score_dataset(dataset, spec=spec, days=both) if len(both) else computed.iloc[:0]
        views.tracking_scores = on_readings[[c for c in _TRACKED if c in on_readings.columns]]
        views.tracking = readings.tracking(views.tracking_scores, observed)
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
    from ..scoring import load_spec
    from ..scoring.days import choose_days

    start, end = parameters.get("start") or None, parameters.get("end") or None
    if start and end and start > end:  # ISO dates compare as text
        raise UsageError(f"Parameters start and end: start {start} is after end {end}.")
    if not readings.report_plan(dataset).computed:
        return
    spec = load_spec(parameters.get("spec") or None)
    choose_days(dataset, spec, start=start, end=end, every=parameters.get("every", REPORT_EVERY),
                warmup=parameters.get("warmup", True))


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
    """The views notebook 01 wrote into ``folder``: what the run shows.

    Parameters
    ----------
    folder : path-like
        A run folder (or a batch's shared stage).
    team : str
        Keep only this team (:meth:`ReportViews.for_team`).  Not needed for a team
        run's folder: notebook 01 wrote the team's rows only (see :attr:`ReportViews.scope`).
    """
    folder = Path(folder)
    plan = readings.read_plan(folder)
    observed = pd.read_parquet(folder / READINGS_FILE) if plan.observed else None
    tracking = pd.read_csv(folder / TRACKING_FILE) if (folder / TRACKING_FILE).exists() else None
    paired = pd.read_parquet(folder / TRACKING_SCORES_FILE) if (folder / TRACKING_SCORES_FILE).exists() else None
    views = ReportViews(plan, pd.read_parquet(folder / "scores.parquet"), observed, tracking,
                        tracking_scores=paired, scope=ReportScope.read(folder))
    return views.for_team(team) if team and team != views.scope.team else views


def reuse_claims(source, folder) -> None:
    """Copy the claims results of an organisation-wide run (``source``) into ``folder``.

    A team run of a batch does not test the claims again: they are organisation-wide
    (:data:`ORGANISATION_WIDE`), so the batch's shared stage tested them once.

    Raises
    ------
    UsageError
        When ``source`` lacks one of :data:`CLAIMS_FILES`.
    """
    source, folder = Path(source), Path(folder)
    missing = [name for name in CLAIMS_FILES if not (source / name).is_file()]
    if missing:
        raise UsageError(f"Cannot reuse the claims of {source}: it has no {', '.join(missing)} "
                         "(expected an organisation-wide run whose claims notebook ran).")
    folder.mkdir(parents=True, exist_ok=True)
    for name in CLAIMS_FILES:
        shutil.copyfile(source / name, folder / name)
