"""The training claim's population quantity, by Monte Carlo over the sellers' SSI wander.

The kit estimates the median, over trained sellers, of each seller's paired
difference: the mean observed SSI in the ``TRAINING_WINDOW_DAYS`` after the
training minus the mean in as many days before it.  Each difference carries the
seller's slow AR(1) wander and the reading noise, and a few sellers near the top
of the scale have their shift capped (pillars stop at 25), so the median of the
differences is not exactly the planted shift.  This module computes that median
for the trained sellers of a simulated dataset, holding each seller's level,
pillar offsets and training day fixed and drawing the wander and the noise
afresh: the quantity the kit's interval is meant to cover.
"""
from __future__ import annotations

import math

import numpy as np

from ssi_kit.simulate.calibrate import TRAINING_WINDOW_DAYS

__all__ = ["paired_shift_estimand"]

#: Simulated paired differences in all (spread evenly over the trained sellers).
DEFAULT_DRAWS = 20_000
#: Values held in memory at once (draws x reading days x pillars).
_BLOCK = 4_000_000


def paired_shift_estimand(b: np.ndarray, offsets: np.ndarray, train_day: np.ndarray,
                          reading_days: np.ndarray, cfg, rng: np.random.Generator,
                          *, draws: int = DEFAULT_DRAWS) -> float | None:
    """Median of the paired window-mean differences over the trained sellers' population.

    Parameters
    ----------
    b : numpy.ndarray, shape (trained,)
        Each trained seller's long-run latent SSI level.
    offsets : numpy.ndarray, shape (trained, 4)
        Each seller's pillar offsets (fractions of a pillar's 25 points).
    train_day : numpy.ndarray of int, shape (trained,)
        Day index of each seller's training.
    reading_days : numpy.ndarray of int
        Day indices on which SSI is read.
    cfg : SimulationConfig
        Supplies the planted shift, the wander and the reading noise.
    rng : numpy.random.Generator
        A stream of its own, so the dataset's other draws do not move.
    draws : int, optional
        Simulated differences in total (at least 8 per seller).

    Returns
    -------
    float or None
        None when nobody is trained; exactly 0 when no shift is planted (the
        before and after windows are then exchangeable).
    """
    n = len(b)
    if n == 0:
        return None
    delta = float(cfg.effects["training_median_shift"])
    if delta == 0.0:
        return 0.0
    per_seller = max(8, math.ceil(draws / n))
    diffs = [_group_differences(b[rows], offsets[rows], rel, delta, per_seller, cfg, rng)
             for rel, rows in _groups(train_day, np.asarray(reading_days))]
    return float(np.median(np.concatenate(diffs)))


def _groups(train_day: np.ndarray, reading_days: np.ndarray):
    """(reading days relative to the training, seller rows) for each distinct window layout."""
    layouts: dict[tuple, list[int]] = {}
    w = TRAINING_WINDOW_DAYS
    for row, t in enumerate(train_day):
        lo, hi = np.searchsorted(reading_days, [t - w, t + w])
        layouts.setdefault(tuple(reading_days[lo:hi] - t), []).append(row)
    for rel, rows in sorted(layouts.items()):
        yield np.asarray(rel, dtype=np.int64), np.asarray(rows, dtype=np.int64)


def _group_differences(b, offsets, rel, delta, per_seller, cfg, rng) -> np.ndarray:
    """Simulated differences for sellers sharing one window layout, in memory-bounded blocks."""
    after = rel >= 0
    if not after.any() or after.all():
        return np.empty(0)
    rows_per_block = max(1, _BLOCK // (per_seller * len(rel) * offsets.shape[1]))
    out = []
    for start in range(0, len(b), rows_per_block):
        sl = slice(start, start + rows_per_block)
        wander = _wander(len(b[sl]) * per_seller, rel, cfg, rng)
        level = np.repeat(b[sl], per_seller)[:, None] + wander + delta * after[None, :]
        s = np.clip(level, 0.0, 100.0)
        q = np.clip(s[..., None] / 100.0 + np.repeat(offsets[sl], per_seller, axis=0)[:, None, :],
                    0.0, 1.0)
        noise = rng.normal(0.0, cfg.reading_noise, q.shape)
        ssi = np.round(np.clip(25.0 * q + noise, 0.0, 25.0), 6).sum(axis=2)
        out.append(ssi[:, after].mean(axis=1) - ssi[:, ~after].mean(axis=1))
    return np.concatenate(out)


def _wander(k: int, rel: np.ndarray, cfg, rng) -> np.ndarray:
    """``k`` stationary AR(1) paths observed on the days ``rel`` (exact for any gaps)."""
    phi, sd = cfg.wander_persistence, cfg.wander_sd
    z = rng.standard_normal((k, len(rel)))
    path = np.empty_like(z)
    path[:, 0] = sd * z[:, 0]
    for j in range(1, len(rel)):
        a = phi ** int(rel[j] - rel[j - 1])
        path[:, j] = a * path[:, j - 1] + sd * math.sqrt(1.0 - a * a) * z[:, j]
    return path
