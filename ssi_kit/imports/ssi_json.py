"""Import captured LinkedIn SSI page responses (``salesApiSsi`` JSON) into the ``ssi`` table.

One file holds one day's reading of one seller::

    {"memberScore": {"overall": 19.705751, "subScores": [
        {"score": 13.118002, "pillar": "PROFESSIONAL_BRAND"}, ...]},
     "groupScore": [{"groupType": "INDUSTRY", "rank": 75, "score": {"overall": 30.99}}, ...]}

Pillars are read by their enum name, never by position; envelopes of third-party services
(``{"data": {...}}``, ``{"response": {"body": ...}}``) are unwrapped generically.  The date
comes from a ``date``/``capturedAt``/``timestamp`` field, else a ``..._YYYY-MM-DD.json``
name, else the ``date`` option.  Values are kept unrounded; group averages and the TEAM
rank are kept as the extra columns :data:`SSI_EXTRAS`.  :func:`write_imported` is the last
step of every importer of this package.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pandas as pd

from ..exceptions import ImportFormatError
from .merge import UNKNOWN_INDUSTRY, ImportSummary, write_imported
from .privacy import redact, refuse_contact_ids, refuse_contact_option

__all__ = ["import_ssi_json", "read_ssi_json", "PILLAR_ENUMS", "SSI_EXTRAS"]

#: LinkedIn's pillar enum -> the contract's pillar column.
PILLAR_ENUMS = {"PROFESSIONAL_BRAND": "brand", "FIND_RIGHT_PEOPLE": "people",
                "INSIGHT_ENGAGEMENT": "insights", "STRONG_RELATIONSHIP": "relationships"}
#: groupType -> (rank column, group average column).
_GROUPS = {"INDUSTRY": ("industry_top_pct", "industry_avg_ssi"),
           "NETWORK": ("network_top_pct", "network_avg_ssi"),
           "TEAM": ("team_top_pct", "team_avg_ssi")}
#: Extra ``ssi`` columns the importers write (no column in the contract).
SSI_EXTRAS = ("industry_avg_ssi", "network_avg_ssi", "team_top_pct", "team_avg_ssi")
_SSI_COLUMNS = ("member_id", "date", "ssi", *PILLAR_ENUMS.values(),
                "industry_top_pct", "network_top_pct", *SSI_EXTRAS)

_DATE_KEYS = ("date", "capturedat", "timestamp", "fetchedat", "retrievedat", "scrapedat",
              "createdat", "day")
_MEMBER_KEYS = ("memberid", "memberurn", "member", "publicidentifier", "profileid")
_ENVELOPE_DEPTH = 5
_FILE_DATE = re.compile(r"_(\d{4}-\d{2}-\d{2})\.json$", re.IGNORECASE)
_SHAPE = ('a LinkedIn SSI response {"memberScore": {"overall": N, "subScores": [{"pillar": '
          '"PROFESSIONAL_BRAND", "score": N}, ...]}, "groupScore": [...]}')


def read_ssi_json(paths, *, member_id: str | None = None, date=None,
                  industry: str | None = None) -> dict[str, pd.DataFrame]:
    """Read SSI responses into ``members`` and ``ssi`` tables (pure: writes nothing).

    Parameters
    ----------
    paths : path-like or sequence of path-like
        JSON files, or folders whose ``*.json`` files are read (recursively).
    member_id : str, optional
        The seller's id; default an id field of the response, else ``"me"``.
    date : str or datetime.date, optional
        Reading date for files that carry none (no date field, no dated file name).
    industry : str, optional
        The seller's industry; default the ``industry`` of a ``groupScore`` entry,
        else ``"unknown"``.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``members`` (``member_id``, ``industry``) and ``ssi`` (contract columns plus
        :data:`SSI_EXTRAS`), one reading per seller and day: the later file in sorted
        order wins.

    Raises
    ------
    ImportFormatError
        Naming the file and what was expected, for any file that is not a response.
    """
    return _read(paths, member_id=member_id, date=date, industry=industry)[0]


def import_ssi_json(paths, out, *, member_id: str | None = None, date=None,
                    industry: str | None = None, salt: str | None = None) -> ImportSummary:
    """Import SSI responses into the dataset directory ``out``.

    Parameters
    ----------
    paths, member_id, date, industry
        As for :func:`read_ssi_json`.
    out : path-like
        Dataset directory, created or added to (see :func:`merge_into_dir`).
    salt : str, optional
        When given, seller ids are replaced by salted pseudonyms.

    Returns
    -------
    ImportSummary
        ``replaced`` also counts readings of the same day that a later file replaced.
    """
    if salt is None:
        refuse_contact_option(member_id)
    tables, replaced = _read(paths, member_id=member_id, date=date, industry=industry, guard=salt is None)
    files = _collect(paths)
    source = str(files[0]) if len(files) == 1 else f"{len(files)} SSI response files"
    return write_imported(out, tables, source=source, file=files[0], salt=salt,
                          replaced={"ssi": replaced})


def _read(paths, *, member_id, date, industry, guard=False) -> tuple[dict[str, pd.DataFrame], int]:
    """Tables and replaced readings; ``guard`` refuses id fields holding contact details."""
    files = _collect(paths)
    fallback = _option_date(date)
    rows = [_reading(f, member_id, fallback, guard) for f in files]
    named = {r["member_id"]: r["_industry"] for r in rows if r["_industry"]}  # the last file wins
    frame = pd.DataFrame(rows, columns=list(_SSI_COLUMNS))
    frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ns]")
    for col in _SSI_COLUMNS[2:]:
        frame[col] = frame[col].astype("Float64")
    ssi, replaced = _dedupe(frame, ("member_id", "date"))
    ids = sorted(ssi["member_id"].unique())
    members = pd.DataFrame({"member_id": ids,
                            "industry": [industry or named.get(m, UNKNOWN_INDUSTRY) for m in ids]})
    return {"members": members, "ssi": ssi}, replaced


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
            found = sorted(q for q in p.rglob("*") if q.is_file() and q.suffix.lower() == ".json")
            if not found:
                raise ImportFormatError(p, "is a folder without .json files", "SSI response files (*.json)")
            files += found
        elif p.is_file():
            files.append(p)
        else:
            raise ImportFormatError(p, "does not exist", "a JSON file or a folder of them")
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


def _load(file: Path):
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except OSError as err:
        raise ImportFormatError(file, f"cannot be read ({err.strerror or err})", "a readable JSON file") from None
    except UnicodeDecodeError:
        raise ImportFormatError(file, "is not UTF-8 text", _SHAPE) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise ImportFormatError(file, f"is not valid JSON ({err.msg} at line {err.lineno}, "
                                f"column {err.colno})", _SHAPE) from None
    except ValueError as err:  # e.g. an integer too long to convert
        raise ImportFormatError(file, f"is not valid JSON ({str(err)[:80]})", _SHAPE) from None
    except RecursionError:
        raise ImportFormatError(file, "is nested too deeply to be a response", _SHAPE) from None


def _unwrap(data, file: Path) -> tuple[dict, list[dict]]:
    """The object holding ``memberScore`` and the envelopes around it, innermost first."""
    level = [(data, [])]
    for _ in range(_ENVELOPE_DEPTH + 1):
        deeper = []
        for obj, chain in level:
            if isinstance(obj, list) and len(obj) == 1:
                deeper.append((obj[0], chain))
            if not isinstance(obj, dict):
                continue
            if "memberScore" in obj:
                return obj, chain
            for value in obj.values():
                if isinstance(value, str) and value.lstrip().startswith("{"):
                    value = _embedded_json(value)
                if isinstance(value, (dict, list)):
                    deeper.append((value, [obj, *chain]))
        level = deeper
    raise ImportFormatError(file, "has no 'memberScore' object (at the top level or inside an "
                            "envelope such as 'data', 'response' or 'body')", _SHAPE)


def _embedded_json(text: str):
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _reading(file: Path, member_id, fallback, guard) -> dict:
    body, envelopes = _unwrap(_load(file), file)
    row = {"member_id": member_id or _member_field(body, envelopes, file, guard) or "me",
           "date": _date_of(file, [body, *envelopes], fallback)}
    row.update(_member_score(body["memberScore"], file))
    groups, industry = _group_scores(body.get("groupScore"), file)
    row.update(groups)
    row["_industry"] = industry
    return row


def _field(objects, keys):
    for obj in objects:
        for name, value in obj.items():
            if isinstance(name, str) and re.sub(r"[_\-\s]", "", name).lower() in keys:
                return name, value
    return None, None


def _member_field(body, envelopes, file, guard) -> str | None:
    name, value = _field([body, *envelopes], _MEMBER_KEYS)
    if name is None or value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool) or not str(value).strip():
        raise ImportFormatError(file, f"field '{name}' is {_show(value)}", "a member id (text or number)")
    if guard:
        refuse_contact_ids(pd.Series([str(value).strip()]), file=file, where=f"field {name!r}", unit=None)
    return str(value).strip()


def _date_of(file: Path, objects, fallback) -> dt.date:
    day = _date_source(file, objects, fallback)
    if not 1900 <= day.year <= 2200:
        raise ImportFormatError(file, f"its reading date is {day.isoformat()}", "a date from 1900 to 2200")
    return day


def _date_source(file: Path, objects, fallback) -> dt.date:
    name, value = _field(objects, _DATE_KEYS)
    if name is not None and value is not None:
        return _parse_date_field(file, name, value)
    match = _FILE_DATE.search(file.name)
    if match:
        try:
            return dt.date.fromisoformat(match.group(1))
        except ValueError:
            raise ImportFormatError(file, f"its name carries {match.group(1)}, which is not a calendar date",
                                    "a file name ending in _YYYY-MM-DD.json with a real date") from None
    if fallback is not None:
        return fallback
    raise ImportFormatError(file, "carries no reading date (no 'date', 'capturedAt' or 'timestamp' "
                            "field, and the name does not end in _YYYY-MM-DD.json)",
                            "a date field, a dated file name, or the --date option")


def _parse_date_field(file: Path, name: str, value) -> dt.date:
    if isinstance(value, str):
        match = re.match(r"\s*(\d{4}-\d{2}-\d{2})(?:$|[T\s])", value)
        try:
            if match:
                return dt.date.fromisoformat(match.group(1))
        except ValueError:
            pass
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and -1e15 < value < 1e15:
        seconds = value / 1000 if abs(value) > 1e11 else value
        if 946684800 <= seconds <= 4102444800:  # 2000-01-01 .. 2100-01-01
            return dt.datetime.fromtimestamp(seconds, tz=dt.timezone.utc).date()
    raise ImportFormatError(file, f"field '{name}' is {_show(value)}",
                            "an ISO date (YYYY-MM-DD, optionally with a time) or a Unix timestamp")


def _number(file: Path, where: str, value, high: float) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= high:
        return float(value)  # NaN and infinities fail the range test
    return _bad(file, where, value, f"a number from 0 to {high:g}")


def _bad(file, where, value, expected):
    raise ImportFormatError(file, f"'{where}' is {_show(value)}", expected)


def _show(value) -> str:
    try:
        text = json.dumps(value, allow_nan=True)
    except (ValueError, RecursionError):
        text = type(value).__name__
    text = redact(text)
    return text if len(text) <= 40 else text[:37] + "..."


def _member_score(score, file: Path) -> dict:
    if not isinstance(score, dict):
        _bad(file, "memberScore", score, 'an object {"overall": N, "subScores": [...]}')
    pillars = _pillars(score.get("subScores"), file)
    overall = score.get("overall")
    if overall is None:
        if len(pillars) < 4:
            _bad(file, "memberScore.overall", overall, "the total SSI (or all four pillar scores)")
        overall = sum(pillars.values())
    return {"ssi": _number(file, "memberScore.overall", overall, 100), **pillars}


def _pillars(subscores, file: Path) -> dict:
    if subscores is None:
        return {}
    if not isinstance(subscores, list):
        _bad(file, "memberScore.subScores", subscores, 'a list of {"pillar": NAME, "score": N}')
    out = {}
    for i, item in enumerate(subscores):
        where = f"memberScore.subScores[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("pillar"), str):
            _bad(file, where, item, 'an object {"pillar": NAME, "score": N}')
        column = PILLAR_ENUMS.get(item["pillar"].strip().upper())
        if column is None:
            continue  # a pillar LinkedIn may add later: not part of the contract
        if column in out:
            _bad(file, f"{where}.pillar", item["pillar"], "each pillar once")
        out[column] = _number(file, f"{where}.score", item.get("score"), 25)
    return out


def _group_scores(groups, file: Path) -> tuple[dict, str | None]:
    if groups is None:
        return {}, None
    if not isinstance(groups, list):
        _bad(file, "groupScore", groups, 'a list of {"groupType": ..., "rank": N, "score": {...}}')
    out, industry = {}, None
    for i, entry in enumerate(groups):
        where = f"groupScore[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("groupType"), str):
            _bad(file, where, entry, 'an object with a "groupType" (INDUSTRY, NETWORK or TEAM)')
        industry = industry or _industry_name(entry.get("industry"))
        columns = _GROUPS.get(entry["groupType"].strip().upper())
        if columns is None:
            continue
        if columns[0] in out:
            _bad(file, f"{where}.groupType", entry["groupType"], "each group type once")
        if entry.get("rank") is not None:
            out[columns[0]] = _number(file, f"{where}.rank", entry["rank"], 100)
        score = entry.get("score")
        if score is not None and not isinstance(score, dict):
            _bad(file, f"{where}.score", score, 'an object {"overall": N}')
        if score and score.get("overall") is not None:
            out[columns[1]] = _number(file, f"{where}.score.overall", score["overall"], 100)
    return out, industry


def _industry_name(value) -> str | None:
    if isinstance(value, dict):
        value = next((value[k] for k in ("name", "localizedName", "title") if isinstance(value.get(k), str)), None)
    return value.strip() if isinstance(value, str) and value.strip() else None
