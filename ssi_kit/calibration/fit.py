"""Fit a scoring spec to observed SSI readings: constrained least squares, selection, CV by seller.

Per pillar (or for the total when the readings carry no pillars), the weights of
the candidate inputs (:mod:`ssi_kit.calibration.candidates`) are fitted by
non-negative least squares with the pillar's weights held to sum to 25 (a heavily
weighted extra row, then an exact rescale); the smallest weight is dropped and the
rest refitted until at most ``max_inputs`` remain.  Accuracy is measured by
cross-validation over sellers: no seller is in both the fitting and the testing folds.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.linalg import LinAlgError, cholesky
from scipy.optimize import nnls

from ..exceptions import UsageError
from ..io.schemas import PILLARS
from ..limits import MAX_SEED, check_whole
from ..scoring import ScoringSpec, load_spec
from .candidates import build_candidates, spec_points
from .results import CalibrationResult, build_spec, error_rows

__all__ = ["fit_spec", "MIN_SELLERS", "MIN_READINGS", "LOW_R2", "PILLAR_POINTS"]

#: Fewest sellers and readings a calibration accepts.
MIN_SELLERS, MIN_READINGS = 20, 100
#: Held-out R² below which a pillar is reported as not explained by any input.
LOW_R2 = 0.5
#: Points of a pillar: its weights sum to this.
PILLAR_POINTS = 25.0
_MAX_FOLDS = 20
_JITTER = 1e-12  # relative ridge keeping the Gram matrix of collinear candidates factorizable
_PENALTY = 30.0  # weight of the "weights sum to 25" row, per sqrt(reading)


def fit_spec(dataset, *, start: ScoringSpec | None = None, folds: int = 5, seed: int = 0,
             max_inputs: int = 12) -> CalibrationResult:
    """Fit a scoring spec to a dataset's observed readings (the ``ssi`` table).

    Parameters
    ----------
    dataset : ssi_kit.io.dataset.Dataset or mapping of str to pandas.DataFrame
        ``members``, ``ssi`` and ``activity`` (plus ``profiles``, ``connections`` as present).
    start : ScoringSpec, optional
        The spec whose inputs are varied, and the baseline of the errors;
        default the shipped spec.
    folds : int
        Cross-validation folds over sellers (2 to 20).
    seed : int
        Seed of the sellers' assignment to folds.
    max_inputs : int
        Most inputs a pillar keeps (1 to 50).

    Returns
    -------
    CalibrationResult

    Raises
    ------
    UsageError
        Without readings or activity, with fewer than 20 sellers or 100 readings,
        or with options out of range.
    """
    check_whole(folds, 2, _MAX_FOLDS, "folds")
    check_whole(seed, 0, MAX_SEED, "seed")
    check_whole(max_inputs, 1, 50, "max_inputs")
    tables = dataset.tables if hasattr(dataset, "tables") else dataset
    start = start or load_spec()
    readings, targets = _readings(tables)
    cands = build_candidates(tables, readings, start)
    fold = _folds(readings["member_id"].to_numpy(), folds, seed)
    held_out = {name: np.zeros(len(readings)) for name in _reported(targets)}
    for k in range(folds):
        train = fold != k
        weights = _fit_all(cands, readings, targets, train, max_inputs)
        for name, pred in _predict(cands, weights, targets).items():
            held_out[name][~train] = pred[~train]
    weights = _fit_all(cands, readings, targets, np.ones(len(readings), bool), max_inputs)
    baseline = spec_points(tables, readings, start)
    errors = error_rows(readings, held_out, baseline)
    spec = build_spec(cands, weights, start, errors)
    warnings = _warnings(errors)
    return CalibrationResult(spec=spec, errors=errors, readings=_observed(readings, held_out, baseline),
                             warnings=tuple(warnings), start=start.source, folds=folds, seed=seed)


def _readings(tables) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The readings used and what is fitted: the four pillars, or the total ``ssi``."""
    if "ssi" not in tables or len(tables["ssi"]) == 0:
        raise UsageError("The dataset has no SSI readings (no ssi table, or an empty one): calibrate "
                         "fits a spec to LinkedIn's readings; import them first (ssi-kit import).")
    if "activity" not in tables or len(tables["activity"]) == 0:
        raise UsageError("The dataset has no activity table (or an empty one): calibrate explains the "
                         "readings by the sellers' activity; import it first (ssi-kit import linkedin-export).")
    ssi = tables["ssi"]
    known = ssi["member_id"].astype(str).isin(set(tables["members"]["member_id"].astype(str)))
    ssi = ssi[known & ssi["ssi"].notna()]
    pillars = all(p in ssi.columns for p in PILLARS)
    with_pillars = ssi.dropna(subset=list(PILLARS)) if pillars else ssi.iloc[:0]
    use, targets = (with_pillars, PILLARS) if _enough(with_pillars) else (ssi, ("ssi",))
    sellers, n = use["member_id"].nunique(), len(use)
    if sellers < MIN_SELLERS or n < MIN_READINGS:
        raise UsageError(f"ssi table: too few readings to calibrate: {n} readings of {sellers} sellers "
                         f"(of sellers in the members table); calibrate needs at least {MIN_READINGS} "
                         f"readings of at least {MIN_SELLERS} sellers.")
    use = use.sort_values(["member_id", "date"], kind="stable").reset_index(drop=True)
    out = pd.DataFrame({"member_id": use["member_id"].astype(str), "date": pd.to_datetime(use["date"])})
    for name in (*PILLARS, "ssi"):
        if name in use.columns:
            out[name] = use[name].to_numpy(dtype=float, na_value=np.nan)
    return out, tuple(targets)


