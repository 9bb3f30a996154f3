"""Read, validate and write dataset directories (the input contract of docs/contract.md).

A dataset is a directory of tables, each ``NAME.csv`` or ``NAME.parquet``.  Only
``members`` is always required; computations ask for the tables they need with
:meth:`Dataset.require`, which says clearly what is missing.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..exceptions import DatasetError, InputError, MissingTableError, Problem, UsageError
from .atomic import LOCK_NAME, atomic_directory, atomic_files, recover_set
from .digests import file_sha256, trusted_digests
from .parse import column_kind, parse_column
from .raw import RawTable, UnreadableTable, read_raw
from .schemas import MODELS, TABLE_NAMES, frame_columns, table_key
from .stream import write_blocks
from .validate import check_member_ids, key_order, validate_raw

__all__ = ["Dataset", "load_dataset", "validate_tables", "write_dataset", "write_table", "check_dataset_folder",
           "write_tables"]


@dataclass(frozen=True)
class Dataset:
    """A validated dataset: typed tables by name.

    Attributes
    ----------
    tables : mapping of str to pandas.DataFrame
        The tables present, in contract types, sorted by their key.
    path : pathlib.Path or None
        The directory read, when read from disk.
    files : mapping of str to pathlib.Path
        The file each table came from.
    stats : mapping of str to dict
        For tables held lazily (Dask), what validation learnt in passing:
        ``rows``, ``first`` and ``last`` date, so they need no extra pass.
    """

    tables: Mapping[str, pd.DataFrame]
    path: Path | None = None
    files: Mapping[str, Path] = field(default_factory=dict)
    stats: Mapping[str, dict] = field(default_factory=dict)

    def has(self, table: str, columns: Iterable[str] = ()) -> bool:
        """Whether the dataset has ``table`` (and all ``columns`` in it)."""
        return table in self.tables and all(c in self.tables[table].columns for c in columns)

    def require(self, table: str, needed_by: str, columns: Iterable[str] = ()) -> pd.DataFrame:
        """Return ``table``, or raise :class:`MissingTableError` naming what is missing."""
        if table not in self.tables:
            raise MissingTableError(table, needed_by)
        missing = tuple(c for c in columns if c not in self.tables[table].columns)
        if missing:
            raise MissingTableError(table, needed_by, missing)
        return self.tables[table]

    def __getitem__(self, table: str) -> pd.DataFrame:
        return self.tables[table]

    def __contains__(self, table: str) -> bool:
        return table in self.tables


def _find_files(path: Path, names) -> tuple[dict[str, Path], list[Problem]]:
    found, problems = {}, []
    for name in names:
        hits = [p for p in (path / f"{name}.csv", path / f"{name}.parquet") if p.exists()]
        if len(hits) > 1:
            problems.append(Problem(name, None, "one file per table, not both .csv and .parquet",
                                    file=str(hits[0])))
        elif hits:
            found[name] = hits[0]
    return found, problems


def validate_tables(raw_tables: Mapping[str, pd.DataFrame], *, files=None,
                    csv: Mapping[str, bool] | None = None) -> dict[str, pd.DataFrame]:
    """Validate raw tables together; return them typed or raise one :class:`DatasetError`.

    Parameters
    ----------
    raw_tables : mapping of str to pandas.DataFrame
        Raw tables by name.
    files : mapping of str to str, optional
        File name per table, quoted in problems.
    csv : mapping of str to bool, optional
        Per table, whether row locations are CSV lines (default True).
    """
    raw = {name: RawTable.from_frame(table) for name, table in raw_tables.items()}
    typed, problems = _check_all(raw, files or {}, csv or {})
    if problems:
        raise DatasetError(problems)
    return typed


def _check_all(raw_tables: Mapping[str, RawTable], files, csv,
               trusted: Mapping[str, tuple[pd.DataFrame, bool]] | None = None
               ) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Validate ``raw_tables`` and sort every table; ``trusted`` ones (typed, in order) are not checked.

    Seller ids are checked against ``members`` in every table, except a trusted
    table when ``members`` is trusted too (the ids were checked when validated).
    """
    trusted = trusted or {}
    typed = {name: frame for name, (frame, _) in trusted.items()}
    in_order = {name: ordered for name, (_, ordered) in trusted.items()}
    problems = []
    for name, raw in raw_tables.items():
        try:
            typed[name], found, in_order[name] = validate_raw(
                name, raw, file=files.get(name), csv=csv.get(name, True))
        except UnreadableTable as err:
            problems.append(err.problem)
            continue
        problems += found
    members_ok = "members" in typed and not any(p.table == "members" for p in problems)
    if members_ok:
        known = pd.Index(typed["members"]["member_id"])
        for name, table in typed.items():
            if name != "members" and not (name in trusted and "members" in trusted):
                problems += check_member_ids(name, table, known, file=files.get(name),
                                             csv=csv.get(name, True))
    if problems:
        return typed, problems
    return {name: _sorted(name, typed.pop(name), in_order[name]) for name in list(typed)}, []


