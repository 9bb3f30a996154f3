"""One function per command: load the input, compute, write the output atomically.

The command line (:mod:`ssi_kit.cli`) only parses arguments and calls one of these.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

from .exceptions import UsageError
from .io import load_dataset, write_dataset, write_table
from .io.atomic import atomic_files, check_out_dir
from .io.stream import write_blocks
from .scoring import load_spec, score_days
from .scoring.engine import score_blocks

__all__ = ["score_to_dir", "simulate_to_dir", "claims_to_dir"]

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
            days = score_days(dataset, start=start, end=end, every=every)
            scores = score_blocks_dask(dataset, client=client, spec=scoring_spec, days=days,
                                       progress=step)
            _write_scores(scores, path, step)
        return path
    dataset = load_dataset(dataset_dir, tables=needed, columns=scoring_spec.columns_used())
    days = score_days(dataset, start=start, end=end, every=every)
    scores = score_blocks(dataset, spec=scoring_spec, days=days, progress=step)
    _write_scores(scores, path, step)
    return path


def _write_scores(scores, path: Path, step) -> None:
    for note in scores.notes:
        log.warning("note: %s", note)
    total = len(scores.blocks)

    def counted():
        for k, frame in enumerate(scores.frames(), start=1):
            yield frame
            step("writing", k, total)
    write_blocks(counted(), path)


def simulate_to_dir(out, config, *, fmt="csv", force: bool = False) -> Path:
    """Simulate a dataset and write it (with ``truth.json``) to ``out`` atomically.

    Parameters
    ----------
    out : path-like
        Target directory; an existing non-empty one is replaced only with ``force``.
    config : ssi_kit.simulate.SimulationConfig
    fmt : {"csv", "parquet"} or mapping of table name to format
    force : bool

    Returns
    -------
    pathlib.Path
    """
    from .simulate import simulate_dataset

    check_out_dir(out)
    sim = simulate_dataset(config)
    truth = json.dumps(sim.truth, indent=2, sort_keys=True, default=str) + "\n"
    return write_dataset(sim.tables, out, fmt=fmt, replace=force, extra_files={"truth.json": truth})


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
        A claims registry YAML; default ``data/claims.yaml``.
    ssi_source : {"auto", "observed", "computed"}
    seed, n_resamples : int
        Bootstrap seed and resamples.
    progress : callable, optional

    Returns
    -------
    ssi_kit.claims.ClaimsReport
    """
    from .claims import evaluate_claims, load_claims

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
