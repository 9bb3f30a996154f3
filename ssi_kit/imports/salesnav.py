"""Import a Sales Navigator usage report (exported by an admin) into the ``ssi`` table.

Sales Navigator's Usage Reporting exports one row per seat as CSV (or XLSX when saved
from a spreadsheet): the seat holder's name and e-mail address, activity counts (days
active, searches, profile views, InMails, ...) and the SSI with its four pillars, but no
date column: the report is "as of" the day it was exported, so that day must be given
(``--date``).  Seats that never finished onboarding are listed with their name and no
figures: they yield no reading (counted in a note).

Seat ids.  The report identifies a seat by name and e-mail address only, which a dataset
never stores in clear:

- ``--pseudonymize`` (with a salt) stores a salted hash of the e-mail address (lower-cased,
  so the same seat matches across reports and other importers), or of the name when the
  report has no e-mail column;
- ``--id-column HEADER`` names a column to use as the seller id instead (e.g. an employee
  or CRM id added to the sheet, or, on purpose, the name column: the user then chooses to
  keep names in clear); e-mail addresses and phone numbers are refused there too unless
  pseudonymized.

Only the SSI figures are read (by their headers, as in trackers: "SSI" / "Social Selling
Index", "Professional Brand", "Find the Right People", ...); names, e-mail addresses and
activity counts are never copied.
"""
from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from ..exceptions import ImportFormatError
from .merge import UNKNOWN_INDUSTRY, ImportSummary, Skipped, write_imported
from .privacy import refuse_contact_ids
from .readings import FIGURE_RANGES, duplicate_notes
from .tables import is_blank, read_table_file
from .tracker import guess_figure, read_readings

__all__ = ["import_salesnav", "read_salesnav"]

_SEAT, _DAY = "\x00seat", "\x00date"
_NAME_HEADERS = {"name", "full name", "seat holder", "user", "user name", "member name"}
_HOW_TO_ID = ("--pseudonymize (with --salt or $SSI_KIT_SALT) to store salted hashes of the seat e-mail "
              "addresses, or --id-column naming a column of seller ids")


def read_salesnav(path, *, date=None, id_column: str | None = None,
                  salt: str | None = None) -> dict[str, pd.DataFrame]:
    """Read a usage report into ``members`` and ``ssi`` tables (pure: writes nothing).

    Parameters
    ----------
    path : path-like
        The exported report (CSV or XLSX).
    date : str or datetime.date, optional
        The day the report was exported; required when the report has no date column.
    id_column : str, optional
        The column holding seller ids (kept as they are; see the module docstring).
    salt : str, optional
        When given (and no ``id_column``), seats are identified by their e-mail address
        (else name), to be pseudonymized by :func:`write_imported` with this salt.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``members`` and ``ssi`` (ids not yet pseudonymized): one reading per seat, the
        later row kept for a seat listed twice; seats without an id or an SSI, and
        failed readings (every value 0), left out.

    Raises
    ------
    ImportFormatError
        No date (column or option), no usable id, a figure out of range, naming lines.
    """
    return _read(path, date, id_column, salt)[0]


def _read(path, date, id_column, salt):
    """Tables, replaced readings, skipped seats and notes."""
    raw, decimal = read_table_file(path)
    seats, skipped = _seat_ids(raw, path, id_column, salt)
    figures = {t: h for h in raw.columns if h != id_column and (t := guess_figure(h)) in FIGURE_RANGES}
    if "ssi" not in figures and not all(p in figures for p in ("brand", "people", "insights", "relationships")):
        raise ImportFormatError(path, "has no SSI column", "a column 'SSI' or 'Social Selling Index' "
                                "(or the four pillars 'Professional Brand', 'Find the Right People', ...)")
    frame = raw[list(figures.values())].copy()
    frame[_SEAT] = seats
    frame[_DAY] = _dates(raw, path, date)
    frame = frame.loc[seats.notna()]
    inactive = frame[list(figures.values())].apply(lambda c: c.map(is_blank)).all(axis=1)
    n = int(inactive.sum())
    notes = [f"{n} seat{' holds' if n == 1 else 's hold'} no SSI (not activated in Sales Navigator): "
             "no reading kept"] if n else []
    frame = frame.loc[~inactive]
    if frame.empty:
        raise ImportFormatError(path, "holds no seat with an SSI", "rows of seats with their SSI figures")
    cols = {"date": _DAY, "member_id": _SEAT, **figures}
    ssi, replaced, failed = read_readings(frame, cols, path, decimal=decimal)
    members = pd.DataFrame({"member_id": sorted(ssi["member_id"].unique()), "industry": UNKNOWN_INDUSTRY})
    return {"members": members, "ssi": ssi}, replaced, skipped + failed, notes + duplicate_notes(replaced)


