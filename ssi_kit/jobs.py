"""One function per command: load the input, compute, write the output atomically.

The command line (:mod:`ssi_kit.cli`) only parses arguments and calls one of these.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

from .io import load_dataset, write_dataset, write_table
from .scoring import load_spec, score_dataset, score_days

__all__ = ["score_to_dir", "simulate_to_dir"]

log = logging.getLogger("ssi_kit")


def score_to_dir(dataset_dir, out, *, spec=None, start=None, end=None, every: int = 1,
                 progress=None) -> Path:
    """Score a dataset directory and write ``OUT/scores.csv``.

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
        Phase reporter (see :class:`ssi_kit.progress.Progress`).

    Returns
    -------
    pathlib.Path
        The written ``scores.csv``.
    """
    step = progress or (lambda _: None)
    scoring_spec = load_spec(spec)
    step("reading")
    needed = scoring_spec.tables_used() | {"connections"}  # connections also give network ranks
    dataset = load_dataset(dataset_dir, tables=("members", *sorted(needed)))
    days = score_days(dataset, start=start, end=end, every=every)
    scores = score_dataset(dataset, spec=scoring_spec, days=days, progress=step)
    for note in scores.attrs.get("notes", ()):
        log.warning("note: %s", note)
    step("writing")
    path = Path(out) / "scores.csv"
    write_table(scores, path)
    return path


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

    sim = simulate_dataset(config)
    truth = json.dumps(sim.truth, indent=2, sort_keys=True, default=str) + "\n"
    return write_dataset(sim.tables, out, fmt=fmt, replace=force, extra_files={"truth.json": truth})
