"""Whole processes: ``ssi-kit score`` against DuckDB computing the bare window sums, same files.

The issue's target (#13): ``ssi-kit score DIR --out O --format csv`` (and
``--format parquet``), timed as a whole process from the shell (interpreter
start, imports, reading and validating the tables, scoring, ranks, writing), is
no slower than DuckDB, also a whole process (``python -c`` importing ``duckdb``),
reading the same input files, computing the trailing-window sums of activity the
spec needs over the same sellers x days grid, and writing a table of the same
number of rows and columns (``COPY ... TO 'x.csv'`` or ``(FORMAT parquet)``).  The
sums are padded to the width of the score table with columns of 6-decimal floats
derived from them, so DuckDB formats as many numbers as the kit does.

Both are run ``repeat`` times, alternating, and the best wall time of each is kept.
After the clock stops, the row and column counts of the two outputs are checked
equal.  DuckDB uses every CPU; the kit mostly one.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from .table import BenchMismatch, Row

__all__ = ["process_rows", "time_kit", "time_duckdb", "duckdb_sql", "table_shape", "PROCESS_FORMATS",
           "RATIO_TARGET"]

#: Output formats timed, each against DuckDB writing the same format.
PROCESS_FORMATS = ("csv", "parquet")
#: Target on seconds(kit) / seconds(DuckDB).
RATIO_TARGET = 1.0
_DUCKDB = "import sys, duckdb; con = duckdb.connect(); con.execute(open(sys.argv[1]).read()); con.close()"


def _run(argv: list[str]) -> float:
    """Wall seconds of one child process; its stderr quoted when it fails."""
    t0 = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:4])} ... failed ({done.returncode}): {done.stderr.strip()[-800:]}")
    return seconds


def time_kit(data_dir, out, fmt: str) -> float:
    """Seconds of ``python -m ssi_kit score DATA --out OUT --format FMT -q`` as a child process."""
    return _run([sys.executable, "-m", "ssi_kit", "score", str(data_dir), "--out", str(out),
                 "--format", fmt, "-q"])


def time_duckdb(sql_file) -> float:
    """Seconds of a child ``python -c`` importing duckdb and running the SQL in ``sql_file``."""
    return _run([sys.executable, "-c", _DUCKDB, str(sql_file)])


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _reader(data_dir: Path, table: str) -> str:
    """DuckDB's table function reading ``table`` in whichever format the dataset holds it."""
    parquet = data_dir / f"{table}.parquet"
    if parquet.exists():
        return f"read_parquet({_quote(parquet)})"
    return f"read_csv({_quote(data_dir / f'{table}.csv')}, header = true)"


def _header(data_dir: Path, table: str) -> list[str]:
    parquet = data_dir / f"{table}.parquet"
    if parquet.exists():
        return pq.read_schema(parquet).names
    with open(data_dir / f"{table}.csv", encoding="utf-8-sig") as handle:
        return handle.readline().strip().split(",")


def _sums(inputs, have: set[str]) -> tuple[list[str], list[str]]:
    """Per distinct (columns, window) of the spec's window inputs: its row expression and window."""
    from ..scoring.sources import columns_read, counts_days
    from .window import window_keys

    keys = window_keys(inputs)
    active = {window_keys([i])[0] for i in inputs if counts_days(i)}
    read = sorted({c for i in inputs for c in columns_read(i) if c in have})
    exprs, windows = [], []
    for key in keys:
        columns, window = key
        if key in active:
            expr = "CAST((" + " + ".join(f'COALESCE("{c}", 0)' for c in read) + ") > 0 AS BIGINT)"
        else:
            present = [c for c in columns if c in have]
            expr = " + ".join(f'COALESCE("{c}", 0)' for c in present) if present else "CAST(0 AS BIGINT)"
        exprs.append(expr)
        windows.append("UNBOUNDED" if window is None else str(window - 1))
    return exprs, windows


