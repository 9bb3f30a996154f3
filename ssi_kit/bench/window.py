"""Trailing-window sums of the spec's activity inputs: ours against DuckDB and pandas.

All three start from the same Parquet files (``activity.parquet``, ``members.parquet``)
and produce, for every seller on every day from the first to the last activity
date, the sum of each spec input whose source is ``activity`` or ``active_days``
over its trailing window: rows with date in ``(day - w, day]``, all history up to
the day when the window is ``all``; ``active_days`` counts the days whose activity
counts sum above 0.

* *ours*: ``pd.read_parquet`` of the needed columns, then
  :func:`ssi_kit.scoring.features.compute_inputs` block by block of sellers, as the
  engine runs it (sorted keys, prefix sums, two binary searches per seller-day and
  window), into one array per input;
* *DuckDB*: one SQL query on the Parquet files: a dense grid of sellers x days,
  ``LEFT JOIN`` the activity rows, one ``SUM(...) OVER (PARTITION BY seller ORDER BY
  day RANGE BETWEEN w-1 PRECEDING AND CURRENT ROW)`` per distinct (columns, window),
  fetched with ``fetchnumpy``; no ``ORDER BY`` (the seller and day columns come back
  with the sums, and the rows are aligned after the clock stops);
* *pandas*: a dense seller-day frame (``reindex`` on the product of sellers and days)
  and ``groupby("member_id").rolling(f"{w}D", on="date").sum()`` per window
  (``groupby().cumsum()`` for all history).
"""
from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.compute as pc
import pyarrow.parquet as pq  # loaded with the module: the timed steps do not pay for the import

try:  # a peer only (the test extra); imported with the module for the same reason
    import duckdb
except ImportError:  # pragma: no cover
    duckdb = None

from ..io import ACTIVITY_COUNTS
from ..scoring import load_spec
from ..scoring.chunks import block_tables, seller_blocks
from ..scoring.features import Grid, compute_inputs, day_numbers
from ..scoring.sources import columns_read, counts_days, windowed_sources
from ..scoring.spec import ScoringSpec

__all__ = ["window_inputs", "window_keys", "grid_shape", "ours_window_sums", "duckdb_window_sums",
           "window_sql", "pandas_window_sums", "sample_cells", "WINDOW_SOURCES"]

WINDOW_SOURCES = windowed_sources()
_ACTIVE = ("__active__",)


def window_inputs(spec: ScoringSpec | None = None) -> tuple:
    """The inputs of ``spec`` (default: the shipped spec) read from trailing-window sums of activity."""
    spec = spec or load_spec()
    return tuple(i for i in spec.inputs if i.source in WINDOW_SOURCES)


def window_keys(inputs) -> list[tuple[tuple[str, ...], int | None]]:
    """Distinct ``(columns, window)`` pairs of the inputs, in order (``('__active__',)`` for active days)."""
    keys: list = []
    for item in inputs:
        key = (_summed(item), item.window)
        if key not in keys:
            keys.append(key)
    return keys


def _key_index(inputs) -> np.ndarray:
    keys = window_keys(inputs)
    return np.array([keys.index((_summed(i), i.window)) for i in inputs])


def _summed(item) -> tuple[str, ...]:
    """What an input sums per row: its columns, or ``_ACTIVE`` when it counts active days."""
    return _ACTIVE if counts_days(item) else item.columns


def _columns(data_dir: Path, inputs) -> list[str]:
    """Activity count columns the inputs read that the Parquet file has."""
    have = set(pq.read_schema(Path(data_dir) / "activity.parquet").names)
    wanted = set()
    for item in inputs:
        wanted.update(columns_read(item))
    return [c for c in ACTIVITY_COUNTS if c in wanted and c in have]


def grid_shape(data_dir) -> tuple[int, int, int]:
    """``(sellers, first day number, days)`` of the seller x day grid of a dataset."""
    data_dir = Path(data_dir)
    n = pq.ParquetFile(data_dir / "members.parquet").metadata.num_rows
    dates = pq.read_table(data_dir / "activity.parquet", columns=["date"])["date"]
    lo, hi = pc.min_max(dates).values()
    first, last = day_numbers([lo.as_py(), hi.as_py()])
    return int(n), int(first), int(last - first + 1)


