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

With ``training_effect_spread`` or ``training_effect_growth`` set, the planted shift
differs by training date and grows with time since training (:func:`training_effects`);
the paired-median quantity then uses each seller's own effect path, and
:func:`staggered_estimand` gives the staggered DiD's quantity (its periods and aggregation
are those of :mod:`ssi_kit.claims.staggered`, re-implemented here from the planted effects).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from ssi_kit.simulate.calibrate import TRAINING_WINDOW_DAYS

__all__ = ["paired_shift_estimand", "training_window", "training_effects", "expected_read_effect",
           "cohort_mean_effects",
           "staggered_estimand",
           "PERIOD_DAYS", "POST_PERIODS"]

#: Period length (days) and post-training periods of the staggered DiD (as in ssi_kit.claims).
PERIOD_DAYS = 28
POST_PERIODS = 6

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
    if delta == 0.0 and cfg.training_effect_spread == 0.0 and cfg.training_effect_growth == 0.0:
        return 0.0
    per_seller = max(8, math.ceil(draws / n))
    z = _date_position(cfg, np.asarray(train_day))
    diffs = [_group_differences(b[rows], offsets[rows], rel, delta + cfg.training_effect_spread * z[rows],
                                per_seller, cfg, rng)
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
        shift = (np.asarray(delta, float).reshape(-1, 1) + cfg.training_effect_growth * rel[None, :] / 30.0)
        shift = np.broadcast_to(shift * after[None, :], (len(b), len(rel)))[sl]
        level = np.repeat(b[sl], per_seller)[:, None] + wander + np.repeat(shift, per_seller, axis=0)
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


def training_window(cfg) -> tuple[int, int]:
    """First and last possible training day (day indices): 4 months in from either end."""
    first = (cfg.start_date + pd.DateOffset(months=4) - cfg.start_date).days
    last = (cfg.end_date - pd.DateOffset(months=4) - cfg.start_date).days
    return int(first), int(last)


def _date_position(cfg, train_day: np.ndarray) -> np.ndarray:
    """Training date scaled to [-1, 1] over the training window (0 in the middle)."""
    first, last = training_window(cfg)
    half = max((last - first) / 2.0, 1.0)
    return (np.asarray(train_day, float) - (first + last) / 2.0) / half


def training_effects(cfg, train_day: np.ndarray, days) -> np.ndarray:
    """Planted shift of the latent SSI, sellers x ``days`` (day indices), 0 before training.

    ``training_median_shift + training_effect_spread * z + training_effect_growth * (d - T) / 30``
    from the training day ``T`` on, where ``z`` in [-1, 1] is the training date's position
    in the training window: cohorts trained late gain ``spread`` more than the middle.
    """
    days = np.asarray(days, dtype=np.int64)
    train_day = np.asarray(train_day, dtype=np.int64)
    since = days[None, :] - train_day[:, None]
    base = cfg.effects["training_median_shift"] + cfg.training_effect_spread * _date_position(cfg, train_day)
    eff = base[:, None] + cfg.training_effect_growth * since / 30.0
    return np.where((train_day[:, None] >= 0) & (since >= 0), eff, 0.0)


def staggered_estimand(effect: np.ndarray, train_day: np.ndarray, reading_days: np.ndarray,
                       *, period_days: int = PERIOD_DAYS, post_periods: int = POST_PERIODS) -> float | None:
    """The staggered DiD's overall effect computed from noise-free effects on the readings.

    Parameters
    ----------
    effect : numpy.ndarray, shape (sellers, readings)
        Each seller's noise-free change of the read SSI caused by training (0 before it).
    train_day : numpy.ndarray of int
        Training day per seller, -1 when untrained.
    reading_days : numpy.ndarray of int
        Day index of each reading column (the first is day 0 of period 0).

    Returns
    -------
    float or None
        Mean over ``e = 0 .. post_periods`` of the cohort-size-weighted mean of the
        cohorts' period-mean effect ``e`` periods after their training period, over the
        cells with a not-yet-trained control (as :mod:`ssi_kit.claims.staggered`);
        None when there is no such cell.
    """
    reading_days = np.asarray(reading_days, dtype=np.int64) - int(reading_days[0])
    n_periods = int(reading_days[-1] + 1) // period_days
    period = reading_days // period_days
    cohort = np.where(train_day >= 0, (np.asarray(train_day) - int(reading_days[0])) // period_days, -1)
    cohort = np.where(cohort >= n_periods, -1, cohort)
    thetas = []
    for e in range(post_periods + 1):
        num = den = 0.0
        for c in np.unique(cohort[(cohort >= 1)]):
            t = c + e
            if t >= n_periods or not ((cohort < 0) | (cohort > t)).any():
                continue
            rows = cohort == c
            num += effect[np.ix_(rows, period == t)].mean(axis=1).sum()
            den += rows.sum()
        if den:
            thetas.append(num / den)
    return float(np.mean(thetas)) if thetas else None


def cohort_mean_effects(cfg, train_day: np.ndarray, reading_days: np.ndarray,
                        period_days: int = PERIOD_DAYS) -> np.ndarray:
    """Planted shift at the readings averaged over the training days a seller's cohort allows.

    Training days are uniform over the training window (:func:`training_window`), so a
    trained seller's cohort (period of training) holds every window day of that period with
    equal chance; this is :func:`training_effects` averaged over those days, the effect
    of a seller drawn from the cohort's population rather than this seller's own date.
    """
    reading_days = np.asarray(reading_days, dtype=np.int64)
    train_day = np.asarray(train_day, dtype=np.int64)
    first, last = training_window(cfg)
    out = np.zeros((len(train_day), len(reading_days)))
    cohort = np.where(train_day >= 0, (train_day - reading_days[0]) // period_days, -1)
    for c in np.unique(cohort[cohort >= 0]):
        lo = max(first, int(reading_days[0] + c * period_days))
        hi = min(last, int(reading_days[0] + (c + 1) * period_days - 1))
        days = np.arange(lo, hi + 1)
        mean = training_effects(cfg, days, reading_days).mean(axis=0)
        out[cohort == c] = mean
    return out


#: Gauss-Hermite nodes over the stationary wander in :func:`expected_read_effect`.
_NODES = 24
#: Sellers per block of :func:`expected_read_effect` (bounds memory).
_ROWS = 512


def expected_read_effect(b: np.ndarray, offsets: np.ndarray, effect: np.ndarray, cfg) -> np.ndarray:
    """Expected change of the read SSI caused by a latent shift, averaged over wander and noise.

    Each reading is ``sum_k clip(25 * clip((s + w) / 100 + o_k, 0, 1) + noise, 0, 25)``; its
    mean depends only on the wander's stationary law ``N(0, wander_sd^2)`` and the reading
    noise, so the expectation is exact up to quadrature: Gauss-Hermite over the wander, the
    clipped-normal mean over the noise.  The estimators' differences are linear in the
    readings, so aggregating these means gives the quantity they estimate (caps included).

    Parameters
    ----------
    b : numpy.ndarray, shape (sellers,)
        Long-run latent levels.
    offsets : numpy.ndarray, shape (sellers, 4)
        Pillar offsets.
    effect : numpy.ndarray, shape (sellers, readings)
        Planted latent shift at each reading (:func:`training_effects`).
    """
    nodes, weights = np.polynomial.hermite_e.hermegauss(_NODES)
    weights = weights / weights.sum()
    out = np.zeros(effect.shape)
    for lo in range(0, len(b), _ROWS):
        sl = slice(lo, lo + _ROWS)
        rows = np.flatnonzero(np.any(effect[sl] != 0, axis=1)) + lo
        if len(rows) == 0:
            continue
        for z, w in zip(nodes, weights):
            level = b[rows, None] + cfg.wander_sd * z
            out[rows] += w * (_mean_reading(level + effect[rows], offsets[rows], cfg.reading_noise)
                              - _mean_reading(level, offsets[rows], cfg.reading_noise))
    return out


def _mean_reading(s: np.ndarray, offsets: np.ndarray, noise: float) -> np.ndarray:
    """Mean read SSI at latent ``s`` (sellers x readings): clipped pillars plus clipped noise."""
    m = 25.0 * np.clip(np.clip(s, 0.0, 100.0)[..., None] / 100.0 + offsets[:, None, :], 0.0, 1.0)
    if noise == 0:
        return m.sum(axis=2)
    a, c = (0.0 - m) / noise, (25.0 - m) / noise
    mean = (25.0 * stats.norm.sf(c) + m * (stats.norm.cdf(c) - stats.norm.cdf(a))
            + noise * (stats.norm.pdf(a) - stats.norm.pdf(c)))
    return mean.sum(axis=2)
