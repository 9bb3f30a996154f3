"""Validate raw tables against the contract in one pass, collecting every problem."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa

from ..exceptions import MAX_EXAMPLES, Problem
from .parse import EXPECTED, column_kind, parse_column, problem_from_mask
from .schemas import FRAME_CHECK_COLUMNS, MODELS

__all__ = ["validate_table", "check_member_ids"]

_CHECK_WORDS = {
    "not_nullable": "a value (the column may not be blank)",
    "field_uniqueness": "unique values (each appears once)",
    "multiple_fields_uniqueness": "one row per key ({key})",
    "dataframe_column_labels_unique": "unique column names",
}


def validate_table(table: str, raw: pd.DataFrame, *, file: str | None = None,
                   csv: bool = True) -> tuple[pd.DataFrame, list[Problem]]:
    """Parse and check one raw table.

    Parameters
    ----------
    table : str
        Table name, a key of :data:`ssi_kit.io.schemas.MODELS`.
    raw : pandas.DataFrame
        The table as read (text for CSV, typed for Parquet).
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
    schema = MODELS[table].to_schema()
    problems: list[Problem] = []
    missing = [c for c, col in schema.columns.items() if col.required and c not in raw.columns]
    for col in missing:
        problems.append(Problem(table, col, "this required column to be present", file=file))
    if raw.columns.duplicated().any():
        dup = ", ".join(sorted(set(raw.columns[raw.columns.duplicated()])))
        problems.append(Problem(table, dup, "unique column names (this one appears twice)", file=file))
    if problems:
        return raw, problems
    if raw.empty:
        return raw, [Problem(table, None, "at least one data row after the header", file=file)]
    typed = raw.copy()
    parsed_bad: dict[str, np.ndarray] = {}
    for name, col in schema.columns.items():
        if name not in raw.columns:
            continue
        kind = column_kind(col.dtype)
        typed[name], bad = parse_column(raw[name], kind)
        parsed_bad[name] = bad
        if bad.any():
            problems.append(problem_from_mask(table, name, bad, raw[name], EXPECTED[kind],
                                              file=file, csv=csv))
    problems += _pandera_problems(table, schema, typed, raw, parsed_bad, file=file, csv=csv)
    return typed, problems


def _pandera_problems(table, schema, typed, raw, parsed_bad, *, file, csv) -> list[Problem]:
    try:
        schema.validate(typed, lazy=True)
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
    else:
        return []
    cases = cases[cases["index"].notna() & ~cases["check"].astype(str).str.startswith("dtype")]
    frame_level = (cases["schema_context"] == "DataFrameSchema") | (
        cases["check"] == "multiple_fields_uniqueness")
    cases = cases.assign(label=cases["column"].where(~frame_level, None))
    checks = cases["check"].astype(str)
    cases.loc[checks.isin(list(FRAME_CHECK_COLUMNS)), "label"] = checks.map(FRAME_CHECK_COLUMNS)
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
            shown = raw[label] if label in raw.columns else None
            out.append(problem_from_mask(table, label or _key_label(table, check), mask, shown,
                                         _expected(check, table), file=file, csv=csv))
    return out


def _columns_of(table, label, check) -> tuple[str, ...]:
    if check == "multiple_fields_uniqueness":
        return tuple(getattr(MODELS[table].Config, "unique", None) or ())
    return (label,) if label else ()


def _key_label(table, check) -> str | None:
    key = getattr(MODELS[table].Config, "unique", None)
    if check == "multiple_fields_uniqueness" and key:
        return "+".join(key)
    return None


def _expected(check: str, table: str) -> str:
    if check in _CHECK_WORDS:
        key = getattr(MODELS[table].Config, "unique", None) or ()
        return _CHECK_WORDS[check].format(key=", ".join(key))
    for prefix, words in (("greater_than_or_equal_to", "a value of at least {}"),
                          ("less_than_or_equal_to", "a value of at most {}"),
                          ("in_range", "a value in range {}")):
        if check.startswith(prefix):
            return words.format(check[len(prefix) + 1:-1])
    return check


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
