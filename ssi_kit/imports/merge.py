"""Add imported tables to a dataset directory, keeping it valid.

Rows are matched on each table's key (``member_id`` + ``date`` for activity, ...).
A row whose key is new is added; a row equal to the existing one is kept once; a row
whose values differ replaces the existing one and is counted as replaced: the later
source wins.  Readings and outcomes (``ssi``, ``outcomes``) are replaced whole, since
their values belong together; in the other tables columns the import does not carry
keep their old values (e.g. an export's posts beside a tracker's searches).  The merged dataset is validated, then written atomically: a failure leaves
the directory as it was.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..io import TABLE_NAMES, load_dataset, validate_tables, write_dataset
from ..io.schemas import table_key

__all__ = ["ImportSummary", "merge_tables", "merge_into_dir"]

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
    write_dataset(validated, out, fmt={n: fmts.get(n, "csv") for n in validated},
                  replace=True, extra_files=_extra_files(out))
    return summary


def _extra_files(out: Path) -> dict:
    """Text files beside the tables (e.g. truth.json, README) that must survive the rewrite."""
    if not out.is_dir():
        return {}
    names = {f"{t}.{ext}" for t in TABLE_NAMES for ext in ("csv", "parquet")}
    return {p.name: p.read_text(encoding="utf-8") for p in out.iterdir()
            if p.is_file() and p.name not in names and p.suffix in (".json", ".md", ".txt", ".yaml")}
