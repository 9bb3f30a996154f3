"""Add imported tables to a dataset directory, keeping it valid.

Rows are matched on each table's key (``member_id`` + ``date`` for activity, ...).
A row whose key is new is added; a row equal to the existing one is kept once; a row
whose values differ replaces the existing one and is counted as replaced: the later
source wins.  Readings and outcomes (``ssi``, ``outcomes``) are replaced whole, since
their values belong together; in the other tables columns the import does not carry
keep their old values (e.g. an export's posts beside a tracker's searches).  The merged dataset is validated, then written atomically: a failure leaves
the directory as it was.  Only the tables the import touches are rewritten (each
under a temporary name, then moved into place); other files in the folder are kept.

An import changes every table it touches, and the import log, or none: they are
swapped in as one set (:func:`~ssi_kit.io.atomic.atomic_files`), and a set a killed
run left half-applied is completed by the next reader (``load_dataset``) or writer.
Writers are serialized: each holds the dataset folder's lock
(:func:`~ssi_kit.io.atomic.folder_lock`) from reading the dataset to writing it, so two
imports at once both land; the second waits, saying so on stderr.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from ..exceptions import ImportFormatError, UsageError
from ..io import MODELS, TABLE_NAMES, load_dataset, validate_tables
from ..io.atomic import atomic_files, folder_lock
from ..io.dataset import write_table
from .privacy import ID_COLUMNS, pseudonymize_tables, redact, refuse_contact_ids
from ..io.schemas import table_key

__all__ = ["ImportSummary", "Skipped", "merge_tables", "merge_into_dir", "write_imported",
           "UNKNOWN_INDUSTRY", "IMPORT_LOG"]

#: Industry written for a seller whose industry no source names.
UNKNOWN_INDUSTRY = "unknown"

#: The log of imports kept in a dataset folder: one JSON object a line, one line an import.
IMPORT_LOG = "import-log.jsonl"

#: Tables whose rows are replaced whole when the key matches.
_ROW_WISE = ("ssi", "outcomes")


@dataclass(frozen=True)
class Skipped:
    """Rows of a source file an import could not read and left out (never silently).

    Attributes
    ----------
    file : str
        The file (or ZIP member) the rows are in.
    reason : str
        Why they could not be read, e.g. ``"no created date"``.
    count : int
        How many rows (records) were left out.
    lines : tuple of int
        Up to five of their line numbers in the file (empty when unknown).
    lost : str
        What the dataset lacks because of it, e.g. ``"3 comments (comments_made)"``.
    """

    file: str
    reason: str
    count: int
    lines: tuple[int, ...] = ()
    lost: str = ""

    def describe(self) -> str:
        """One sentence: file, count, lines, reason and what was lost."""
        rows = "row" if self.count == 1 else "rows"
        where = ""
        if self.lines:
            more = f" and {self.count - len(self.lines)} more" if self.count > len(self.lines) else ""
            where = f" (line{'s' if len(self.lines) > 1 else ''} {', '.join(map(str, self.lines))}{more})"
        lost = f"; lost: {self.lost}" if self.lost else ""
        return f"{self.file}: {self.count} {rows} skipped{where}: {self.reason}{lost}"

    def to_dict(self) -> dict:
        """The record as plain JSON data."""
        return {"file": self.file, "reason": self.reason, "count": self.count,
                "lines": list(self.lines), "lost": self.lost}


@dataclass(frozen=True)
class ImportSummary:
    """What an import did, per table: rows added, replaced and already present; what it skipped.

    ``skipped`` lists the unreadable rows left out (:class:`Skipped`); ``notes`` other
    things a user should know (failed scrapes dropped, duplicate readings resolved).
    """

    out: Path
    source: str
    added: dict = field(default_factory=dict)
    replaced: dict = field(default_factory=dict)
    unchanged: dict = field(default_factory=dict)
    skipped: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def describe(self) -> str:
        """One line per table, e.g. ``ssi: 12 added, 1 replaced, 3 already present``, then skips and notes."""
        lines = [f"imported {self.source} into {self.out}"]
        for name in self.added:
            lines.append(f"  {name}: {self.added[name]} added, {self.replaced[name]} replaced, "
                         f"{self.unchanged[name]} already present")
        if self.skipped:
            total = sum(s.count for s in self.skipped)
            lines.append(f"  skipped {total} unreadable row{'s' if total != 1 else ''} "
                         f"(listed in {Path(self.out) / IMPORT_LOG}):")
            lines.extend(f"    {s.describe()}" for s in self.skipped)
        lines.extend(f"  note: {note}" for note in self.notes)
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """The summary as plain JSON data (one line of the dataset's import log)."""
        return {"source": self.source, "added": self.added, "replaced": self.replaced,
                "unchanged": self.unchanged, "skipped": [s.to_dict() for s in self.skipped],
                "notes": list(self.notes)}


def refuse_skipped(skipped, *, strict: bool) -> None:
    """With ``strict``, refuse an import that would skip rows (exit 2), naming every skip.

    Raises
    ------
    ImportFormatError
        When ``strict`` and ``skipped`` is not empty.
    """
    if strict and skipped:
        first = skipped[0]
        raise ImportFormatError(
            first.file, "holds rows that cannot be read: " + "; ".join(s.describe() for s in skipped),
            "every row readable (without --strict the import goes on, skips them and logs what was lost)")


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


def merge_into_dir(out, tables: dict[str, pd.DataFrame], *, source: str, skipped=(), notes=(),
                   strict: bool = False) -> ImportSummary:
    """Merge imported tables into the dataset at ``out`` (created when absent), validated, atomically.

    The changed tables and the dataset's import log (:data:`IMPORT_LOG`, one line
    appended: counts, skips, notes) are written as one set.

    Parameters
    ----------
    out : path-like
        Dataset directory.  An existing one must be a valid dataset.
    tables : dict of str to pandas.DataFrame
        Imported rows in contract types (strings, datetimes, bools, numbers).
    source : str
        What was imported, for the summary and the log (contact details in it, as in
        skipped files and notes, are redacted: file names can hold them).
    skipped : sequence of Skipped
        Unreadable rows the importer left out.
    notes : sequence of str
        Other things the summary should say.
    strict : bool
        Refuse the import (write nothing) when anything was skipped.

    Returns
    -------
    ImportSummary

    Raises
    ------
    DatasetError
        When the existing dataset, or the merged result, breaks the contract.
    ImportFormatError
        With ``strict``, when rows were skipped.
    """
    refuse_skipped(list(skipped), strict=strict)
    with folder_lock(out) as out:  # one writer at a time: read, merge and write see the same dataset
        return _merge_locked(out, tables, source=source, skipped=skipped, notes=notes)


def _merge_locked(out: Path, tables: dict, *, source: str, skipped, notes) -> ImportSummary:
    """:func:`merge_into_dir` once the dataset's lock is held."""
    existing = load_dataset(out) if (out / "members.csv").exists() or (out / "members.parquet").exists() else None
    current = dict(existing.tables) if existing else {}
    fmts = {n: p.suffix.lstrip(".") for n, p in existing.files.items()} if existing else {}
    # the log and the summary name files, which may hold contact details: never in clear
    summary = ImportSummary(out=out, source=redact(source), skipped=[replace(s, file=redact(s.file)) for s in skipped],
                            notes=[redact(note) for note in notes])
    for name in TABLE_NAMES:
        if name not in tables:
            continue
        merged, counts = merge_tables(current.get(name), tables[name], name)
        current[name] = merged
        summary.added[name], summary.replaced[name], summary.unchanged[name] = (
            counts["added"], counts["replaced"], counts["unchanged"])
    validated = validate_tables(current)
    with atomic_files(out, "tables") as stage:  # validated, then replaced together with the log
        for name in tables:
            if name in validated:
                write_table(validated[name], stage / f"{name}.{fmts.get(name, 'csv')}", verbatim=True)
        _append_log(out / IMPORT_LOG, stage / IMPORT_LOG, summary)
    return summary


def _append_log(current: Path, staged: Path, summary: ImportSummary) -> None:
    """Stage the import log with one line for ``summary`` appended (no clock: re-runs stay byte-identical)."""
    old = current.read_bytes() if current.is_file() else b""
    line = json.dumps(summary.to_dict(), sort_keys=True, ensure_ascii=False) + "\n"
    staged.write_bytes(old + line.encode("utf-8"))


def write_imported(out, tables: dict[str, pd.DataFrame], *, source: str, file, salt: str | None = None,
                   replaced: dict | None = None, skipped=(), notes=(), strict: bool = False) -> ImportSummary:
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
    skipped, notes, strict
        Unreadable rows left out, notes, and whether to refuse instead (see :func:`merge_into_dir`).

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
    refuse_skipped(list(skipped), strict=strict)
    with folder_lock(out):  # the members read here and the merge see the same dataset
        tables["members"] = _keep_known_industry(out, tables["members"])
        summary = merge_into_dir(out, tables, source=source, skipped=skipped, notes=notes, strict=strict)
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
