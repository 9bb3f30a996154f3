"""Write a table that arrives as consecutive blocks of rows, without holding it whole.

One writer for every table the kit writes (:func:`ssi_kit.io.write_table` calls
:func:`write_blocks` with one block), CSV or Parquet by the file's suffix, through
Arrow rather than pandas' row-by-row formatter: a batch of rows is formatted column
by column (floats in numpy, text and repeated values once per distinct value) and
written by Arrow's CSV writer in a thread while the next batch is formatted, so
1.46M rows of 48 columns take seconds instead of 40.

What the CSV promises (the same bytes on every run, for any block size):

- a header row once, ``,`` between fields and ``\\n`` at the end of each row;
- dates as ``YYYY-MM-DD`` (a timestamp's time part dropped), booleans as ``true``/``false``;
- an empty field for a missing value (a table of one column writes ``""``, so
  the row is not a blank line);
- integers as digits; a float that is a multiple of 10**-6 (every score) in fixed
  notation with at most six decimals and at least one (``3.0``, ``0.000001``), any
  other float in the shortest text that parses back to it (Arrow's: ``1e-7``), a
  whole float with ``.0``, so that a reader infers a float column again;
- text quoted only when it holds ``,``, ``"``, a line feed or a carriage return,
  with ``"`` doubled (:mod:`csv`'s minimal quoting, but a lone carriage return is
  quoted too).

The Parquet file gets one row group per block (at most Arrow's default row-group
size), every block with the first block's schema, the first block's ``attrs`` kept
as ``to_parquet`` keeps them.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from .atomic import atomic_file

__all__ = ["write_blocks", "csv_text", "CSV_BATCH_ROWS"]

#: Rows formatted together: bounds the text held at once (about 40 MB at 400 bytes a row).
CSV_BATCH_ROWS = 1 << 17
#: Characters that make a CSV field be quoted.
_NEEDS_QUOTES = '[",\n\r]'


def write_blocks(blocks: Iterable[pd.DataFrame], path, *, schema: pa.Schema | None = None) -> int:
    """Write row blocks as one table, atomically: CSV or Parquet by the file's suffix.

    The CSV is byte-identical whatever the blocks' sizes, and to
    :func:`ssi_kit.io.write_table` of the concatenated blocks; the Parquet file
    gets one row group per block.  Nothing is left behind when a block fails.

    Parameters
    ----------
    blocks : iterable of pandas.DataFrame
        Blocks with the same columns and dtypes, in row order.
    path : path-like
        ``*.csv`` or ``*.parquet``.
    schema : pyarrow.Schema, optional
        Parquet only: the file's schema (default that of the first block).

    Returns
    -------
    int
        Rows written.
    """
    path = Path(path)
    with atomic_file(path) as tmp:
        if path.suffix == ".parquet":
            return _parquet(blocks, tmp, schema)
        with open(tmp, "wb") as handle:
            return _write_csv(blocks, handle)


def _write_csv(blocks: Iterable[pd.DataFrame], handle) -> int:
    """Write the CSV: each batch is formatted while a thread writes the one before."""
    rows, pending = 0, None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ssi-kit-csv") as writer:
        for k, block in enumerate(blocks):
            if k == 0:
                handle.write(_header(block.columns))
            for piece in _pieces(block):
                if pending is not None:
                    pending.result()
                pending = writer.submit(_write_piece, piece, handle)
            rows += len(block)
        if pending is not None:
            pending.result()
    return rows


def csv_text(frame: pd.DataFrame) -> str:
    """``frame`` as the CSV text :func:`write_blocks` writes (header included).

    Parameters
    ----------
    frame : pandas.DataFrame

    Returns
    -------
    str
    """
    handle = io.BytesIO()
    handle.write(_header(frame.columns))
    for piece in _pieces(frame):
        _write_piece(piece, handle)
    return handle.getvalue().decode("utf-8")


def _header(columns: pd.Index) -> bytes:
    """The header row, names quoted as :mod:`csv` quotes them (minimally)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([str(c) for c in columns])
    return buffer.getvalue().encode("utf-8")


