"""Import SSI history spreadsheets (trackers kept by hand or by tools) into the ``ssi`` table.

Two layouts are read, as CSV or XLSX:

- wide: one row per day, columns for the date, the total, the four pillars and the
  ranks, in the usual spellings ("Date", "Total SSI", "Establish your professional
  brand", "Industry rank", ...);
- long: one row per day and figure, columns date, field and value (the field names
  spelled like the wide headers), optionally a section column saying whose figure it is
  (the seller's own, or the industry's, network's or team's average: ``Me``,
  ``Industry``, ``Network``).

Separators (``,`` ``;`` tab ``|``) and decimal commas are sniffed.  A small YAML mapping
(``--map``) names the columns of other layouts, and the field and section VALUES of long
layouts in any language::

    columns: {Datum: date, Kennzahl: field, Wert: value, Bereich: section}
    fields: {Gesamt-SSI: ssi, Markenbildung: brand, Rang: rank}
    sections: {Ich: own, Branche: industry, Netzwerk: network}
    date_format: "%d.%m.%Y"
    decimal: ","
    member_id: m1

In a group's section the total and the pillars are the group's averages
(``industry_avg_ssi``, ``industry_avg_brand``, ...) and ``rank`` is the seller's rank in
the group (``industry_top_pct``).  Only the recognised figures are read: other columns
(notes, names, ...) are never copied.  A failed scrape (total, every pillar and both ranks
0 or empty) is dropped and recorded as skipped; two different readings of one seller and
day are resolved by the later row and counted in a note.  The spreadsheet readers it uses
live in :mod:`ssi_kit.imports.tables` (shared with the CRM importer).
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..exceptions import ImportFormatError
from .merge import UNKNOWN_INDUSTRY, ImportSummary, Skipped, write_imported
from .privacy import redact, refuse_contact_ids, refuse_contact_option
from .readings import FAILED_SCRAPE, FIGURE_RANGES, GROUPS, PILLARS, SSI_EXTRAS, duplicate_notes, failed_scrapes
from .tables import clean_text, fail_values, is_blank, load_mapping, parse_dates, parse_numbers, read_table_file

__all__ = ["import_tracker", "read_tracker", "read_readings", "guess_figure", "read_table_file",
           "load_mapping", "parse_numbers", "parse_dates"]

_FIGURES = FIGURE_RANGES
_TARGETS = ("date", "member_id", "field", "value", "section", *_FIGURES)
_MAP_KEYS = ("columns", "date_format", "decimal", "separator", "sheet", "member_id", "industry",
             "fields", "sections")
#: Section roles: the seller's own figures, or a group's.
_ROLES = ("own", *GROUPS)
_OWN = {"me", "my", "mine", "own", "self", "you", "seller", "member", "my ssi", "your ssi"}
_RANK = {"rank", "top", "top pct", "ranking", "percentile"}
_EXACT = {
    "date": {"date", "day", "datum", "reading date", "as of", "snapshot date", "captured at"},
    "member_id": {"member id", "memberid", "member", "seller", "seller id", "rep", "user id", "user"},
    "ssi": {"ssi", "total", "total ssi", "ssi total", "overall", "overall ssi", "ssi score",
            "social selling index", "total score", "score", "sales social index"},
    "field": {"field", "metric", "measure", "variable", "pillar", "component", "kpi"},
    "value": {"value", "points", "amount", "figure"},
    "section": {"section", "scope", "series", "who", "group", "segment"},
}
_WORDS = (("brand", "brand"), ("people", "people"), ("insight", "insights"),
          ("relationship", "relationships"))


def read_tracker(path, *, mapping=None, member_id: str | None = None) -> dict[str, pd.DataFrame]:
    """Read a tracker spreadsheet into ``members`` and ``ssi`` tables (pure: writes nothing).

    Parameters
    ----------
    path : path-like
        A CSV (any of ``,`` ``;`` tab ``|``) or XLSX file.
    mapping : path-like or dict, optional
        YAML mapping (keys ``columns``, ``fields``, ``sections``, ``date_format``,
        ``decimal``, ``separator``, ``sheet``, ``member_id``, ``industry``).
    member_id : str, optional
        The seller's id where the file has no id column (default the mapping's
        ``member_id``, else ``"me"``).

    Returns
    -------
    dict of str to pandas.DataFrame
        ``members`` and ``ssi``; a missing total is the sum of the four pillars; one
        reading per seller and day (a later row wins); failed scrapes left out.

    Raises
    ------
    ImportFormatError
        Naming the file, the column, the rows and what was expected.
    """
    return _read(path, mapping, member_id)[0]


def import_tracker(path, out, *, mapping=None, member_id: str | None = None,
                   salt: str | None = None, strict: bool = False) -> ImportSummary:
    """Import a tracker spreadsheet into the dataset directory ``out``.

    Parameters
    ----------
    path, mapping, member_id
        As for :func:`read_tracker`.
    out : path-like
        Dataset directory, created or added to.
    salt : str, optional
        When given, seller ids are replaced by salted pseudonyms.
    strict : bool
        Refuse the import when any reading is skipped (failed scrapes).

    Returns
    -------
    ImportSummary
        Failed scrapes in ``skipped``; days with two different readings in ``notes``.
    """
    if salt is None:
        refuse_contact_option(member_id)
    tables, replaced, skipped = _read(path, mapping, member_id, guard=salt is None)
    return write_imported(out, tables, source=str(path), file=path, salt=salt, replaced={"ssi": replaced},
                          skipped=skipped, notes=duplicate_notes(replaced), strict=strict)


def _read(path, mapping, member_id, guard=False):
    """Tables, replaced and skipped readings; ``guard`` refuses ids holding contact details (naming lines)."""
    conf = load_mapping(mapping, _MAP_KEYS, targets=_TARGETS)
    if guard and member_id is None:
        refuse_contact_ids(pd.Series([clean_text(conf.get("member_id"))]), file=_where(mapping),
                           where="'member_id'", unit=None)
    raw, decimal = read_table_file(path, separator=conf.get("separator"),
                                   decimal=conf.get("decimal"), sheet=conf.get("sheet"))
    cols = _columns(raw, conf.get("columns", {}), path)
    if guard and "member_id" in cols:
        refuse_contact_ids(raw[cols["member_id"]], file=path, where=f"column {cols['member_id']!r}")
    ssi, replaced, skipped = read_readings(raw, cols, path, decimal=decimal, conf=conf,
                                           default_id=member_id or clean_text(conf.get("member_id")) or "me")
    members = pd.DataFrame({"member_id": sorted(ssi["member_id"].unique())})
    members["industry"] = clean_text(conf.get("industry")) or UNKNOWN_INDUSTRY
    return {"members": members, "ssi": ssi}, replaced, skipped


def read_readings(raw: pd.DataFrame, cols: dict, path, *, decimal: str = ".", conf: dict | None = None,
                  default_id: str = "me") -> tuple[pd.DataFrame, int, list]:
    """SSI readings from a table's cells (also used by the Sales Navigator importer).

    Parameters
    ----------
    raw : pandas.DataFrame
        Cells as read by :func:`read_table_file` (index: file lines).
    cols : dict
        target -> header, with ``date`` (see :func:`guess_figure`).
    path : path-like
        The file, for messages.
    decimal : str
        The decimal mark.
    conf : dict, optional
        The mapping (``date_format``, ``fields``, ``sections``).
    default_id : str
        The seller's id where there is no ``member_id`` column (or it is blank).

    Returns
    -------
    ssi : pandas.DataFrame
        One reading per seller and day, contract columns and the extras that hold values.
    replaced : int
        Days with two different readings (the later row kept).
    skipped : list of Skipped
        The failed scrapes dropped.
    """
    conf = conf or {}
    records = _records(raw, cols, path, conf, default_id)
    records = _figures(records, decimal, path)
    records, skipped = _drop_failed(records, path)
    if not records["value"].notna().any():
        failed = f": {skipped[0].count} failed scrape(s), every value 0 or empty" if skipped else ""
        raise ImportFormatError(path, f"holds no SSI reading that can be kept{failed}",
                                "at least one dated row with an SSI (or its four pillars)")
    ssi, replaced = _readings(records, path)
    return ssi, replaced, skipped


def _where(mapping) -> str:
    return "the column mapping" if isinstance(mapping, dict) or mapping is None else str(mapping)


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", str(text).lower().replace("%", " pct ")).split())


def guess_figure(header: str) -> str | None:
    """The contract name a header (or a long layout's field name) stands for, if any.

    ``"Total SSI"`` -> ``ssi``, ``"Find the right people"`` -> ``people``, ``"Industry
    rank"`` -> ``industry_top_pct``, ``"Network average"`` -> ``network_avg_ssi``,
    ``"Rank"`` -> ``rank`` (a section's rank), ``"Date"`` -> ``date``, ...
    """
    norm = _norm(header)
    for target, names in _EXACT.items():
        if norm in names:
            return target
    if norm in _RANK:
        return "rank"
    words = norm.split()
    group = next((g for g in GROUPS if g in words), None)
    if group:
        if {"rank", "top", "pct", "percentile", "ranking"} & set(words):
            return f"{group}_top_pct"
        if {"avg", "average", "mean", "ssi"} & set(words):
            return f"{group}_avg_ssi"
        return None
    return next((t for w, t in _WORDS if any(x.startswith(w) for x in words)), None)


def _columns(frame: pd.DataFrame, mapped: dict, path) -> dict[str, str]:
    """target -> header, from the mapping first, then from the headers' spelling."""
    missing = [h for h in mapped if h not in frame.columns]
    if missing:
        raise ImportFormatError(path, f"has no column {', '.join(map(repr, missing))} named in the mapping",
                                f"the columns it names (the file has {redact(', '.join(map(repr, frame.columns[:12])))})")
    cols: dict[str, str] = {}
    for header, target in mapped.items():
        if target in cols:
            raise ImportFormatError(path, f"the mapping sends {cols[target]!r} and {header!r} both to {target}",
                                    "one column per name in the mapping")
        cols[target] = header
    guessed = {}
    for header in frame.columns:
        target = None if header in mapped else guess_figure(header)
        if target is None or target == "rank" or target in mapped.values():
            continue
        if target in guessed:
            raise ImportFormatError(path, f"columns {guessed[target]!r} and {header!r} both read as {target}",
                                    "one column per figure (name the one to use with --map)")
        guessed[target] = cols[target] = header
    if "date" not in cols:
        raise ImportFormatError(path, "has no date column", "a column such as 'Date' (or one mapped to date)")
    return cols


def _records(frame, cols, path, conf, default_id) -> pd.DataFrame:
    """One record per seller, day and figure: member_id, date, target, raw value, column, line, unit.

    ``unit`` is the reading a record belongs to: its row (wide layout) or its day (long).
    """
    dates = parse_dates(frame[cols["date"]], path=path, column=cols["date"], date_format=conf.get("date_format"))
    members = (frame[cols["member_id"]].map(lambda v: None if is_blank(v) else str(v).strip())
               .fillna(default_id) if "member_id" in cols else pd.Series(default_id, index=frame.index))
    long = "field" in cols or "value" in cols
    if long:
        records = _long_records(frame, cols, path, conf)
    else:
        figures = {t: h for t, h in cols.items() if t in _FIGURES}
        if not figures:
            raise ImportFormatError(path, "has no SSI column", "a total ('SSI', 'Total SSI') or pillar columns "
                                    "('Professional brand', ...), or a long layout date, field, value")
        records = pd.concat([pd.DataFrame({"target": t, "value": frame[h], "column": h, "line": frame.index})
                             for t, h in figures.items()])
    blank = records["value"].map(is_blank).to_numpy()
    undated = dates.reindex(records["line"]).isna().to_numpy()
    if (undated & ~blank).any():
        bad = undated & ~blank
        fail_values(path, cols["date"], records.loc[bad, "line"], records.loc[bad, "value"],
                    "a date on every row that holds figures")
    records = records.loc[~undated]
    records["date"] = dates.reindex(records["line"]).to_numpy()
    records["member_id"] = members.reindex(records["line"]).to_numpy()
    records["unit"] = (records["member_id"] + "\x00" + records["date"].astype(str) if long
                       else records["line"].astype(str))
    return records.reset_index(drop=True)


def _long_records(frame, cols, path, conf) -> pd.DataFrame:
    if "field" not in cols or "value" not in cols:
        raise ImportFormatError(path, "has a field or a value column but not both",
                                "a long layout with date, field and value columns")
    fields = frame[cols["field"]].map(lambda v: "" if is_blank(v) else str(v).strip())
    named = {str(k).strip(): v for k, v in (conf.get("fields") or {}).items()}
    bad = sorted(f"{k}: {v}" for k, v in named.items() if v not in (*_FIGURES, "rank"))
    if bad:
        raise ImportFormatError(path, f"the mapping's fields name unknown figures ({'; '.join(bad)})",
                                f"figures among rank, {', '.join(_FIGURES)}")
    targets = fields.map(lambda f: named.get(f) or guess_figure(f))
    targets = targets.where(targets.isin([*_FIGURES, "rank"]))
    if "section" in cols:
        targets = _in_sections(frame[cols["section"]], targets, path, cols["section"], conf.get("sections") or {})
    elif (targets == "rank").any():
        raise ImportFormatError(path, f"column {cols['field']!r} holds a bare rank without a section",
                                "'Industry rank' or 'Network rank', or a section column saying whose rank")
    if targets.isna().all():
        raise ImportFormatError(path, f"column {cols['field']!r} names no SSI figure",
                                "field names such as 'SSI', 'Professional brand', 'Industry rank' "
                                "(or fields: {NAME: ssi, ...} in the mapping)")
    keep = targets.notna()
    return pd.DataFrame({"target": targets[keep], "value": frame.loc[keep, cols["value"]],
                         "column": cols["value"] + " (" + fields[keep] + ")", "line": frame.index[keep]})


def _role(value, sections: dict) -> str | None:
    text = "" if is_blank(value) else str(value).strip()
    mapped = {str(k).strip(): v for k, v in sections.items()}
    if text in mapped:
        return mapped[text]
    norm = _norm(text)
    if not norm or norm in _OWN:
        return "own"
    return next((g for g in GROUPS if g in norm.split()), None)


def _in_sections(values: pd.Series, targets: pd.Series, path, column, sections: dict) -> pd.Series:
    """Targets moved to the section's group: ``ssi`` -> ``industry_avg_ssi``, ``rank`` -> ``industry_top_pct``."""
    bad = sorted(f"{k}: {v}" for k, v in sections.items() if v not in _ROLES)
    if bad:
        raise ImportFormatError(path, f"the mapping's sections name unknown roles ({'; '.join(map(str, bad))})",
                                f"roles among {', '.join(_ROLES)}")
    roles = values.map(lambda v: _role(v, sections))
    unknown = roles.isna() & targets.notna()
    if unknown.any():
        fail_values(path, column, values.index[unknown.to_numpy()], values[unknown.to_numpy()],
                    "a section such as Me, Industry, Network or Team (or sections: {VALUE: own|industry|"
                    "network|team} in the mapping)")
    return pd.Series([_section_target(r, t) for r, t in zip(roles, targets)], index=targets.index, dtype=object)


def _section_target(role, target):
    if target is None or (isinstance(target, float) and np.isnan(target)) or role == "own":
        return None if target == "rank" else target
    if target == "rank":
        return f"{role}_top_pct"
    if target == "ssi" or target in PILLARS:
        return f"{role}_avg_{target}"
    return target


def _figures(records: pd.DataFrame, decimal: str, path) -> pd.DataFrame:
    """Parse every figure as a number and check its range, column by column."""
    values = pd.Series(np.nan, index=records.index)
    for (column, target), grp in records.groupby(["column", "target"], sort=False):
        high = _FIGURES[target]
        parsed = parse_numbers(grp["value"].set_axis(grp["line"]), path=path, column=column, decimal=decimal)
        out = ~parsed.between(0, high) & parsed.notna()
        if out.any():
            fail_values(path, column, grp["line"][out.to_numpy()], grp["value"][out.to_numpy()],
                        f"a number from 0 to {high} ({target})")
        values[grp.index] = parsed.to_numpy()
    return records.assign(value=values)


def _drop_failed(records: pd.DataFrame, path) -> tuple[pd.DataFrame, list]:
    """Drop the readings that are failed scrapes (every value 0 or empty), recorded as skipped."""
    per_unit = records.groupby(["unit", "target"], sort=False)["value"].last().unstack()
    failed = failed_scrapes(per_unit.reindex(columns=list(_FIGURES)))
    units = failed.index[failed.to_numpy()]
    if units.empty:
        return records, []
    lost = records["unit"].isin(units)
    lines = sorted(records.loc[lost].groupby("unit")["line"].min())
    n = len(lines)
    skip = Skipped(str(path), FAILED_SCRAPE, n, tuple(int(x) for x in lines[:5]),
                   f"{n} SSI reading{'s' if n != 1 else ''}")
    return records.loc[~lost], [skip]


def _readings(records: pd.DataFrame, path) -> tuple[pd.DataFrame, int]:
    """Pivot records into readings; fill a missing total from the four pillars."""
    key = ["member_id", "date"]
    records = records[records["value"].notna()]
    last = records.drop_duplicates(subset=[*key, "target", "value"], keep="last")
    changed = last.duplicated(subset=[*key, "target"], keep="last")
    replaced = int(last.loc[changed, key].drop_duplicates().shape[0])
    last = last.drop_duplicates(subset=[*key, "target"], keep="last")
    wide = last.pivot(index=key, columns="target", values="value")
    lines = last.groupby(key)["line"].min()
    wide = wide.reindex(columns=list(_FIGURES)).astype("Float64").rename_axis(columns=None)
    pillars = wide[list(PILLARS)]
    wide["ssi"] = wide["ssi"].fillna(pillars.sum(axis=1).where(pillars.notna().all(axis=1)))
    missing = wide["ssi"].isna().to_numpy()
    if missing.any():
        fail_values(path, "ssi", lines[missing], pd.Series("", index=lines.index)[missing],
                    "a total SSI, or all four pillar scores, on every dated row")
    wide = wide.drop(columns=[c for c in SSI_EXTRAS if not wide[c].notna().any()]).reset_index()
    wide["date"] = wide["date"].astype("datetime64[ns]")
    wide["member_id"] = wide["member_id"].astype(str)
    return wide.sort_values(key, kind="mergesort").reset_index(drop=True), replaced
