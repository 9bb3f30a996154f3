"""Read, validate and write dataset directories (the input contract of DESIGN.md).

A dataset is a directory of tables, each ``NAME.csv`` or ``NAME.parquet``.  Only
``members`` is always required; computations ask for the tables they need with
:meth:`Dataset.require`, which says clearly what is missing.
"""
from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..exceptions import DatasetError, InputError, MissingTableError, Problem
from .atomic import atomic_directory, atomic_file
from .schemas import MODELS, TABLE_NAMES, table_key
from .validate import check_member_ids, validate_table

__all__ = ["Dataset", "load_dataset", "validate_tables", "write_dataset", "write_table"]


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
    """

    tables: Mapping[str, pd.DataFrame]
    path: Path | None = None
    files: Mapping[str, Path] = field(default_factory=dict)

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


def _read_raw(table: str, file: Path) -> tuple[pd.DataFrame | None, Problem | None]:
    try:
        if file.suffix == ".parquet":
            return pd.read_parquet(file).reset_index(drop=True), None
        raw = pd.read_csv(file, dtype=str, keep_default_na=False, skip_blank_lines=False,
                          encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        return None, Problem(table, None, "a header row and data; the file is empty", file=str(file))
    except (UnicodeDecodeError, pd.errors.ParserError, OSError, ValueError) as err:
        reason = str(err).splitlines()[0][:200]
        return None, Problem(table, None, f"a readable table ({reason})", file=str(file))
    header = _csv_header(file)
    repeated = sorted({c for c in header if header.count(c) > 1})
    if repeated:
        return None, Problem(table, ", ".join(repeated), "unique column names in the header "
                             "(this name appears more than once)", file=str(file))
    blank = (raw == "").all(axis=1)
    return raw[~blank.to_numpy()], None


def _csv_header(file: Path) -> list[str]:
    with open(file, newline="", encoding="utf-8-sig") as handle:
        return [c.strip() for c in next(csv.reader(handle), [])]


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
    typed, problems = _check_all(raw_tables, files or {}, csv or {})
    if problems:
        raise DatasetError(problems)
    return typed


def _check_all(raw_tables, files, csv) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    typed, problems = {}, []
    for name, raw in raw_tables.items():
        table, found = validate_table(name, raw, file=files.get(name), csv=csv.get(name, True))
        typed[name] = table
        problems += found
    members_ok = "members" in typed and not any(p.table == "members" for p in problems)
    if members_ok:
        known = pd.Index(typed["members"]["member_id"])
        for name, table in typed.items():
            if name != "members":
                problems += check_member_ids(name, table, known, file=files.get(name),
                                             csv=csv.get(name, True))
    if problems:
        return typed, problems
    return {name: _sorted(name, t) for name, t in typed.items()}, []


def _sorted(name: str, table: pd.DataFrame) -> pd.DataFrame:
    return table.sort_values(list(table_key(name)), kind="mergesort").reset_index(drop=True)


def load_dataset(path, tables: Iterable[str] | None = None) -> Dataset:
    """Read and validate a dataset directory.

    Parameters
    ----------
    path : path-like
        The dataset directory.
    tables : iterable of str, optional
        Tables to read (``members`` is always read); default all present.

    Returns
    -------
    Dataset

    Raises
    ------
    DatasetError
        With every problem found, when any table breaks the contract.
    InputError
        When ``path`` is not a directory.
    """
    path = Path(path)
    if not path.is_dir():
        raise InputError(f"{path} is not a dataset directory (expected a folder of NAME.csv or NAME.parquet tables).")
    wanted = ["members"] + [t for t in (tables or TABLE_NAMES) if t != "members"]
    unknown = [t for t in wanted if t not in MODELS]
    if unknown:
        raise InputError(f"Unknown table(s) {', '.join(unknown)}; the tables are {', '.join(TABLE_NAMES)}.")
    files, problems = _find_files(path, wanted)
    if "members" not in files and not any(p.table == "members" for p in problems):
        problems.append(Problem("members", None, "the table members.csv or members.parquet in "
                                f"{path} (it is always required)"))
    raw = {}
    for name, file in files.items():
        table, problem = _read_raw(name, file)
        if problem:
            problems.append(problem)
        else:
            raw[name] = table
    typed, found = _check_all(raw, {n: str(f) for n, f in files.items()},
                              {n: f.suffix == ".csv" for n, f in files.items()})
    if problems or found:
        raise DatasetError(problems + found)
    return Dataset(tables=typed, path=path, files=files)


def write_table(table: pd.DataFrame, path) -> None:
    """Write one table atomically as CSV (ISO dates, true/false) or Parquet by suffix."""
    path = Path(path)
    with atomic_file(path) as tmp:
        if path.suffix == ".parquet":
            table.to_parquet(tmp, index=False)
        else:
            _for_csv(table).to_csv(tmp, index=False, lineterminator="\n")


def _for_csv(table: pd.DataFrame) -> pd.DataFrame:
    out = table.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_datetime64_any_dtype(s.dtype):
            out[col] = s.dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_bool_dtype(s.dtype):
            out[col] = s.map({True: "true", False: "false"})
    return out


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
        Whether an existing non-empty directory may be replaced.
    extra_files : mapping of str to str, optional
        Other text files to write beside the tables (e.g. ``truth.json``).

    Returns
    -------
    pathlib.Path
    """
    fmts = fmt if isinstance(fmt, Mapping) else {name: fmt for name in tables}
    with atomic_directory(out, replace=replace) as tmp:
        for name, table in tables.items():
            write_table(table, tmp / f"{name}.{fmts.get(name, 'csv')}")
        for fname, text in (extra_files or {}).items():
            (tmp / fname).write_text(text, encoding="utf-8")
        load_dataset(tmp)  # what we write must read back valid
    return Path(out)
