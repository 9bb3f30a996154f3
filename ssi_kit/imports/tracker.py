"""Import SSI history spreadsheets (trackers kept by hand or by tools) into the ``ssi`` table.

Two layouts are read, as CSV or XLSX:

- wide: one row per day, columns for the date, the total, the four pillars and the
  ranks, in the usual spellings ("Date", "Total SSI", "Establish your professional
  brand", "Industry rank", ...);
- long: one row per day and figure, columns date, field and value (the field names
  spelled like the wide headers).

Separators (``,`` ``;`` tab ``|``) and decimal commas are sniffed.  A small YAML mapping
(``--map``) names the columns of other layouts::

    columns: {Datum: date, Gesamt: ssi, Marke: brand}
    date_format: "%d.%m.%Y"
    decimal: ","
    member_id: m1

Only the recognised figures are read: other columns (notes, names, ...) are never copied.
The spreadsheet readers it uses live in :mod:`ssi_kit.imports.tables` (shared with
the CRM importer).
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..exceptions import ImportFormatError
from .merge import ImportSummary
from .merge import UNKNOWN_INDUSTRY, write_imported
from .privacy import redact, refuse_contact_ids, refuse_contact_option
from .ssi_json import SSI_EXTRAS
from .tables import clean_text, fail_values, is_blank, load_mapping, parse_dates, parse_numbers, read_table_file

__all__ = ["import_tracker", "read_tracker", "read_table_file", "load_mapping",
           "parse_numbers", "parse_dates"]

_FIGURES = {"ssi": 100, "brand": 25, "people": 25, "insights": 25, "relationships": 25,
            "industry_top_pct": 100, "network_top_pct": 100, **{c: 100 for c in SSI_EXTRAS}}
_TARGETS = ("date", "member_id", "field", "value", *_FIGURES)
_MAP_KEYS = ("columns", "date_format", "decimal", "separator", "sheet", "member_id", "industry")
_EXACT = {
    "date": {"date", "day", "datum", "reading date", "as of", "snapshot date", "captured at"},
    "member_id": {"member id", "memberid", "member", "seller", "seller id", "rep", "user id", "user"},
    "ssi": {"ssi", "total", "total ssi", "ssi total", "overall", "overall ssi", "ssi score",
            "social selling index", "total score", "score", "sales social index"},
    "field": {"field", "metric", "measure", "variable", "pillar", "component", "kpi"},
    "value": {"value", "points", "amount", "figure"},
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
        YAML column mapping (keys ``columns``, ``date_format``, ``decimal``,
        ``separator``, ``sheet``, ``member_id``, ``industry``).
    member_id : str, optional
        The seller's id where the file has no id column (default the mapping's
        ``member_id``, else ``"me"``).

    Returns
    -------
    dict of str to pandas.DataFrame
        ``members`` and ``ssi``; a missing total is the sum of the four pillars; one
        reading per seller and day (a later row wins).

    Raises
    ------
    ImportFormatError
        Naming the file, the column, the rows and what was expected.
    """
    return _read(path, mapping, member_id)[0]


def import_tracker(path, out, *, mapping=None, member_id: str | None = None,
                   salt: str | None = None) -> ImportSummary:
    """Import a tracker spreadsheet into the dataset directory ``out``.

    Parameters
    ----------
    path, mapping, member_id
        As for :func:`read_tracker`.
    out : path-like
        Dataset directory, created or added to.
    salt : str, optional
        When given, seller ids are replaced by salted pseudonyms.

    Returns
    -------
    ImportSummary
    """
    if salt is None:
        refuse_contact_option(member_id)
    tables, replaced = _read(path, mapping, member_id, guard=salt is None)
    return write_imported(out, tables, source=str(path), file=path, salt=salt,
                          replaced={"ssi": replaced})


def _read(path, mapping, member_id, guard=False) -> tuple[dict[str, pd.DataFrame], int]:
    """Tables and replaced readings; ``guard`` refuses ids holding contact details (naming lines)."""
    conf = load_mapping(mapping, _MAP_KEYS, targets=_TARGETS)
    if guard and member_id is None:
        refuse_contact_ids(pd.Series([clean_text(conf.get("member_id"))]), file=_where(mapping),
                           where="'member_id'", unit=None)
    raw, decimal = read_table_file(path, separator=conf.get("separator"),
                                   decimal=conf.get("decimal"), sheet=conf.get("sheet"))
    cols = _columns(raw, conf.get("columns", {}), path)
    default_id = member_id or clean_text(conf.get("member_id")) or "me"
    if guard and "member_id" in cols:
        refuse_contact_ids(raw[cols["member_id"]], file=path, where=f"column {cols['member_id']!r}")
    records = _records(raw, cols, path, conf.get("date_format"), default_id)
    records = _figures(records, decimal, path)
    ssi, replaced = _readings(records, path)
    members = pd.DataFrame({"member_id": sorted(ssi["member_id"].unique())})
    members["industry"] = clean_text(conf.get("industry")) or UNKNOWN_INDUSTRY
    return {"members": members, "ssi": ssi}, replaced


def _where(mapping) -> str:
    return "the column mapping" if isinstance(mapping, dict) or mapping is None else str(mapping)