def _pieces(block: pd.DataFrame):
    """The data rows of ``block`` as pieces to write: Arrow tables, or bytes, a batch of rows at a time."""
    if block.shape[1] == 0:
        yield b"\n" * len(block)
        return
    for start in range(0, len(block), CSV_BATCH_ROWS):
        part = block.iloc[start:start + CSV_BATCH_ROWS]
        columns = [_arrow_column(part.iloc[:, i]) for i in range(part.shape[1])]
        if len(columns) > 1 and not any(_needs_quotes(c) for c in columns):
            yield pa.table(columns, names=[f"c{i}" for i in range(len(columns))])
        else:
            yield _joined_rows([_as_text(c) for c in columns])


def _write_piece(piece, handle) -> None:
    if isinstance(piece, pa.Table):
        pa_csv.write_csv(piece, handle, _UNQUOTED)
    else:
        handle.write(piece)


#: Arrow's CSV writer for fields that need no quotes (text is checked first, see :func:`_needs_quotes`).
_UNQUOTED = pa_csv.WriteOptions(include_header=False, quoting_style="none", eol="\n", batch_size=16384)


def _arrow_column(series: pd.Series) -> pa.Array:
    """One column as Arrow data Arrow's CSV writer formats as the CSV promises.

    Numbers other than floats, booleans and dates are Arrow's own (``true``, ISO
    days); floats become text (:func:`_float_text`); text is quoted where needed and
    categorical or repeated values are formatted once each, as a dictionary.
    """
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return _dictionary(series.cat.codes.to_numpy(), pd.Series(series.cat.categories))
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return _dates(series)
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_integer_dtype(dtype):
        return pa.array(series, from_pandas=True)
    if pd.api.types.is_float_dtype(dtype):
        return _floats(series.to_numpy(dtype=np.float64, na_value=np.nan))
    if pd.api.types.is_string_dtype(dtype) and not pd.api.types.is_object_dtype(dtype):
        return _quoted(pa.array(series, from_pandas=True))
    return _quoted(_object_text(series))


def _dictionary(codes: np.ndarray, values: pd.Series) -> pa.Array:
    """Row ``i`` is ``values[codes[i]]`` in the CSV's format (empty where the code is -1)."""
    codes = np.asarray(codes, dtype=np.int32)
    text = _as_text(_arrow_column(values)) if len(values) else pa.array([], pa.string())
    return pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0), text)


def _dates(series: pd.Series) -> pa.Array:
    """Calendar days (Arrow writes ``YYYY-MM-DD``): a timestamp's day, local to its time zone."""
    if getattr(series.dtype, "tz", None) is not None:
        series = series.dt.tz_localize(None)
    days = series.to_numpy().astype("datetime64[D]")
    return pa.array(days, from_pandas=True)


def _as_text(column: pa.Array) -> pa.Array:
    """Arrow data as the CSV's text, null where the field is empty."""
    if pa.types.is_dictionary(column.type):
        column = pc.take(column.dictionary, column.indices)
    return pc.cast(column, pa.large_string())


def _needs_quotes(column: pa.Array) -> bool:
    """Whether text (or a dictionary's values) holds a field that must be quoted."""
    if pa.types.is_dictionary(column.type):
        column = column.dictionary
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return False
    return bool(pc.any(pc.starts_with(column, '"')).as_py())