def ours_window_sums(data_dir, inputs) -> dict[str, list]:
    """Our trailing-window sums, reading the needed Parquet columns first (the timed step).

    Returns
    -------
    dict of str to list of numpy.ndarray
        Per input (``pillar__name``), one float per seller-day, seller-major, as
        the engine's blocks of sellers (:func:`ours_at` joins them, off the clock).
    """
    data_dir = Path(data_dir)
    cols = _columns(data_dir, inputs)
    act = pd.read_parquet(data_dir / "activity.parquet", columns=["member_id", "date", *cols])
    ids = pd.Index(pd.read_parquet(data_dir / "members.parquet", columns=["member_id"])["member_id"])
    dates = day_numbers(act["date"])
    days = np.arange(dates.min(), dates.max() + 1)
    spec = ScoringSpec(inputs=tuple(inputs), window_days=90, source="window inputs")
    codes, d = ids.get_indexer(act["member_id"]), len(days)
    values: dict = {i.column_name: [] for i in inputs}
    for block in seller_blocks(len(ids), d):  # as the engine does: block by block of sellers
        part, local = block_tables({"activity": (act, codes)}, block)
        sums, _ = compute_inputs(part, ids[block.start:block.stop], Grid(len(block), days), spec,
                                 row_codes=local)
        for name, v in sums.items():
            values[name].append(v)  # the engine consumes blocks; joined after the clock
    return values


def _expression(key, cols) -> str:
    columns, _ = key
    if columns == _ACTIVE:
        return "CAST((" + " + ".join(f'COALESCE("{c}", 0)' for c in cols) + ") > 0 AS BIGINT)"
    present = [c for c in columns if c in cols]
    return " + ".join(f'COALESCE("{c}", 0)' for c in present) if present else "CAST(0 AS BIGINT)"


def window_sql(data_dir, inputs) -> str:
    """The DuckDB query of the trailing-window sums (columns ``code, day, s0, s1, ...`` per key)."""
    data_dir = Path(data_dir)
    keys, cols = window_keys(inputs), _columns(data_dir, inputs)
    act, members = (str(data_dir / f"{t}.parquet").replace("'", "''") for t in ("activity", "members"))
    exprs = ", ".join(f"{_expression(k, cols)} AS e{j}" for j, k in enumerate(keys))
    windows = sorted({w for _, w in keys}, key=lambda w: -1 if w is None else w)
    frames = ", ".join(
        f"w{w or 'all'} AS (PARTITION BY code ORDER BY day RANGE BETWEEN "
        f"{'UNBOUNDED' if w is None else w - 1} PRECEDING AND CURRENT ROW)" for w in windows)
    sums = ", ".join(f"CAST(COALESCE(SUM(e{j}) OVER w{w or 'all'}, 0) AS BIGINT) AS s{j}"
                     for j, (_, w) in enumerate(keys))
    return f"""
        WITH m AS (SELECT member_id, file_row_number AS code
                   FROM read_parquet('{members}', file_row_number = true)),
        a AS (SELECT m.code, CAST(a.date AS DATE) - DATE '1970-01-01' AS day, {exprs}
              FROM read_parquet('{act}') AS a JOIN m USING (member_id)),
        d AS (SELECT unnest(range(min(day), max(day) + 1)) AS day
              FROM (SELECT CAST(date AS DATE) - DATE '1970-01-01' AS day FROM read_parquet('{act}'))),
        x AS (SELECT m.code, d.day, {", ".join(f"a.e{j}" for j in range(len(keys)))}
              FROM m CROSS JOIN d LEFT JOIN a ON a.code = m.code AND a.day = d.day)
        SELECT code, day, {sums} FROM x
        WINDOW {frames}"""


def duckdb_window_sums(data_dir, inputs) -> dict[str, np.ndarray]:
    """DuckDB's trailing-window sums (the timed step): ``code``, ``day`` and ``s<k>`` per key."""
    con = duckdb.connect()  # default threads and memory limit
    con.execute("SET enable_progress_bar = false")
    try:
        return con.execute(window_sql(data_dir, inputs)).fetchnumpy()
    finally:
        con.close()


