"""Spreadsheet-safe text cells: the one place for OWASP's CSV-injection rule.

A spreadsheet (Excel, LibreOffice, Google Sheets) opening a CSV treats a cell
that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return as a
formula: a team named ``=HYPERLINK("http://x", "y")`` becomes a live link, and
worse.  Every CSV the kit writes for people goes through
:func:`for_spreadsheets`: :func:`neutralize_formulas` prefixes such *text* cells with a single quote
(``'``) so that they are shown as text; numbers are untouched (a negative number
stored as a number is not text).  A carriage return in a text cell also becomes a
line feed, which the CSV writer quotes (it leaves a lone CR unquoted, splitting the row).  The report's workbook uses
:func:`looks_like_formula` to write such cells as text cells.

Dataset tables written by ``import`` and ``simulate`` are not changed: they are
data the kit reads back, and must keep their values exactly.
"""
from __future__ import annotations

import pandas as pd

__all__ = ["FORMULA_START", "QUOTE", "looks_like_formula", "neutralize_text", "neutralize_formulas",
           "for_spreadsheets"]

#: First characters that make a spreadsheet read a cell as a formula (OWASP CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Prefix that makes a spreadsheet show the cell as text.
QUOTE = "'"


def looks_like_formula(text) -> bool:
    """Whether ``text`` is a string a spreadsheet would read as a formula.

    Parameters
    ----------
    text : object
        Anything; only strings can look like a formula.

    Returns
    -------
    bool
    """
    return isinstance(text, str) and text.startswith(FORMULA_START)


def neutralize_text(text):
    """``text`` prefixed with ``'`` when it looks like a formula; anything else unchanged."""
    return QUOTE + text if looks_like_formula(text) else text


def neutralize_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose formula-looking text cells and column names start with ``'``.

    Cheap on large frames: a categorical column is changed through its categories
    (each once), a column of pandas' string dtype by vectorized string kernels; only
    ``object`` columns are looked at cell by cell.

    Parameters
    ----------
    frame : pandas.DataFrame

    Returns
    -------
    pandas.DataFrame
        Same shape, index and dtypes (a categorical column stays categorical);
        numeric, boolean and date columns are untouched.  The input is not changed.
    """
    out = _text_map(frame, neutralize_text, looks_like_formula, _starts_like_formula)
    if any(looks_like_formula(c) for c in out.columns):
        out.columns = [neutralize_text(c) for c in out.columns]
    return out


def _starts_like_formula(series: pd.Series) -> pd.Series:
    """Vectorized :func:`looks_like_formula` of a column of pandas' string dtype (missing: False)."""
    return series.str.startswith(FORMULA_START).fillna(False).astype(bool)


def _has_carriage_return(series: pd.Series) -> pd.Series:
    """Which cells of a column of pandas' string dtype hold a carriage return (missing: False)."""
    return series.str.contains("\r", regex=False).fillna(False).astype(bool)


def _lines(text: str) -> str:
    """``text`` with ``\\r\\n`` and ``\\r`` as ``\\n``."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _has_cr(text) -> bool:
    return isinstance(text, str) and "\r" in text


def _text_map(frame: pd.DataFrame, func, test, vector_test) -> pd.DataFrame:
    """A shallow copy of ``frame`` with ``func`` applied to the text cells where ``test`` holds.

    ``func`` maps a str to a str, ``test`` says which strings it changes and
    ``vector_test`` is ``test`` over a column of pandas' string dtype.  Columns
    with nothing to change are shared with ``frame``, not copied.
    """
    out = frame.copy(deep=False)
    for position in range(frame.shape[1]):
        series = frame.iloc[:, position]
        if isinstance(series.dtype, pd.CategoricalDtype):
            cats = series.cat.categories
            if any(test(c) for c in cats):
                new = [func(c) if test(c) else c for c in cats]
                out.isetitem(position, series.cat.rename_categories(new) if len(set(new)) == len(new)
                             else series.astype(object).map(lambda v: func(v) if test(v) else v))
        elif pd.api.types.is_string_dtype(series.dtype) and not pd.api.types.is_object_dtype(series.dtype):
            hit = vector_test(series)
            if hit.any():
                out.isetitem(position, series.where(~hit, series[hit].map(func)))
        elif pd.api.types.is_object_dtype(series.dtype):
            if series.map(test, na_action="ignore").fillna(False).astype(bool).any():
                out.isetitem(position, series.map(lambda v: func(v) if test(v) else v, na_action="ignore"))
    return out


def for_spreadsheets(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` made safe to open in a spreadsheet as CSV: formulas neutralized, CR as LF.

    Parameters
    ----------
    frame : pandas.DataFrame

    Returns
    -------
    pandas.DataFrame
        A copy; see :func:`neutralize_formulas`.  Text cells holding a carriage
        return get line feeds instead (``\\r\\n`` and ``\\r`` become ``\\n``).
    """
    return _text_map(neutralize_formulas(frame), _lines, _has_cr, _has_carriage_return)
