"""Add imported tables to a dataset directory, keeping it valid.

Rows are matched on each table's key (``member_id`` + ``date`` for activity, ...).
A row whose key is new is added; a row equal to the existing one is kept once; a row
whose values differ replaces the existing one and is counted as replaced: the later
source wins.  Readings and outcomes (``ssi``, ``outcomes``) are replaced whole, since
their values belong together; in the other tables columns the import does not carry
keep their old values (e.g. an export's posts beside a tracker's searches).  The merged dataset is validated, then written atomically: a failure leaves
the directory as it was.  Only the tables the import touches are rewritten (each
under a temporary name, then moved into place); other files in the folder are kept.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..exceptions import ImportFormatError, UsageError
from ..io import MODELS, TABLE_NAMES, load_dataset, validate_tables
from ..io.dataset import write_tables
from .privacy import ID_COLUMNS, pseudonymize_tables, refuse_contact_ids
from ..io.schemas import table_key

__all__ = ["ImportSummary", "merge_tables", "merge_into_dir", "write_imported", "UNKNOWN_INDUSTRY"]

#: Industry written for a seller whose industry no source names.
UNKNOWN_INDUSTRY = "unknown"

#: Tables whose rows are replaced whole when the key matches.
_ROW_WISE = ("ssi", "outcomes")


@dataclass(frozen=True)
class ImportSummary:
    """What an import did, per table: rows added, replaced and already present."""

    out: Path
    source: str
    added: dict = field(default_factory=dict)
    replaced: dict = field(default_factory=dict)
    unchanged: dict = field(default_factory=dict)

    def describe(self) -> str:
        """One line per table, e.g. ``ssi: 12 added, 1 replaced, 3 already present``."""
        lines = [f"imported {self.source} into {self.out}"]
        for name in self.added:
            lines.append(f"  {name}: {self.added[name]} added, {self.replaced[name]} replaced, "
                         f"{self.unchanged[name]} already present")
        return "\n".join(lines)


def _differs(old: pd.DataFrame, new: pd.DataFrame) -> pd.Series:
    """Per shared key: whether a value the new row carries differs from the old one."""
    cols = [c for c in new.columns if c in old.columns]
    a, b = old[cols].astype(object), new[cols].astype(object)
    both = a.notna() & b.notna()
    return ((a != b) & both).any(axis=1)


def merge_tables(existing: pd.DataFrame | None, incoming: pd.DataFrame, table: str) -> tuple[pd.DataFrame, dict]:
    """Merge ``incoming`` rows into ``existing`` on the table's key (see module docstring).

    Returns
    -------
    merged : pandas.DataFrame
    counts : dict
        ``added``, ``replaced``, ``unchanged``.
    """
    key = list(table_key(table))
    incoming = incoming.drop_duplicates(subset=key, keep="last")
    if existing is None or existing.empty:
        return incoming.reset_index(drop=True), {"added": len(incoming), "replaced": 0, "unchanged": 0}
    old = existing.set_index(key)
    new = incoming.set_index(key)
    shared = new.index.intersection(old.index)
    replaced = int(_differs(old.loc[shared], new.loc[shared]).sum()) if len(shared) else 0
    if table in _ROW_WISE:
        merged = pd.concat([old.drop(index=shared), new])
    else:
        merged = new.combine_first(old) if len(new.columns) else old
    merged = merged.reindex(columns=list(dict.fromkeys([*old.columns, *new.columns])))
    counts = {"added": len(new.index.difference(old.index)), "replaced": replaced,
              "unchanged": len(shared) - replaced}
    return merged.reset_index(), counts


def merge_into_dir(out, tables: dict[str, pd.DataFrame], *, source: str) -> ImportSummary:
    """Merge imported tables into the dataset at ``out`` (created when absent), validated, atomically.

    Parameters
    ----------
    out : path-like
        Dataset directory.  An existing one must be a valid dataset.
    tables : dict of str to pandas.DataFrame
        Imported rows in contract types (strings, datetimes, bools, numbers).
    source : str
        What was imported, for the summary.

    Returns
    -------
    ImportSummary

    Raises
    ------
    DatasetError
        When the existing dataset, or the merged result, breaks the contract.
    """
    out = Path(out)
    existing = load_dataset(out) if (out / "members.csv").exists() or (out / "members.parquet").exists() else None
    current = dict(existing.tables) if existing else {}
    fmts = {n: p.suffix.lstrip(".") for n, p in existing.files.items()} if existing else {}
    summary = ImportSummary(out=out, source=source)
    for name in TABLE_NAMES:
        if name not in tables:
            continue
        merged, counts = merge_tables(current.get(name), tables[name], name)
        current[name] = merged
        summary.added[name], summary.replaced[name], summary.unchanged[name] = (
            counts["added"], counts["replaced"], counts["unchanged"])
    validated = validate_tables(current)
    write_tables({f"{name}.{fmts.get(name, 'csv')}": validated[name]  # validated, then replaced together
                  for name in tables if name in validated}, out)
    return summary


def write_imported(out, tables: dict[str, pd.DataFrame], *, source: str, file, salt: str | None = None,
                   replaced: dict | None = None) -> ImportSummary:
    """Finish an import: guard ids, pseudonymize, keep known industries, merge into ``out``.

    Parameters
    ----------
    out : path-like
        Dataset directory.
    tables : dict of str to pandas.DataFrame
        Imported tables, ``members`` among them.
    source, file : str, path-like
        What was imported (for the summary); the file quoted when ids are refused.
    salt : str, optional
        Pseudonymize every table with this salt before merging.
    replaced : dict of str to int, optional
        Rows replaced inside the import (same key twice), added to the summary.

    Returns
    -------
    ImportSummary

    Raises
    ------
    ImportFormatError
        When seller ids look like e-mail addresses or phone numbers and no salt is given
        (the importers check where the ids are read, naming lines; this is the last guard).
    UsageError
        When ``out`` is a file.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file; expected a dataset folder (new, empty or existing).")
    if salt is None:
        for name, table in tables.items():
            for col in [c for c in ID_COLUMNS if c in table.columns]:
                refuse_contact_ids(table[col], file=file, where=f"the {col} values read", unit=None)
    else:
        tables = pseudonymize_tables(tables, salt)
    tables = {name: _extras_as_text(name, t) for name, t in tables.items()}
    tables["members"] = _keep_known_industry(out, tables["members"])
    summary = merge_into_dir(out, tables, source=source)
    for name, n in (replaced or {}).items():
        if name in summary.replaced:
            summary.replaced[name] += n
    return summary


def _extras_as_text(name: str, table: pd.DataFrame) -> pd.DataFrame:
    """Extra numeric columns as the text a CSV holds, so re-imports compare equal."""
    known = MODELS[name].to_schema().columns
    table = table.copy()
    for col in table.columns:
        if col not in known and pd.api.types.is_numeric_dtype(table[col].dtype):
            table[col] = pd.Series([None if pd.isna(v) else repr(float(v)) for v in table[col]],
                                   index=table.index, dtype=object)
    return table


def _keep_known_industry(out, members: pd.DataFrame) -> pd.DataFrame:
    """Blank ``unknown`` industries of sellers ``out`` already lists, so theirs are kept."""
    out = Path(out)
    if not any((out / f"members.{ext}").exists() for ext in ("csv", "parquet")):
        return members
    known = load_dataset(out, tables=["members"])["members"]["member_id"]
    members = members.copy()
    members["industry"] = members["industry"].astype(object)
    members.loc[members["member_id"].isin(known) & (members["industry"] == UNKNOWN_INDUSTRY),
                "industry"] = None
    return members
