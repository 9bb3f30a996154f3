"""``ssi-kit calibrate`` at a team's size: seconds of :func:`ssi_kit.calibration.fit_spec`.

The dataset is simulated once (cached): sellers with about 30 readings each, drawn
from a spec the kit is not given (the shipped spec with its targets moved) plus
LinkedIn-like noise.  The clock covers ``fit_spec(dataset)`` with its defaults
(5-fold cross-validation by seller, at most 12 inputs a pillar).  The peer, timed
in the same run on the same dataset, is one scoring pass of the shipped spec over
the readings' days (:func:`ssi_kit.scoring.score_dataset`): the ratio says how many
scorings a calibration costs.  The target is absolute: well under a minute.
"""
from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..io import load_dataset, write_dataset
from ..scoring import ScoringSpec, load_spec, score_dataset
from .table import Row

__all__ = ["calibration_rows", "hidden_spec", "TARGET_SECONDS"]

#: "Well under a minute" for a team of 200 sellers with 30 readings each.
TARGET_SECONDS = 30.0
_TABLES = ("members", "activity", "profiles", "connections")


def hidden_spec() -> ScoringSpec:
    """The shipped spec with every other input's target moved by 60%: a formula the calibrator is not given."""
    base = load_spec()
    moved = tuple(replace(i, target=i.target * (1.6 if k % 2 else 0.7)) for k, i in enumerate(base.inputs))
    return ScoringSpec(moved, base.window_days, source="hidden bench spec")


def _dataset(cache, members: int, readings: int) -> Path:
    """The cached dataset: ``members`` sellers, about ``readings`` readings each."""
    from ..simulate import SimulationConfig, simulate_dataset
    from ..simulate.readings import readings_from_spec

    path = Path(cache) / f"calibrate-{members}x{readings}"
    if (path / "ssi.csv").is_file():
        return path
    sim = simulate_dataset(SimulationConfig(members=members, seed=0))
    tables = {t: sim.tables[t] for t in _TABLES}
    span = (tables["activity"]["date"].max() - tables["activity"]["date"].min()).days
    every = max(1, (span - load_spec().window_days) // readings)
    tables["ssi"] = readings_from_spec(tables, hidden_spec(), every=every, noise=0.6, seed=0)
    write_dataset(tables, path)
    return path


def calibration_rows(cache, *, members: int = 200, readings: int = 30, repeat: int = 1, log=print) -> list:
    """Time the calibration and its peer on the cached dataset; one row.

    Parameters
    ----------
    cache : path-like
        Folder of the cached simulated datasets.
    members, readings : int
        Sellers, and readings per seller.
    repeat : int
        Runs of each, best kept.
    log : callable

    Returns
    -------
    list of Row
    """
    from ..calibration import fit_spec

    dataset = load_dataset(_dataset(cache, members, readings))
    days = np.unique(dataset["ssi"]["date"].to_numpy().astype("datetime64[D]"))
    log(f"calibrate: {members} sellers x {len(days)} reading days, fit_spec against one scoring pass")
    ours, result = _best(lambda: fit_spec(dataset), repeat)
    peer, _ = _best(lambda: score_dataset(dataset, days=days), repeat)
    errors = result.errors.set_index(["pillar", "spec"])["mae"]
    row = Row(what="calibrate: fit_spec, 5-fold CV by seller", size=members, unit="sellers", seconds=ours,
              peer="one scoring pass of the shipped spec on the readings' days", peer_seconds=peer,
              limit=TARGET_SECONDS, target=f"under {TARGET_SECONDS:g} s", target_on="seconds",
              check=(f"held-out MAE of the total {errors[('ssi', 'calibrated')]:.2f} points, "
                     f"start spec {errors[('ssi', 'default')]:.2f}"),
              note=f"{len(dataset['ssi']):,} readings")
    return [row]


def _best(fn, repeat: int):
    best, value = float("inf"), None
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - start)
    return best, value
