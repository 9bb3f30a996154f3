"""Raw tables handed to validation one column at a time, to keep memory low.

A :class:`RawTable` knows a table's column names, row labels and how to get
each raw column (text from CSV, Parquet types from Parquet).  Validation asks
for a column, parses and checks it, then releases it, so a large table never
sits in memory twice.  Parquet columns are read from disk only when asked for;
CSV files are read once (only the wanted columns) and their columns dropped as
they are released.
"""
from __future__ import annotations

import csv
from collections.abc import Callable, Collection
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..exceptions import Problem

__all__ = ["RawTable", "UnreadableTable", "read_raw"]


class UnreadableTable(Exception):
    """A table file could not be read; carries the :class:`Problem` to report."""

    def __init__(self, problem: Problem):
        super().__init__(problem.describe())
        self.problem = problem


class RawTable:
    """The raw columns of one table, handed out one at a time.

    Parameters
    ----------
    names : list of str
        Column names in file order (duplicates possible, then validation refuses).
    index : pandas.Index
        Row labels; for CSV the 0-based data row (line number minus 2).
    load : callable
        ``load(name)`` returns the raw column ``name`` as a Series on ``index``.
    owned : dict of str to pandas.Series, optional
        Columns already in memory that this object owns and drops on release.
    """

    def __init__(self, names: list[str], index: pd.Index,
                 load: Callable[[str], pd.Series] | None = None,
                 owned: dict[str, pd.Series] | None = None):
        self.names = list(names)
        self.index = index
        self._load = load
        self._cache: dict[str, pd.Series] = dict(owned or {})
        self._frame: pd.DataFrame | None = None

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> RawTable:
        """Wrap an in-memory raw table (never modified)."""
        out = cls(list(frame.columns), frame.index, load=lambda name: frame[name])
        out._frame = frame
        return out

    def __len__(self) -> int:
        return len(self.index)

    def __contains__(self, name: str) -> bool:
        return name in self.names

    def column(self, name: str) -> pd.Series:
        """The raw column ``name`` (read on first use, kept until released)."""
        if name not in self._cache:
            if self._load is None:
                raise KeyError(f"column {name!r} was released or never read")
            self._cache[name] = self._load(name)
        return self._cache[name]

    def release(self, name: str) -> None:
        """Forget column ``name``; asking for it again reads it again.

        Memory that Arrow's allocator kept from reading and parsing the column
        is handed back to the system, so a large table's transients do not add up.
        """
        self._cache.pop(name, None)
        pa.default_memory_pool().release_unused()

    def to_frame(self) -> pd.DataFrame:
        """All raw columns as one DataFrame (for tables refused before parsing)."""
        if self._frame is not None:
            return self._frame
        if len(set(self.names)) < len(self.names):
            return pd.DataFrame(index=self.index)
        return pd.DataFrame({n: self.column(n) for n in self.names}, index=self.index)


def read_raw(table: str, file: Path,
             keep: Collection[str] | None = None) -> tuple[RawTable | None, Problem | None]:
    """Open one table file as a :class:`RawTable`, or say why it cannot be read.

    Parameters
    ----------
    table : str
        Table name, quoted in problems.
    file : pathlib.Path
        A ``.csv`` or ``.parquet`` file.
    keep : collection of str, optional
        Only these columns are read (those absent from the file are ignored);
        default all.

    Returns
    -------
    raw : RawTable or None
    problem : Problem or None
        Why the file cannot be read, when it cannot.
    """
    try:
        if file.suffix == ".parquet":
            return _parquet(table, file, keep), None
        raw = pd.read_csv(file, dtype=str, keep_default_na=False, skip_blank_lines=False,
                          encoding="utf-8-sig",
                          usecols=None if keep is None else (lambda c: c in keep))
    except pd.errors.EmptyDataError:
        return None, Problem(table, None, "a header row and data; the file is empty", file=str(file))
    except (UnicodeDecodeError, pd.errors.ParserError, OSError, ValueError) as err:
        return None, _unreadable(table, file, err)
    header = _csv_header(file)
    repeated = sorted({c for c in header if header.count(c) > 1})
    if repeated:
        return None, Problem(table, ", ".join(repeated), "unique column names in the header "
                             "(this name appears more than once)", file=str(file))
    raw = _without_blank_rows(raw, file, selected=keep is not None)
    columns = {c: raw[c] for c in raw.columns}
    return RawTable(list(raw.columns), raw.index, owned=columns), None


def _unreadable(table: str, file: Path, err: Exception) -> Problem:
    reason = str(err).splitlines()[0][:200] if str(err) else type(err).__name__
    return Problem(table, None, f"a readable table ({reason})", file=str(file))


def _parquet(table: str, file: Path, keep: Collection[str] | None) -> RawTable:
    meta = pq.read_metadata(file)
    schema = meta.schema.to_arrow_schema()
    index_columns = {c for c in (schema.pandas_metadata or {}).get("index_columns", [])
                     if isinstance(c, str)}
    names = [n for n in schema.names
             if n not in index_columns and (keep is None or n in keep)]

    def load(name: str) -> pd.Series:
        try:
            return pd.read_parquet(file, columns=[name]).reset_index(drop=True)[name]
        except (OSError, ValueError) as err:
            raise UnreadableTable(_unreadable(table, file, err)) from err

    return RawTable(names, pd.RangeIndex(meta.num_rows), load=load)


def _csv_header(file: Path) -> list[str]:
    with open(file, newline="", encoding="utf-8-sig") as handle:
        return [c.strip() for c in next(csv.reader(handle), [])]


def _without_blank_rows(raw: pd.DataFrame, file: Path, *, selected: bool) -> pd.DataFrame:
    """``raw`` without the rows that are blank in every column of the file."""
    if raw.columns.empty:
        return raw
    blank = np.ones(len(raw), dtype=bool)
    for name in raw.columns:
        blank &= (raw[name] == "").to_numpy(dtype=bool)
    if selected and blank.any():
        blank = _blank_in_file(file, blank)
    return raw[~blank] if blank.any() else raw


def _blank_in_file(file: Path, candidates: np.ndarray) -> np.ndarray:
    """Of the candidate rows (blank in the columns read), those blank in all columns."""
    wanted = np.flatnonzero(candidates)
    out = np.zeros(len(candidates), dtype=bool)
    todo, last = set(wanted.tolist()), int(wanted[-1])
    with open(file, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        for i, row in enumerate(reader):
            if i in todo:
                out[i] = all(field == "" for field in row)
            if i >= last:
                break
    return out
