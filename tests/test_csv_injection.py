"""Spreadsheet-safe CSVs (OWASP CSV injection): no CSV the kit writes for people starts a cell
with a formula character, numbers stay numbers, and dataset tables keep their values exactly."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ssi_kit.cli import main
from ssi_kit.io import load_dataset, write_table
from ssi_kit.io.cells import FORMULA_START, looks_like_formula, neutralize_formulas

#: Text an attacker puts in a team or industry (one per formula character).
ATTACKS = ['=HYPERLINK("http://x.example","y")', "+1", "-2+3", "@SUM(A1)", "\tT9", "\rT10"]
#: The same in a dataset: a CR inside a CSV cell is not read back as one cell.
DATA_ATTACKS = ATTACKS[:5]
#: Seller ids renamed to attacks (a tab or CR around an id is not kept by the reader).
ID_ATTACKS = {"m0001": '=HYPERLINK("http://x.example","y")', "m0002": "+1x", "m0003": "-2+3",
              "m0004": "@SUM(A1)"}


def _cells(path: Path):
    with open(path, newline="", encoding="utf-8") as handle:
        yield from (cell for row in csv.reader(handle) for cell in row)


def _column(path: Path, position: int) -> list[str]:
    with open(path, newline="", encoding="utf-8") as handle:
        return [row[position] if len(row) > position else None for row in csv.reader(handle)]


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return cell.strip() == cell


def _formula_cells(path: Path) -> list[str]:
    """Cells a spreadsheet would read as a formula: formula-led text (a number like -1.5 is a number)."""
    return [cell for cell in _cells(path) if cell.startswith(FORMULA_START) and not _is_number(cell)]


# -- the rule ------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["=1+1", "+1", "-x", "@SUM(A1)", "\tx", "\rx"])
def test_text_starting_with_a_formula_character_looks_like_a_formula(text):
    assert looks_like_formula(text)


@pytest.mark.parametrize("value", ["T1", " =x", "1-2", "", None, -2, -2.5, np.float64(-1), "'=x"])
def test_other_values_and_numbers_do_not(value):
    assert not looks_like_formula(value)


def test_neutralize_quotes_text_only_and_keeps_numbers_dtypes_and_the_input():
    frame = pd.DataFrame({"team": ["=cmd|' /C calc'!A0", "T1", None], "delta": [-2.5, 1.0, -0.1],
                          "n": [-3, 4, 5], "kind": pd.Categorical(["-x", "y", "-x"]),
                          "+1": ["@a", "b", "c"]})
    before = frame.copy()
    out = neutralize_formulas(frame)
    assert out["team"].tolist()[:2] == ["'=cmd|' /C calc'!A0", "T1"] and pd.isna(out["team"].iloc[2])
    assert out["delta"].tolist() == [-2.5, 1.0, -0.1] and out["delta"].dtype == float
    assert out["n"].dtype == frame["n"].dtype and out["n"].tolist() == [-3, 4, 5]
    assert isinstance(out["kind"].dtype, pd.CategoricalDtype) and out["kind"].tolist() == ["'-x", "y", "'-x"]
    assert list(out.columns) == ["team", "delta", "n", "kind", "'+1"] and out["'+1"].tolist() == ["'@a", "b", "c"]
    pd.testing.assert_frame_equal(frame, before)


def test_for_spreadsheets_keeps_a_cell_with_a_carriage_return_in_its_row(tmp_path):
    from ssi_kit.io.cells import for_spreadsheets

    out = for_spreadsheets(pd.DataFrame({"note": ["a\r\nb", "\rc", "d"], "n": [1, 2, 3]}))
    assert out["note"].tolist() == ["a\nb", "'\nc", "d"] and out["n"].tolist() == [1, 2, 3]


def test_write_table_neutralizes_a_csv_for_people_but_not_verbatim_or_parquet(tmp_path):
    frame = pd.DataFrame({"team": ATTACKS, "ssi": [-1.5, 2, 3, 4, 5, 6]})
    write_table(frame, tmp_path / "people.csv")
    write_table(frame, tmp_path / "data.csv", verbatim=True)
    write_table(frame, tmp_path / "data.parquet")
    assert _formula_cells(tmp_path / "people.csv") == []
    quoted = ["'" + a.replace("\r", "\n") for a in ATTACKS]  # a lone CR would split the row
    assert _column(tmp_path / "people.csv", 0) == ["team", *quoted]
    assert _column(tmp_path / "people.csv", 1) == ["ssi", "-1.5", "2.0", "3.0", "4.0", "5.0", "6.0"]
    verbatim = _column(tmp_path / "data.csv", 0)
    assert verbatim[:6] == ["team", *DATA_ATTACKS]  # unchanged (a lone CR is written as it is)
    assert pd.read_parquet(tmp_path / "data.parquet")["team"].tolist() == ATTACKS


# -- every CSV the kit writes for people, from a dataset an attacker named -----------------

@pytest.fixture(scope="module")
def attacked(tmp_path_factory) -> Path:
    """A simulated dataset whose teams, industries and some seller ids are formula-looking text."""
    root = tmp_path_factory.mktemp("attack")
    assert main(["-q", "simulate", "--out", str(root / "sim"), "--members", "30"]) == 0
    data = root / "data"
    data.mkdir()
    for src in sorted((root / "sim").glob("*.csv")):
        table = pd.read_csv(src, dtype=str, keep_default_na=False)
        for col in ("member_id", "connection_id"):
            if col in table:
                table[col] = table[col].replace(ID_ATTACKS)
        if src.stem == "members":
            table["team"] = [DATA_ATTACKS[k % 5] for k in range(len(table))]
            table["industry"] = [DATA_ATTACKS[(k + 2) % 5] for k in range(len(table))]
        table.to_csv(data / src.name, index=False)
    return data


@pytest.fixture(scope="module")
def outputs(attacked, tmp_path_factory) -> Path:
    """The people-facing CSVs of score, claims, check and the report's views on ``attacked``."""
    from ssi_kit.report.views import build_views

    out = tmp_path_factory.mktemp("out")
    assert main(["-q", "score", str(attacked), "--out", str(out / "score"), "--every", "28"]) == 0
    assert main(["-q", "claims", str(attacked), "--out", str(out / "claims"), "--resamples", "20"]) == 0
    assert main(["-q", "check", str(attacked), "--out", str(out / "check")]) == 0
    build_views(load_dataset(attacked), every=28).write(out / "report")
    return out


