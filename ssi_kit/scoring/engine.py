"""Score every seller on every chosen day: pillars, SSI, tiers, ranks, contributions."""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..exceptions import MissingTableError, UsageError
from ..io.dataset import Dataset
from ..io.schemas import PILLARS
from .chunks import (BLOCK_CELLS, DECIMALS, ScoringPlan, apply_transform, block_tables, from_micro, plan_scoring,
                     score_block, seller_blocks)
from .features import day_numbers
from .ranks import group_mean, group_top_pct, network_mean, network_top_pct, undirected_edges
from .spec import ScoringSpec, load_spec

__all__ = ["score_dataset", "score_blocks", "ScoredBlocks", "score_days", "check_score_size", "apply_transform",
           "tier_of", "band_of", "SCORE_COLUMNS", "ENGINES"]

#: The scoring engines: this process block by block, or a Dask cluster (same scores).
ENGINES = ("pandas", "dask")

SCORE_COLUMNS = (
    "member_id", "date", "industry", "team", *PILLARS, "ssi", "tier", "band",
    "industry_top_pct", "network_top_pct", "team_top_pct",
    "industry_avg_ssi", "network_avg_ssi", "team_avg_ssi", "ssi_change_7d",
)
_DECIMALS = DECIMALS
#: Bytes of score columns held in memory before contributions are recomputed instead.
HOLD_BYTES = 1 << 30
_HELD = (*PILLARS, "ssi", "ssi_change_7d")
#: Spec inputs a block of ``block_cells`` seller-days is sized for (the shipped spec has 30).
_BLOCK_INPUTS = 32


def tier_of(ssi) -> np.ndarray:
    """LinkedIn's 2014 tiers: ``leader`` above 70, ``laggard`` below 30, else ``middle``."""
    ssi = np.asarray(ssi, dtype=float)
    return np.where(ssi > 70, "leader", np.where(ssi < 30, "laggard", "middle"))


def band_of(ssi) -> np.ndarray:
    """The article's bands: ``poor`` below 40, ``average`` 40 to below 70, ``good`` 70 and up."""
    ssi = np.asarray(ssi, dtype=float)
    return np.where(ssi >= 70, "good", np.where(ssi < 40, "poor", "average"))


def score_days(dataset: Dataset, *, start=None, end=None, every: int = 1, warmup_days: int = 0,
               spec: ScoringSpec | None = None) -> np.ndarray:
    """The days to score: ``start`` to ``end`` every ``every`` days, as datetime64[D].

    Defaults span the dates seen in ``activity`` and ``profiles``.  ``warmup_days``
    moves the default start that many days past the first date, where trailing
    windows are still incomplete (never past ``end``).  An ``every`` longer than
    the span gives the one day ``end``.

    Days must lie within the data's span widened by the spec's ``window_days`` on
    each side (earlier, every window is empty; later, every window has emptied),
    and the score table (sellers x days) must fit in the memory available: both
    are checked before any work (see :func:`check_score_size`).

    Raises
    ------
    UsageError
        When ``start`` is after ``end``, a day lies outside the span allowed or
        the table would not fit in memory.
    MissingTableError
        Without ``activity`` or ``profiles`` when ``start`` or ``end`` is not given.
    """
    spec = spec or load_spec()
    spans = [_date_span(dataset, t) for t in ("activity", "profiles") if t in dataset]
    if (start is None or end is None) and not spans:
        raise MissingTableError("activity", "Scoring (to choose the days to score; or give start and end)")
    if spans:
        span = (_day(min(f for f, _ in spans)), _day(max(last for _, last in spans)))
    hi = _day(end) if end is not None else span[1]
    lo = _day(start) if start is not None else min(span[0] + warmup_days, hi)
    if every < 1 or hi < lo:
        raise UsageError(f"No days to score: start {_iso(lo)}, end {_iso(hi)}, every {every}"
                         f"{' (start is after end)' if hi < lo else ''}.")
    if spans:
        _check_within(lo, hi, span, spec.window_days)
    every = min(int(every), hi - lo + 1)  # longer than the span: the one day `end`
    n_days = (hi - lo) // every + 1
    check_score_size(len(dataset.require("members", "Scoring")), n_days, spec, every=every)
    days = np.arange(hi, hi - n_days * every, -every, dtype=np.int64)[::-1]  # counted back from the end
    return days.astype("datetime64[D]")


def _day(value) -> int:
    """Whole days since 1970-01-01 of a date (text, date or timestamp)."""
    return int(np.datetime64(pd.Timestamp(value), "D").astype(np.int64))


