"""Raw tables handed to validation one column at a time, to keep memory low.

A :class:`RawTable` knows a table's column names, row labels and how to get
each raw column (text from CSV, Parquet types from Parquet).  Validation asks
for a column, parses and checks it, then releases it, so a large table never
sits in memory twice.  Parquet columns are read from disk only when asked for;
CSV files are read once (only the wanted columns) and their columns dropped as
they are released.

Only regular files are read (a FIFO, device or socket would block or never end),
and a CSV header is read within limits (:data:`MAX_COLUMNS` columns, names of at
most :data:`MAX_NAME_CHARS` characters) before any parser sees the file; the
importers' readers apply the same limits (:func:`not_regular`, :func:`csv_header`).
"""
from __future__ import annotations

import csv
import io
import os
import stat
from collections import Counter
from collections.abc import Callable, Collection
from pathlib import Path
from typing import TextIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..exceptions import Problem

__all__ = ["RawTable", "UnreadableTable", "read_raw", "table_file_problem", "not_regular",
           "csv_header", "HeaderError", "MAX_COLUMNS", "MAX_NAME_CHARS"]

#: Most columns a table's header row may name.
MAX_COLUMNS = 1_000
#: Longest column name, in characters.
MAX_NAME_CHARS = 1_000
#: Most characters read to find the header row (enough for the limits above).
MAX_HEADER_CHARS = 1024 * 1024

_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"))


class HeaderError(ValueError):
    """A header row beyond the limits; the message says what was expected and what it holds."""


def not_regular(path) -> str | None:
    """Why ``path`` is not a regular file to read (``"a FIFO (named pipe)"``, ...), or None.

    Symbolic links are followed: a link to a FIFO is a FIFO.  A missing file is
    reported as ``"missing"``.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "missing"
    except OSError as err:
        return f"unreadable ({err.strerror or err})"
    if stat.S_ISREG(mode):
        return None
    return next((what for test, what in _KINDS if test(mode)), "not a regular file")


def csv_header(stream: TextIO, delimiter: str = ",") -> list[str]:
    """The header row at the start of a CSV text stream, read within the limits.

    At most :data:`MAX_HEADER_CHARS` characters are read, so a header of a
    million columns is refused as fast as one of a thousand and one.

    Raises
    ------
    HeaderError
        More than :data:`MAX_COLUMNS` columns, a name longer than
        :data:`MAX_NAME_CHARS` characters, or a header row longer than
        :data:`MAX_HEADER_CHARS` characters.
    """
    head = stream.read(MAX_HEADER_CHARS + 1)
    buffer = io.StringIO(head, newline="")
    try:
        cells = next(csv.reader(buffer, delimiter=delimiter), [])
    except csv.Error as err:  # a field longer than the csv module's limit (128 KiB)
        raise HeaderError(f"column names of at most {MAX_NAME_CHARS:,} characters (a header field "
                          f"is larger than the csv reader's limit: {err})") from None
    if len(head) > MAX_HEADER_CHARS and buffer.tell() >= len(head):
        raise HeaderError(f"a header row of at most {MAX_HEADER_CHARS:,} characters (this one is longer): "
                          f"at most {MAX_COLUMNS:,} columns named in at most {MAX_NAME_CHARS:,} characters each")
    if len(cells) > MAX_COLUMNS:
        raise HeaderError(f"at most {MAX_COLUMNS:,} columns in the header row (it has {len(cells):,})")
    long = [i for i, c in enumerate(cells, 1) if len(c) > MAX_NAME_CHARS]
    if long:
        raise HeaderError(f"column names of at most {MAX_NAME_CHARS:,} characters "
                          f"(column {long[0]} has {len(cells[long[0] - 1]):,})")
    return cells


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
    problem = table_file_problem(table, file)
    if problem:
        return None, problem
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
    raw = _without_blank_rows(raw, file, selected=keep is not None)
    columns = {c: raw[c] for c in raw.columns}
    return RawTable(list(raw.columns), raw.index, owned=columns), None


def table_file_problem(table: str, file: Path) -> Problem | None:
    """Why a table file cannot be read, found before any parser opens it; None if it can.

    The file must be regular (not a FIFO, device, socket or a link to one); a CSV
    header must keep within :data:`MAX_COLUMNS` and :data:`MAX_NAME_CHARS` and name
    each column once; a Parquet schema within :data:`MAX_COLUMNS`.
    """
    why = not_regular(file)
    if why:
        return Problem(table, None, f"a regular file to read; this is {why}", file=str(file))
    try:
        if file.suffix == ".parquet":
            names = pq.read_schema(file).names
            if len(names) > MAX_COLUMNS:
                raise HeaderError(f"at most {MAX_COLUMNS:,} columns (it has {len(names):,})")
        else:
            with open(file, newline="", encoding="utf-8-sig") as handle:
                names = [c.strip() for c in csv_header(handle)]
    except HeaderError as err:
        return Problem(table, None, str(err), file=str(file))
    except (UnicodeDecodeError, OSError, ValueError) as err:
        return _unreadable(table, file, err)
    repeated = sorted(name for name, n in Counter(names).items() if n > 1)
    if repeated and file.suffix != ".parquet":
        return Problem(table, ", ".join(repeated), "unique column names in the header "
                       "(this name appears more than once)", file=str(file))
    return None


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
    """Of the candidate rows (blank in the columns read), those blank in all columns.

    A field beyond the csv module's size limit (128 KiB, in a column not read) ends
    the search: the rows not yet seen are kept (and validated), never dropped.
    """
    wanted = np.flatnonzero(candidates)
    out = np.zeros(len(candidates), dtype=bool)
    todo, last = set(wanted.tolist()), int(wanted[-1])
    with open(file, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        try:
            next(reader, None)
            for i, row in enumerate(reader):
                if i in todo:
                    out[i] = all(field == "" for field in row)
                if i >= last:
                    break
        except csv.Error:
            pass
    return out
