"""Validate raw tables against the contract in one pass, collecting every problem.

Tables are parsed and checked column by column so that a large table is never
held twice: each raw column is parsed into its contract type, checked by its
pandera column schema, then released.  The columns that whole-row checks and
the key need (a table's required columns) are checked together first, with the
model's whole-row checks and its one-row-per-key rule.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

import numpy as np
import pandas as pd
import pandera.pandas as pa

from ..exceptions import MAX_EXAMPLES, Problem
from .parse import bad_cell_problems, column_kind, parse_column, problem_from_mask
from .raw import RawTable
from .schemas import MODELS, frame_columns, row_check_column, table_key

__all__ = ["validate_table", "validate_raw", "check_member_ids", "key_order", "key_problem_words"]

_CHECK_WORDS = {
    "not_nullable": "a value (the column may not be blank)",
    "field_uniqueness": "unique values (each appears once)",
    "multiple_fields_uniqueness": "one row per key ({key})",
    "dataframe_column_labels_unique": "unique column names",
}
#: Words for pandera's bound checks, filled from the check's ``statistics``.
_BOUND_WORDS = {
    "greater_than_or_equal_to": "a value of at least {min_value}",
    "less_than_or_equal_to": "a value of at most {max_value}",
    "in_range": "a value in range {min_value}, {max_value}",
}


def validate_table(table: str, raw: pd.DataFrame, *, file: str | None = None,
                   csv: bool = True) -> tuple[pd.DataFrame, list[Problem]]:
    """Parse and check one raw table.

    Parameters
    ----------
    table : str
        Table name, a key of :data:`ssi_kit.io.schemas.MODELS`.
    raw : pandas.DataFrame
        The table as read (text for CSV, typed for Parquet); not modified.
    file : str, optional
        File name quoted in problems.
    csv : bool
        Whether row locations are CSV line numbers (else 1-based rows).

    Returns
    -------
    typed : pandas.DataFrame
        The table in contract types (extra columns kept as read).
    problems : list of Problem
        Every problem found; empty when the table is valid.
    """
    typed, problems, _ = validate_raw(table, RawTable.from_frame(raw), file=file, csv=csv)
    return typed, problems


def validate_raw(table: str, raw: RawTable, *, file: str | None = None,
                 csv: bool = True) -> tuple[pd.DataFrame, list[Problem], bool]:
    """Parse and check one :class:`~ssi_kit.io.raw.RawTable`, column by column.

    Each column is released from ``raw`` once parsed and checked.

    Parameters
    ----------
    table : str
        Table name, a key of :data:`ssi_kit.io.schemas.MODELS`.
    raw : RawTable
        The raw columns.
    file : str, optional
        File name quoted in problems.
    csv : bool
        Whether row locations are CSV line numbers (else 1-based rows).

    Returns
    -------
    typed : pandas.DataFrame
        The table in contract types, columns in file order (the raw table
        itself when it is refused before parsing).
    problems : list of Problem
        Every problem found, parse problems first (in schema order), then the
        pandera checks' problems (by column, then check).
    in_order : bool
        Whether the rows are already sorted by :func:`table_key`.
    """
    schema = MODELS[table].to_schema()
    problems = _shape_problems(table, schema, raw, file)
    if problems:
        return raw.to_frame(), problems, False
    typed, found, in_order = _check_frame_columns(table, raw, file=file, csv=csv)
    for name in schema.columns:
        if name in raw and name not in typed:
            typed[name], more = _check_one_column(table, name, raw, file=file, csv=csv)
            found += more
    for name in raw.names:
        if name not in typed:
            typed[name] = raw.column(name)  # extra columns are kept as read
            raw.release(name)
    frame = pd.DataFrame({n: typed.pop(n).array for n in raw.names}, index=raw.index, copy=False)
    return frame, [p for _, p in sorted(found, key=lambda pair: pair[0])], in_order


def _shape_problems(table, schema, raw: RawTable, file) -> list[Problem]:
    problems = [Problem(table, c, "this required column to be present", file=file)
                for c, col in schema.columns.items() if col.required and c not in raw]
    names = pd.Index(raw.names)
    if names.duplicated().any():
        dup = ", ".join(sorted(set(names[names.duplicated()])))
        problems.append(Problem(table, dup, "unique column names (this one appears twice)", file=file))
    if not problems and len(raw) == 0:
        problems.append(Problem(table, None, "at least one data row after the header", file=file))
    return problems


def _parsed(table, name, raw: RawTable, *, file, csv) -> tuple[pd.Series, np.ndarray, list]:
    """Parse raw column ``name``: values, bad-cell mask and the ranked parse problem."""
    columns = MODELS[table].to_schema().columns
    order, kind = list(columns).index(name), column_kind(columns[name].dtype)
    values, bad = parse_column(raw.column(name), kind)
    if not bad.any():
        return values, bad, []
    problems = bad_cell_problems(table, name, raw.column(name), kind, bad, file=file, csv=csv)
    return values, bad, [((0, order, i), p) for i, p in enumerate(problems)]


def _check_frame_columns(table, raw: RawTable, *, file, csv) -> tuple[dict, list, bool]:
    """Parse and check the whole-row columns together (with key uniqueness)."""
    names = frame_columns(table)
    parsed, bad, found = {}, {}, []
    for name in names:
        parsed[name], bad[name], more = _parsed(table, name, raw, file=file, csv=csv)
        found += more
    in_order, strictly = key_order(parsed, table_key(table))
    schema = _schema_of(table, names, whole_rows=True, unique=not strictly)
    found += _pandera_problems(table, schema, _frame(parsed, raw.index), raw, bad,
                               file=file, csv=csv)
    for name in names:
        raw.release(name)
    return parsed, found, in_order


def _check_one_column(table, name, raw: RawTable, *, file, csv) -> tuple[pd.Series, list]:
    values, bad, found = _parsed(table, name, raw, file=file, csv=csv)
    schema = _schema_of(table, (name,), whole_rows=False, unique=False)
    found += _pandera_problems(table, schema, _frame({name: values}, raw.index), raw,
                               {name: bad}, file=file, csv=csv)
    raw.release(name)
    return values, found


def _frame(columns: Mapping[str, pd.Series], index: pd.Index) -> pd.DataFrame:
    return pd.DataFrame({n: s.array for n, s in columns.items()}, index=index, copy=False)


@lru_cache(maxsize=None)
def _schema_of(table: str, names: tuple[str, ...], *, whole_rows: bool,
               unique: bool) -> pa.DataFrameSchema:
    """The table's pandera schema cut to ``names`` (with or without whole-row checks)."""
    schema = MODELS[table].to_schema().select_columns(list(names))
    if not whole_rows:
        schema.checks = []
    if not (whole_rows and unique):
        schema.unique = None
    return schema


