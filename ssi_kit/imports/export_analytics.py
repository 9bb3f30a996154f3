"""LinkedIn's creator analytics workbook (XLSX) -> daily ``post_views``, ``post_reactions``, ``followers_gained``.

The workbook LinkedIn exports from a member's analytics ("Content" / post impressions,
Export) holds the sheets DISCOVERY, ENGAGEMENT, TOP POSTS, FOLLOWERS and DEMOGRAPHICS.
Two are daily and read here (the header row is searched for, as the sheets may carry
a title above it):

* ENGAGEMENT: ``Date``, ``Impressions``, ``Engagements`` -> ``post_views`` (impressions)
  and, since the sheet does not split engagements, ``post_reactions`` = engagements
  (reactions, comments, reposts and clicks together; ``post_comments`` stays unknown).
  A sheet with separate ``Reactions`` / ``Comments`` columns feeds those instead.
* FOLLOWERS: ``Date``, ``New followers`` -> ``followers_gained``.

Dates are cells of date type or texts such as ``9/1/2026``.  A row whose date or
count cannot be read is skipped and reported (:class:`~ssi_kit.imports.merge.Skipped`).
"""
from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pandas as pd

from ..exceptions import ImportFormatError
from ..io.raw import not_regular
from .export_dates import parse_export_dates
from .merge import Skipped

__all__ = ["read_analytics"]

_MAX_BYTES = 64 * 1024 * 1024
_HEADER_ROWS = 20
#: Sheet -> (columns its header must name, {column: activity count}).
_SHEETS = {
    "ENGAGEMENT": (("Date", "Impressions"), {"Impressions": "post_views", "Engagements": "post_reactions",
                                             "Reactions": "post_reactions", "Comments": "post_comments"}),
    "FOLLOWERS": (("Date", "New followers"), {"New followers": "followers_gained"}),
}
_EXPECTED = "LinkedIn's analytics export (.xlsx with ENGAGEMENT and FOLLOWERS sheets)"


def _norm(cell) -> str:
    return " ".join(str(cell).split()).casefold() if cell is not None else ""


def _load(path: Path, data: bytes | None):
    """The workbook (from ``data`` when given, else the file), opened read-only, or a clear refusal."""
    from openpyxl import load_workbook

    if data is None:
        why = not_regular(path)
        if why:
            raise ImportFormatError(str(path), "no such file" if why == "missing" else f"is {why}", _EXPECTED)
        if path.stat().st_size > _MAX_BYTES:
            raise ImportFormatError(str(path), f"is larger than {_MAX_BYTES} bytes", _EXPECTED)
    try:
        return load_workbook(io.BytesIO(data) if data is not None else path, read_only=True, data_only=True)
    except Exception as err:  # noqa: BLE001 -- openpyxl fails in many ways on a damaged workbook
        raise ImportFormatError(str(path), f"cannot be read as a workbook ({type(err).__name__})",
                                _EXPECTED) from None


def _count(value):
    """A non-negative whole count from a cell (``1,234`` allowed), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)) and value == value and value >= 0 and float(value).is_integer():
        return int(value)
    text = str(value).replace(",", "").strip() if value is not None else ""
    return int(text) if text.isascii() and text.isdigit() else None


def _sheet(rows, file: str, required, columns) -> tuple[pd.DataFrame, list[Skipped]]:
    """Daily counts of one sheet: header searched, rows read, unreadable rows skipped."""
    rows = iter(rows)
    for number, cells in enumerate(rows, 1):
        names = [_norm(c) for c in cells]
        if all(_norm(r) in names for r in required):
            break
        if number >= _HEADER_ROWS:
            return pd.DataFrame(), []
    else:
        return pd.DataFrame(), []
    where = {col: names.index(_norm(col)) for col in columns if _norm(col) in names}
    at_date, records, bad = names.index("date"), [], []
    for line, cells in enumerate(rows, number + 1):
        if not any(c not in (None, "") for c in cells):
            continue
        day = cells[at_date] if at_date < len(cells) else None
        day = pd.Timestamp(day) if isinstance(day, (dt.date, dt.datetime)) else \
            parse_export_dates([day if isinstance(day, str) else ""]).iloc[0]
        counts = {columns[c]: _count(cells[i] if i < len(cells) else None) for c, i in where.items()}
        if pd.isna(day) or any(v is None for v in counts.values()):
            bad.append(line)
            continue
        records.append({"date": day.normalize(), **counts})
    lost = ", ".join(sorted(set(columns[c] for c in where)))
    skipped = [Skipped(file, "date or count not readable", len(bad), tuple(bad[:5]), f"{len(bad)} days ({lost})")
               ] if bad else []
    frame = pd.DataFrame(records)
    return (frame.groupby("date", as_index=False).sum() if len(frame) else frame), skipped


def read_analytics(path, data: bytes | None = None) -> tuple[pd.DataFrame, list[Skipped]]:
    """Read a creator analytics workbook into daily counts.

    Parameters
    ----------
    path : path-like
        The workbook (its name, for messages, when ``data`` is given).
    data : bytes, optional
        The workbook's content (a member of an export ZIP).

    Returns
    -------
    frame : pandas.DataFrame
        ``date`` and the counts found (``post_views``, ``post_reactions``, ``post_comments``,
        ``followers_gained``), one row per day.
    skipped : list of Skipped

    Raises
    ------
    ImportFormatError
        When the file is not a workbook, or holds neither daily sheet.
    """
    path = Path(path)
    book = _load(path, data)
    frames, skipped = [], []
    try:
        sheets = {name.strip().upper(): book[name] for name in book.sheetnames}
        for name, (required, columns) in _SHEETS.items():
            if name in sheets:
                frame, skips = _sheet(sheets[name].iter_rows(values_only=True), f"{path} [{name}]",
                                      required, columns)
                skipped.extend(skips)
                if len(frame):
                    frames.append(frame.set_index("date"))
    finally:
        book.close()
    if not frames and not skipped:
        raise ImportFormatError(str(path), "holds no ENGAGEMENT (Date, Impressions) or FOLLOWERS "
                                "(Date, New followers) sheet", _EXPECTED)
    if not frames:
        return pd.DataFrame({"date": pd.Series([], dtype="datetime64[ns]")}), skipped
    joined = pd.concat(frames, axis=1).reset_index()
    for col in joined.columns.drop("date"):
        joined[col] = joined[col].astype("Int64")
    return joined, skipped
