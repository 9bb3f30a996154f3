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

    Parameters
    ----------
    frame : pandas.DataFrame

    Returns
    -------
    pandas.DataFrame
        Same shape, index and dtypes (a categorical column stays categorical);
        numeric, boolean and date columns are untouched.  The input is not changed.
    """
    out = frame.copy()
    for position, column in enumerate(frame.columns):
        series = frame.iloc[:, position]
        if isinstance(series.dtype, pd.CategoricalDtype):
            cats = series.cat.categories
            if any(looks_like_formula(c) for c in cats):
                new = [neutralize_text(c) for c in cats]
                out.isetitem(position, series.cat.rename_categories(new) if len(set(new)) == len(new)
                             else series.astype(object).map(neutralize_text))
        elif pd.api.types.is_object_dtype(series.dtype) or pd.api.types.is_string_dtype(series.dtype):
            if series.map(looks_like_formula, na_action="ignore").fillna(False).astype(bool).any():
                out.isetitem(position, series.map(neutralize_text, na_action="ignore"))
    if any(looks_like_formula(c) for c in out.columns):
        out.columns = [neutralize_text(c) for c in out.columns]
    return out


def _text_map(frame: pd.DataFrame, func) -> pd.DataFrame:
    """A copy of ``frame`` with ``func`` applied to the strings of its text columns."""
    out = frame.copy()
    for position in range(frame.shape[1]):
        series = frame.iloc[:, position]
        if pd.api.types.is_object_dtype(series.dtype) or pd.api.types.is_string_dtype(series.dtype):
            out.isetitem(position, series.map(lambda v: func(v) if isinstance(v, str) else v))
        elif isinstance(series.dtype, pd.CategoricalDtype):
            out.isetitem(position, series.astype(object).map(lambda v: func(v) if isinstance(v, str) else v))
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
    out = neutralize_formulas(frame)
    if any(series.astype(object).map(lambda v: isinstance(v, str) and "\r" in v).any()
           for _, series in out.select_dtypes(include=["object", "string", "category"]).items()):
        out = _text_map(out, lambda v: v.replace("\r\n", "\n").replace("\r", "\n"))
    return out