def pandas_window_sums(data_dir, inputs) -> dict[str, np.ndarray]:
    """Naive pandas trailing-window sums (the timed step): ``s<k>`` per key, seller-major.

    A dense seller-day frame, then ``groupby("member_id").rolling(f"{w}D", on="date")``
    sums of the keys with window ``w`` (``groupby().cumsum()`` for all history).
    """
    data_dir = Path(data_dir)
    keys, cols = window_keys(inputs), _columns(data_dir, inputs)
    act = pd.read_parquet(data_dir / "activity.parquet", columns=["member_id", "date", *cols])
    ids = pd.read_parquet(data_dir / "members.parquet", columns=["member_id"])["member_id"]
    counts = act[cols].fillna(0)
    sums = {f"s{j}": (counts.sum(axis=1) > 0).astype("int64") if c == _ACTIVE
            else counts[[x for x in c if x in cols]].sum(axis=1) for j, (c, _) in enumerate(keys)}
    frame = pd.DataFrame({"member_id": act["member_id"], "date": act["date"], **sums})
    days = pd.date_range(act["date"].min(), act["date"].max(), freq="D")
    full = pd.MultiIndex.from_product([ids, days], names=["member_id", "date"])
    dense = frame.set_index(["member_id", "date"]).reindex(full, fill_value=0).reset_index()
    out = {}
    for w in {w for _, w in keys}:
        names = [f"s{j}" for j, (_, kw) in enumerate(keys) if kw == w]
        groups = dense.groupby("member_id", sort=False)
        if w is None:
            result = groups[names].cumsum()
        else:
            # indexed by (member_id, date), groups in first-appearance order: seller-major like ``dense``
            result = groups.rolling(f"{w}D", on="date")[names].sum()
        out.update({name: result[name].to_numpy(dtype=float) for name in names})
    return out


def sample_cells(n_cells: int, size: int | None, seed: int = 0) -> np.ndarray | None:
    """Sorted random cell indices to compare (``None``: every cell, when ``size`` is None or >= n_cells)."""
    if size is None or size >= n_cells:
        return None
    return np.sort(np.random.default_rng(seed).choice(n_cells, size=size, replace=False))


def _take(values: np.ndarray, cells) -> np.ndarray:
    return np.asarray(values, dtype=float) if cells is None else np.asarray(values, dtype=float)[cells]


def ours_at(values: dict, names, cells) -> np.ndarray:
    values = {name: np.concatenate(v) if isinstance(v, list) else v for name, v in values.items()}
    """Our sums at the sampled cells, shape (cells, inputs) (a ``reduce`` for :func:`~.measure.measure`)."""
    return np.column_stack([_take(values[name], cells) for name in names])


def pandas_at(values: dict, index, cells) -> np.ndarray:
    """The pandas sums at the sampled cells, one column per input."""
    return np.column_stack([_take(values[f"s{k}"], cells) for k in index])


def duckdb_at(values: dict, index, cells, first: int, n_days: int) -> np.ndarray:
    """DuckDB's sums at the sampled cells, one column per input (rows aligned by seller and day)."""
    pos = np.asarray(values["code"], dtype=np.int64) * n_days + (np.asarray(values["day"], np.int64) - first)
    rows = np.empty(len(pos), dtype=np.int64)
    rows[pos] = np.arange(len(pos))
    if cells is not None:
        rows = rows[cells]
    return np.column_stack([np.asarray(values[f"s{k}"], dtype=float)[rows] for k in index])


def reducers(inputs, cells, first: int, n_days: int) -> dict:
    """Picklable ``reduce`` functions of the three implementations, keyed ours/duckdb/pandas."""
    names = [i.column_name for i in inputs]
    index = _key_index(inputs)
    return {"ours": functools.partial(ours_at, names=names, cells=cells),
            "duckdb": functools.partial(duckdb_at, index=index, cells=cells, first=first, n_days=n_days),
            "pandas": functools.partial(pandas_at, index=index, cells=cells)}


def warm(path) -> None:
    """Read a dataset's Parquet files once so no implementation pays for a cold disk cache."""
    for file in sorted(Path(path).glob("*.parquet")):
        with open(file, "rb") as fh:
            while fh.read(1 << 24):
                pass


def _check_text(cells, n_cells: int, n_inputs: int) -> str:
    where = f"all {n_cells:,} cells" if cells is None else f"{len(cells):,} random cells of {n_cells:,}"
    return f"identical sums on {where} x {n_inputs} inputs"