def _guess(header: str) -> str | None:
    """The contract name a header (or a long layout's field name) stands for."""
    norm = " ".join(re.sub(r"[^a-z0-9]+", " ", header.lower().replace("%", " pct ")).split())
    for target, names in _EXACT.items():
        if norm in names:
            return target
    words = norm.split()
    group = next((g for g in ("industry", "network", "team") if g in words), None)
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
        target = None if header in mapped else _guess(header)
        if target is None or target in mapped.values():
            continue
        if target in guessed:
            raise ImportFormatError(path, f"columns {guessed[target]!r} and {header!r} both read as {target}",
                                    "one column per figure (name the one to use with --map)")
        guessed[target] = cols[target] = header
    if "date" not in cols:
        raise ImportFormatError(path, "has no date column", "a column such as 'Date' (or one mapped to date)")
    return cols


def _records(frame, cols, path, date_format, default_id) -> pd.DataFrame:
    """One record per seller, day and figure: member_id, date, target, raw value, column, line."""
    dates = parse_dates(frame[cols["date"]], path=path, column=cols["date"], date_format=date_format)
    members = (frame[cols["member_id"]].map(lambda v: None if is_blank(v) else str(v).strip())
               .fillna(default_id) if "member_id" in cols else pd.Series(default_id, index=frame.index))
    if "field" in cols or "value" in cols:
        records = _long_records(frame, cols, path)
    else:
        figures = {t: h for t, h in cols.items() if t in _FIGURES}
        if not figures:
            raise ImportFormatError(path, "has no SSI column", "a total ('SSI', 'Total SSI') or pillar columns "
                                    "('Professional brand', ...), or a long layout date, field, value")
        records = pd.concat([pd.DataFrame({"target": t, "value": frame[h], "column": h, "line": frame.index})
                             for t, h in figures.items()])
    records = records[~records["value"].map(is_blank)]
    undated = dates.reindex(records["line"]).isna().to_numpy()
    if undated.any():
        fail_values(path, cols["date"], records.loc[undated, "line"], records.loc[undated, "value"],
              "a date on every row that holds figures")
    records["date"] = dates.reindex(records["line"]).to_numpy()
    records["member_id"] = members.reindex(records["line"]).to_numpy()
    return records.reset_index(drop=True)


def _long_records(frame, cols, path) -> pd.DataFrame:
    if "field" not in cols or "value" not in cols:
        raise ImportFormatError(path, "has a field or a value column but not both",
                                "a long layout with date, field and value columns")
    fields = frame[cols["field"]].map(lambda v: "" if is_blank(v) else str(v))
    targets = fields.map(lambda f: _guess(f) if _guess(f) in _FIGURES else None)
    if targets.isna().all():
        raise ImportFormatError(path, f"column {cols['field']!r} names no SSI figure",
                                "field names such as 'SSI', 'Professional brand', 'Industry rank'")
    keep = targets.notna()
    return pd.DataFrame({"target": targets[keep], "value": frame.loc[keep, cols["value"]],
                         "column": cols["value"] + " (" + fields[keep] + ")", "line": frame.index[keep]})


def _figures(records: pd.DataFrame, decimal: str, path) -> pd.DataFrame:
    """Parse every figure as a number and check its range, column by column."""
    values = pd.Series(np.nan, index=records.index)
    for (column, target), grp in records.groupby(["column", "target"], sort=False):
        high = _FIGURES[target]
        parsed = parse_numbers(grp["value"].set_axis(grp["line"]), path=path, column=column, decimal=decimal)
        out = ~parsed.between(0, high)
        if out.any():
            fail_values(path, column, grp["line"][out.to_numpy()], grp["value"][out.to_numpy()],
                  f"a number from 0 to {high} ({target})")
        values[grp.index] = parsed.to_numpy()
    return records.assign(value=values)


def _readings(records: pd.DataFrame, path) -> tuple[pd.DataFrame, int]:
    """Pivot records into readings; fill a missing total from the four pillars."""
    key = ["member_id", "date"]
    last = records.drop_duplicates(subset=[*key, "target", "value"], keep="last")
    changed = last.duplicated(subset=[*key, "target"], keep="last")
    replaced = int(last.loc[changed, key].drop_duplicates().shape[0])
    last = last.drop_duplicates(subset=[*key, "target"], keep="last")
    wide = last.pivot(index=key, columns="target", values="value")
    lines = last.groupby(key)["line"].min()
    wide = wide.reindex(columns=list(_FIGURES)).astype("Float64").rename_axis(columns=None)
    pillars = wide[["brand", "people", "insights", "relationships"]]
    wide["ssi"] = wide["ssi"].fillna(pillars.sum(axis=1).where(pillars.notna().all(axis=1)))
    missing = wide["ssi"].isna().to_numpy()
    if missing.any():
        fail_values(path, "ssi", lines[missing], pd.Series("", index=lines.index)[missing],
              "a total SSI, or all four pillar scores, on every dated row")
    extras = [c for c in SSI_EXTRAS if wide[c].notna().any()]
    wide = wide.drop(columns=[c for c in SSI_EXTRAS if c not in extras]).reset_index()
    wide["date"] = wide["date"].astype("datetime64[ns]")
    wide["member_id"] = wide["member_id"].astype(str)
    return wide.sort_values(key, kind="mergesort").reset_index(drop=True), replaced