def _sorted(name: str, table: pd.DataFrame, in_order: bool | None = None) -> pd.DataFrame:
    """``table`` stably sorted by its key, on a fresh RangeIndex.

    Nothing is copied when the rows are already in order (the usual case for
    files written by the kit); otherwise columns are reordered one at a time.
    ``in_order`` says whether they are, when known.
    """
    key = list(table_key(name))
    if in_order is None:
        in_order, _ = key_order({c: table[c] for c in key}, key)
    if in_order:
        return table.reset_index(drop=True)
    order = table[key].reset_index(drop=True).sort_values(key, kind="mergesort").index.to_numpy()
    columns = {c: table[c].array for c in table.columns}
    del table
    for c in columns:
        columns[c] = columns[c].take(order)
    return pd.DataFrame(columns, copy=False)


def load_dataset(path, tables: Iterable[str] | None = None,
                 columns: Mapping[str, Iterable[str]] | None = None, *, trusted=None) -> Dataset:
    """Read and validate a dataset directory.

    Tables are read, parsed and checked column by column, so memory stays near
    the size of the typed result; rows already in key order are not re-sorted.
    A table whose file was validated before (``trusted``) is read, parsed,
    typed and sorted alike, but not checked again.

    Parameters
    ----------
    path : path-like
        The dataset directory.
    tables : iterable of str, optional
        Tables to read (``members`` is always read); default all present.
    columns : mapping of str to iterable of str, optional
        Per table, the columns to read, e.g. ``{"activity": ["posts", "searches"]}``
        (a single name may be given as a str).  A table's required columns
        (its key and the columns of its whole-row checks, see
        :func:`~ssi_kit.io.schemas.frame_columns`) are always read too; the
        other columns of the file are neither read, validated nor returned.
        A requested column the file lacks is ignored, as an absent optional
        column is (:meth:`Dataset.require` names it if a computation needs
        it).  Tables not named here are read whole; naming a table does not
        add it to ``tables``.
    trusted : mapping or path-like, optional
        The sha256 digests of table files already validated, e.g. by the
        ``ssi-kit report`` that runs the notebooks: table name -> hex digest,
        or table name -> ``{"file": name, "sha256": digest}`` (a report
        manifest's ``inputs``, see :func:`~ssi_kit.io.digests.input_checksums`; a whole manifest
        with an ``inputs`` entry is accepted too), or the path of a JSON file
        holding either (empty: none).  A table whose file, once read, has this
        digest (and this file name, when given) is typed exactly as validation
        would type it, without the checks; any other table is validated.  A
        trusted table's seller ids are checked against ``members`` unless
        ``members`` is trusted too.

    Returns
    -------
    Dataset

    Raises
    ------
    DatasetError
        With every problem found, when any table breaks the contract.
    InputError
        When ``path`` is not a directory, ``tables`` or ``columns`` names an
        unknown table, or the ``trusted`` file cannot be read.
    UsageError
        When ``trusted`` is not of the shape described.
    """
    path = Path(path)
    if not path.is_dir():
        raise InputError(f"{path} is not a dataset directory (expected a folder of NAME.csv or NAME.parquet tables).")
    recover_set(path, "tables")  # finish an import's set of tables killed half-applied (cheap when none)
    wanted = ["members"] + [t for t in (tables or TABLE_NAMES) if t != "members"]
    _refuse_unknown_tables(wanted)
    keep = _columns_to_read(columns)
    digests = trusted_digests(trusted)
    files, problems = _find_files(path, wanted)
    if "members" not in files and not any(p.table == "members" for p in problems):
        problems.append(Problem("members", None, "the table members.csv or members.parquet in "
                                f"{path} (it is always required)"))
    raw, known_good = {}, {}
    for name, file in files.items():
        table, typed, problem = _read_table(name, file, keep.get(name), digests.get(name))
        if problem:
            problems.append(problem)
        elif typed is not None:
            known_good[name] = typed
        else:
            raw[name] = table
    typed, found = _check_all(raw, {n: str(f) for n, f in files.items()},
                              {n: f.suffix == ".csv" for n, f in files.items()}, known_good)
    if problems or found:
        raise DatasetError(problems + found)
    return Dataset(tables={n: typed[n] for n in files}, path=path, files=files)


