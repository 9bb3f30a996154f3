"""Candidate inputs of a calibrated spec and their credits on the readings' seller-days.

Candidates stay in the spec's own vocabulary: each input of the start spec, and
variants of it reading the same source and columns over other trailing windows
(:data:`WINDOWS`), through each transform, with targets on a grid of the raw
value's observed quantiles (:data:`TARGET_QUANTILES`) plus the start target.
The raw value of each (source, columns, window) is computed once
(:func:`ssi_kit.scoring.features.compute_inputs`) on the readings' seller-days;
each candidate's credit in [0, 1] is then one :func:`~ssi_kit.scoring.apply_transform`.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ..io.schemas import PILLARS
from ..scoring import InputSpec, ScoringSpec, apply_transform
from ..scoring.chunks import pillar_points
from ..scoring.features import Grid, compute_inputs, day_numbers
from ..scoring.sources import SOURCES
from ..scoring.spec import MIN_TARGET, TRANSFORMS

__all__ = ["WINDOWS", "TARGET_QUANTILES", "Candidates", "build_candidates", "spec_points"]

#: Trailing windows (days; None = all history) tried for windowed inputs.
WINDOWS = (7, 30, 90, 180, 365, None)
#: Quantiles of an input's observed raw values (above 0) tried as targets.
TARGET_QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9, 0.97)


@dataclass(frozen=True)
class Candidates:
    """Every candidate input and its credit on every reading.

    Attributes
    ----------
    inputs : tuple of InputSpec
        The candidates (weight 1; ``name`` is the start input's they vary).
    credits : numpy.ndarray, shape (readings, candidates)
        Credit in [0, 1] of each candidate on each reading's seller-day.
    pillar : numpy.ndarray of str
        Each candidate's pillar.
    """

    inputs: tuple
    credits: np.ndarray
    pillar: np.ndarray

    def of(self, pillar: str) -> np.ndarray:
        """Column indices of one pillar's candidates."""
        return np.flatnonzero(self.pillar == pillar)


def build_candidates(tables, readings: pd.DataFrame, start: ScoringSpec) -> Candidates:
    """Candidates varying the inputs of ``start`` and their credits on ``readings``.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        ``members`` and any of ``activity``, ``profiles``, ``connections``.
    readings : pandas.DataFrame
        ``member_id`` and ``date`` of each reading (sellers known to ``members``).
    start : ScoringSpec

    Returns
    -------
    Candidates
    """
    ids, grid, cell = _cells(tables, readings)
    raws = _raw_values(tables, ids, grid, cell, start)
    inputs, columns = [], []
    for item in start.inputs:
        for window in _windows(item):
            raw = raws[(item.source, item.columns, window)]
            for transform in TRANSFORMS:
                for target in _targets(raw, item.target):
                    inputs.append(replace(item, window=window, transform=transform, target=target, weight=1.0))
                    columns.append(apply_transform(raw, transform, target))
    credits = np.column_stack(columns) if columns else np.zeros((len(readings), 0))
    return Candidates(tuple(inputs), credits, np.array([i.pillar for i in inputs]))


def _windows(item: InputSpec) -> tuple:
    if not SOURCES[item.source].windowed:
        return (item.window,)
    return tuple(dict.fromkeys((item.window, *WINDOWS)))


def _targets(raw: np.ndarray, start_target: float) -> tuple[float, ...]:
    seen = raw[raw > 0]
    grid = np.quantile(seen, TARGET_QUANTILES) if len(seen) else np.array([])
    targets = {float(start_target)} | {float(_round_sig(t)) for t in grid if t >= MIN_TARGET}
    return tuple(sorted(targets))


def _round_sig(x: float, digits: int = 3) -> float:
    return float(f"{x:.{digits}g}")


def _raw_values(tables, ids, grid, cell, start: ScoringSpec) -> dict:
    """Raw value on each reading of every (source, columns, window) the candidates read."""
    keys, probes = {}, []
    for item in start.inputs:
        for window in _windows(item):
            key = (item.source, item.columns, window)
            if key not in keys:
                keys[key] = f"x{len(keys)}"
                probes.append(replace(item, pillar=PILLARS[0], name=keys[key], window=window))
    spec = ScoringSpec(inputs=tuple(probes), window_days=start.window_days, source="candidates")
    present = {t: tables[t] for t in ("activity", "profiles", "connections") if t in tables}
    values, _ = compute_inputs(present, ids, grid, spec)
    return {key: values[f"{PILLARS[0]}__{name}"][cell] for key, name in keys.items()}


def spec_points(tables, readings: pd.DataFrame, spec: ScoringSpec) -> dict:
    """Each pillar's points (and ``ssi``) under ``spec`` on each reading's seller-day."""
    ids, grid, cell = _cells(tables, readings)
    present = {t: tables[t] for t in ("activity", "profiles", "connections") if t in tables}
    values, _ = compute_inputs(present, ids, grid, spec)
    _, pillars = pillar_points({k: v[cell] for k, v in values.items()}, spec)
    return pillars


def _cells(tables, readings: pd.DataFrame):
    """Seller ids, the grid of sellers x reading days, and each reading's cell in it."""
    ids = pd.Index(tables["members"]["member_id"].astype(str))
    days = np.unique(day_numbers(readings["date"]))
    cell = ids.get_indexer(readings["member_id"].astype(str)) * len(days) + np.searchsorted(
        days, day_numbers(readings["date"]))
    return ids, Grid(len(ids), days), cell
