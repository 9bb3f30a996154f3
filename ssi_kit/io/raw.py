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
A CSV data row may hold no more fields than the header (a row of a million commas
is refused naming its line, in bounded memory, before pandas' tokenizer sees it).
A Parquet file is checked from its metadata first: its columns must be flat
(numbers, text, dates, booleans; no lists, structs or binary) and its decoded size,
estimated from the row count and column types, must fit in half the memory the
process may use (:func:`memory_budget`).
"""
from __future__ import annotations

import csv
import io
import os
import resource
import stat
from collections import Counter
from collections.abc import Callable, Collection
from pathlib import Path
from typing import TextIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from ..exceptions import Problem

__all__ = ["RawTable", "UnreadableTable", "read_raw", "table_file_problem", "not_regular",
           "csv_header", "HeaderError", "MAX_COLUMNS", "MAX_NAME_CHARS", "MAX_LINE_BYTES",
           "memory_budget"]

#: Most columns a table's header row may name.
MAX_COLUMNS = 1_000
#: Longest column name, in characters.
MAX_NAME_CHARS = 1_000
#: Most characters read to find the header row (enough for the limits above).
MAX_HEADER_CHARS = 1024 * 1024
#: Longest CSV row, in bytes (the block size of the bounded field-count scan).
MAX_LINE_BYTES = 16 * 1024 * 1024
#: Estimated decoded bytes per Parquet cell of text (a pointer and a Python string).
_TEXT_CELL_BYTES = 64

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
    if not problem:
        problem = (_parquet_size_problem(table, file, keep) if file.suffix == ".parquet"
                   else _long_row_problem(table, file))
    if problem:
        return None, problem
    try:
        if file.suffix == ".parquet":
            return _parquet(table, file, keep), None
        raw = _arrow_csv(file, keep)
        if raw is None:
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


def _arrow_csv(file: Path, keep: Collection[str] | None) -> pd.DataFrame | None:
    """The columns of a well-formed CSV of two or more columns as text, read by Arrow; else None.

    The common case, read in parallel and several times faster than pandas' parser.
    Anything unusual (one column, a blank line, a row shorter than the header, text
    that is not UTF-8, a header Arrow reads otherwise) returns None, and the caller
    reads the file with pandas, whose behaviour on such files the kit documents.
    The result is what pandas returns on the files read here: every field as text
    (``""`` when empty) in pandas' string dtype, on a RangeIndex of the data rows.
    """
    with open(file, newline="", encoding="utf-8-sig") as handle:
        names = csv_header(handle)
    wanted = [n for n in names if keep is None or n in keep]
    if len(names) < 2 or not wanted or len(set(names)) < len(names):
        return None
    try:  # large_string: what pandas' string dtype holds, so the columns convert without a copy
        table = pa_csv.read_csv(
            file, read_options=pa_csv.ReadOptions(block_size=MAX_LINE_BYTES),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(
                include_columns=wanted, column_types={n: pa.large_string() for n in wanted},
                strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowException, OSError, ValueError):
        return None
    if table.column_names != wanted:
        return None
    return pd.DataFrame({n: table.column(n).to_pandas() for n in wanted}, copy=False)


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
            schema = pq.read_schema(file)
            names = schema.names
            if len(names) > MAX_COLUMNS:
                raise HeaderError(f"at most {MAX_COLUMNS:,} columns (it has {len(names):,})")
            nested = next((f for f in schema if not _flat(f.type)), None)
            if nested is not None:
                return Problem(table, nested.name, "a flat column of numbers, text, dates or booleans "
                               f"(this one holds {nested.type}: lists, structs, maps and binary data "
                               "are not read)", file=str(file))
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


def _flat(kind: pa.DataType) -> bool:
    """Whether a Parquet column of Arrow type ``kind`` is one the kit reads (not nested or binary)."""
    if pa.types.is_dictionary(kind):
        return _flat(kind.value_type)
    return not (pa.types.is_nested(kind) or pa.types.is_binary(kind) or pa.types.is_large_binary(kind)
                or pa.types.is_fixed_size_binary(kind) or pa.types.is_binary_view(kind))


def memory_budget() -> int:
    """Bytes a table read may decode to: half the physical memory, or of the address-space limit."""
    total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    soft = resource.getrlimit(resource.RLIMIT_AS)[0]
    if soft != resource.RLIM_INFINITY:
        total = min(total, soft)
    return total // 2


def _parquet_size_problem(table: str, file: Path, keep: Collection[str] | None) -> Problem | None:
    """Refuse a Parquet file whose columns read would decode beyond :func:`memory_budget`.

    The estimate comes from the metadata alone (row count and column types): a
    small file of dictionary- or run-length-encoded rows can unpack to far more.
    """
    try:
        meta = pq.read_metadata(file)
        schema = meta.schema.to_arrow_schema()
    except (OSError, ValueError) as err:
        return _unreadable(table, file, err)
    cell = sum(_cell_bytes(f.type) for f in schema if keep is None or f.name in keep)
    need, budget = meta.num_rows * cell, memory_budget()
    if need <= budget:
        return None
    return Problem(table, None, f"a table that fits in memory: its {meta.num_rows:,} rows would take "
                   f"about {need / 2**30:,.1f} GiB once read, more than the {budget / 2**30:,.1f} GiB "
                   "allowed (half of the memory this process may use); split it or keep fewer rows",
                   file=str(file))


def _cell_bytes(kind: pa.DataType) -> int:
    """Estimated bytes of one decoded cell of Arrow type ``kind``."""
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    try:
        return max(1, kind.bit_width // 8) + 1
    except ValueError:  # variable width: text
        return _TEXT_CELL_BYTES


def _long_row_problem(table: str, file: Path) -> Problem | None:
    """Refuse a CSV data row with more fields than the header, scanned in bounded memory.

    pandas' tokenizer, asked for some columns only, would hold every field of such a
    row (a row of 200,000 commas takes gigabytes); Arrow's block reader counts them
    in blocks of :data:`MAX_LINE_BYTES`.  Row numbers count the header as line 1.
    """
    with open(file, newline="", encoding="utf-8-sig", errors="replace") as handle:
        width = len(csv_header(handle))
    found: list = []

    def invalid(row) -> str:
        if row.actual_columns <= row.expected_columns:
            return "skip"  # short rows (and blank lines) are validation's business
        found.append(row)
        return "error"

    names = [f"f{i}" for i in range(max(width, 1))]
    try:
        reader = pa_csv.open_csv(
            file, read_options=pa_csv.ReadOptions(skip_rows=1, column_names=names, use_threads=False,
                                                  block_size=MAX_LINE_BYTES),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False,
                                              invalid_row_handler=invalid),
            convert_options=pa_csv.ConvertOptions(include_columns=names[:1],
                                                  column_types={names[0]: pa.binary()}))
        for _ in reader:
            pass
    except (pa.ArrowInvalid, OSError) as err:
        if not found and "straddl" in str(err):
            return Problem(table, None, f"rows of at most {MAX_LINE_BYTES // 2**20} MiB (a row is longer)",
                           file=str(file))
    if not found:
        return None
    row = found[0]
    line = f"line {row.number:,}" if row.number is not None else "a row"
    return Problem(table, None, f"at most {width:,} fields per row, as in the header ({line} has "
                   f"{row.actual_columns:,})", file=str(file))


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