def _joined_rows(columns: list[pa.Array]) -> memoryview:
    """The rows of text columns (nulls empty) joined by Arrow's kernels: for quoted text.

    A table of one column writes ``""`` for an empty field, so that the row is not a
    blank line (which readers skip).
    """
    empty, quotes, eol, comma = (pa.scalar(t, pa.large_string()) for t in ("", '""', "\n", ","))
    if len(columns) == 1:
        columns[0] = pc.if_else(pc.equal(pc.fill_null(columns[0], empty), empty), quotes, columns[0])
    columns[-1] = pc.binary_join_element_wise(pc.fill_null(columns[-1], empty), empty, eol)
    rows = pc.binary_join_element_wise(*columns, comma, null_handling="replace", null_replacement="")
    rows = pa.concat_arrays(rows.chunks) if isinstance(rows, pa.ChunkedArray) else rows
    width = np.int64 if pa.types.is_large_string(rows.type) else np.int32
    offsets = np.frombuffer(rows.buffers()[1], dtype=width)[rows.offset:rows.offset + len(rows) + 1]
    if len(rows) == 0 or offsets[-1] == offsets[0]:
        return memoryview(b"")
    return memoryview(rows.buffers()[2])[int(offsets[0]):int(offsets[-1])]


def _floats(values: np.ndarray) -> pa.Array:
    """:func:`_float_text` of a column; a column of few distinct values formats each once."""
    sample = values[:_SAMPLE]
    if len(values) < 4 * _SAMPLE or len(np.unique(sample)) > _SAMPLE // 4:
        return _float_text(values)
    if ((values == 0) & np.signbit(values)).any():  # factorize would merge -0.0 into 0.0
        return _float_text(values)
    codes, uniques = pd.factorize(values)
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32), mask=codes < 0),
                                          _float_text(np.asarray(uniques, dtype=np.float64)))


#: Values looked at to decide whether a float column is worth formatting through its distinct values.
_SAMPLE = 4096


def _float_text(values: np.ndarray) -> pa.Array:
    """Floats as text: up to six decimals in fixed notation when exact, else Arrow's shortest.

    A value ``v`` with ``|v| < 1e12`` that is a multiple of 10**-6 (``rint(v * 1e6) / 1e6 == v``)
    is written in fixed notation without trailing zeros but with at least one decimal
    (``3.0``, ``-0.25``, ``0.000001``); any other value as Arrow writes it (``1e-7``,
    ``inf``), with ``.0`` added to a whole number; NaN as an empty field.  The text
    depends on the value alone, not on how rows are split into blocks.
    """
    with np.errstate(invalid="ignore", over="ignore"):
        micro = np.rint(values * 1e6)
        exact = (np.abs(values) < 1e12) & (micro / 1e6 == values) & ~((values == 0) & np.signbit(values))
    text = _fixed_text(np.where(exact, micro, 0).astype(np.int64), ~exact)
    other = ~exact & ~np.isnan(values)
    if other.any():
        text = pc.if_else(pa.array(exact), text, _shortest_text(np.where(other, values, np.nan)))
    return text


def _shortest_text(values: np.ndarray) -> pa.Array:
    """Arrow's shortest round-trip text of floats; whole numbers get ``.0``."""
    text = pc.cast(pa.array(values, from_pandas=True), pa.large_string())
    with np.errstate(invalid="ignore"):
        whole = np.isfinite(values) & (values == np.trunc(values))
    if not whole.any():
        return text
    plain = pc.invert(pc.match_substring(text, "e"))  # 1e+16 stays as it is
    suffixed = pc.binary_join_element_wise(text, pa.scalar(".0", text.type), pa.scalar("", text.type))
    return pc.if_else(pc.and_(pa.array(whole), plain), suffixed, text)


#: ``_DIGITS[:, k]`` is the three ASCII digits of ``k`` (``000`` to ``999``).
_DIGITS = np.array([list(f"{k:03d}".encode()) for k in range(1000)], dtype=np.uint8).T.copy()
#: Trailing zeros of ``k`` written with three digits (``_TRAILING[0] == 3``).
_TRAILING = np.array([3 - len(f"{k:03d}".rstrip("0")) for k in range(1000)], dtype=np.int64)