def test_the_dataset_really_carries_the_attacks(attacked):
    members = load_dataset(attacked, tables=["members"]).tables["members"]
    assert set(ID_ATTACKS.values()) <= set(members["member_id"].astype(str))
    assert any(looks_like_formula(t) for t in members["team"].astype(str))


@pytest.mark.parametrize("name", ["score/scores.csv", "claims/claims.csv", "claims/specifications.csv",
                                  "check/quality.csv", "report/scores.csv", "report/tracking.csv"])
def test_no_cell_of_a_csv_for_people_starts_with_a_formula_character(outputs, name):
    path = outputs / name
    assert path.is_file()
    assert _formula_cells(path) == []


def test_scores_keep_the_sellers_as_quoted_text_and_numbers_as_numbers(outputs):
    for name in ("score/scores.csv", "report/scores.csv"):
        scores = pd.read_csv(outputs / name)
        ids = set(scores["member_id"].astype(str))
        assert {"'" + v for v in ID_ATTACKS.values()} <= ids, name
        assert "'-2+3" in set(scores["team"].astype(str)) | set(scores["industry"].astype(str)), name
        for col in ("ssi", "brand", "people", "insights", "relationships"):
            assert pd.api.types.is_float_dtype(scores[col]), (name, col)
    streamed = pd.read_csv(outputs / "score/scores.csv")
    assert streamed["ssi"].between(0, 100).all()


def test_claims_numbers_stay_numeric(outputs):
    claims = pd.read_csv(outputs / "claims/claims.csv")
    numeric = claims.select_dtypes("number").columns
    assert {"published", "null_value"} <= set(numeric)


def test_dataset_tables_written_by_the_kit_keep_the_values_exactly(attacked, tmp_path):
    from ssi_kit.io import write_dataset

    tables = load_dataset(attacked, tables=["members"]).tables
    write_dataset(tables, tmp_path / "copy")
    back = pd.read_csv(tmp_path / "copy" / "members.csv", dtype=str, keep_default_na=False)
    assert set(ID_ATTACKS.values()) <= set(back["member_id"])
    assert [t for t in back["team"] if looks_like_formula(t)]