def import_salesnav(path, out, *, date=None, id_column: str | None = None, salt: str | None = None,
                    strict: bool = False) -> ImportSummary:
    """Import a Sales Navigator usage report into the dataset directory ``out``.

    Parameters
    ----------
    path, date, id_column, salt
        As for :func:`read_salesnav`; with ``salt`` every seller id is pseudonymized.
    out : path-like
        Dataset directory, created or added to.
    strict : bool
        Refuse the import when any seat is skipped.

    Returns
    -------
    ImportSummary
    """
    tables, replaced, skipped, notes = _read(path, date, id_column, salt)
    return write_imported(out, tables, source=str(path), file=path, salt=salt, replaced={"ssi": replaced},
                          skipped=skipped, notes=notes, strict=strict)


def _find(raw: pd.DataFrame, test) -> str | None:
    return next((h for h in raw.columns if test(" ".join(re.sub(r"[^a-z0-9@]+", " ", h.lower()).split()))), None)


def _seat_ids(raw: pd.DataFrame, path, id_column, salt) -> tuple[pd.Series, list]:
    """Each row's seat id (None when blank) and the rows skipped for it."""
    if id_column is not None:
        if id_column not in raw.columns:
            raise ImportFormatError(path, f"has no column {id_column!r} (given as --id-column)",
                                    "the header of the column holding seller ids")
        column = id_column
        ids = raw[column].map(lambda v: None if is_blank(v) else str(v).strip())
        if salt is None:
            refuse_contact_ids(ids.dropna(), file=path, where=f"column {column!r}")
    elif salt is None:
        raise ImportFormatError(path, "identifies seats by name and e-mail address, which a dataset never "
                                "stores in clear", _HOW_TO_ID)
    else:
        column = _find(raw, lambda n: n in ("email", "e mail", "email address", "e mail address"))
        name = _find(raw, lambda n: n in _NAME_HEADERS)
        first, last = _find(raw, lambda n: n == "first name"), _find(raw, lambda n: n == "last name")
        if column is not None:
            ids = raw[column].map(lambda v: None if is_blank(v) else str(v).strip().lower())
        elif name is not None or (first and last):
            column = name or f"{first} + {last}"
            cells = raw[name] if name else raw[first].fillna("").astype(str) + " " + raw[last].fillna("").astype(str)
            ids = cells.map(lambda v: None if is_blank(v) else " ".join(str(v).split()))
        else:
            raise ImportFormatError(path, "has no e-mail or name column to identify seats",
                                    "a column 'Email' or 'Name', or --id-column naming the id column")
    blank = ids.isna()
    skipped = []
    if blank.any():
        n = int(blank.sum())
        skipped.append(Skipped(str(path), f"no seat id in column {column!r}", n,
                               tuple(int(x) for x in ids.index[blank][:5]), f"{n} seat reading(s)"))
    return ids, skipped


def _dates(raw: pd.DataFrame, path, date) -> pd.Series:
    column = next((h for h in raw.columns if guess_figure(h) == "date"), None)
    if column is not None and date is not None:
        raise ImportFormatError("--date", f"is given but {path} has its own date column {column!r}",
                                "--date only for a report without a date column")
    if column is not None:
        return raw[column]
    if date is None:
        raise ImportFormatError(path, "has no date column (a usage report is as of the day it was exported)",
                                "--date YYYY-MM-DD, the day the report was exported")
    try:
        day = date if isinstance(date, dt.date) else dt.date.fromisoformat(str(date))
    except ValueError:
        raise ImportFormatError("--date", f"is {date!r}", "a date YYYY-MM-DD") from None
    return pd.Series(day.isoformat(), index=raw.index)
