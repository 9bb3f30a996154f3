"""Turn raw table columns (text from CSV, or Parquet types) into the contract's types.

What each column becomes is read off the pandera model of its table, so the
models in :mod:`ssi_kit.io.schemas` stay the one source of truth.  Every cell
that cannot be parsed becomes a :class:`~ssi_kit.exceptions.Problem`; parsing
never raises on bad data.

Numbers, counts and dates are written with the digits 0-9 only: a cell in other
scripts' digits (``٣`` Arabic-Indic, ``５`` full-width) is refused as not a
number, never read as a number and never dropped.  Counts go up to
:data:`MAX_COUNT`; dates lie from :data:`MIN_DATE` to :data:`MAX_DATE` (inside
the range of pandas' timestamps); a value outside is refused, naming its rows.

A text column of counts, dates or numbers written with digits, "-" and "." only
is read by Arrow's casts, to the same values the general parsers give; a column
with any other cell, or a cell refused, goes through the general parsers, which
word the problems.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..exceptions import MAX_EXAMPLES, Problem

__all__ = ["column_kind", "parse_column", "problem_from_mask", "bad_cell_problems", "MAX_COUNT",
           "MIN_DATE", "MAX_DATE", "EXPECTED"]

_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})
_DATE_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"  # digits 0-9 only (not r"\d": other scripts' digits)
_INT_RE = r"^[+-]?[0-9]+$"

#: The largest count accepted (a trillion): larger values are refused as too large.
MAX_COUNT = 10**12
#: The first and last dates accepted (pandas' nanosecond timestamps span 1677-09-21 to 2262-04-11).
MIN_DATE, MAX_DATE = pd.Timestamp("1678-01-01"), pd.Timestamp("2261-12-31")

EXPECTED = {
    "text": "a non-blank text value",
    "date": "an ISO date YYYY-MM-DD that exists in the calendar",
    "count": "a whole number (a non-negative integer count)",
    "bool": "a boolean: true/false, 1/0 or yes/no (any case)",
    "number": "a finite number",
}
#: What is expected of a cell written in other scripts' digits, of a count above
#: :data:`MAX_COUNT`, and of a date outside :data:`MIN_DATE` - :data:`MAX_DATE`.
OTHER_DIGITS = ("a value written with the digits 0-9 (digits of other scripts, such as "
                "Arabic-Indic or full-width ones, are not read)")
TOO_LARGE = f"a count of at most {MAX_COUNT} (this value is too large)"
OUT_OF_RANGE = (f"a date from {MIN_DATE:%Y-%m-%d} to {MAX_DATE:%Y-%m-%d} "
                "(this date is outside the range the kit can hold)")
_OTHER_DIGITS_RE = r"(?![0-9])\d"


def column_kind(dtype) -> str:
    """Map a pandera column dtype to a parse kind (text, date, count, bool, number)."""
    name = str(dtype)
    if name.startswith("datetime64"):
        return "date"
    return {"Int64": "count", "boolean": "bool", "Float64": "number"}.get(name, "text")


def _blank(raw: pd.Series, text: pd.Series | None = None) -> np.ndarray:
    """Missing or (for text) whitespace-only cells; ``text`` is ``_as_text(raw)`` if known."""
    if raw.dtype == object or pd.api.types.is_string_dtype(raw.dtype):
        text = _as_text(raw) if text is None else text
        return text.eq("").fillna(True).to_numpy(dtype=bool)
    return raw.isna().to_numpy(dtype=bool)


def _as_text(raw: pd.Series) -> pd.Series:
    return raw.astype("string").str.strip()


def _parse_text(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    text = _as_text(raw)
    blank = _blank(raw, text)
    out = text.astype("str")
    del text
    if blank.any():
        out[blank] = None
    return out, np.zeros(len(raw), dtype=bool)


def _parse_count(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    fast = _fast_counts(raw)
    if fast is not None:
        return fast, np.zeros(len(raw), dtype=bool)
    if pd.api.types.is_bool_dtype(raw.dtype):
        return raw.astype("Int64"), np.zeros(len(raw), dtype=bool)
    if pd.api.types.is_integer_dtype(raw.dtype):
        bad = (raw.abs() > MAX_COUNT).fillna(False).to_numpy(dtype=bool)
        return (raw.where(~bad) if bad.any() else raw).astype("Int64"), bad
    if pd.api.types.is_float_dtype(raw.dtype):
        num = raw.to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):  # inf: refused below, without a RuntimeWarning
            bad = ~np.isnan(num) & (~np.isfinite(num) | (np.mod(num, 1) != 0) | (np.abs(num) > MAX_COUNT))
        clean = raw.where(~bad)
        return clean.astype("Float64").round().astype("Int64"), bad
    text = _as_text(raw)
    ok = text.str.fullmatch(_INT_RE).fillna(False).to_numpy(dtype=bool)
    big = _too_long(text, ok)
    bad = (~ok & ~_blank(raw, text)) | big
    values = _whole_numbers(text.where(ok & ~big))
    large = (values.abs() > MAX_COUNT).fillna(False).to_numpy(dtype=bool)
    if large.any():
        values, bad = values.where(~large), bad | large
    return values, bad


def _too_long(text: pd.Series, ok: np.ndarray) -> np.ndarray:
    """Whole-number cells whose value lies beyond :data:`MAX_COUNT` and may not fit int64."""
    long = ok & (text.str.len() > 18).fillna(False).to_numpy(dtype=bool)
    if long.any():
        where = np.flatnonzero(long)
        long[where] = [abs(int(v)) > MAX_COUNT for v in text.iloc[where]]
    return long


def _whole_numbers(text: pd.Series) -> pd.Series:
    """``Int64`` of text cells that are whole numbers (``[+-]digits``, fitting int64) or missing."""
    try:  # Arrow's cast is fast but refuses a leading "+"
        return text.str.removeprefix("+").astype("Int64")
    except (ValueError, TypeError, OverflowError):
        return pd.Series([None if pd.isna(v) else int(v) for v in text], index=text.index,
                         dtype="Int64")


def _parse_bool(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    if pd.api.types.is_bool_dtype(raw.dtype):
        return raw.astype("boolean"), np.zeros(len(raw), dtype=bool)
    text = _as_text(raw)
    blank = _blank(raw, text)
    text = text.str.lower()
    is_true = text.isin(_TRUE).fillna(False).to_numpy(dtype=bool)
    is_false = text.isin(_FALSE).fillna(False).to_numpy(dtype=bool)
    if pd.api.types.is_numeric_dtype(raw.dtype):
        num = raw.to_numpy(dtype=float, na_value=np.nan)
        is_true, is_false = num == 1, num == 0
    values = pd.array(np.where(is_true, True, False), dtype="boolean")
    values[~(is_true | is_false)] = pd.NA
    bad = ~(is_true | is_false) & ~blank
    return pd.Series(values, index=raw.index), bad


def _parse_date(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    fast = _fast_dates(raw)
    if fast is not None:
        return fast, np.zeros(len(raw), dtype=bool)
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        values = pd.to_datetime(raw).dt.tz_localize(None) if getattr(raw.dt, "tz", None) else raw
        bad = (values.notna() & ((values != values.dt.normalize()) | ~_in_range(values))).to_numpy(dtype=bool)
        return values.where(~bad).astype("datetime64[ns]"), bad
    text = _as_text(raw)
    shaped = text.str.fullmatch(_DATE_RE).fillna(False).to_numpy(dtype=bool)
    values = pd.to_datetime(text.where(shaped), format="%Y-%m-%d", errors="coerce")
    if values.min() < MIN_DATE or values.max() > MAX_DATE:  # rare: check cell by cell only then
        values = values.where(_in_range(values))
    bad = values.isna().to_numpy() & ~_blank(raw, text)
    return values.astype("datetime64[ns]"), bad


def _in_range(values: pd.Series) -> pd.Series:
    """Whether each date lies from :data:`MIN_DATE` to :data:`MAX_DATE` (False when missing)."""
    return values.ge(MIN_DATE) & values.le(MAX_DATE)


def _parse_number(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    fast = _fast_numbers(raw)
    if fast is not None:
        return fast, np.zeros(len(raw), dtype=bool)
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        values, text = raw.astype("Float64"), None
    else:
        text = _as_text(raw)
        values = pd.to_numeric(text, errors="coerce").astype("Float64")
    finite = np.isfinite(values.to_numpy(dtype=float, na_value=np.nan))
    bad = ~finite & ~_blank(raw, text)
    return values.where(finite), bad


#: Bytes of a cell the fast paths take: ASCII digits and the minus sign (no space, "+", "x"),
#: and for numbers also the decimal point (no exponent, "inf" or "nan").
_DIGITS_MINUS, _DECIMALS = np.zeros(256, dtype=bool), np.zeros(256, dtype=bool)
_DIGITS_MINUS[list(b"0123456789-")] = True
_DECIMALS[list(b"0123456789-.")] = True


def _plain_text(raw: pd.Series, allowed: np.ndarray = _DIGITS_MINUS) -> pa.ChunkedArray | None:
    """Arrow text of ``raw``, ``""`` as missing, if its bytes are all ``allowed``; else None.

    The fast paths below read such a column with Arrow's casts, which accept
    a subset of what the general parsers accept and read it to the same values;
    anything else (spaces, signs, hexadecimal, other scripts' digits) returns
    None and is parsed by the general path, which also words the problems.
    """
    if not isinstance(raw.array, pd.arrays.ArrowStringArray):
        return None
    text = pa.array(raw.array)
    if isinstance(text, pa.Array):
        text = pa.chunked_array([text])
    empty = False
    for chunk in text.chunks:
        if not (pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type)):
            return None
        if len(chunk) == 0:
            continue
        _, offsets, data = chunk.buffers()
        if data is not None and not allowed[np.frombuffer(data, dtype=np.uint8)].all():
            return None
        wide = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
        ends = np.frombuffer(offsets, dtype=wide)[chunk.offset:chunk.offset + len(chunk) + 1]
        empty = empty or bool((np.diff(ends) == 0).any())  # "" or missing
    return pc.if_else(pc.equal(text, ""), None, text) if empty else text


def _fast_counts(raw: pd.Series) -> pd.Series | None:
    """:func:`_parse_count` of a text column of plain whole numbers within :data:`MAX_COUNT`; else None."""
    text = _plain_text(raw)
    if text is None:
        return None
    try:
        values = pc.cast(text, pa.int64())
    except (pa.ArrowInvalid, OverflowError, ValueError):
        return None
    low, high = pc.min_max(values).values()
    if low.is_valid and (low.as_py() < -MAX_COUNT or high.as_py() > MAX_COUNT):
        return None
    array = pd.arrays.IntegerArray(pc.fill_null(values, 0).to_numpy(),
                                   pc.is_null(values).to_numpy(zero_copy_only=False))
    return pd.Series(array, index=raw.index, name=raw.name)


#: :data:`MIN_DATE` and :data:`MAX_DATE` in days since 1970-01-01 (Arrow's date32).
_DAYS = tuple((day - pd.Timestamp(0)).days for day in (MIN_DATE, MAX_DATE))


def _fast_dates(raw: pd.Series) -> pd.Series | None:
    """:func:`_parse_date` of a text column of ISO dates within the range held; else None.

    Arrow's cast to a date reads exactly ``YYYY-MM-DD`` of a day in the calendar.
    """
    text = _plain_text(raw)
    if text is None:
        return None
    try:
        days = pc.cast(text, pa.date32())
    except (pa.ArrowInvalid, OverflowError, ValueError):
        return None
    first, last = pc.min_max(pc.cast(days, pa.int32())).values()  # days since 1970-01-01
    if first.is_valid and (first.as_py() < _DAYS[0] or last.as_py() > _DAYS[1]):
        return None
    stamps = np.require(pc.cast(days, pa.timestamp("ns")).to_numpy(zero_copy_only=False), requirements="W")
    return pd.Series(stamps, index=raw.index, name=raw.name, dtype="datetime64[ns]")


def _fast_numbers(raw: pd.Series) -> pd.Series | None:
    """:func:`_parse_number` of a text column of plain finite decimals; else None.

    Arrow's cast and pandas' ``to_numeric`` read such text to the same doubles.
    """
    text = _plain_text(raw, _DECIMALS)
    if text is None:
        return None
    try:
        values = pc.cast(text, pa.float64())
    except (pa.ArrowInvalid, OverflowError, ValueError):
        return None
    if pc.all(pc.is_finite(values)).as_py() is False:  # None: every cell blank
        return None
    array = pd.arrays.FloatingArray(pc.fill_null(values, 0.0).to_numpy(),
                                    pc.is_null(values).to_numpy(zero_copy_only=False))
    return pd.Series(array, index=raw.index, name=raw.name)


_PARSERS = {"text": _parse_text, "count": _parse_count, "bool": _parse_bool,
            "date": _parse_date, "number": _parse_number}


def parse_column(raw: pd.Series, kind: str) -> tuple[pd.Series, np.ndarray]:
    """Parse one raw column.

    Parameters
    ----------
    raw : pandas.Series
        Text (from CSV) or typed values (from Parquet).
    kind : {"text", "date", "count", "bool", "number"}

    Returns
    -------
    values : pandas.Series
        Parsed values; blank and unparseable cells are missing.
    bad : numpy.ndarray of bool
        True where a non-blank cell could not be parsed.
    """
    return _PARSERS[kind](raw)


def bad_cell_problems(table: str, column: str, raw: pd.Series, kind: str, bad: np.ndarray, *,
                      file: str | None = None, csv: bool = True) -> list[Problem]:
    """The problems of the cells :func:`parse_column` refused, one per reason.

    Cells in other scripts' digits (:data:`OTHER_DIGITS`), counts above
    :data:`MAX_COUNT` (:data:`TOO_LARGE`) and dates outside :data:`MIN_DATE` -
    :data:`MAX_DATE` (:data:`OUT_OF_RANGE`) are reported apart from the others
    (``EXPECTED[kind]``), so the message says what is wrong with the value.

    Parameters
    ----------
    table, column : str
    raw : pandas.Series
        The raw column parsed.
    kind : str
        As for :func:`parse_column`.
    bad : numpy.ndarray of bool
        The refused cells, as :func:`parse_column` returned them.
    file : str, optional
    csv : bool

    Returns
    -------
    list of Problem
    """
    rest, reasons = bad.copy(), []
    for expected, finder in ((OTHER_DIGITS, _other_digits), (TOO_LARGE, _beyond_max_count),
                             (OUT_OF_RANGE, _outside_dates)):
        if finder is _beyond_max_count and kind != "count" or finder is _outside_dates and kind != "date":
            continue
        where = np.flatnonzero(rest)
        found = np.zeros(len(raw), dtype=bool)
        if len(where):
            found[where] = finder(raw.iloc[where])
        reasons.append((found, expected))
        rest &= ~found
    reasons.append((rest, EXPECTED[kind]))
    return [problem_from_mask(table, column, mask, raw, expected, file=file, csv=csv)
            for mask, expected in reasons if mask.any()]


def _texts(raw: pd.Series) -> pd.Series | None:
    if raw.dtype == object or pd.api.types.is_string_dtype(raw.dtype):
        return _as_text(raw)
    return None


def _other_digits(raw: pd.Series) -> np.ndarray:
    text = _texts(raw)
    if text is None:
        return np.zeros(len(raw), dtype=bool)
    return text.str.contains(_OTHER_DIGITS_RE).fillna(False).to_numpy(dtype=bool)


def _beyond_max_count(raw: pd.Series) -> np.ndarray:
    text = _texts(raw)
    if text is None:
        num = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        return np.abs(num) > MAX_COUNT
    whole = text.str.fullmatch(_INT_RE).fillna(False).to_numpy(dtype=bool)
    return np.array([w and abs(int(v)) > MAX_COUNT for w, v in zip(whole, text)], dtype=bool)


def _outside_dates(raw: pd.Series) -> np.ndarray:
    text = _texts(raw)
    if text is None:
        values = pd.to_datetime(raw, errors="coerce")
    else:
        shaped = text.where(text.str.fullmatch(_DATE_RE).fillna(False))
        values = pd.to_datetime(shaped, format="%Y-%m-%d", errors="coerce")
    return (values.notna() & ~_in_range(values)).to_numpy(dtype=bool)


def problem_from_mask(table, column, mask, raw, expected, *, file=None, csv=True) -> Problem:
    """Build a :class:`Problem` quoting the first rows where ``mask`` is true."""
    where = np.flatnonzero(mask)
    first = where[:MAX_EXAMPLES]
    labels = raw.index.to_numpy()[first] if raw is not None else first
    rows = tuple(int(i) + (2 if csv else 1) for i in labels)
    examples = tuple("" if raw is None else _show(raw.iloc[i]) for i in first)
    return Problem(table=table, column=column, expected=expected, rows=rows, count=len(where),
                   examples=examples, file=file, row_unit="line" if csv else "row")


def _show(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."
