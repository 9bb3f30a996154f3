"""Import captured SSI readings (JSON, in every shape client tools store) into the ``ssi`` table.

Shapes read (envelopes of third-party services such as ``{"data": {...}}``,
``{"response": {"body": ...}}`` and Unipile's ``{"object": "LinkedinRawData", "data": ...}``
are unwrapped generically):

- LinkedIn's live ``salesApiSsi`` response::

    {"memberScore": {"overall": 19.705751, "subScores": [
        {"score": 13.118002, "pillar": "PROFESSIONAL_BRAND"}, ...]},
     "groupScore": [{"groupType": "INDUSTRY", "rank": 75, "score": {"overall": 30.99,
                     "subScores": [...]}}, ...]}

- the normalized shape of SSI trackers::

    {"memberScore": {"ssi": 62.5, "pillars": {"professionalBrand": 17.1, ...}},
     "industry": {"top": 4, "avg": 31.2, "pillars": {...}}, "network": {"top": 9, ...}}

- vendor results such as Linked API's ``{"actionType": "st.retrieveSSI", "data":
  {"ssi": 47, "industryTop": 12, "networkTop": 8}}`` (a flat object with a numeric ``ssi``).

A file holds one reading, a JSON list of readings (a history), or JSON Lines (``.jsonl``,
``.ndjson``, or one object a line).  Pillars are read by name, never by position.  The date
comes from a ``date``/``capturedAt``/``timestamp`` field, else (for a file of one reading) a
``..._YYYY-MM-DD.json`` name, else the ``date`` option.  Values are kept unrounded; group
ranks beyond the contract's and group averages (total and per pillar) are kept as the extra
columns :data:`SSI_EXTRAS`.  A reading of a history that cannot be read is skipped and
recorded (:class:`~ssi_kit.imports.merge.Skipped`); a failed scrape (every value 0) is
dropped and recorded the same way.  :func:`write_imported` is the last step of every
importer of this package.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pandas as pd

from ..exceptions import ImportFormatError
from ..io.raw import not_regular
from .merge import UNKNOWN_INDUSTRY, ImportSummary, Skipped, write_imported
from .privacy import refuse_contact_ids, refuse_contact_option
from .readings import (FAILED_SCRAPE, FIGURE_RANGES, PILLAR_ENUMS, SHAPE, SSI_EXTRAS, duplicate_notes,
                       failed_scrapes, parse_reading)

__all__ = ["import_ssi_json", "read_ssi_json", "PILLAR_ENUMS", "SSI_EXTRAS"]

_SSI_COLUMNS = ("member_id", "date", *FIGURE_RANGES)
_JSON_LINES = (".jsonl", ".ndjson")


def read_ssi_json(paths, *, member_id: str | None = None, date=None,
                  industry: str | None = None) -> dict[str, pd.DataFrame]:
    """Read SSI readings into ``members`` and ``ssi`` tables (pure: writes nothing).

    Parameters
    ----------
    paths : path-like or sequence of path-like
        JSON (or JSON Lines) files, or folders whose ``*.json``, ``*.jsonl`` and
        ``*.ndjson`` files are read (recursively).
    member_id : str, optional
        The seller's id; default an id field of the reading, else ``"me"``.
    date : str or datetime.date, optional
        Reading date for files of one reading that carry none (no date field, no
        dated file name).
    industry : str, optional
        The seller's industry; default the ``industry`` of a ``groupScore`` entry,
        else ``"unknown"``.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``members`` (``member_id``, ``industry``) and ``ssi`` (contract columns plus
        the :data:`SSI_EXTRAS` that hold values), one reading per seller and day: the
        later file (or the later reading of a file) wins; failed scrapes left out.

    Raises
    ------
    ImportFormatError
        Naming the file and what was expected, for a file that holds no reading.
    """
    return _read(paths, member_id=member_id, date=date, industry=industry)[0]


def import_ssi_json(paths, out, *, member_id: str | None = None, date=None,
                    industry: str | None = None, salt: str | None = None,
                    strict: bool = False) -> ImportSummary:
    """Import SSI readings into the dataset directory ``out``.

    Parameters
    ----------
    paths, member_id, date, industry
        As for :func:`read_ssi_json`.
    out : path-like
        Dataset directory, created or added to (see :func:`merge_into_dir`).
    salt : str, optional
        When given, seller ids are replaced by salted pseudonyms.
    strict : bool
        Refuse the import when any reading is skipped (unreadable, failed scrape).

    Returns
    -------
    ImportSummary
        ``replaced`` also counts readings of the same day that a later one replaced;
        ``skipped`` the readings left out; ``notes`` the days resolved.
    """
    if salt is None:
        refuse_contact_option(member_id)
    tables, replaced, skipped = _read(paths, member_id=member_id, date=date, industry=industry,
                                      guard=salt is None)
    files = _collect(paths)
    source = str(files[0]) if len(files) == 1 else f"{len(files)} SSI reading files"
    return write_imported(out, tables, source=source, file=files[0], salt=salt,
                          replaced={"ssi": replaced}, skipped=skipped,
                          notes=duplicate_notes(replaced), strict=strict)


def _read(paths, *, member_id, date, industry, guard=False):
    """Tables, replaced readings and skipped ones; ``guard`` refuses ids holding contact details."""
    files = _collect(paths)
    fallback = _option_date(date)
    rows, skipped = [], []
    for file in files:
        got, lost = _file_readings(file, member_id, fallback, guard)
        rows += got
        skipped += lost
    frame = pd.DataFrame(rows, columns=[*_SSI_COLUMNS, "_industry", "_where"])
    failed = failed_scrapes(frame)
    skipped += _failed_skips(frame.loc[failed])
    frame = frame.loc[~failed]
    if frame.empty:
        why = "; ".join(f"{s.count} skipped: {s.reason}" for s in skipped)
        raise ImportFormatError(files[0] if len(files) == 1 else f"{len(files)} files",
                                f"{'holds' if len(files) == 1 else 'hold'} no reading that can be kept ({why})",
                                SHAPE)
    named = {m: i for m, i in zip(frame["member_id"], frame["_industry"]) if isinstance(i, str)}  # last wins
    frame = frame.drop(columns=["_industry", "_where"])
    frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ns]")
    for col in _SSI_COLUMNS[2:]:
        frame[col] = frame[col].astype("Float64")
    empty = [c for c in SSI_EXTRAS if frame[c].isna().all()]
    ssi, replaced = _dedupe(frame.drop(columns=empty), ("member_id", "date"))
    ids = sorted(ssi["member_id"].unique())
    members = pd.DataFrame({"member_id": ids,
                            "industry": [industry or named.get(m, UNKNOWN_INDUSTRY) for m in ids]})
    return {"members": members, "ssi": ssi}, replaced, skipped


def _failed_skips(failed: pd.DataFrame) -> list[Skipped]:
    """One :class:`Skipped` per file for its failed scrapes."""
    out = []
    for file, grp in failed.groupby(failed["_where"].map(lambda w: w[0]), sort=False):
        lines = [w[1] for w in grp["_where"] if w[1] is not None]
        items = [w[2] for w in grp["_where"] if w[2] is not None]
        out.append(_skip(file, FAILED_SCRAPE, lines or items or [None] * len(grp), jsonl=bool(lines)))
    return out


def _dedupe(frame: pd.DataFrame, key) -> tuple[pd.DataFrame, int]:
    """One row per ``key`` (identical rows once, else the last) and how many keys differed."""
    key = list(key)
    frame = frame.drop_duplicates(keep="last")
    dup = frame.duplicated(subset=key, keep="last")
    replaced = int(frame.loc[dup, key].drop_duplicates().shape[0])
    out = frame.loc[~dup].sort_values(key, kind="mergesort").reset_index(drop=True)
    return out, replaced


def _collect(paths) -> list[Path]:
    if isinstance(paths, (str, Path)):
        paths = [paths]
    files = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(q for q in p.rglob("*") if q.is_file()
                           and q.suffix.lower() in (".json", *_JSON_LINES))
            if not found:
                raise ImportFormatError(p, "is a folder without .json files", "SSI reading files (*.json, *.jsonl)")
            files += found
        elif p.is_file():
            files.append(p)
        else:
            why = not_regular(p)
            state = "does not exist" if why == "missing" else f"is not a regular file: it is {why}"
            raise ImportFormatError(p, state, "a JSON file or a folder of them")
    if not files:
        raise ImportFormatError("(no files)", "no input was given", "at least one JSON file or folder")
    return sorted(dict.fromkeys(files), key=str)


def _option_date(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value.date() if isinstance(value, dt.datetime) else value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ImportFormatError("--date", f"is {value!r}", "a date YYYY-MM-DD") from None


def _text(file: Path) -> str:
    try:
        return file.read_bytes().decode("utf-8-sig")
    except OSError as err:
        raise ImportFormatError(file, f"cannot be read ({err.strerror or err})", "a readable JSON file") from None
    except UnicodeDecodeError:
        raise ImportFormatError(file, "is not UTF-8 text", SHAPE) from None


def _parse(text: str, file: Path, where: str = ""):
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        problem = f"is not valid JSON ({err.msg} at line {err.lineno}, column {err.colno})"
    except ValueError as err:  # e.g. an integer too long to convert
        problem = f"is not valid JSON ({str(err)[:80]})"
    except RecursionError:
        problem = "is nested too deeply to be a reading"
    raise ImportFormatError(file, f"{where}{problem}", SHAPE)


def _documents(file: Path) -> list[tuple]:
    """The file's documents as ``(data or its ImportFormatError, line, item)``.

    One for a JSON file of one reading; one per element of a JSON list of several; one
    per non-blank line of JSON Lines (``line`` set; an unparseable line carries its error).
    """
    text = _text(file)
    lines = text.splitlines()
    if file.suffix.lower() not in _JSON_LINES:
        try:
            data = _parse(text, file)
        except ImportFormatError:
            if not _json_lines(lines):
                raise
        else:
            if isinstance(data, list) and len(data) > 1:
                return [(item, None, i) for i, item in enumerate(data, 1)]
            return [(data, None, None)]
    docs = []
    for n, line in enumerate(lines, 1):
        if line.strip():
            try:
                docs.append((_parse(line, file, f"line {n} "), n, None))
            except ImportFormatError as err:
                docs.append((err, n, None))
    if not docs:
        raise ImportFormatError(file, "holds no JSON line", SHAPE)
    return docs


def _json_lines(lines: list[str]) -> bool:
    """Whether a ``.json`` file that is not one JSON value is JSON Lines: its first line an object."""
    filled = [ln for ln in lines if ln.strip()]
    if len(filled) < 2:
        return False
    try:
        return isinstance(json.loads(filled[0]), dict)
    except (ValueError, RecursionError):
        return False


def _file_readings(file: Path, member_id, fallback, guard) -> tuple[list[dict], list[Skipped]]:
    """The readings of one file and the skipped ones (a file of one reading refuses instead)."""
    docs = _documents(file)
    if len(docs) == 1:
        data, line, _ = docs[0]
        if isinstance(data, ImportFormatError):
            raise data
        rows = [parse_reading(file, data, member_id, fallback, line)]
        if guard:
            _refuse_contact_ids(file, rows)
        return rows, []
    rows, bad = [], {}
    for data, line, item in docs:
        try:
            if isinstance(data, ImportFormatError):
                raise data
            rows.append(parse_reading(file, data, member_id, None, line, item))
        except ImportFormatError as err:
            bad.setdefault(_reason(err.problem), []).append(line or item)
    if guard:
        _refuse_contact_ids(file, rows)
    return rows, [_skip(file, reason, where, jsonl=docs[0][1] is not None) for reason, where in bad.items()]


def _refuse_contact_ids(file: Path, rows) -> None:
    """Refuse ids read from a field that hold contact details, naming the field (and line or item)."""
    for row in rows:
        if row["_id_field"]:
            refuse_contact_ids(pd.Series([row["member_id"]], dtype=object), file=file, where=row["_id_field"],
                               unit=None)


def _skip(file, reason: str, where: list, *, jsonl: bool) -> Skipped:
    """Readings of one file skipped for one reason: ``where`` their lines (JSON Lines) or list items."""
    n = len(where)
    lost = f"{n} SSI reading{'s' if n != 1 else ''}"
    if not jsonl and None not in where:
        lost += f" (item{'s' if n != 1 else ''} {', '.join(map(str, where[:5]))}{' ...' if n > 5 else ''} of the list)"
    return Skipped(str(file), reason, n, tuple(where[:5]) if jsonl else (), lost)


def _reason(problem: str) -> str:
    """A skip reason shared by readings with the same fault (line and item numbers removed)."""
    return re.sub(r"^(line|item) \d+ ", "", problem)