def _read_table(name: str, file: Path, keep, entry) -> tuple[RawTable | None, tuple | None, Problem | None]:
    """Read one table file: raw (to validate), or typed and in-order flag when ``entry`` vouches for it.

    The digest is taken before and after the table is read: a file changed
    meanwhile is read again and validated.
    """
    table, problem = read_raw(name, file, keep)
    if problem or not _trusts(entry, file):
        return table, None, problem
    typed = _typed_unchecked(name, table)
    if typed is not None and _trusts(entry, file):
        return None, typed, None
    table, problem = read_raw(name, file, keep)
    return table, None, problem


def _typed_unchecked(name: str, raw: RawTable) -> tuple[pd.DataFrame, bool] | None:
    """A trusted table typed as :func:`~ssi_kit.io.validate.validate_raw` types it, without its checks.

    Each column is parsed into its contract type (:func:`~ssi_kit.io.parse.parse_column`)
    and released; columns outside the contract are kept as read.  Returns the
    frame (columns in file order) and whether its rows are in key order, or None
    when a cell does not parse (the file is then validated as usual).
    """
    schema = MODELS[name].to_schema().columns
    typed = {}
    for column in raw.names:
        if column in schema:
            typed[column], bad = parse_column(raw.column(column), column_kind(schema[column].dtype))
            if bad.any():
                return None
        else:
            typed[column] = raw.column(column)
        raw.release(column)
    in_order, _ = key_order(typed, table_key(name))
    return pd.DataFrame({n: typed.pop(n).array for n in raw.names}, index=raw.index, copy=False), in_order


def _trusts(entry: tuple[str | None, str] | None, file: Path) -> bool:
    """Whether ``file`` is the one a trusted ``(file name, sha256)`` entry vouches for."""
    return entry is not None and entry[0] in (None, file.name) and file_sha256(file) == entry[1]


def _refuse_unknown_tables(names: Iterable[str], where: str = "") -> None:
    unknown = [t for t in names if t not in MODELS]
    if unknown:
        raise InputError(f"Unknown table(s) {', '.join(unknown)}{where}; "
                         f"the tables are {', '.join(TABLE_NAMES)}.")


def _columns_to_read(columns: Mapping[str, Iterable[str]] | None) -> dict[str, frozenset[str]]:
    """Per table named in ``columns``, the columns to read (with its required ones)."""
    if columns is None:
        return {}
    if not isinstance(columns, Mapping):
        raise UsageError("columns must map table names to column names, "
                         "e.g. {'activity': ['posts']}.")
    _refuse_unknown_tables(columns, " in columns")
    out = {}
    for table, names in columns.items():
        names = (names,) if isinstance(names, str) else tuple(names)
        out[table] = frozenset(names) | frozenset(frame_columns(table))
    return out


