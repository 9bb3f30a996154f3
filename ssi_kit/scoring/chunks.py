"""Scoring one block of sellers at a time: the unit of work of both engines.

Every input of the spec depends on one seller's own rows only (trailing-window
sums, the latest profile snapshot, the seller's degree), so sellers can be scored
in independent blocks: the pandas engine loops over blocks to bound memory, the
Dask engine runs one block per partition.  Ranks need every seller's SSI and are
computed afterwards from the gathered SSI matrix (:func:`ssi_kit.scoring.ranks.rank_scores`).

A block's results are kept as integer micro-points (``int32``, :mod:`ssi_kit.scoring.micro`):
every score is rounded to 6 decimals, and ``k / 1e6`` gives back exactly the rounded
float, so holding them compactly loses nothing.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..io.schemas import PILLARS
from .features import Grid, compute_inputs
from .micro import DECIMALS, to_micro
from .ranks import undirected_edges
from .spec import ScoringSpec

__all__ = ["ScoringPlan", "plan_scoring", "score_block", "seller_blocks", "block_rows", "block_tables",
           "apply_transform", "pillar_points"]

_LN_005 = np.log(0.05)
#: Seller-days per block: about 40 MB of work arrays per scored input.
BLOCK_CELLS = 500_000


@dataclass(frozen=True)
class ScoringPlan:
    """What every block needs: the spec, the days, each seller's degree.

    Attributes
    ----------
    spec : ScoringSpec
    ids : pandas.Index
        All seller ids, in ``members`` order (seller code = position).
    scored : numpy.ndarray of int64
        Day numbers scored (sorted, unique).
    grid_days : numpy.ndarray of int64
        Day numbers computed: the scored days and the days 7 days before them.
    degree : numpy.ndarray of float or None
        Each seller's number of distinct connections; None without a
        ``connections`` table.
    tables : frozenset of str
        The tables present among those the spec reads.
    """

    spec: ScoringSpec
    ids: pd.Index
    scored: np.ndarray
    grid_days: np.ndarray
    degree: np.ndarray | None
    tables: frozenset

    @property
    def columns(self) -> tuple[str, ...]:
        """Names of the per-block result arrays, in output order."""
        return (*PILLARS, "ssi", "ssi_change_7d", *(i.column_name for i in self.spec.inputs))


def plan_scoring(ids: pd.Index, scored: np.ndarray, spec: ScoringSpec, tables,
                 connections: pd.DataFrame | None = None) -> ScoringPlan:
    """Build the plan of a scoring run.

    Parameters
    ----------
    ids : pandas.Index
        Seller ids in ``members`` order.
    scored : array-like of int
        Day numbers to score.
    spec : ScoringSpec
    tables : iterable of str
        Names of the tables the dataset has.
    connections : pandas.DataFrame, optional
        The ``connections`` table (for the peers inputs).
    """
    scored = np.unique(np.asarray(scored, dtype=np.int64))
    degree = None
    if connections is not None:
        u, _ = undirected_edges(ids.get_indexer(connections["member_id"]),
                                ids.get_indexer(connections["connection_id"]), len(ids))
        degree = np.bincount(u, minlength=len(ids)).astype(float)
    return ScoringPlan(spec=spec, ids=ids, scored=scored, grid_days=np.union1d(scored, scored - 7),
                       degree=degree, tables=frozenset(tables))


def seller_blocks(n_sellers: int, per_seller: int, cells: int = BLOCK_CELLS) -> list[range]:
    """Consecutive seller-code ranges of about ``cells`` units of work each.

    ``per_seller`` is a seller's share: days scored, or input rows when larger.
    """
    size = max(1, cells // max(1, per_seller))
    return [range(a, min(a + size, n_sellers)) for a in range(0, max(n_sellers, 1), size)]


def block_rows(codes: np.ndarray, block: range) -> slice:
    """Rows of a table sorted by seller code that belong to ``block``."""
    lo, hi = np.searchsorted(codes, [block.start, block.stop], side="left")
    return slice(int(lo), int(hi))


def block_tables(tables, block: range) -> tuple[dict, dict]:
    """A block's rows of each table and their seller positions within the block.

    Parameters
    ----------
    tables : mapping of str to (pandas.DataFrame, numpy.ndarray)
        Each table sorted by seller code, with its rows' codes.
    block : range
        The block's seller codes.

    Returns
    -------
    part : dict of str to pandas.DataFrame
    local_codes : dict of str to numpy.ndarray
        For :func:`score_block`'s ``row_codes``.
    """
    rows = {t: block_rows(codes, block) for t, (_, codes) in tables.items()}
    part = {t: table.iloc[rows[t]] for t, (table, _) in tables.items()}
    return part, {t: codes[rows[t]] - block.start for t, (_, codes) in tables.items()}


def score_block(tables, block_ids: pd.Index, plan: ScoringPlan, block: range,
                row_codes=None) -> tuple[dict, list[str]]:
    """Pillars, SSI, 7-day change and contributions of one block of sellers.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        The block's rows of ``activity`` and ``profiles`` (as present).
    block_ids : pandas.Index
        The block's seller ids, in code order.
    plan : ScoringPlan
    block : range
        The block's seller codes (for the degrees).
    row_codes : mapping of str to numpy.ndarray, optional
        Per table, each row's seller position within the block.

    Returns
    -------
    arrays : dict of str to numpy.ndarray
        Per :attr:`ScoringPlan.columns`, an ``int32`` micro-point array of shape
        (sellers in block, scored days).
    notes : list of str
        What was missing and therefore scored 0.
    """
    grid = Grid(len(block_ids), plan.grid_days)
    present = {t: tables[t] for t in ("activity", "profiles") if t in tables}
    if plan.degree is not None:
        present["connections"] = None
    degree = None if plan.degree is None else plan.degree[block.start:block.stop]
    raw, notes = compute_inputs(present, block_ids, grid, plan.spec, peer_degree=degree,
                                row_codes=row_codes)
    contrib, pillars = pillar_points(raw, plan.spec)
    now = np.searchsorted(plan.grid_days, plan.scored)
    before = np.searchsorted(plan.grid_days, plan.scored - 7)
    out = {}
    for name, values in {**pillars, **contrib}.items():
        cube = values.reshape(grid.n, len(plan.grid_days))
        out[name] = to_micro(cube[:, now])
        if name == "ssi":
            out["ssi_change_7d"] = to_micro(np.round(cube[:, now] - cube[:, before], DECIMALS))
    return {name: out[name] for name in plan.columns}, notes


def apply_transform(x: np.ndarray, transform: str, target: float) -> np.ndarray:
    """Saturating transform of raw input values to a credit in [0, 1].

    ``linear``: min(x/target, 1); ``log``: min(log1p(x)/log1p(target), 1);
    ``exp``: 1 - 0.05**(x/target) (95% at the target).
    """
    x = np.maximum(np.asarray(x, dtype=float), 0.0)
    if transform == "linear":
        return np.minimum(x / target, 1.0)
    if transform == "log":
        return np.minimum(np.log1p(x) / np.log1p(target), 1.0)
    return -np.expm1(_LN_005 * x / target)


def pillar_points(raw: dict, spec: ScoringSpec) -> tuple[dict, dict]:
    """Each input's points and each pillar's (capped at 25) plus the SSI, rounded to 6 decimals."""
    with np.errstate(all="ignore"):  # the spec bounds targets and weights: nothing overflows; no warnings
        return _pillar_points(raw, spec)


def _pillar_points(raw: dict, spec: ScoringSpec) -> tuple[dict, dict]:
    contrib, pillars = {}, {}
    for pillar in PILLARS:
        total = 0.0
        for item in spec.pillar_inputs(pillar):
            points = item.weight * apply_transform(raw[item.column_name], item.transform, item.target)
            total = total + points
            contrib[item.column_name] = np.round(points, DECIMALS)
        pillars[pillar] = np.round(np.clip(total, 0.0, 25.0), DECIMALS)
    pillars["ssi"] = np.round(sum(pillars[p] for p in PILLARS), DECIMALS)
    return contrib, pillars
