"""Dates in LinkedIn's data export: every format the files use, read to the day and time.

:func:`parse_export_dates` reads ``15 Jan 2024``, ``2023-05-01 14:22:10 UTC``,
``2026-01-15 10:00:00``, ``9/5/26, 1:12 AM``, ``Sat Sep 05 08:12:14 UTC 2026``,
``Jan 2015`` and their kin, keeping the date and time as written (no time-zone
conversion); slash dates are month-first unless the column shows day-first.
Dates are written with the digits 0-9: other scripts' digits (``٣``, ``５``) make a
value that is not a date (refused by :func:`date_column`), never a date misread.
"""
from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from ..exceptions import ImportFormatError

__all__ = ["parse_export_dates", "date_column", "unreadable_dates"]

_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")
_TIME_RE = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(?:([AaPp])\.?[Mm]\.?)?", re.ASCII)
_T = r"(?:(?:[ T]|,\s*)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[AaPp]\.?[Mm]\.?)?)?"
_Z = r"(?:\s*(?:Z|UTC|GMT|[+-]\d{2}:?\d{2}|[A-Z]{3,4}))?"
_PATTERNS = (  # (order of the captured groups, pattern)
    ("ymd", re.compile(rf"(\d{{4}})[-/.](\d{{1,2}})[-/.](\d{{1,2}}){_T}{_Z}", re.ASCII)),
    ("dNy", re.compile(rf"(\d{{1,2}})[ -]([A-Za-z]{{3,9}})\.?,?[ -](\d{{4}}|\d{{2}}){_T}{_Z}", re.ASCII)),
    ("mdy", re.compile(rf"(\d{{1,2}})/(\d{{1,2}})/(\d{{4}}|\d{{2}}),?{_T}{_Z}", re.ASCII)),
    ("Ndy", re.compile(rf"(?:[A-Za-z]{{3,9}},? )?([A-Za-z]{{3,9}})\.? (\d{{1,2}}),?{_T}{_Z},? (\d{{4}})", re.ASCII)),
    ("Ny", re.compile(r"([A-Za-z]{3,9})\.?,? (\d{4})", re.ASCII)),
    ("y", re.compile(r"(\d{4})", re.ASCII)),
)


def _month(name: str) -> int | None:
    """1-12 for an English month name or its abbreviation (``Jan``, ``Sept``), else None."""
    name = name.lower()
    for number, full in enumerate(_MONTHS, 1):
        if len(name) >= 3 and full.startswith(name):
            return number
    return None


def _parts(text: str) -> tuple[str, list[str]] | None:
    """The matching pattern's group order and groups, for stripped, single-spaced text."""
    for order, pattern in _PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            return order, list(match.groups())
    return None


def _ymd(order: str, groups: list[str], day_first: bool) -> tuple[int, int, int] | None:
    """Year, month, day from a pattern's groups (None for an unknown month name)."""
    if order == "ymd":
        return int(groups[0]), int(groups[1]), int(groups[2])
    if order == "mdy":
        first, second, year = (int(g) for g in groups)
        year = year + 2000 if len(groups[2]) == 2 else year
        return (year, second, first) if day_first else (year, first, second)
    if order == "y":
        return int(groups[0]), 1, 1
    names = {"dNy": (1, 0, 2), "Ndy": (0, 1, 2), "Ny": (0, None, 1)}[order]
    month = _month(groups[names[0]])
    day = int(groups[names[1]]) if names[1] is not None else 1
    year = int(groups[names[2]]) + (2000 if len(groups[names[2]]) == 2 else 0)  # 18-Jun-24 (spreadsheets)
    return (year, month, day) if month else None


def _clock(text: str) -> tuple[int, int, int] | None:
    """Hour, minute, second of the time in ``text`` (midnight when none; None when invalid)."""
    match = _TIME_RE.search(text)
    if not match:
        return 0, 0, 0
    hour, minute, second = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
    half = (match.group(4) or "").lower()
    if half and not 1 <= hour <= 12:
        return None
    hour = hour % 12 + (12 if half == "p" else 0) if half else hour
    return (hour, minute, second) if hour < 24 and minute < 60 and second < 60 else None


