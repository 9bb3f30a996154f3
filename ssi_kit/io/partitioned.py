"""Datasets too large for one machine's memory: the big tables as Dask DataFrames.

:func:`load_partitioned` reads ``activity``, ``profiles`` and ``ssi`` (CSV or
Parquet) as Dask DataFrames, parses and validates every partition on the
cluster with the same rules as :func:`ssi_kit.io.load_dataset`, and reports
problems with file line numbers (CSV) or row numbers (Parquet) counted over the
whole file.  The small tables (``members``, ``connections``, ``outcomes``,
``events``) are read and validated in memory as usual.  Each big table carries
a ``_row`` column (its 0-based position in the file) so that checks made after
repartitioning, such as one row per key, can still point at the file's rows.
"""
from __future__ import annotations

import uuid
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import MAX_EXAMPLES, DatasetError, Problem
from .dataset import Dataset, load_dataset
from .parse import problem_from_mask
from .raw import table_file_problem
from .schemas import TABLE_NAMES, table_key
from .validate import check_member_ids, key_problem_words, validate_table

__all__ = ["load_partitioned", "PARTITIONED_TABLES", "merge_problems", "duplicate_key_problem"]

#: Tables read as Dask DataFrames; the others are small and read into memory.
PARTITIONED_TABLES = ("activity", "profiles", "ssi")
#: Bytes of CSV per partition.
DEFAULT_BLOCKSIZE = "64MB"


def load_partitioned(path, tables=None, *, client, blocksize=DEFAULT_BLOCKSIZE) -> Dataset:
    """Read and validate a dataset directory, the big tables as Dask DataFrames.

    Parameters
    ----------
    path : path-like
        The dataset directory (a local or shared path every worker can read).
    tables : iterable of str, optional
        Tables to read (``members`` is always read); default all present.
    client : distributed.Client
        Where to parse and validate.
    blocksize : str or int
        CSV bytes per partition.

    Returns
    -------
    Dataset
        ``activity``, ``profiles`` and ``ssi`` as validated, typed Dask
        DataFrames (with ``_row``); the other tables as pandas DataFrames.

    Raises
    ------
    DatasetError
        With every problem found in every table.
    """
    path = Path(path)
    wanted = ["members"] + [t for t in (tables or TABLE_NAMES) if t != "members"]
    big = [t for t in wanted if t in PARTITIONED_TABLES and _file_of(path, t) is not None]
    problems: list[Problem] = []
    try:
        small = load_dataset(path, tables=[t for t in wanted if t not in big])
    except DatasetError as err:
        small, problems = None, list(err.problems)
    known = None if small is None else pd.Index(small["members"]["member_id"])
    frames, stats = {}, {}
    for table in big:
        unreadable = table_file_problem(table, _file_of(path, table))  # e.g. a FIFO, a huge header
        if unreadable:
            problems.append(unreadable)
            continue
        frames[table], stats[table], found = _validated(client, _file_of(path, table), table, known,
                                                        blocksize)
        problems += found
    if problems:
        raise DatasetError(problems)
    files = {**small.files, **{t: _file_of(path, t) for t in big}}
    return Dataset(tables={**small.tables, **frames}, path=path, files=files, stats=stats)


def _file_of(path: Path, table: str) -> Path | None:
    hits = [p for p in (path / f"{table}.csv", path / f"{table}.parquet") if p.exists()]
    return hits[0] if len(hits) == 1 else None


