"""Turn raw table columns (text from CSV, or Parquet types) into the contract's types.

What each column becomes is read off the pandera model of its table, so the
models in :mod:`ssi_kit.io.schemas` stay the one source of truth.  Every cell
that cannot be parsed becomes a :class:`~ssi_kit.exceptions.Problem`; parsing
never raises on bad data.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..exceptions import MAX_EXAMPLES, Problem

__all__ = ["column_kind", "parse_column", "problem_from_mask"]

_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})
_DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
_INT_RE = r"^[+-]?\d+$"

EXPECTED = {
    "text": "a non-blank text value",
    "date": "an ISO date YYYY-MM-DD that exists in the calendar",
    "count": "a whole number (a non-negative integer count)",
    "bool": "a boolean: true/false, 1/0 or yes/no (any case)",
    "number": "a finite number",
}


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
    if pd.api.types.is_integer_dtype(raw.dtype) or pd.api.types.is_bool_dtype(raw.dtype):
        return raw.astype("Int64"), np.zeros(len(raw), dtype=bool)
    if pd.api.types.is_float_dtype(raw.dtype):
        bad = raw.notna().to_numpy() & (np.mod(raw.fillna(0).to_numpy(dtype=float), 1) != 0)
        clean = raw.where(~bad)
        return clean.astype("Float64").round().astype("Int64"), bad
    text = _as_text(raw)
    ok = text.str.fullmatch(_INT_RE).fillna(False).to_numpy(dtype=bool)
    bad = ~ok & ~_blank(raw, text)
    return _whole_numbers(text.where(ok)), bad


def _whole_numbers(text: pd.Series) -> pd.Series:
    """``Int64`` of text cells that are whole numbers (``[+-]digits``) or missing."""
    try:  # Arrow's cast is fast but refuses a leading "+" and values beyond int64
        return text.str.removeprefix("+").astype("Int64")
    except (ValueError, TypeError, OverflowError):
        return pd.to_numeric(text, errors="coerce").astype("Int64")


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
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        values = pd.to_datetime(raw).dt.tz_localize(None) if getattr(raw.dt, "tz", None) else raw
        bad = (values.notna() & (values != values.dt.normalize())).to_numpy(dtype=bool)
        return values.where(~bad).astype("datetime64[ns]"), bad
    text = _as_text(raw)
    shaped = text.str.fullmatch(_DATE_RE).fillna(False).to_numpy(dtype=bool)
    values = pd.to_datetime(text.where(shaped), format="%Y-%m-%d", errors="coerce")
    bad = values.isna().to_numpy() & ~_blank(raw, text)
    return values.astype("datetime64[ns]"), bad


def _parse_number(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        values, text = raw.astype("Float64"), None
    else:
        text = _as_text(raw)
        values = pd.to_numeric(text, errors="coerce").astype("Float64")
    finite = np.isfinite(values.to_numpy(dtype=float, na_value=np.nan))
    bad = ~finite & ~_blank(raw, text)
    return values.where(finite), bad


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