def window_rows(cache, sizes, *, months: int = 24, pandas_limit: float = 120.0, repeat: int = 2,
                sample: int = 10_000, full_check: int = 1_500_000, cap_bytes=None, log=print) -> list:
    """Measure ours, DuckDB and pandas at each size (seller-days) and return the table rows.

    Parameters
    ----------
    cache : path-like
        Folder of the cached simulated datasets.
    sizes : sequence of float
        Seller-days; each becomes ``members_for(size, months)`` sellers over ``months``.
    months : int
    pandas_limit : float
        pandas runs where the sizes it ran at predict at most this many seconds (0: never).
    repeat : int
        Runs of ours and DuckDB (best kept); pandas runs once.
    sample, full_check : int
        Cells compared when the grid has more than ``full_check`` cells (all cells otherwise).
    cap_bytes : int, optional
        Memory cap of each step (see :func:`~ssi_kit.bench.measure.measure`).
    log : callable

    Returns
    -------
    list of Row
        Two per size: ours against DuckDB, ours against pandas.

    Raises
    ------
    BenchMismatch
        When a peer's sums differ from ours.
    """
    from .data import members_for, window_dataset
    from .measure import extrapolate

    inputs = window_inputs()
    what = f"window sums ({len(inputs)} inputs, Parquet read incl.)"
    rows, pandas_points = [], []
    for size in sorted(sizes):
        path = window_dataset(cache, members_for(size, months), months)
        n, first, n_days = grid_shape(path)
        cells = sample_cells(n * n_days, None if n * n_days <= full_check else sample)
        job = dict(path=path, inputs=inputs, cells=cells, reduce=reducers(inputs, cells, first, n_days),
                   size=n * n_days, cap_bytes=cap_bytes)
        warm(path)
        log(f"window sums, {n * n_days:,} seller-days: ours and DuckDB")
        duck_row, ours_value, base = _duckdb_row(f"{what} vs DuckDB", job, repeat)
        rows.append(duck_row)
        rows.append(_pandas_row(f"{what} vs pandas", job, ours_value, base,
                                extrapolate(pandas_points, n * n_days), pandas_limit, pandas_points, log))
    return rows


def _duckdb_row(what, job, repeat):
    """The ours-against-DuckDB row of one size, our sampled sums and the fields shared with the pandas row."""
    from .measure import attempt, cpu_count
    from .table import Row, check_identical

    names = [i.column_name for i in job["inputs"]]
    ours, why = attempt(ours_window_sums, job["path"], job["inputs"], reduce=job["reduce"]["ours"],
                        repeat=repeat, cap_bytes=job["cap_bytes"])
    base = dict(size=job["size"], unit="seller-days")
    if ours is not None:
        base.update(seconds=ours.seconds, peak_gb=ours.peak_bytes / 1e9)
    row = Row(what=what, peer=f"DuckDB {_duckdb_version()} SQL window query on the Parquet files, "
              f"{cpu_count()} threads", limit=1.0, target="ratio <= 1", **base)
    if ours is None:
        row.status, row.note = "failed", f"ours failed: {why}"
        return row, None, base
    duck, why = attempt(duckdb_window_sums, job["path"], job["inputs"], reduce=job["reduce"]["duckdb"],
                        repeat=repeat, cap_bytes=job["cap_bytes"])
    if duck is None:
        row.status, row.note = "failed", f"DuckDB failed: {why}"
        return row, ours.value, base
    check_identical(ours.value, duck.value, "DuckDB", names)
    row.peer_seconds, row.peer_peak_gb = duck.seconds, duck.peak_bytes / 1e9
    row.check = _check_text(job["cells"], job["size"], len(names))
    return row, ours.value, base


def _pandas_row(what, job, ours_value, base, predicted, limit, points, log):
    """The ours-against-pandas row of one size; pandas is skipped when predicted over ``limit`` seconds."""
    from .measure import attempt
    from .table import Row, check_identical

    row = Row(what=what, peer="pandas groupby('member_id').rolling(f'{w}D', on='date').sum() "
              "(cumsum for all history) on a dense seller-day frame", limit=0.1,
              target="ratio <= 0.1 (10x faster)", **base)
    if ours_value is None:
        row.status, row.note = "failed", "ours failed (see the DuckDB row)"
        return row
    if limit <= 0 or predicted > limit:
        row.status = "not run"
        row.note = (f"pandas not run at this size: the sizes it ran at predict {predicted:,.1f} s "
                    f"> {limit:,.1f} s here" if limit > 0 else "pandas not run (--pandas-limit 0)")
        return row
    log(f"window sums, {job['size']:,} seller-days: pandas")
    m, why = attempt(pandas_window_sums, job["path"], job["inputs"], reduce=job["reduce"]["pandas"],
                     repeat=1, cap_bytes=job["cap_bytes"])
    if m is None:
        row.status, row.note = "failed", f"pandas failed: {why}"
        return row
    names = [i.column_name for i in job["inputs"]]
    check_identical(ours_value, m.value, "pandas", names)
    points.append((job["size"], m.seconds))
    row.peer_seconds, row.peer_peak_gb = m.seconds, m.peak_bytes / 1e9
    row.check = _check_text(job["cells"], job["size"], len(names))
    return row


def _duckdb_version() -> str:
    return duckdb.__version__ if duckdb is not None else "(not installed)"