def _reported(targets) -> tuple[str, ...]:
    """What the errors cover: the fitted pillars and the total."""
    return tuple(dict.fromkeys((*targets, "ssi")))


def _enough(readings: pd.DataFrame) -> bool:
    return len(readings) >= MIN_READINGS and readings["member_id"].nunique() >= MIN_SELLERS


def _folds(members: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """Fold of each reading: sellers shuffled (seeded) and dealt round the folds."""
    sellers = np.unique(members)
    order = np.random.default_rng(seed).permutation(len(sellers))
    fold_of = np.empty(len(sellers), dtype=np.int64)
    fold_of[order] = np.arange(len(sellers)) % folds
    return fold_of[np.searchsorted(sellers, members)]


def _fit_all(cands, readings, targets, rows, max_inputs) -> dict:
    """Weights per candidate column index, fitted on ``rows``."""
    if targets == ("ssi",):
        groups = [cands.of(p) for p in PILLARS]
        return _fit_groups(cands.credits[rows], readings["ssi"].to_numpy()[rows], groups, max_inputs)
    out = {}
    for pillar in PILLARS:
        out.update(_fit_groups(cands.credits[rows], readings[pillar].to_numpy()[rows],
                               [cands.of(pillar)], max_inputs))
    return out


def _fit_groups(credits, y, groups, max_inputs) -> dict:
    """Non-negative weights, each group's summing to 25, at most ``max_inputs`` a group.

    The least-squares problem is reduced once to its triangular factor (Cholesky
    of the Gram matrix of the candidates, readings and sum rows), so every refit costs as much
    as the number of candidates, not of readings.  Backward selection: zero
    weights leave; while a group has too many inputs, the input whose removal
    raises the squared error least leaves (the smallest weight while far above
    the limit), and the rest are refitted.
    """
    cols = np.concatenate(groups)
    a, b = _reduced(credits[:, cols], y, [len(g) for g in groups])
    pos = np.cumsum([0, *map(len, groups)])
    keep = [np.arange(pos[k], pos[k + 1]) for k in range(len(groups))]
    w, _ = _nnls(a, b, keep)
    while True:
        keep = [g[wg > 1e-9] if (wg > 1e-9).any() else g[[int(np.argmax(wg))]] for g, wg in zip(keep, w)]
        w, _ = _nnls(a, b, keep)
        over = [k for k, g in enumerate(keep) if len(g) > max_inputs]
        if not over:
            break
        k = over[0]
        keep[k] = np.delete(keep[k], _weakest(a, b, keep, k, w[k], max_inputs))
        w, _ = _nnls(a, b, keep)
    total = {}
    for g, wg in zip(keep, w):
        wg = wg * (PILLAR_POINTS / wg.sum())  # exact: the spec's weights sum to 25
        total.update({int(cols[j]): float(v) for j, v in zip(g, wg) if v > 0})
    return total


def _reduced(x, y, sizes) -> tuple[np.ndarray, np.ndarray]:
    """Triangular system with the least-squares solutions of ``[x; sum rows] w = [y; 25]``."""
    lam = _PENALTY * np.sqrt(len(y))
    rows = np.zeros((len(sizes), x.shape[1] + 1))
    pos = np.cumsum([0, *sizes])
    for k in range(len(sizes)):
        rows[k, pos[k]:pos[k + 1]] = lam
        rows[k, -1] = lam * PILLAR_POINTS
    m = np.vstack([np.column_stack([x, y]), rows])
    gram = m.T @ m
    gram[np.diag_indices_from(gram)] += _JITTER * max(float(np.max(np.diag(gram))), 1.0)
    try:  # R'R = M'M: the same least-squares problem, (candidates + 1) rows
        r = cholesky(gram, lower=False, check_finite=False)
    except LinAlgError:  # numerically singular even with the jitter: the QR of M itself
        r = np.linalg.qr(m, mode="r")
    return r[:, :-1], r[:, -1]


def _nnls(a, b, groups) -> tuple[list[np.ndarray], float]:
    """Non-negative least squares on the columns ``groups``: weights per group, residual norm."""
    cols = np.concatenate(groups)
    w, rnorm = nnls(a[:, cols], b, maxiter=50 * len(cols))
    pos = np.cumsum([0, *map(len, groups)])
    return [w[pos[k]:pos[k + 1]] for k in range(len(groups))], float(rnorm)


def _weakest(a, b, groups, k, w, max_inputs) -> int:
    """Position in group ``k`` of the input to drop."""
    if len(groups[k]) > 2 * max_inputs:
        return int(np.argmin(w))
    loss = [_nnls(a, b, [*groups[:k], np.delete(groups[k], pos), *groups[k + 1:]])[1]
            for pos in range(len(groups[k]))]
    return int(np.argmin(loss))


def _predict(cands, weights: dict, targets) -> dict:
    """Predicted pillars (or total) of every reading under fitted weights."""
    cols = np.array(sorted(weights), dtype=np.int64)
    w = np.array([weights[j] for j in cols])
    points = cands.credits[:, cols] * w
    out = {}
    for pillar in PILLARS:
        out[pillar] = np.clip(points[:, cands.pillar[cols] == pillar].sum(axis=1), 0.0, PILLAR_POINTS)
    out["ssi"] = sum(out[p] for p in PILLARS)
    return {name: out[name] for name in _reported(targets)}


def _observed(readings, held_out, baseline) -> pd.DataFrame:
    """Readings beside their held-out prediction and the start spec's, per fitted quantity."""
    frames = []
    for name, pred in held_out.items():
        frames.append(pd.DataFrame({"member_id": readings["member_id"], "date": readings["date"],
                                    "pillar": name, "observed": readings[name].to_numpy(),
                                    "calibrated": pred, "default": np.asarray(baseline[name])}))
    return pd.concat(frames, ignore_index=True)


def _warnings(errors: pd.DataFrame) -> list[str]:
    cal = errors[errors["spec"] == "calibrated"]
    return [f"{row.pillar}: held-out R² {row.r2:.2f} stays below {LOW_R2}: the readings follow something "
            "no candidate input explains (an input the data lacks, or LinkedIn's hidden signals)."
            for row in cal.itertuples() if not row.r2 >= LOW_R2]