def _validated(client, file: Path, table: str, known, blocksize):
    """The table as a lazy, typed Dask DataFrame (with ``_row``), its stats and problems.

    A first pass parses and checks every partition and keeps only the problems and
    row counts; the frame returned parses each partition again when it is used, so
    no more than a few partitions are in memory at a time, whatever the file's size.
    """
    import dask
    import dask.dataframe as dd

    if file.suffix == ".parquet":
        raw = dd.read_parquet(file)
    else:
        raw = dd.read_csv(file, dtype=str, keep_default_na=False, blocksize=blocksize,
                          encoding="utf-8-sig")
    parts, csv = raw.to_delayed(), file.suffix == ".csv"
    shared = None if known is None else dask.delayed(known, name=f"ssi-kit-ids-{uuid.uuid4().hex}")
    check = dask.delayed(_check_part, pure=True)
    found, lengths, spans, codes = zip(*client.gather(client.compute(
        [check(part, table, shared, str(file), csv) for part in parts]))) if parts else ((),) * 4
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64).tolist()
    problems = merge_problems([replace(p, rows=tuple(r + o for r in p.rows))
                               for probs, o in zip(found, offsets) for p in probs])
    if sum(lengths) == 0 and not problems:
        problems = [Problem(table, None, "at least one data row after the header", file=str(file))]
    if problems:
        return None, {}, problems
    dates = [d for span in spans for d in span if d is not None]
    stats = {"rows": int(sum(lengths)), "first": min(dates, default=None), "last": max(dates, default=None),
             "seller_ranges": _seller_ranges([c for c, n in zip(codes, lengths) if n])}
    typed = dask.delayed(_typed_part, pure=True)
    rowed = [typed(part, table, str(file), csv, offset)
             for part, offset, n in zip(parts, offsets, lengths) if n]
    meta = client.compute(dask.delayed(_empty)(rowed[0])).result()
    return dd.from_delayed(rowed, meta=meta, verify_meta=False), stats, []


def _check_part(raw: pd.DataFrame, table: str, known, file: str, csv: bool):
    """(problems, rows, (first, last) date, (first, last, sorted) seller code) of one partition.

    The typed table itself is not kept.
    """
    raw = raw.reset_index(drop=True)
    if raw.empty:
        return [], 0, (None, None), None
    typed, problems = validate_table(table, raw, file=file, csv=csv)
    if not problems and known is not None:
        problems = check_member_ids(table, typed, known, file=file, csv=csv)
    if problems or "date" not in typed or known is None:
        return problems, len(raw), (None, None), None
    code = known.get_indexer(typed["member_id"])
    ordered = bool(np.all(code[1:] >= code[:-1]))
    return problems, len(raw), (typed["date"].min(), typed["date"].max()), (
        int(code.min()), int(code.max()), ordered)


def _seller_ranges(codes) -> list | None:
    """Each partition's (first, last) seller code when the file is sorted by seller, else None."""
    if not codes or any(c is None or not c[2] for c in codes):
        return None
    ranges = [(lo, hi) for lo, hi, _ in codes]
    if any(ranges[i][1] > ranges[i + 1][0] for i in range(len(ranges) - 1)):
        return None
    return ranges


def _typed_part(raw: pd.DataFrame, table: str, file: str, csv: bool, offset: int) -> pd.DataFrame:
    """One partition parsed (already checked), with each row's position in the file."""
    typed, _ = validate_table(table, raw.reset_index(drop=True), file=file, csv=csv)
    return typed.assign(_row=np.arange(offset, offset + len(typed), dtype=np.int64))


def _empty(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.iloc[:0]


def merge_problems(problems) -> list[Problem]:
    """One problem per (table, column, expectation), combining partitions' rows and counts."""
    merged: dict = {}
    for p in problems:
        key = (p.table, p.column, p.expected, p.file, p.row_unit)
        if key not in merged:
            merged[key] = p
            continue
        q = merged[key]
        rows, examples = (q.rows + p.rows)[:MAX_EXAMPLES], (q.examples + p.examples)[:MAX_EXAMPLES]
        merged[key] = replace(q, rows=rows, examples=examples, count=q.count + p.count)
    return list(merged.values())


def duplicate_key_problem(table: str, frame: pd.DataFrame, *, file: str | None,
                          csv: bool) -> Problem | None:
    """The rows of ``frame`` (with ``_row``) that repeat a key of ``table``, if any."""
    key = list(table_key(table))
    dup = frame.duplicated(key, keep="first").to_numpy()
    if not dup.any():
        return None
    where = frame.set_axis(pd.Index(frame["_row"].to_numpy()))  # positions in the file
    label, expected = key_problem_words(table)  # worded as the in-memory validation words it
    return problem_from_mask(table, label, dup, where[key[0]], expected, file=file, csv=csv)
