"""What an SSI reading is: its figures and their ranges, failed scrapes, and the JSON shapes
client tools store readings in (read by :mod:`ssi_kit.imports.ssi_json`; the figures and
the failed-scrape rule are shared with the tracker and Sales Navigator importers).

See :mod:`ssi_kit.imports.ssi_json` for the shapes read.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pandas as pd

from ..exceptions import ImportFormatError
from .privacy import redact

__all__ = ["PILLAR_ENUMS", "PILLARS", "GROUPS", "SSI_EXTRAS", "FIGURE_RANGES", "FAILED_SCRAPE",
           "SHAPE", "failed_scrapes", "duplicate_notes", "parse_reading"]

#: LinkedIn's pillar enum -> the contract's pillar column.
PILLAR_ENUMS = {"PROFESSIONAL_BRAND": "brand", "FIND_RIGHT_PEOPLE": "people",
                "INSIGHT_ENGAGEMENT": "insights", "STRONG_RELATIONSHIP": "relationships"}
#: The contract's pillar columns.
PILLARS = tuple(PILLAR_ENUMS.values())
#: The groups LinkedIn ranks a seller in.
GROUPS = ("industry", "network", "team")
#: Extra ``ssi`` columns the importers write (no column in the contract): the team rank and
#: each group's average SSI and average pillars, e.g. ``industry_avg_ssi``, ``team_avg_brand``.
SSI_EXTRAS = ("team_top_pct", *(f"{g}_avg_{f}" for g in GROUPS for f in ("ssi", *PILLARS)))
#: Every figure of a reading and its highest value (totals, ranks: 100; pillars: 25).
FIGURE_RANGES = {"ssi": 100, **dict.fromkeys(PILLARS, 25), "industry_top_pct": 100, "network_top_pct": 100,
                 **{c: 25 if c.endswith(PILLARS) else 100 for c in SSI_EXTRAS}}
#: Why a reading whose total, pillars and ranks are all 0 (or empty) is dropped.
FAILED_SCRAPE = "failed scrape: every value 0 or empty"
_SCRAPED = ("ssi", *PILLARS, "industry_top_pct", "network_top_pct")

_DATE_KEYS = ("date", "capturedat", "timestamp", "fetchedat", "retrievedat", "scrapedat",
              "createdat", "day")
_MEMBER_KEYS = ("memberid", "memberurn", "member", "publicidentifier", "profileid")
_TOTAL_KEYS = ("overall", "ssi", "total", "score")
_TOP_KEYS = ("top", "rank", "toppct", "toppercent")
_AVG_KEYS = ("avg", "average", "avgssi", "averagessi", "overall", "ssi", "mean")
_ENVELOPE_DEPTH = 5
_FILE_DATE = re.compile(r"_(\d{4}-\d{2}-\d{2})\.json$", re.IGNORECASE)
#: The shapes read, as messages name them.
SHAPE = ('an SSI reading such as {"memberScore": {"overall": N, "subScores": [{"pillar": '
          '"PROFESSIONAL_BRAND", "score": N}, ...]}, "groupScore": [...]}, {"memberScore": '
          '{"ssi": N, "pillars": {...}}, "industry": {"top": N}} or {"ssi": N, "industryTop": N}')


def failed_scrapes(ssi: pd.DataFrame) -> pd.Series:
    """Which readings are failed scrapes: total, every pillar and both ranks 0 or empty.

    Parameters
    ----------
    ssi : pandas.DataFrame
        Readings with (some of) the columns ``ssi``, the pillars and the two ranks.

    Returns
    -------
    pandas.Series of bool
    """
    cols = [c for c in _SCRAPED if c in ssi.columns]
    values = ssi[cols].astype("Float64")
    return (values.isna() | (values == 0)).fillna(True).all(axis=1)


def duplicate_notes(days: int) -> list[str]:
    """The summary's note on readings resolved inside one import (none when ``days`` is 0)."""
    if not days:
        return []
    had = "1 day had" if days == 1 else f"{days} days had"
    return [f"{had} two different readings of one seller; the later one was kept"]