def key_order(columns: Mapping[str, pd.Series], key: Sequence[str]) -> tuple[bool, bool]:
    """Whether rows are sorted by ``key`` (lexicographically), and strictly so.

    Missing values compare as neither smaller nor equal, so a key with
    missing values is never found in order.

    Parameters
    ----------
    columns : mapping of str to pandas.Series
        Columns with equal length, including every column of ``key``.
    key : sequence of str

    Returns
    -------
    in_order, strictly : bool
        Sorted (ties allowed); sorted with no two rows sharing a key.
    """
    n = len(columns[key[0]]) if key else 0
    if not key or n < 2:
        return True, True
    less = np.zeros(n - 1, dtype=bool)
    tied = np.ones(n - 1, dtype=bool)
    for name in key:
        values = columns[name].reset_index(drop=True)
        before = values.iloc[:-1].reset_index(drop=True)
        after = values.iloc[1:].reset_index(drop=True)
        less |= tied & (before < after).to_numpy(dtype=bool, na_value=False)
        tied &= (before == after).to_numpy(dtype=bool, na_value=False)
    return bool((less | tied).all()), bool(less.all())


def _pandera_problems(table, schema, typed, raw: RawTable, parsed_bad, *, file,
                      csv) -> list[tuple[tuple, Problem]]:
    """Problems of pandera's checks on ``typed``, ranked by (column, check)."""
    try:
        schema.validate(typed, lazy=True, inplace=True)
    except pa.errors.SchemaErrors as err:
        cases = _reported_cases(table, schema, err.failure_cases)
    else:
        return []
    out = []
    for (label, check), grp in cases.groupby(["label", "check"], sort=True, dropna=False):
        label = None if pd.isna(label) else label
        mask = np.zeros(len(typed), dtype=bool)
        pos = typed.index.get_indexer(grp["index"].astype(int).unique())
        mask[pos[pos >= 0]] = True
        for col in _columns_of(table, label, check):
            mask &= ~parsed_bad.get(col, False)  # the parser already reported these cells
            if check == "multiple_fields_uniqueness" and col in typed:
                mask &= typed[col].notna().to_numpy()  # blank keys are reported as blank
        if mask.any():
            shown = raw.column(label) if label in raw else None
            problem = problem_from_mask(table, label or _key_label(table, check), mask, shown,
                                        grp["expected"].iloc[0], file=file, csv=csv)
            out.append(((1, label is None, label or "", str(check)), problem))
    return out


