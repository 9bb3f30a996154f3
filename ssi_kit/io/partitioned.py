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

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import MAX_EXAMPLES, DatasetError, Problem
from .dataset import Dataset, load_dataset
from .parse import problem_from_mask
from .schemas import MODELS, TABLE_NAMES, table_key
from .validate import check_member_ids, validate_table

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
        Where to parse and validate; the typed partitions stay on its workers.
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
    frames = {}
    for table in big:
        frames[table], found = _validated(client, _file_of(path, table), table, known, blocksize)
        problems += found
    if problems:
        raise DatasetError(problems)
    files = {**small.files, **{t: _file_of(path, t) for t in big}}
    return Dataset(tables={**small.tables, **frames}, path=path, files=files)


def _file_of(path: Path, table: str) -> Path | None:
    hits = [p for p in (path / f"{table}.csv", path / f"{table}.parquet") if p.exists()]
    return hits[0] if len(hits) == 1 else None


def _validated(client, file: Path, table: str, known, blocksize):
    """The table's typed partitions (kept on the workers) as a Dask DataFrame, and its problems."""
    import dask
    import dask.dataframe as dd

    if file.suffix == ".parquet":
        raw = dd.read_parquet(file)
    else:
        raw = dd.read_csv(file, dtype=str, keep_default_na=False, blocksize=blocksize,
                          encoding="utf-8-sig")
    check = dask.delayed(_check_part, nout=3, pure=True)
    shared = None if known is None else client.scatter(known, broadcast=True, hash=False)
    checks = [check(part, table, shared, str(file), file.suffix == ".csv") for part in raw.to_delayed()]
    typed = client.compute([c[0] for c in checks])
    found, lengths = client.gather(client.compute([[c[1] for c in checks], [c[2] for c in checks]]))
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64).tolist()
    problems = merge_problems([replace(p, rows=tuple(r + o for r in p.rows))
                               for probs, o in zip(found, offsets) for p in probs])
    if sum(lengths) == 0 and not problems:
        problems = [Problem(table, None, "at least one data row after the header", file=str(file))]
    if problems:
        client.cancel(typed)
        return None, problems
    rowed = client.map(_with_rows, typed, offsets, pure=True)
    meta = client.submit(_empty, rowed[0]).result()
    return dd.from_delayed(rowed, meta=meta, verify_meta=False), []


def _check_part(raw: pd.DataFrame, table: str, known, file: str, csv: bool):
    raw = raw.reset_index(drop=True)
    if raw.empty:
        return raw, [], 0
    typed, problems = validate_table(table, raw, file=file, csv=csv)
    if not problems and known is not None:
        problems = check_member_ids(table, typed, known, file=file, csv=csv)
    return typed, problems, len(raw)


def _with_rows(typed: pd.DataFrame, offset: int) -> pd.DataFrame:
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
    where = frame.set_axis(pd.Index(frame["_row"].to_numpy()))
    words = "one row per key ({})".format(", ".join(getattr(MODELS[table].Config, "unique", key)))
    return problem_from_mask(table, "+".join(key), dup, where[key[0]], words, file=file, csv=csv)