def _is_reading(obj) -> bool:
    """An object holding a reading: a ``memberScore``, or a numeric ``ssi`` (vendor results)."""
    if not isinstance(obj, dict):
        return False
    ssi = obj.get("ssi")
    return "memberScore" in obj or (isinstance(ssi, (int, float)) and not isinstance(ssi, bool))


def _unwrap(data, file: Path, where: str) -> tuple[dict, list[dict]]:
    """The object holding the reading and the envelopes around it, innermost first."""
    level = [(data, [])]
    for _ in range(_ENVELOPE_DEPTH + 1):
        deeper = []
        for obj, chain in level:
            if isinstance(obj, list) and len(obj) == 1:
                deeper.append((obj[0], chain))
            if not isinstance(obj, dict):
                continue
            if _is_reading(obj):
                return obj, chain
            for value in obj.values():
                if isinstance(value, str) and value.lstrip().startswith("{"):
                    value = _embedded_json(value)
                if isinstance(value, (dict, list)):
                    deeper.append((value, [obj, *chain]))
        level = deeper
    raise ImportFormatError(file, f"{where}has no 'memberScore' object or numeric 'ssi' (at the top level "
                            "or inside an envelope such as 'data', 'response' or 'body')", SHAPE)


def _embedded_json(text: str):
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def parse_reading(file: Path, data, member_id, fallback, line=None, item=None) -> dict:
    """One reading (a row of the ``ssi`` table) from a JSON document in any shape read.

    Parameters
    ----------
    file : pathlib.Path
        The file, for messages and the date in its name.
    data : object
        The parsed JSON document (envelopes included).
    member_id : str or None
        The seller's id, else an id field of the reading, else ``"me"``.
    fallback : datetime.date or None
        The date of a reading that carries none (single readings only).
    line, item : int, optional
        Where the reading is in a history (JSON Lines line, list item).

    Returns
    -------
    dict
        ``member_id``, ``date``, the figures read, and ``_id_field`` (where an id was
        read from a field), ``_industry`` and ``_where`` (file, line, item).

    Raises
    ------
    ImportFormatError
        Naming the file, the place in a history, the field and what was expected.
    """
    where = f"line {line} " if line else f"item {item} " if item else ""
    body, envelopes = _unwrap(data, file, where)
    found = None if member_id else _member_field(body, envelopes, file, where)
    row = {"member_id": member_id or (found and found[1]) or "me",
           "_id_field": f"{where}field {found[0]!r}" if found else None,
           "date": _date_of(file, [body, *envelopes], fallback, where, single=not (line or item))}
    industry = None
    if "memberScore" in body:
        row.update(_member_score(body["memberScore"], file, where))
        groups, industry = _group_scores(body.get("groupScore"), file, where)
        row.update(groups)
    else:
        row.update(_flat_score(body, file, where))
    for name, value in _named_groups(body, file, where).items():
        row.setdefault(name, value)
    row["_industry"] = industry
    row["_where"] = (str(file), line, item)
    return row


def _norm(name) -> str:
    return re.sub(r"[_\-\s]", "", name).lower() if isinstance(name, str) else ""


def _field(objects, keys):
    for obj in objects:
        for name, value in obj.items():
            if _norm(name) in keys:
                return name, value
    return None, None


def _member_field(body, envelopes, file, where) -> tuple[str, str] | None:
    name, value = _field([body, *envelopes], _MEMBER_KEYS)
    if name is None or value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool) or not str(value).strip():
        raise ImportFormatError(file, f"{where}field '{name}' is {_show(value)}", "a member id (text or number)")
    return name, str(value).strip()