def duckdb_sql(data_dir, out, fmt: str, n_columns: int) -> str:
    """The DuckDB statement: window sums over the seller x day grid, ``COPY`` to ``out``.

    Parameters
    ----------
    data_dir : path-like
        The dataset (``members`` and ``activity`` tables, CSV or Parquet).
    out : path-like
        The file written.
    fmt : {"csv", "parquet"}
    n_columns : int
        Columns of the table written (``member_id``, ``date``, sums, then padding).
    """
    from .window import window_inputs

    data_dir = Path(data_dir)
    exprs, windows = _sums(window_inputs(), set(_header(data_dir, "activity")))
    sums = [f"CAST(COALESCE(SUM(e{j}) OVER (PARTITION BY member_id ORDER BY day RANGE BETWEEN "
            f"{w} PRECEDING AND CURRENT ROW), 0) AS BIGINT) AS s{j}" for j, w in enumerate(windows)]
    pad = [f"ROUND(s{k % len(sums)} / {k + 7}.0, 6) AS p{k}" for k in range(max(0, n_columns - 2 - len(sums)))]
    option = "FORMAT csv, HEADER true" if fmt == "csv" else "FORMAT parquet"
    return f"""
        SET enable_progress_bar = false;
        COPY (
          WITH a AS (SELECT member_id, CAST(date AS DATE) AS day,
                            {", ".join(f"{e} AS e{j}" for j, e in enumerate(exprs))}
                     FROM {_reader(data_dir, "activity")}),
          d AS (SELECT CAST(unnest(range(min(day), max(day) + INTERVAL 1 DAY, INTERVAL 1 DAY)) AS DATE) AS day
                FROM a),
          x AS (SELECT m.member_id, d.day, {", ".join(f"a.e{j}" for j in range(len(exprs)))}
                FROM (SELECT member_id FROM {_reader(data_dir, "members")}) AS m CROSS JOIN d
                LEFT JOIN a ON a.member_id = m.member_id AND a.day = d.day),
          s AS (SELECT member_id, day, {", ".join(sums)} FROM x)
          SELECT member_id, day AS date, {", ".join([f"s{j}" for j in range(len(sums))] + pad)} FROM s
        ) TO {_quote(Path(out))} ({option});
    """


def table_shape(path) -> tuple[int, int]:
    """Rows and columns of a written CSV (lines counted in blocks; no quoted newlines) or Parquet file."""
    path = Path(path)
    if path.suffix == ".parquet":
        meta = pq.read_metadata(path)
        return meta.num_rows, meta.num_columns
    with open(path, "rb") as handle:
        columns = len(handle.readline().split(b","))
        rows = sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 24), b""))
    return rows, columns


def _compare(data_dir: Path, fmt: str, repeat: int, log) -> tuple[float, float, str]:
    """Best seconds of the kit and of DuckDB writing ``fmt``, and the shape check."""
    with tempfile.TemporaryDirectory(prefix="ssi-kit-process-") as tmp:
        tmp = Path(tmp)
        kit, duck = [], []
        for k in range(max(1, repeat)):
            kit.append(time_kit(data_dir, tmp / "kit", fmt))
            if k == 0:
                shape = table_shape(tmp / "kit" / f"scores.{fmt}")
                sql = tmp / "duckdb.sql"
                sql.write_text(duckdb_sql(data_dir, tmp / f"duckdb.{fmt}", fmt, shape[1]), encoding="utf-8")
            duck.append(time_duckdb(sql))
            log(f"  run {k + 1}: ssi-kit {kit[-1]:.2f} s, DuckDB {duck[-1]:.2f} s")
        theirs = table_shape(tmp / f"duckdb.{fmt}")
    if theirs != shape:
        raise BenchMismatch(f"DuckDB wrote {theirs[0]:,} rows x {theirs[1]} columns, "
                            f"the kit {shape[0]:,} x {shape[1]}: the comparison is void")
    return min(kit), min(duck), f"same shape: {shape[0]:,} rows x {shape[1]} columns"


def process_rows(cache, *, members: int = 2000, months: int = 24, inputs=("csv", "parquet"),
                 formats=PROCESS_FORMATS, repeat: int = 2, log=print) -> list:
    """Rows of the whole-process comparison, one per input format and output format.

    Parameters
    ----------
    cache : path-like
        Folder of the cached simulated datasets (see :mod:`ssi_kit.bench.data`).
    members, months : int
        Size of the simulated dataset (2,000 x 24 months: 1.46M seller-days).
    inputs : sequence of {"csv", "parquet"}
        Formats of the input tables (the same files for both).
    formats : sequence of {"csv", "parquet"}
        Output formats.
    repeat : int
        Runs of each; the best is kept.
    log : callable

    Returns
    -------
    list of ssi_kit.bench.table.Row
    """
    from .data import span_days, window_dataset

    rows = []
    for source in inputs:
        data = window_dataset(cache, members, months, fmt=source)
        for fmt in formats:
            row = Row(what=f"whole process: ssi-kit score, {source} in, {fmt} out", unit="seller-days",
                      size=members * span_days(months), peer=f"DuckDB process: window sums + COPY to {fmt}",
                      limit=RATIO_TARGET, target=f"ratio <= {RATIO_TARGET:g}")
            log(f"whole process, {source} input, {fmt} output, {row.size:,} seller-days")
            row.seconds, row.peer_seconds, row.check = _compare(data, fmt, repeat, log)
            rows.append(row)
    return rows