def _iso(day: int) -> str:
    return str(np.datetime64(int(day), "D"))


def _check_within(lo: int, hi: int, span: tuple, window: int) -> None:
    """Refuse days to score more than the scoring window outside the data's span."""
    first, last = span[0] - window, span[1] + window
    if lo < first or hi > last:
        which = [f"start {_iso(lo)}"] * (lo < first) + [f"end {_iso(hi)}"] * (hi > last)
        raise UsageError(f"Days to score: {' and '.join(which)} outside the data's dates ({_iso(span[0])} to "
                         f"{_iso(span[1])}) by more than the scoring window of {window} days; "
                         f"days to score must lie from {_iso(first)} to {_iso(last)}.")


#: Bytes of memory one seller-day takes per score table column (a float64), the
#: estimate :func:`check_score_size` holds against the memory available.
CELL_BYTES = 8


def check_score_size(n_sellers: int, n_days: int, spec: ScoringSpec, *, every: int = 1) -> None:
    """Refuse a score table (sellers x days) larger than the memory available.

    The table holds :data:`SCORE_COLUMNS` and one column per spec input, about
    :data:`CELL_BYTES` bytes each per seller-day.

    Raises
    ------
    UsageError
        Naming the sellers, days and memory, and suggesting a larger ``every``
        or a shorter span.
    """
    need = n_sellers * n_days * (len(SCORE_COLUMNS) + len(spec.inputs)) * CELL_BYTES
    have = _available_memory()
    if need > have:
        fits = max(1, have // max(1, n_sellers * (len(SCORE_COLUMNS) + len(spec.inputs)) * CELL_BYTES))
        raise UsageError(f"Too many days to score: {n_sellers} sellers x {n_days} days (every {every}) "
                         f"need about {need / 2**30:.1f} GiB of memory, {have / 2**30:.1f} GiB are available; "
                         f"score at most {fits} days: a larger every or a shorter span from start to end.")


def _available_memory() -> int:
    """Bytes of memory available to this process now (physical memory when unknown)."""
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except (ImportError, OSError):
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def _date_span(dataset: Dataset, table: str) -> tuple:
    """First and last date of a table (from the load's stats for a lazy table)."""
    stats = dataset.stats.get(table, {})
    if stats.get("first") is not None:
        return pd.Timestamp(stats["first"]), pd.Timestamp(stats["last"])
    dates = dataset[table]["date"]
    first, last = dates.min(), dates.max()
    if hasattr(first, "compute"):  # a Dask table loaded some other way
        first, last = first.compute(), last.compute()
    return first, last


def score_dataset(dataset: Dataset, *, spec: ScoringSpec | None = None, days=None,
                  progress: Callable | None = None) -> pd.DataFrame:
    """Score each seller on each day.

    Parameters
    ----------
    dataset : Dataset
        A validated dataset (``members`` plus any of ``activity``, ``profiles``,
        ``connections``; missing ones score 0 and are listed in ``attrs["notes"]``).
    spec : ScoringSpec, optional
        Default: the spec shipped with the package.
    days : array-like of dates, optional
        Days to score; default :func:`score_days` of the dataset.
    progress : callable, optional
        Called as ``progress(phase)`` and ``progress(phase, done, total)`` as work
        proceeds (see :class:`ssi_kit.progress.Progress`).

    Returns
    -------
    pandas.DataFrame
        One row per seller and day, sorted by ``member_id`` and ``date``, with
        :data:`SCORE_COLUMNS` followed by one ``pillar__input`` contribution column
        per spec input (points the input adds to its pillar).

    See Also
    --------
    score_blocks : the same scores block by block, for data too large to hold as one table.
    """
    return score_blocks(dataset, spec=spec, days=days, progress=progress).to_frame()


@dataclass
class ScoredBlocks:
    """Scores of every seller, held compactly block by block, with the global ranks.

    Iterate :meth:`frames` to stream the score table block by block (each block
    is a slice of the rows of :func:`score_dataset`, in order), or call
    :meth:`to_frame` for the whole table.  When ``rescore`` is set, ``arrays``
    hold only the pillars, SSI and change, and each block's contributions are
    computed again while it is streamed (the same numbers: scoring is
    deterministic), trading time for memory on large data.
    """

    plan: ScoringPlan
    members: pd.DataFrame
    blocks: list
    arrays: list
    ranks: dict
    notes: list
    rescore: Callable | None = None

    @property
    def n_rows(self) -> int:
        """Rows of the score table: sellers x scored days."""
        return len(self.plan.ids) * len(self.plan.scored)

    def frames(self) -> Iterator[pd.DataFrame]:
        """The score table, one block of sellers at a time."""
        labels = _labels_of(self.members)
        for k, block in enumerate(self.blocks):
            values = {name: from_micro(a) for name, a in self._block_scores(k).items()}
            yield _assemble(self.plan, labels, block, values, self._block_ranks(block))

    def _block_scores(self, k: int) -> dict:
        """Block ``k``'s micro-point arrays (computed again when only the pillars are held)."""
        return self.arrays[k] if self.rescore is None else self.rescore(k)[0]

    def _block_ranks(self, block: range) -> dict:
        return {name: r[block.start:block.stop] for name, r in self.ranks.items()}

    def to_frame(self) -> pd.DataFrame:
        """The whole score table (see :func:`score_dataset`)."""
        parts = list(self.frames())
        out = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
        out.attrs["notes"] = list(self.notes)
        return out


def score_blocks(dataset: Dataset, *, spec: ScoringSpec | None = None, days=None,
                 progress: Callable | None = None, block_cells: int = BLOCK_CELLS,
                 hold_bytes: int = HOLD_BYTES, rank: bool = True) -> ScoredBlocks:
    """Score every seller block by block, then rank them all: the memory-lean engine.

    Parameters are those of :func:`score_dataset`, ``block_cells``, the
    seller-days scored at a time, and ``hold_bytes``: when holding every score
    column would take more, only the pillars, SSI and change are held and the
    contributions are computed again block by block as the table is streamed.
    With ``rank=False`` the rank columns are left out (NaN), for callers that
    need the scores only.  When the dataset's ``activity`` or
    ``profiles`` is a Dask DataFrame (see :func:`ssi_kit.io.partitioned.load_partitioned`),
    the blocks run on the current Dask client.  Memory holds the input tables, 4 bytes per
    seller-day per score column and the rank columns, never a seller x day x
    input cube of floats.

    Returns
    -------
    ScoredBlocks
    """
    if _is_lazy(dataset):
        from .dask_engine import current_client, score_blocks_dask

        return score_blocks_dask(dataset, client=current_client(), spec=spec, days=days,
                                 progress=progress, block_cells=block_cells)
    step = progress or (lambda *_: None)
    spec = spec or load_spec()
    members = dataset.require("members", "Scoring")
    ids = pd.Index(members["member_id"])
    scored = day_numbers(score_days(dataset) if days is None else days)
    plan = plan_scoring(ids, scored, spec, dataset.tables,
                        dataset["connections"] if "connections" in dataset else None)
    tables = {t: _by_seller(dataset[t], ids) for t in ("activity", "profiles") if t in dataset}
    # block_cells is sized for _BLOCK_INPUTS inputs: a larger spec scores fewer sellers at a time
    cells = max(1, block_cells * _BLOCK_INPUTS // max(_BLOCK_INPUTS, len(spec.inputs)))
    blocks = seller_blocks(len(ids), len(plan.grid_days), cells)
    lean = len(ids) * len(plan.scored) * len(plan.columns) * 4 > hold_bytes

    def rescore(k: int) -> tuple[dict, list]:
        block = blocks[k]
        part, local = block_tables(tables, block)
        return score_block(part, ids[block.start:block.stop], plan, block, local)

    arrays, notes = [], []
    for k, block in enumerate(blocks):
        step("scoring sellers", k, len(blocks))
        result, notes = rescore(k)
        arrays.append({c: result[c] for c in _HELD} if lean else result)
    step("scoring sellers", len(blocks), len(blocks))
    step("ranks")
    ssi = np.concatenate([from_micro(a["ssi"]) for a in arrays]) if arrays else np.empty((0, len(scored)))
    ranks = (rank_scores(members, ssi.T, dataset["connections"] if "connections" in dataset else None)
             if rank else {})
    return ScoredBlocks(plan=plan, members=members, blocks=blocks, arrays=arrays, ranks=ranks,
                        notes=notes, rescore=rescore if lean else None)


def _is_lazy(dataset: Dataset) -> bool:
    """Whether any table of the dataset is a Dask DataFrame."""
    return any(type(t).__module__.startswith("dask") for t in dataset.tables.values())


def _by_seller(table: pd.DataFrame, ids: pd.Index) -> tuple[pd.DataFrame, np.ndarray]:
    """The table in seller-code order (stable) and its rows' seller codes."""
    codes = ids.get_indexer(table["member_id"])
    if len(codes) and not np.all(codes[1:] >= codes[:-1]):
        order = np.argsort(codes, kind="stable")
        table, codes = table.iloc[order], codes[order]
    return table, codes


#: Seller-days ranked at a time (bounds the temporaries of the group sorts).
_RANK_CELLS = 2_000_000
_RANK_NAMES = ("industry_top_pct", "industry_avg_ssi", "team_top_pct", "team_avg_ssi",
               "network_top_pct", "network_avg_ssi")


def rank_scores(members: pd.DataFrame, ssi: np.ndarray, connections: pd.DataFrame | None) -> dict:
    """Industry, team and network top percentages and averages, seller x day.

    Parameters
    ----------
    members : pandas.DataFrame
        The ``members`` table (seller order).
    ssi : numpy.ndarray, shape (days, sellers)
    connections : pandas.DataFrame or None

    Returns
    -------
    dict of str to numpy.ndarray
        ``{industry,team,network}_{top_pct,avg_ssi}``, each of shape (sellers, days),
        rounded to 6 decimals; NaN where a seller has no industry or team, or
        without a ``connections`` table.
    """
    d, n = ssi.shape
    out = {name: np.full((n, d), np.nan) for name in _RANK_NAMES}
    codes = {name: pd.factorize(members[name].astype(object).to_numpy())[0]
             for name in ("industry", "team") if name in members.columns}
    edges = None
    if connections is not None:
        ids = pd.Index(members["member_id"])
        edges = undirected_edges(ids.get_indexer(connections["member_id"]),
                                 ids.get_indexer(connections["connection_id"]), n)
    step = max(1, _RANK_CELLS // max(n, 1))
    for start in range(0, d, step):  # days are ranked independently: a few at a time
        days = slice(start, min(start + step, d))
        for name, value in _rank_days(ssi[days], codes, edges).items():
            out[name][:, days] = np.round(value, _DECIMALS).T
    return out


def _rank_days(ssi: np.ndarray, codes: dict, edges) -> dict:
    """The rank columns of a few days (days x sellers arrays)."""
    d, n = ssi.shape
    flat, out = ssi.ravel(), {}
    for name, code in codes.items():
        group = np.repeat(np.arange(d), n) * (code.max() + 2) + np.tile(code + 1, d)
        missing = np.tile(code < 0, d)
        out[f"{name}_top_pct"] = np.where(missing, np.nan, group_top_pct(flat, group)).reshape(d, n)
        out[f"{name}_avg_ssi"] = np.where(missing, np.nan, group_mean(flat, group)).reshape(d, n)
    if edges is not None:
        out["network_top_pct"] = network_top_pct(ssi, *edges)
        out["network_avg_ssi"] = network_mean(ssi, *edges)
    return out


def _labels_of(members: pd.DataFrame) -> dict:
    """Category codes and categories of member_id, industry and team, for every seller."""
    n = len(members)
    out = {"member_id": (np.arange(n), pd.Index(members["member_id"].astype(str)))}
    for name in ("industry", "team"):
        labels = members[name] if name in members else pd.Series([None] * n)
        codes, uniques = pd.factorize(labels.astype(object), sort=True)
        out[name] = (codes, pd.Index(uniques.astype(str)))
    return out


def _assemble(plan: ScoringPlan, labels: dict, block: range, values: dict, ranks: dict) -> pd.DataFrame:
    n, d = len(block), len(plan.scored)
    seller = np.repeat(np.arange(block.start, block.stop), d)
    by_seller = np.ravel  # seller x day arrays -> rows sorted by seller, then day
    cols = {"member_id": None,
            "date": np.tile(plan.scored.astype("datetime64[D]").astype("datetime64[ns]"), n)}
    for name in ("member_id", "industry", "team"):
        codes, categories = labels[name]
        cols[name] = pd.Categorical.from_codes(codes[seller], categories=categories)
    cols.update({p: by_seller(values[p]) for p in (*PILLARS, "ssi")})
    ssi = cols["ssi"]
    cols["tier"] = pd.Categorical.from_codes(  # same cut points as tier_of and band_of
        np.where(ssi > 70, 2, np.where(ssi < 30, 0, 1)).astype(np.int8), ["laggard", "middle", "leader"])
    cols["band"] = pd.Categorical.from_codes(
        np.where(ssi >= 70, 2, np.where(ssi < 40, 0, 1)).astype(np.int8), ["poor", "average", "good"])
    for name in SCORE_COLUMNS[SCORE_COLUMNS.index("band") + 1:]:  # ranks, averages, 7-day change
        source = ranks.get(name, values.get(name))
        cols[name] = np.full(n * d, np.nan) if source is None else by_seller(source)
    cols.update({i.column_name: by_seller(values[i.column_name]) for i in plan.spec.inputs})
    return pd.DataFrame(cols, copy=False)