def _date_of(file: Path, objects, fallback, where, single) -> dt.date:
    day = _date_source(file, objects, fallback, where, single)
    if not 1900 <= day.year <= 2200:
        raise ImportFormatError(file, f"{where}its reading date is {day.isoformat()}", "a date from 1900 to 2200")
    return day


def _date_source(file: Path, objects, fallback, where, single) -> dt.date:
    name, value = _field(objects, _DATE_KEYS)
    if name is not None and value is not None:
        return _parse_date_field(file, name, value, where)
    if not single:
        raise ImportFormatError(file, f"{where}carries no reading date", "a 'date', 'capturedAt' or "
                                "'timestamp' field on every reading of a history")
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


def _parse_date_field(file: Path, name: str, value, where) -> dt.date:
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
    raise ImportFormatError(file, f"{where}field '{name}' is {_show(value)}",
                            "an ISO date (YYYY-MM-DD, optionally with a time) or a Unix timestamp")


def _number(file: Path, where: str, value, high: float) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= high:
        return float(value)  # NaN and infinities fail the range test
    return _bad(file, where, value, f"a number from 0 to {high:g}")


def _bad(file, where, value, expected):
    """Refuse a field: ``where`` is its path, after a ``line N `` or ``item N `` prefix in a history."""
    prefix, path = re.fullmatch(r"((?:line|item) \d+ )?(.*)", where, re.DOTALL).groups()
    raise ImportFormatError(file, f"{prefix or ''}'{path}' is {_show(value)}", expected)


def _show(value) -> str:
    try:
        text = json.dumps(value, allow_nan=True)
    except (ValueError, RecursionError):
        text = type(value).__name__
    text = redact(text)
    return text if len(text) <= 40 else text[:37] + "..."


def _pillar(name) -> str | None:
    """The contract's pillar a key or enum names (``PROFESSIONAL_BRAND``, ``professionalBrand``, ...)."""
    if not isinstance(name, str):
        return None
    if name.strip().upper() in PILLAR_ENUMS:
        return PILLAR_ENUMS[name.strip().upper()]
    norm = _norm(name)
    return next((p for w, p in (("brand", "brand"), ("people", "people"), ("insight", "insights"),
                                ("relationship", "relationships")) if w in norm), None)


def _member_score(score, file: Path, where: str) -> dict:
    if not isinstance(score, dict):
        _bad(file, f"{where}memberScore", score, 'an object {"overall": N, "subScores": [...]}')
    pillars = _pillars(score.get("subScores", score.get("pillars")), file, f"{where}memberScore", 25)
    name, overall = _field([score], _TOTAL_KEYS)
    if overall is None:
        if len(pillars) < 4:
            _bad(file, f"{where}memberScore.overall", overall, "the total SSI (or all four pillar scores)")
        name, overall = "overall", sum(pillars.values())
    return {"ssi": _number(file, f"{where}memberScore.{name}", overall, 100), **pillars}


def _pillars(subscores, file: Path, where: str, high) -> dict:
    """Pillars from a list ``[{"pillar": NAME, "score": N}]`` or a mapping ``{NAME: N}``."""
    if subscores is None:
        return {}
    if isinstance(subscores, dict):
        items = [(f"{where}.pillars.{k}", k, v.get("score") if isinstance(v, dict) else v)
                 for k, v in subscores.items()]
    elif isinstance(subscores, list):
        items = []
        for i, item in enumerate(subscores):
            if not isinstance(item, dict) or not isinstance(item.get("pillar"), str):
                _bad(file, f"{where}.subScores[{i}]", item, 'an object {"pillar": NAME, "score": N}')
            items.append((f"{where}.subScores[{i}]", item["pillar"], item.get("score")))
    else:
        return _bad(file, f"{where}.subScores", subscores, 'a list of {"pillar": NAME, "score": N}')
    out = {}
    for place, name, value in items:
        column = _pillar(name)
        if column is None:
            continue  # a pillar LinkedIn may add later: not part of the contract
        if column in out:
            _bad(file, f"{place}.pillar", name, "each pillar once")
        out[column] = _number(file, f"{place}.score" if place.endswith("]") else place, value, high)
    return out