def _fixed_text(micro: np.ndarray, null: np.ndarray) -> pa.Array:
    """Millionths ``micro`` as ``[-]digits.decimals`` text (null where ``null``), built in numpy.

    Each character position is one contiguous row of a (width, n) byte matrix with a
    mask of the characters kept; the kept characters, row by row, are the strings.
    """
    negative = micro < 0
    whole, fraction = np.divmod(np.abs(micro), 1_000_000)
    high, low = np.divmod(fraction, 1000)
    longest = len(str(int(whole.max(initial=0))))
    digits = 1 + sum((whole >= 10 ** p).astype(np.int64) for p in range(1, longest))
    groups = -(-longest // 3)
    chars = np.empty((1 + 3 * groups + 7, len(micro)), dtype=np.uint8)
    keep = np.empty(chars.shape, dtype=bool)
    chars[0], keep[0] = ord("-"), negative
    for g in range(groups):
        chars[1 + 3 * g:4 + 3 * g] = _DIGITS[:, whole // 1000 ** (groups - 1 - g) % 1000]
    keep[1:1 + 3 * groups] = np.arange(3 * groups)[:, None] >= 3 * groups - digits
    chars[1 + 3 * groups], keep[1 + 3 * groups] = ord("."), True
    chars[2 + 3 * groups:5 + 3 * groups], chars[5 + 3 * groups:] = _DIGITS[:, high], _DIGITS[:, low]
    zeros = np.where(low == 0, 3 + _TRAILING[high], _TRAILING[low])
    keep[2 + 3 * groups:] = np.arange(6)[:, None] < np.maximum(1, 6 - zeros)
    if null.any():
        keep[:, null] = False
    offsets = np.concatenate([[0], np.cumsum(keep.sum(axis=0, dtype=np.int64))])
    data = np.ascontiguousarray(chars.T)[np.ascontiguousarray(keep.T)]
    return pa.Array.from_buffers(pa.large_string(), len(micro),
                                 [pa.array(~null).buffers()[1], pa.py_buffer(offsets), pa.py_buffer(data)])


def _object_text(series: pd.Series) -> pa.Array:
    """Any other column as ``str`` of each value (as pandas writes it); missing values null."""
    try:
        array = pa.array(series, from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):
        array = None
    if array is not None and (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)
                              or pa.types.is_null(array.type)):
        return array.cast(pa.string())
    missing = series.isna().to_numpy(dtype=bool)
    return pa.array([None if gone else str(v) for v, gone in zip(series.tolist(), missing)], pa.string())


def _quoted(text: pa.Array) -> pa.Array:
    """Text fields quoted where they hold ``,``, ``"``, LF or CR, with inner quotes doubled."""
    text = text.cast(pa.string()) if not pa.types.is_string(text.type) else text
    needs = pc.match_substring_regex(text, _NEEDS_QUOTES)
    if not pc.any(needs).as_py():
        return text
    doubled = pc.replace_substring(text, '"', '""')
    return pc.if_else(needs, pc.binary_join_element_wise('"', doubled, '"', ""), text)


def _parquet(blocks, tmp, schema: pa.Schema | None) -> int:
    """Write the Parquet file, one row group per block; a thread writes while the next block converts."""
    import pyarrow.parquet as pq

    writer, rows, pending = None, 0, None
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ssi-kit-parquet") as pool:
            for block in blocks:
                table = pa.Table.from_pandas(block, schema=schema, preserve_index=False)
                if writer is None:
                    schema = _with_attrs(table.schema, block.attrs)
                    writer = pq.ParquetWriter(tmp, schema)
                if pending is not None:
                    pending.result()
                pending = pool.submit(writer.write_table, table.replace_schema_metadata(schema.metadata))
                rows += len(block)
            if pending is not None:
                pending.result()
        if writer is None and schema is not None:  # no block: an empty file of the given schema
            pq.ParquetWriter(tmp, schema).close()
    finally:
        if writer is not None:
            writer.close()
    return rows


def _with_attrs(schema: pa.Schema, attrs: dict) -> pa.Schema:
    """``schema`` carrying a frame's ``attrs`` as pandas' ``to_parquet`` stores them (read back by ``read_parquet``)."""
    if not attrs:
        return schema
    import json

    return schema.with_metadata({**(schema.metadata or {}), b"PANDAS_ATTRS": json.dumps(attrs).encode()})