def write_table(table: pd.DataFrame, path, *, verbatim: bool = False) -> None:
    """Write one table atomically as CSV (ISO dates, true/false) or Parquet by suffix.

    The one writer of :func:`ssi_kit.io.stream.write_blocks` (one block): the same
    bytes as a streamed table, its CSV format documented there.

    Parameters
    ----------
    table : pandas.DataFrame
    path : path-like
        ``*.csv`` or ``*.parquet``.
    verbatim : bool
        False (default, a CSV for people): text cells a spreadsheet would read as a
        formula are written as text, prefixed with ``'``, and carriage returns in text
        as line feeds (:func:`ssi_kit.io.cells.for_spreadsheets`).  True: every value exactly as
        it is, for dataset tables the kit reads back.  Parquet is always verbatim.
    """
    from .cells import for_spreadsheets

    path = Path(path)
    shown = table if verbatim or path.suffix == ".parquet" else for_spreadsheets(table)
    write_blocks([shown], path)


def write_tables(tables: Mapping[str, pd.DataFrame], directory, *, label: str = "tables") -> None:
    """Write several tables into ``directory`` so that they change together.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        Frames by file name (``members.csv``, ``scores.parquet``, ...).
    directory : path-like
        Output folder; other files in it are kept.
    label : str
        Name of the set, for the hidden staging names (see :func:`ssi_kit.io.atomic.atomic_files`).
    """
    with atomic_files(directory, label) as stage:
        for fname, table in tables.items():
            write_table(table, stage / fname)


def write_dataset(tables: Mapping[str, pd.DataFrame], out, *, fmt: str = "csv",
                  replace: bool = False, extra_files: Mapping[str, str] | None = None) -> Path:
    """Validate ``tables`` and write them as a dataset directory, atomically.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        Tables by name (names from :data:`TABLE_NAMES`).
    out : path-like
        Target directory; created, or replaced when ``replace`` is true.
    fmt : {"csv", "parquet"} or mapping of table name to format
    replace : bool
        Whether an existing non-empty directory may be replaced; only one that
        holds nothing but dataset files (tables and ``extra_files`` names) is.
    extra_files : mapping of str to str, optional
        Other text files to write beside the tables (e.g. ``truth.json``).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    UsageError
        If ``out`` holds anything else, or is not empty and ``replace`` is false.
    """
    fmts = fmt if isinstance(fmt, Mapping) else {name: fmt for name in tables}
    if replace:
        check_dataset_folder(out, extra_files or ())
    with atomic_directory(out, replace=replace) as tmp:
        for name, table in tables.items():
            write_table(table, tmp / f"{name}.{fmts.get(name, 'csv')}", verbatim=True)
        for fname, text in (extra_files or {}).items():
            (tmp / fname).write_text(text, encoding="utf-8")
        load_dataset(tmp)  # what we write must read back valid
    return Path(out)


def check_dataset_folder(out, extra=()) -> None:
    """Refuse to replace a folder holding anything but table files, ``extra`` names and the lock.

    Parameters
    ----------
    out : path-like
        The folder to be replaced (nothing is checked when it is missing or a symlink).
    extra : iterable of str
        Other file names it may hold (e.g. ``truth.json``).

    Raises
    ------
    UsageError
        Naming up to five of the other files (exit 2).
    """
    out = Path(out)
    if not out.is_dir() or out.is_symlink():
        return
    known = {f"{t}.{ext}" for t in TABLE_NAMES for ext in ("csv", "parquet")} | set(extra) | {LOCK_NAME}
    foreign = sorted(p.name + ("/" if p.is_dir() else "") for p in out.iterdir()
                     if p.name not in known or p.is_symlink() or not p.is_file())
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise UsageError(f"{out} holds files that are not part of a dataset ({shown}); --force "
                         "replaces only a dataset folder: remove them or choose another --out.")
