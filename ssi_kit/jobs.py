"""One function per command: load the input, compute, write the output atomically.

The command line (:mod:`ssi_kit.cli`) only parses arguments and calls one of these.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .exceptions import UsageError
from .io import load_dataset, write_dataset, write_table
from .io.atomic import LOCK_NAME, atomic_files, check_out_dir, check_replaceable
from .io.cells import for_spreadsheets
from .io.dataset import check_dataset_folder
from .limits import MAX_EVERY, MAX_RESAMPLES, MAX_SEED, MAX_WORKERS, check_whole
from .io.stream import write_blocks
from .io.teams import check_team
from .scoring import ScoringSpec, load_spec
from .scoring.days import choose_days
from .scoring.engines import DISTRIBUTED, get_engine

__all__ = ["score_to_dir", "ScoreResult", "SCORE_FORMATS", "simulate_to_dir", "claims_to_dir", "check_to_dir"]

log = logging.getLogger("ssi_kit")

#: Formats of the score table: ``OUT/scores.csv`` (a CSV for people) and ``OUT/scores.parquet``.
SCORE_FORMATS = ("csv", "parquet")


@dataclass(frozen=True)
class ScoreResult:
    """What :func:`score_to_dir` wrote.

    Attributes
    ----------
    paths : dict of str to pathlib.Path
        The score table written in each format (``{"csv": OUT/scores.csv}``).
    days : numpy.ndarray of datetime64[D]
        The days scored.
    notes : tuple of str
        What was missing and therefore scored 0.
    rows : int
        Rows of each table written (one team's in a team run).
    """

    paths: dict
    days: np.ndarray
    notes: tuple
    rows: int

    @property
    def path(self) -> Path:
        """The table of the first format asked for."""
        return next(iter(self.paths.values()))


def score_to_dir(dataset_dir, out, *, spec=None, start=None, end=None, every: int = 1, warmup: bool = False,
                 team: str | None = None, formats=("csv",), engine: str = "pandas", scheduler=None,
                 workers: int | None = None, trusted=None, progress=None) -> ScoreResult:
    """Load a dataset folder, score it and write ``OUT/scores.csv`` (and/or ``.parquet``), streaming.

    The one scoring job: ``ssi-kit score``, notebook 01 and the explore notebook
    run it.  Only the tables and columns the spec reads are loaded (and
    ``connections``, for the network ranks); the score table is written block
    by block of sellers, never held whole, on every engine.

    Parameters
    ----------
    dataset_dir : path-like
        Dataset directory (validated first; nothing is written when invalid).
    out : path-like
        Output directory; created if needed.  Other files in it are kept.
    spec : path-like or ScoringSpec, optional
        A scoring spec (YAML path or parsed); default the shipped spec.
    start, end : str, optional
        First and last day to score (ISO dates); default the dataset's span.
    every : int
        Score every N-th day counted back from ``end``.
    warmup : bool
        With no ``start``, skip the spec's first trailing window of the data
        (see :func:`ssi_kit.scoring.days.choose_days`).  The command line's
        defaults are ``every=1, warmup=False``; the report's notebooks pass
        ``every=7, warmup=True``.
    team : str, optional
        Keep this team's rows in every table written; ranks stay computed over
        the whole organisation.
    formats : str or sequence of {"csv", "parquet"}
        Tables to write (each streamed from the scores in turn).
    engine : str
        One of :data:`ssi_kit.scoring.engines.ENGINES`: ``pandas`` scores block
        by block in this process; ``dask`` runs the blocks on a Dask cluster
        (same results, see docs/scaling.md).
    scheduler : str, optional
        Scheduler address of a distributed engine; default a local cluster.
    workers : int, optional
        Workers of a distributed engine's local cluster.
    trusted : mapping or path-like, optional
        Digests of table files already validated (see :func:`ssi_kit.io.load_dataset`).
    progress : callable, optional
        Progress reporter (see :class:`ssi_kit.progress.Progress`).

    Returns
    -------
    ScoreResult

    Raises
    ------
    UsageError
        For an unknown engine or format, ``scheduler`` or ``workers`` without a
        distributed engine, or days that cannot be scored; before any work.
    """
    formats = _check_score_options(formats, every, engine, scheduler, workers)
    check_out_dir(out)  # a file in the way is refused before any work
    step = progress or (lambda *_: None)
    scoring_spec = spec if isinstance(spec, ScoringSpec) else load_spec(spec)
    needed = ("members", *sorted(scoring_spec.tables_used() | {"connections"}))  # + network ranks
    runner = get_engine(engine)
    step("reading")
    if team:  # from the members table alone, before the big tables are read
        members = load_dataset(dataset_dir, tables=["members"], columns={"members": ["team"]}, trusted=trusted)
        check_team(members["members"], team, label="Team")
    with runner.session(scheduler, workers):
        dataset = runner.load(dataset_dir, tables=needed, columns=scoring_spec.columns_used(), trusted=trusted)
        days = choose_days(dataset, scoring_spec, start=start, end=end, every=every, warmup=warmup)
        scores = runner.score(dataset, spec=scoring_spec, days=days, progress=step)
        for note in scores.notes:
            log.warning("note: %s", note)
        paths, rows = {}, 0
        for fmt in formats:
            paths[fmt] = Path(out) / f"scores.{fmt}"
            rows = _write_scores(scores, paths[fmt], step, team)
    return ScoreResult(paths, days, tuple(scores.notes), rows)


def _check_score_options(formats, every, engine, scheduler, workers) -> tuple[str, ...]:
    """The formats asked for, after checking every option of :func:`score_to_dir`."""
    formats = (formats,) if isinstance(formats, str) else tuple(formats)
    if not formats or any(f not in SCORE_FORMATS for f in formats):
        raise UsageError(f"Score formats must be among {', '.join(SCORE_FORMATS)} "
                         f"(got {', '.join(map(str, formats)) or 'none'}).")
    check_whole(every, 1, MAX_EVERY, "every")
    if workers is not None:
        check_whole(workers, 1, MAX_WORKERS, "workers")
    if not get_engine(engine).distributed and (scheduler or workers):
        raise UsageError(f"--scheduler and --workers (scheduler, workers) need a distributed engine: "
                         f"--engine {' or '.join(DISTRIBUTED)}.")
    return tuple(dict.fromkeys(formats))


def _write_scores(scores, path: Path, step, team) -> int:
    """Stream the score table into ``path`` block by block; the rows written."""
    total = len(scores.blocks)

    def counted():
        for k, frame in enumerate(scores.frames(team), start=1):
            yield frame if path.suffix == ".parquet" else for_spreadsheets(frame)  # a CSV for people
            step("writing", k, total)
    return write_blocks(counted(), path)


def simulate_to_dir(out, config, *, fmt="csv", force: bool = False, readings_spec=None,
                    readings_noise: float = 0.6) -> Path:
    """Simulate a dataset and write it (with ``truth.json``) to ``out`` atomically.

    Parameters
    ----------
    out : path-like
        Target directory; an existing non-empty one is replaced only with ``force``,
        and only when it is an earlier output of the simulator (its ``truth.json``
        and tables, nothing else).  Never the current folder, one above it or home.
    config : ssi_kit.simulate.SimulationConfig
    fmt : {"csv", "parquet"} or mapping of table name to format
    force : bool
    readings_spec : path-like or ScoringSpec, optional
        Draw the ``ssi`` readings from this scoring spec applied to the simulated
        activity, plus ``readings_noise`` points of noise per pillar
        (:func:`ssi_kit.simulate.readings.readings_from_spec`): readings of a formula
        the kit is not given, to test ``ssi-kit calibrate``.  The claims' planted
        effects then hold for the latent SSI, not for these readings (truth.json says so).
    readings_noise : float
        Standard deviation of that noise, points per pillar.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    UsageError
        When ``out`` may not be replaced; checked before anything is simulated.
    """
    from .simulate import simulate_dataset

    check_out_dir(check_replaceable(out))  # before any work: the swap would fail only at the end
    if force:
        _check_simulation_folder(Path(out))
    drawn = None if readings_spec is None else (
        readings_spec if isinstance(readings_spec, ScoringSpec) else load_spec(readings_spec))
    sim = simulate_dataset(config)
    tables, truth = dict(sim.tables), dict(sim.truth)
    if drawn is not None:
        from .simulate.readings import readings_from_spec

        tables["ssi"] = readings_from_spec(tables, drawn, every=config.ssi_every, noise=readings_noise,
                                           seed=config.seed)
        truth["readings"] = {"spec": drawn.source, "noise": readings_noise,
                             "note": "readings drawn from this spec; the planted claim effects hold for "
                                     "the latent SSI, not for these readings"}
    text = json.dumps(truth, indent=2, sort_keys=True, default=str) + "\n"
    return write_dataset(tables, out, fmt=fmt, replace=force, extra_files={TRUTH_FILE: text})


#: The simulator's record in its output folder; ``--force`` replaces only a folder holding one.
TRUTH_FILE = "truth.json"
_TRUTH_KEYS = {"config": dict, "effects": dict, "claims": dict, "periods": list}
_MAX_TRUTH_BYTES = 16 << 20


def _check_simulation_folder(out: Path) -> None:
    """Refuse to replace a non-empty ``out`` that is not provably an earlier simulator output.

    It must hold the simulator's ``truth.json`` (a JSON object with its sections)
    and nothing but table files, ``truth.json`` and the lock file.
    """
    if not out.is_dir() or out.is_symlink() or not any(p.name != LOCK_NAME for p in out.iterdir()):
        return
    check_dataset_folder(out, {TRUTH_FILE})
    problem = _truth_problem(out / TRUTH_FILE)
    if problem:
        raise UsageError(f"{out} is not the output of ssi-kit simulate ({problem}); it may be a real "
                         "dataset, and simulate --force replaces only a folder it wrote itself: choose "
                         "another --out, or remove that folder yourself if you mean to replace it.")


def _truth_problem(path: Path) -> str | None:
    """Why ``path`` is not the simulator's truth file, or None when it is."""
    if not path.is_file() or path.is_symlink():
        return f"it has no {TRUTH_FILE}, the simulator's record"
    if path.stat().st_size > _MAX_TRUTH_BYTES:
        return f"its {TRUTH_FILE} is larger than the simulator writes"
    try:
        truth = json.loads(path.read_bytes())
    except (ValueError, RecursionError):
        return f"its {TRUTH_FILE} is not valid JSON"
    if not isinstance(truth, dict) or any(not isinstance(truth.get(k), t) for k, t in _TRUTH_KEYS.items()):
        return f"its {TRUTH_FILE} lacks the simulator's sections ({', '.join(_TRUTH_KEYS)})"
    return None


def claims_to_dir(dataset_dir, out, *, claims=None, ssi_source: str = "auto", seed: int = 0,
                  n_resamples: int = 2000, progress=None, trusted=None):
    """Test the claims registry on a dataset; write ``claims.csv``, ``claims.json``, ``specifications.csv``,
    ``event_study.csv``.

    Parameters
    ----------
    dataset_dir : path-like
        Dataset directory (validated first; nothing is written when invalid).
    out : path-like
        Output directory; created if needed.  The three files are replaced together;
        other files in it are kept.
    claims : path-like, optional
        A claims registry YAML; default the shipped registry
        (:func:`ssi_kit.claims.registry.default_claims_path`).
    ssi_source : {"auto", "observed", "computed"}
    seed, n_resamples : int
        Bootstrap seed and resamples.
    progress : callable, optional
    trusted : mapping or path-like, optional
        Digests of table files already validated, which are not validated again
        (see :func:`ssi_kit.io.load_dataset`; the report passes its manifest).

    Returns
    -------
    ssi_kit.claims.ClaimsReport
    """
    from .claims import evaluate_claims, load_claims

    check_whole(seed, 0, MAX_SEED, "seed")
    check_whole(n_resamples, 1, MAX_RESAMPLES, "n_resamples")
    check_out_dir(out)  # a file in the way is refused before any work
    step = progress or (lambda _: None)
    registry = load_claims(claims)
    step("reading")
    dataset = load_dataset(dataset_dir, trusted=trusted)
    step("testing claims")
    report = evaluate_claims(dataset, registry, ssi_source=ssi_source, seed=seed, n_resamples=n_resamples)
    for claim_id, reason in report.untestable().items():
        log.warning("untestable: %s: %s", claim_id, reason)
    step("writing")
    text = json.dumps(report.to_dict(), indent=2, allow_nan=False) + "\n"
    with atomic_files(out, "claims") as stage:  # the files change together
        write_table(report.to_frame(), stage / "claims.csv")
        write_table(report.specifications, stage / "specifications.csv")
        write_table(report.event_study_frame(), stage / "event_study.csv")
        (stage / "claims.json").write_text(text, encoding="utf-8")
    return report


def check_to_dir(dataset_dir, out=None, *, progress=None, trusted=None, **thresholds):
    """Run the data-quality checks on a dataset; with ``out``, write ``quality.csv`` and ``quality.json``.

    Parameters
    ----------
    dataset_dir : path-like
        Dataset directory (validated first: a dataset breaking the contract is refused).
    out : path-like, optional
        Output directory; created if needed.  The two files are replaced together;
        other files in it are kept.
    progress : callable, optional
    trusted : mapping or path-like, optional
        Digests of table files already validated, which are not validated again
        (see :func:`ssi_kit.io.load_dataset`).
    **thresholds
        Thresholds of the checks (see :func:`ssi_kit.quality.check_dataset`).

    Returns
    -------
    ssi_kit.quality.QualityResult
    """
    from .quality import check_dataset

    if out is not None:
        check_out_dir(out)  # a file in the way is refused before any work
    step = progress or (lambda _: None)
    step("reading")
    dataset = load_dataset(dataset_dir, trusted=trusted)
    step("checking")
    result = check_dataset(dataset, **thresholds)
    if out is not None:
        step("writing")
        text = json.dumps(result.to_dict(), indent=2, allow_nan=False) + "\n"
        with atomic_files(out, "quality") as stage:  # the two files change together
            write_table(result.to_frame(), stage / "quality.csv")
            (stage / "quality.json").write_text(text, encoding="utf-8")
    return result
