"""Raw input values of a scoring spec for a grid of sellers x days, vectorized.

Trailing-window sums use one sorted key per activity row (seller, day), global
integer prefix sums and two binary searches per query, so cost grows with
activity rows + queried seller-days, never with a dense seller x day x input cube.

Which function computes an input, and from which table, is the input's source's
record in :data:`ssi_kit.scoring.sources.SOURCES` (its ``reader`` names one of
the ``_*_inputs`` functions here, which share one signature).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .ranks import undirected_edges
from .sources import SOURCES, columns_read, counts_days
from .spec import ScoringSpec

__all__ = ["day_numbers", "Grid", "compute_inputs"]

_SHIFT = np.int64(1) << np.int64(32)
_EPOCH_PAD = 1 << 20  # keeps day numbers positive for any date after 1000 AD


def day_numbers(dates) -> np.ndarray:
    """Whole days since 1970-01-01 (int64) of datetime-like values."""
    return np.asarray(pd.to_datetime(dates).to_numpy(dtype="datetime64[D]"), dtype=np.int64)


class Grid:
    """The queried cells: every seller on every grid day, seller-major (cell = seller * days + day).

    Parameters
    ----------
    n_sellers : int
        Number of sellers (codes 0..n-1, in ``members`` order).
    days : numpy.ndarray of int64
        Sorted unique day numbers.
    """

    def __init__(self, n_sellers: int, days: np.ndarray):
        self.n = int(n_sellers)
        self.days = np.asarray(days, dtype=np.int64)
        self.seller = np.repeat(np.arange(self.n, dtype=np.int64), len(self.days))
        self.day = np.tile(self.days, self.n)

    def keys(self, offset: int = 0) -> np.ndarray:
        """Sort keys (seller, day + offset) of the queried cells."""
        return self.seller * _SHIFT + (self.day + _EPOCH_PAD + offset)


def _row_keys(codes: np.ndarray, dates) -> np.ndarray:
    return codes.astype(np.int64) * _SHIFT + (day_numbers(dates) + _EPOCH_PAD)


def _sorted_rows(table: pd.DataFrame, ids: pd.Index, codes=None) -> tuple[pd.DataFrame, np.ndarray]:
    """The rows sorted by (seller code, day) and their sort keys."""
    codes = ids.get_indexer(table["member_id"]) if codes is None else codes
    keys = _row_keys(codes, table["date"])
    if np.all(keys[1:] >= keys[:-1]):  # validated tables arrive sorted
        return table, keys
    order = np.argsort(keys, kind="stable")
    return table.iloc[order], keys[order]


def _counts(table: pd.DataFrame, columns, cache: dict) -> np.ndarray:
    total = np.zeros(len(table), dtype=np.int64)
    for col in columns:
        if col in table.columns:
            if col not in cache:
                cache[col] = table[col].to_numpy(dtype=np.int64, na_value=0)
            total += cache[col]
    return total


def _activity_inputs(activity, ids, grid, inputs, context) -> dict[str, np.ndarray]:
    rows, keys = _sorted_rows(activity, ids, context.get("codes"))
    hi = np.searchsorted(keys, grid.keys(), side="right")
    lows: dict = {}
    sums: dict = {}
    cache: dict = {}
    done: dict = {}  # inputs reading the same columns over the same window share one array
    out = {}
    for spec in inputs:
        w = spec.window
        cols = ("__active__",) if counts_days(spec) else spec.columns
        if (cols, w) in done:
            out[spec.column_name] = done[(cols, w)]
            continue
        if w not in lows:
            lows[w] = (_seller_starts(keys, grid) if w is None
                       else np.searchsorted(keys, grid.keys(-w), side="right"))
        if cols not in sums:
            per_row = _counts(rows, columns_read(spec), cache)
            if counts_days(spec):
                per_row = per_row > 0
            # float64 prefix sums of integer counts are exact below 2**53
            sums[cols] = np.concatenate([[0.0], np.cumsum(per_row, dtype=np.int64).astype(float)])
        csum = sums[cols]
        out[spec.column_name] = done[(cols, w)] = np.subtract(csum[hi], csum[lows[w]])
    return out


def _seller_starts(keys: np.ndarray, grid: Grid) -> np.ndarray:
    """Index of each grid cell's seller's first row (the start of 'all history')."""
    starts = np.searchsorted(keys, np.arange(grid.n, dtype=np.int64) * _SHIFT, side="left")
    return starts[grid.seller]


def _profile_inputs(profiles, ids, grid, inputs, context) -> dict[str, np.ndarray]:
    rows, keys = _sorted_rows(profiles, ids, context.get("codes"))
    pos = np.searchsorted(keys, grid.keys(), side="right") - 1
    owner = keys // _SHIFT  # the row's seller code
    valid = pos >= 0
    valid[valid] = owner[pos[valid]] == grid.seller[valid]
    safe = np.where(valid, pos, 0)
    out = {}
    for spec in inputs:
        total = np.zeros(len(rows), dtype=float)
        for col in spec.columns:
            if col in rows.columns:
                total += rows[col].astype("Float64").to_numpy(dtype=float, na_value=0.0)
        out[spec.column_name] = np.where(valid, total[safe], 0.0)
    return out


def _peer_inputs(connections, ids, grid, inputs, context) -> dict[str, np.ndarray]:
    degree = context.get("peer_degree")
    if degree is None:
        u, _ = undirected_edges(ids.get_indexer(connections["member_id"]),
                                ids.get_indexer(connections["connection_id"]), len(ids))
        degree = np.bincount(u, minlength=len(ids)).astype(float)
    return {spec.column_name: degree[grid.seller] for spec in inputs}


def _reader(name: str):
    """The reader function of this module called ``name`` (a registry record's ``reader``)."""
    return globals()[name]


def compute_inputs(tables, ids: pd.Index, grid: Grid, spec: ScoringSpec, *,
                   peer_degree: np.ndarray | None = None, row_codes=None) -> tuple[dict, list[str]]:
    """Raw value of every spec input on every grid cell.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        Validated tables (``activity``, ``profiles``, ``connections`` as present),
        holding the rows of the sellers in ``ids`` (other sellers' rows are ignored).
    ids : pandas.Index
        Seller ids in code order.
    grid : Grid
    spec : ScoringSpec
    peer_degree : numpy.ndarray, optional
        Each seller's number of distinct connections, aligned with ``ids``; used
        instead of ``tables["connections"]`` (which may then be None), so that a
        block of sellers can be scored without the whole graph.
    row_codes : mapping of str to numpy.ndarray, optional
        Per table, each row's position of its ``member_id`` in ``ids`` (saves
        looking the ids up again when the caller has them).

    Returns
    -------
    values : dict of str to numpy.ndarray
        Per input (``pillar__name``), one float per grid cell.
    notes : list of str
        What was missing and therefore scored 0.
    """
    values, notes = {}, []
    for table in sorted({source.table for source in SOURCES.values()}):
        wanted = [i for i in spec.inputs if SOURCES[i.source].table == table]
        if not wanted:
            continue
        if table not in tables:
            notes.append(f"no {table} table: {', '.join(i.column_name for i in wanted)} score 0")
            values.update({i.column_name: np.zeros(len(grid.seller)) for i in wanted})
            continue
        context = {"codes": (row_codes or {}).get(table), "peer_degree": peer_degree}
        for reader in dict.fromkeys(SOURCES[i.source].reader for i in wanted):
            mine = [i for i in wanted if SOURCES[i.source].reader == reader]
            values.update(_reader(reader)(tables[table], ids, grid, mine, context))
        if tables[table] is None:
            continue
        have = tables[table].columns
        lacking = sorted({c for i in wanted for c in i.columns if c not in have})
        if lacking:
            notes.append(f"{table} has no column(s) {', '.join(lacking)}: they count 0")
    return values, notes
