"""One function per command: load the input, compute, write the output atomically.

The command line (:mod:`ssi_kit.cli`) only parses arguments and calls one of these.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

from .io import atomic_file, load_dataset, write_dataset, write_table
from .scoring import load_spec, score_dataset, score_days

__all__ = ["score_to_dir", "simulate_to_dir", "claims_to_dir"]

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


def claims_to_dir(dataset_dir, out, *, claims=None, ssi_source: str = "auto", seed: int = 0,
                  n_resamples: int = 2000, progress=None):
    """Test the claims registry on a dataset; write ``claims.csv``, ``claims.json``, ``sensitivity.csv``.

    Parameters
    ----------
    dataset_dir : path-like
        Dataset directory (validated first; nothing is written when invalid).
    out : path-like
        Output directory; created if needed.
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

    step = progress or (lambda _: None)
    registry = load_claims(claims)
    step("reading")
    dataset = load_dataset(dataset_dir)
    step("testing claims")
    report = evaluate_claims(dataset, registry, ssi_source=ssi_source, seed=seed, n_resamples=n_resamples)
    for claim_id, reason in report.untestable().items():
        log.warning("untestable: %s: %s", claim_id, reason)
    step("writing")
    out = Path(out)
    write_table(report.to_frame(), out / "claims.csv")
    write_table(report.sensitivity, out / "sensitivity.csv")
    with atomic_file(out / "claims.json") as tmp:
        tmp.write_text(json.dumps(report.to_dict(), indent=2, allow_nan=False) + "\n", encoding="utf-8")
    return report