def _one_date(text: str, day_first: bool) -> pd.Timestamp | None:
    """One cleaned date text as a timestamp, or None when it is no date of years 1900-2200."""
    parts = _parts(text)
    if parts is None:
        return None
    ymd = _ymd(*parts, day_first)
    clock = _clock(text) if ymd else None
    if ymd is None or clock is None or not 1900 <= ymd[0] <= 2200:
        return None
    try:
        return pd.Timestamp(dt.datetime(*ymd, *clock))
    except ValueError:
        return None


def _day_first(texts) -> bool:
    """Whether slash dates read day/month: some first number exceeds 12 and no second one does."""
    pairs = []
    for text in texts:
        parts = _parts(text) if text else None
        if parts and parts[0] == "mdy":
            pairs.append((int(parts[1][0]), int(parts[1][1])))
    return any(a > 12 for a, _ in pairs) and not any(b > 12 for _, b in pairs)


#: Cells a spreadsheet writes for "no value": read as blank.
_BLANKS = frozenset({"na", "n/a", "#n/a", "null", "none", "nan", "-"})


def _text(value) -> str:
    """A cell as single-spaced text; ``""`` for a non-string or a spreadsheet's blank marker (``NA``)."""
    if not isinstance(value, str):
        return ""
    text = " ".join(value.split())
    return "" if text.casefold() in _BLANKS else text


def parse_export_dates(values) -> pd.Series:
    """Parse the export's dates (every format it uses) to timestamps; NaT when blank or unreadable.

    Parameters
    ----------
    values : sequence or pandas.Series of str

    Returns
    -------
    pandas.Series
        ``datetime64[ns]``, the date and time as written (a time-zone label is
        dropped, not converted); midnight when no time is given, the 1st for
        month-only dates (``Jan 2015``).  Slash dates are month/day/year unless the
        column shows day/month.
    """
    values = pd.Series(values, dtype="object")
    texts = values.map(_text)
    unique = pd.unique(texts)
    day_first = _day_first(unique)
    lookup = {t: (_one_date(t, day_first) if t else None) for t in unique}
    return pd.Series([lookup[t] for t in texts], index=values.index, dtype="datetime64[ns]")


def date_column(frame: pd.DataFrame, column: str, file: str) -> pd.Series:
    """Parse ``frame[column]`` with :func:`parse_export_dates`; blank cells give NaT.

    Raises
    ------
    ImportFormatError
        When a non-blank cell is not a date, naming the lines (values are not
        quoted: a malformed row may shift private text into the column).
    """
    raw = frame[column] if column in frame else pd.Series([""] * len(frame), dtype="str")
    parsed = parse_export_dates(raw.tolist())
    parsed.index = frame.index
    bad = parsed.isna() & raw.map(_text).ne("")
    if bad.any():
        lines = frame.loc[bad, "_line"].tolist()
        shown = ", ".join(str(n) for n in lines[:5]) + (f" and {len(lines) - 5} more" if len(lines) > 5 else "")
        raise ImportFormatError(file, f"column '{column}' holds {len(lines)} value(s) that are not dates "
                                f"(line{'s' if len(lines) > 1 else ''} {shown})",
                                "dates such as '15 Jan 2024', '2024-01-15 10:00:00 UTC' or '1/15/24, 9:30 AM'")
    return parsed


def unreadable_dates(frame: pd.DataFrame, column: str, file: str) -> tuple[pd.Series, pd.Series]:
    """Parse ``frame[column]``, telling apart the rows whose date is blank or unreadable.

    Returns
    -------
    parsed : pandas.Series
        Timestamps (NaT where unreadable).
    bad : pandas.Series of bool
        Rows whose date is blank or not a date: the caller skips and reports them.

    Raises
    ------
    ImportFormatError
        When the file has rows and not one of them carries a readable date (the
        column cannot be read at all), naming the lines as :func:`date_column` does.
    """
    raw = frame[column] if column in frame else pd.Series([""] * len(frame), index=frame.index, dtype="str")
    parsed = parse_export_dates(raw.tolist())
    parsed.index = frame.index
    bad = parsed.isna()
    if len(frame) and bad.all():
        if raw.map(_text).ne("").any():
            date_column(frame, column, file)  # raises, naming the lines
        raise ImportFormatError(file, f"column '{column}' is blank on every row",
                                "a date on each row, such as '15 Jan 2024' or '2024-01-15 10:00:00 UTC'")
    return parsed, bad