def _group_columns(group: str, pillars: dict) -> dict:
    return {f"{group}_avg_{p}": v for p, v in pillars.items()}


def _top_column(group: str) -> str:
    return f"{group}_top_pct"


def _group_scores(groups, file: Path, where: str) -> tuple[dict, str | None]:
    if groups is None:
        return {}, None
    if not isinstance(groups, list):
        _bad(file, f"{where}groupScore", groups, 'a list of {"groupType": ..., "rank": N, "score": {...}}')
    out, industry = {}, None
    for i, entry in enumerate(groups):
        place = f"{where}groupScore[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("groupType"), str):
            _bad(file, place, entry, 'an object with a "groupType" (INDUSTRY, NETWORK or TEAM)')
        industry = industry or _industry_name(entry.get("industry"))
        group = entry["groupType"].strip().lower()
        if group not in GROUPS:
            continue
        if _top_column(group) in out or f"{group}_avg_ssi" in out:
            _bad(file, f"{place}.groupType", entry["groupType"], "each group type once")
        if entry.get("rank") is not None:
            out[_top_column(group)] = _number(file, f"{place}.rank", entry["rank"], 100)
        score = entry.get("score")
        if score is not None and not isinstance(score, dict):
            _bad(file, f"{place}.score", score, 'an object {"overall": N}')
        if score and score.get("overall") is not None:
            out[f"{group}_avg_ssi"] = _number(file, f"{place}.score.overall", score["overall"], 100)
        if score:
            out.update(_group_columns(group, _pillars(score.get("subScores"), file, f"{place}.score", 25)))
    return out, industry


def _named_groups(body: dict, file: Path, where: str) -> dict:
    """Groups as objects ``"industry": {"top": N, "avg": N, "pillars": {...}}`` or flat ``industryTop``."""
    out = {}
    for name, value in body.items():
        norm = _norm(name)
        group = next((g for g in GROUPS if norm.startswith(g)), None)
        if group is None or value is None:
            continue
        rest = norm[len(group):]
        if isinstance(value, dict) and not rest:
            for key, sub in value.items():
                place = f"{where}{name}.{key}"
                if _norm(key) in _TOP_KEYS and sub is not None:
                    out[_top_column(group)] = _number(file, place, sub, 100)
                elif _norm(key) in _AVG_KEYS and sub is not None:
                    out[f"{group}_avg_ssi"] = _number(file, place, sub, 100)
                elif _norm(key) in ("pillars", "subscores"):
                    out.update(_group_columns(group, _pillars(sub, file, f"{where}{name}", 25)))
        elif rest in _TOP_KEYS:
            out[_top_column(group)] = _number(file, f"{where}{name}", value, 100)
        elif rest in _AVG_KEYS:
            out[f"{group}_avg_ssi"] = _number(file, f"{where}{name}", value, 100)
    return out


def _flat_score(body: dict, file: Path, where: str) -> dict:
    """A vendor's flat result: ``{"ssi": N, "brand": N, ..., "industryTop": N}``."""
    pillars = {}
    for name, value in body.items():
        column = None if any(_norm(name).startswith(g) for g in GROUPS) else _pillar(name)
        if _norm(name) in ("pillars", "subscores"):
            pillars.update(_pillars(value, file, f"{where}{name}", 25))
        elif column and value is not None:
            score = value.get("score") if isinstance(value, dict) else value
            pillars[column] = _number(file, f"{where}{name}", score, 25)
    return {"ssi": _number(file, f"{where}ssi", body["ssi"], 100), **pillars}


def _industry_name(value) -> str | None:
    if isinstance(value, dict):
        value = next((value[k] for k in ("name", "localizedName", "title") if isinstance(value.get(k), str)), None)
    return value.strip() if isinstance(value, str) and value.strip() else None
