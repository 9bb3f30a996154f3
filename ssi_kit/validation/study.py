"""The Monte-Carlo runs of the study: simulate a dataset, test every claim, compare with the truth.

Dataset ``i`` of an arm gets its own seed from ``SeedSequence([seed, arm, i])``, used for
the simulation and the bootstraps, so the results do not depend on the number of worker
processes.  The truth a claim's estimate is compared with is read from the simulator's
truth record by the claim type's ``truth`` (:mod:`ssi_kit.claims.types`).
"""
from __future__ import annotations

import math
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

from ..claims.types import CLAIM_TYPES
from ..exceptions import UsageError
from .design import ARMS, CLUSTERED, CLUSTERED_TYPES, DEFAULT_DATASETS, DEFAULT_MEMBERS, DEFAULT_RESAMPLES, UNCLUSTERED
from .summary import summarize, with_settings

__all__ = ["StudySettingsError", "dataset_seed", "simulate_and_evaluate", "validation_records",
           "run_validation"]


class StudySettingsError(UsageError, ValueError):
    """Settings of the study out of range (a :class:`~ssi_kit.exceptions.UsageError`, exit 2)."""


def dataset_seed(seed: int, arm: str, index: int) -> int:
    """The seed of dataset ``index`` of ``arm``: independent streams, whatever the workers."""
    return int(np.random.SeedSequence([int(seed), ARMS.index(arm), int(index)]).generate_state(1)[0])


def simulate_and_evaluate(arm: str, index: int, seed: int = 0, members: int = DEFAULT_MEMBERS,
                          n_resamples: int = DEFAULT_RESAMPLES) -> list[dict]:
    """Simulate one dataset of an arm, test every registry claim on it, compare with the truth.

    Parameters
    ----------
    arm : {"published", "null"}
    index : int
        Dataset number within the arm.
    seed : int
        Seed of the study.
    members : int
        Sellers in the simulated organisation.
    n_resamples : int
        Bootstrap resamples.

    Returns
    -------
    list of dict
        One record per claim and variant of the errors: ``arm, dataset, seed, claim_id, type,
        errors, truth, estimate, ci_low, ci_high, p_value, verdict, reason, seconds``.
        ``errors`` is ``clustered`` (the kit as shipped: every claim) or ``not clustered``
        (the claims whose estimators cluster by seller, re-tested on the same dataset with
        ``evaluate_claims(..., cluster=False)``).  ``seconds`` is the time of the whole
        dataset: the simulation and both evaluations.
    """
    from ..claims import evaluate_claims, load_claims
    from ..io import Dataset, validate_tables
    from ..simulate import DEFAULT_EFFECTS, SimulationConfig, simulate_dataset
    from ..simulate.config import NULL_EFFECTS

    start = time.perf_counter()
    s = dataset_seed(seed, arm, index)
    effects = DEFAULT_EFFECTS if arm == "published" else NULL_EFFECTS
    sim = simulate_dataset(SimulationConfig(members=members, seed=s, effects=dict(effects)))
    dataset = Dataset(tables=validate_tables(sim.tables))
    claims = load_claims()
    reports = {CLUSTERED: evaluate_claims(dataset, claims, specifications=False, n_resamples=n_resamples, seed=s),
               UNCLUSTERED: evaluate_claims(dataset, [c for c in claims if c.type in CLUSTERED_TYPES],
                                            specifications=False, n_resamples=n_resamples, seed=s,
                                            cluster=False)}
    seconds = time.perf_counter() - start
    truths = sim.truth["claims"]
    rows = []
    for errors, report in reports.items():
        for r in report.results:
            truth = CLAIM_TYPES[r.type].truth(truths.get(r.claim_id, {}))
            rows.append({"arm": arm, "dataset": index, "seed": s, "claim_id": r.claim_id, "type": r.type,
                         "errors": errors, "truth": math.nan if truth is None else float(truth),
                         "estimate": r.estimate, "ci_low": r.ci_low, "ci_high": r.ci_high,
                         "p_value": r.p_value, "verdict": r.verdict, "reason": r.reason, "seconds": seconds})
    return rows


def _task(args) -> list[dict]:
    return simulate_and_evaluate(*args)


def validation_records(n_datasets: int = DEFAULT_DATASETS, members: int = DEFAULT_MEMBERS, seed: int = 0,
                       workers: int = 2, progress=None,
                       n_resamples: int = DEFAULT_RESAMPLES) -> pd.DataFrame:
    """One row per arm, dataset and claim (see :func:`simulate_and_evaluate`).

    Parameters
    ----------
    n_datasets : int
        Datasets per arm.
    members, seed, n_resamples
        See :func:`simulate_and_evaluate`.
    workers : int
        Worker processes (1 runs in this process); the results do not depend on it.
    progress : callable, optional
        Called as ``progress(done, total)`` after each dataset.

    Raises
    ------
    StudySettingsError
        When ``n_datasets`` or ``workers`` is below 1.
    """
    if n_datasets < 1 or workers < 1:
        raise StudySettingsError(f"n_datasets and workers must be at least 1 (got {n_datasets} and {workers}).")
    tasks = [(arm, i, seed, members, n_resamples) for i in range(n_datasets) for arm in ARMS]
    rows: list[dict] = []
    pool = ProcessPoolExecutor(max_workers=workers) if workers > 1 else None
    results = (map(_task, tasks) if pool is None else
               pool.map(_task, tasks, chunksize=max(1, min(8, len(tasks) // (8 * workers)))))
    try:
        for done, chunk in enumerate(results, 1):
            rows.extend(chunk)
            if progress is not None:
                progress(done, len(tasks))
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return _in_registry_order(pd.DataFrame(rows))


def _in_registry_order(records: pd.DataFrame) -> pd.DataFrame:
    order = {c: i for i, c in enumerate(dict.fromkeys(records["claim_id"]))}  # registry order
    arms = {a: i for i, a in enumerate(ARMS)}
    records = records.assign(_c=records["claim_id"].map(order), _a=records["arm"].map(arms),
                             _e=(records["errors"] != CLUSTERED).astype(int))
    return (records.sort_values(["_e", "_c", "_a", "dataset"], ignore_index=True)
            .drop(columns=["_e", "_c", "_a"]))


def run_validation(n_datasets: int = DEFAULT_DATASETS, members: int = DEFAULT_MEMBERS, seed: int = 0,
                   workers: int = 2, progress=None,
                   n_resamples: int = DEFAULT_RESAMPLES) -> pd.DataFrame:
    """Run the validation study and return the per-claim table of :func:`~ssi_kit.validation.summarize`.

    Parameters
    ----------
    n_datasets : int
        Datasets per arm (published effects, null effects).
    members : int
        Sellers per simulated dataset.
    seed : int
        Seed of the study; dataset seeds derive from it (:func:`dataset_seed`).
    workers : int
        Worker processes; the results do not depend on it.
    progress : callable, optional
        ``progress(done, total)`` after each dataset.
    n_resamples : int
        Bootstrap resamples per claim and dataset.

    Returns
    -------
    pandas.DataFrame
        The summary table; ``attrs`` holds the settings and the run time in seconds.
        For the per-dataset results use :func:`validation_records` and
        :func:`~ssi_kit.validation.summarize`.
    """
    start = time.perf_counter()
    records = validation_records(n_datasets, members, seed, workers, progress, n_resamples)
    return with_settings(summarize(records), n_datasets=n_datasets, members=members, seed=seed,
                         workers=workers, n_resamples=n_resamples, seconds=time.perf_counter() - start)