def _reported_cases(table, schema: pa.DataFrameSchema, cases: pd.DataFrame) -> pd.DataFrame:
    """The failure cases to report, each with the column it is reported under and its words.

    A case is either one of pandera's built-in checks listed in :data:`_CHECK_WORDS`
    or a failure of a check object of ``schema`` (found by its ``check_number``);
    anything else (dtype failures: the parser already reported those cells) is dropped.
    """
    builtin = cases["check_number"].isna()
    cases = cases[cases["index"].notna() & (~builtin | cases["check"].isin(list(_CHECK_WORDS)))]
    which = ["schema_context", "column", "check", "check_number"]
    kinds = cases[which].drop_duplicates()
    words = [_case_words(table, schema, *case) for case in kinds.itertuples(index=False)]
    kinds = kinds.assign(label=[w[0] for w in words], expected=[w[1] for w in words])
    return cases.merge(kinds, on=which, how="left")


def _case_words(table, schema, context, column, check, number) -> tuple[str | None, str]:
    """The column one kind of failure case is reported under, and what was expected."""
    whole_row = context == "DataFrameSchema"
    if pd.isna(number):
        key = getattr(MODELS[table].Config, "unique", None) or ()
        label = None if whole_row or check == "multiple_fields_uniqueness" else column
        return label, _CHECK_WORDS[check].format(key=", ".join(key))
    obj = (schema.checks if whole_row else schema.columns[column].checks)[int(number)]
    return (row_check_column(table, obj.name) if whole_row else column), _check_words(obj)


def _columns_of(table, label, check) -> tuple[str, ...]:
    if check == "multiple_fields_uniqueness":
        return tuple(getattr(MODELS[table].Config, "unique", None) or ())
    return (label,) if label else ()


def _key_label(table, check) -> str | None:
    key = getattr(MODELS[table].Config, "unique", None)
    if check == "multiple_fields_uniqueness" and key:
        return "+".join(key)
    return None


def key_problem_words(table: str) -> tuple[str | None, str]:
    """How a row repeating the key of ``table`` is reported: the column label and what was expected.

    The label is ``member_id+date`` style for a multi-column key, None for a
    single unique column; the same words the in-memory validation uses, for
    checks of the key done elsewhere (partitioned tables).
    """
    check = "multiple_fields_uniqueness"
    key = getattr(MODELS[table].Config, "unique", None) or ()
    return _key_label(table, check), _CHECK_WORDS[check].format(key=", ".join(key))


def _check_words(check: pa.Check) -> str:
    """What a check object expects, from its name and statistics (else its error text)."""
    words = _BOUND_WORDS.get(check.name)
    if words is not None:
        return words.format(**check.statistics)
    return check.error or check.name


def check_member_ids(table: str, typed: pd.DataFrame, known: pd.Index, *,
                     file: str | None = None, csv: bool = True) -> list[Problem]:
    """Problems for seller ids in ``table`` that ``members`` does not list."""
    out = []
    for col in ("member_id", "connection_id"):
        if col not in typed.columns:
            continue
        values = typed[col]
        mask = (values.notna() & ~values.isin(known)).to_numpy(dtype=bool)
        if mask.any():
            out.append(problem_from_mask(table, col, mask, values, "a member_id listed in members",
                                         file=file, csv=csv))
    return out[:MAX_EXAMPLES]
