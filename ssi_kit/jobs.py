"""One function per command: load the input, compute, write the output atomically.

The command line (:mod:`ssi_kit.cli`) only parses arguments and calls one of these.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

from .exceptions import UsageError
from .io import load_dataset, write_dataset, write_table
from .io.atomic import LOCK_NAME, atomic_files, check_out_dir, check_replaceable
from .io.cells import for_spreadsheets
from .io.dataset import check_dataset_folder
from .limits import MAX_EVERY, MAX_RESAMPLES, MAX_SEED, MAX_WORKERS, check_whole
from .io.stream import write_blocks
from .scoring import load_spec, score_days
from .scoring.engine import score_blocks

__all__ = ["score_to_dir", "simulate_to_dir", "claims_to_dir", "check_to_dir"]

log = logging.getLogger("ssi_kit")


def score_to_dir(dataset_dir, out, *, spec=None, start=None, end=None, every: int = 1,
                 progress=None, fmt: str = "csv", engine: str = "pandas", scheduler=None,
                 workers: int | None = None) -> Path:
    """Score a dataset directory and write ``OUT/scores.csv`` (or ``.parquet``).

    Parameters
    ----------
    dataset_dir : path-like
        Dataset directory (validated first; nothing is written when invalid).
    out : path-like
        Output directory; created if needed.  Other files in it are kept.
    spec : path-like, optional
        A scoring spec YAML; default the shipped spec.
    start, end : str, optional
        First and last day to score (ISO dates); default the dataset's span.
    every : int
        Score every N-th day counted back from ``end``.
    progress : callable, optional
        Progress reporter (see :class:`ssi_kit.progress.Progress`).
    fmt : {"csv", "parquet"}
        Output format.
    engine : {"pandas", "dask"}
        ``pandas`` scores block by block in this process; ``dask`` runs the
        blocks on a Dask cluster (same results, see docs/scaling.md).
    scheduler : str, optional
        Dask scheduler address; default a local cluster (``engine="dask"`` only).
    workers : int, optional
        Workers of the local cluster (``engine="dask"`` only).

    Returns
    -------
    pathlib.Path
        The written score table.
    """
    if fmt not in ("csv", "parquet") or engine not in ("pandas", "dask"):
        raise UsageError(f"fmt must be csv or parquet and engine pandas or dask (got {fmt!r}, {engine!r}).")
    check_whole(every, 1, MAX_EVERY, "every")
    if workers is not None:
        check_whole(workers, 1, MAX_WORKERS, "workers")
    check_out_dir(out)  # a file in the way is refused before any work
    step = progress or (lambda *_: None)
    scoring_spec = load_spec(spec)
    needed = ("members", *sorted(scoring_spec.tables_used() | {"connections"}))  # + network ranks
    path = Path(out) / f"scores.{fmt}"
    step("reading")
    if engine == "dask":
        from .scoring.dask_engine import dask_client, load_partitioned, score_blocks_dask

        with dask_client(scheduler, workers=workers) as client:
            dataset = load_partitioned(dataset_dir, tables=needed, client=client)
            days = score_days(dataset, start=start, end=end, every=every, spec=scoring_spec)
            scores = score_blocks_dask(dataset, client=client, spec=scoring_spec, days=days,
                                       progress=step)
            _write_scores(scores, path, step)
        return path
    dataset = load_dataset(dataset_dir, tables=needed, columns=scoring_spec.columns_used())
    days = score_days(dataset, start=start, end=end, every=every, spec=scoring_spec)
    scores = score_blocks(dataset, spec=scoring_spec, days=days, progress=step)
    _write_scores(scores, path, step)
    return path


def _write_scores(scores, path: Path, step) -> None:
    for note in scores.notes:
        log.warning("note: %s", note)
    total = len(scores.blocks)

    def counted():
        for k, frame in enumerate(scores.frames(), start=1):
            yield frame if path.suffix == ".parquet" else for_spreadsheets(frame)  # a CSV for people
            step("writing", k, total)
    write_blocks(counted(), path)


def simulate_to_dir(out, config, *, fmt="csv", force: bool = False) -> Path:
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
    sim = simulate_dataset(config)
    truth = json.dumps(sim.truth, indent=2, sort_keys=True, default=str) + "\n"
    return write_dataset(sim.tables, out, fmt=fmt, replace=force, extra_files={TRUTH_FILE: truth})


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
                  n_resamples: int = 2000, progress=None):
    """Test the claims registry on a dataset; write ``claims.csv``, ``claims.json``, ``sensitivity.csv``.

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
    dataset = load_dataset(dataset_dir)
    step("testing claims")
    report = evaluate_claims(dataset, registry, ssi_source=ssi_source, seed=seed, n_resamples=n_resamples)
    for claim_id, reason in report.untestable().items():
        log.warning("untestable: %s: %s", claim_id, reason)
    step("writing")
    text = json.dumps(report.to_dict(), indent=2, allow_nan=False) + "\n"
    with atomic_files(out, "claims") as stage:  # the three files change together
        write_table(report.to_frame(), stage / "claims.csv")
        write_table(report.sensitivity, stage / "sensitivity.csv")
        (stage / "claims.json").write_text(text, encoding="utf-8")
    return report


def check_to_dir(dataset_dir, out=None, *, progress=None, **thresholds):
    """Run the data-quality checks on a dataset; with ``out``, write ``quality.csv`` and ``quality.json``.

    Parameters
    ----------
    dataset_dir : path-like
        Dataset directory (validated first: a dataset breaking the contract is refused).
    out : path-like, optional
        Output directory; created if needed.  The two files are replaced together;
        other files in it are kept.
    progress : callable, optional
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
    dataset = load_dataset(dataset_dir)
    step("checking")
    result = check_dataset(dataset, **thresholds)
    if out is not None:
        step("writing")
        text = json.dumps(result.to_dict(), indent=2, allow_nan=False) + "\n"
        with atomic_files(out, "quality") as stage:  # the two files change together
            write_table(result.to_frame(), stage / "quality.csv")
            (stage / "quality.json").write_text(text, encoding="utf-8")
    return result
