"""Importing a Sales Navigator usage report (``ssi-kit import salesnav``).

The fixture mirrors the admin's per-seat CSV export (see
tests/fixtures/imports/salesnav/README.md); every name and address in it is invented.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from conftest import write_tables
from hardening import assert_refused, run_cli, tree_digest
from ssi_kit.exceptions import ImportFormatError
from ssi_kit.imports.privacy import pseudonym
from ssi_kit.imports.salesnav import import_salesnav, read_salesnav
from ssi_kit.io import load_dataset

REPORT = Path(__file__).parent / "fixtures" / "imports" / "salesnav" / "usage_report.csv"
SALT = "a-secret-salt-1234"
COLS = ["ssi", "brand", "people", "insights", "relationships"]
#: The seats with an SSI, by e-mail address (lower-cased), as the report holds them.
SEATS = {"avery.example@example.com": [61.25, 16.5, 14.75, 13, 17],
         "blake.sample@example.com": [24.4, 8.1, 6.2, 3.6, 6.5],
         "casey.placeholder@example.org": [72, 19.25, 18, 16.5, 18.25]}
PRIVATE = ("example.com", "example.org", "example.net", "Avery", "Blake", "Casey", "Drew", "Emery",
           "Account Executive")


def written(out: Path) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in sorted(out.iterdir()) if p.is_file())


def test_report_with_date_pseudonymized_by_email(tmp_path):
    out = tmp_path / "ds"
    result = run_cli("import", "salesnav", REPORT, "--date", "2026-05-04", "--out", out,
                     "--pseudonymize", "--salt", SALT)
    assert result.code == 0, result.err
    ssi = load_dataset(out)["ssi"].set_index("member_id")
    assert ssi["date"].dt.strftime("%Y-%m-%d").unique().tolist() == ["2026-05-04"]
    assert {m: ssi.loc[pseudonym(m, SALT), COLS].astype(float).tolist() for m in SEATS} == \
        {m: [float(v) for v in vals] for m, vals in SEATS.items()}
    assert len(ssi) == 3
    assert "1 row skipped (line 6): failed scrape: every value 0 or empty" in result.out
    assert "note: 1 seat holds no SSI (not activated in Sales Navigator): no reading kept" in result.out
    for text in PRIVATE:
        assert text not in written(out) and text not in result.out


def test_without_date_is_refused_and_writes_nothing(tmp_path):
    out = write_tables(tmp_path / "ds", {"members": "member_id,industry\nm1,Software\n"})
    before = tree_digest(tmp_path)
    result = run_cli("import", "salesnav", REPORT, "--out", out, "--pseudonymize", "--salt", SALT)
    assert_refused(result, 2, "usage_report.csv", "no date column", "--date YYYY-MM-DD")
    assert tree_digest(tmp_path) == before


def test_ids_in_clear_are_refused_unless_pseudonymized_or_mapped(tmp_path):
    before = tree_digest(tmp_path)
    result = run_cli("import", "salesnav", REPORT, "--date", "2026-05-04", "--out", tmp_path / "ds")
    assert_refused(result, 2, "usage_report.csv", "name and e-mail address", "--pseudonymize", "--id-column")
    result = run_cli("import", "salesnav", REPORT, "--date", "2026-05-04", "--out", tmp_path / "ds",
                     "--id-column", "Email")
    assert_refused(result, 2, "column 'Email'", "line 2 holds an e-mail address")
    for text in PRIVATE:
        assert text not in result.err
    assert tree_digest(tmp_path) == before


def test_id_column_keeps_the_named_ids(tmp_path):
    path = tmp_path / "report.xlsx"
    frame = pd.read_csv(REPORT, dtype=str)
    frame.insert(0, "Employee ID", ["E-101", "E-102", "E-103", "E-104", "E-105"])
    frame.to_excel(path, index=False)
    tables = read_salesnav(path, date="2026-05-04", id_column="Employee ID")
    ssi = tables["ssi"].set_index("member_id")
    assert ssi.index.tolist() == ["E-101", "E-102", "E-103"]
    assert ssi.loc["E-103", COLS].tolist() == [72, 19.25, 18, 16.5, 18.25]
    named = read_salesnav(path, date="2026-05-04", id_column="Name")  # the user's choice: names in clear
    assert named["ssi"]["member_id"].tolist() == ["Avery Example", "Blake Sample", "Casey Placeholder, Jr."]


def test_same_seat_twice_later_row_wins_and_is_noted(tmp_path):
    lines = REPORT.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "twice.csv"
    path.write_text("\n".join([*lines, lines[1].replace('"61.25"', '"62"')]) + "\n", encoding="utf-8")
    summary = import_salesnav(path, tmp_path / "ds", date="2026-05-04", salt=SALT)
    ssi = load_dataset(tmp_path / "ds")["ssi"].set_index("member_id")
    assert ssi.loc[pseudonym("avery.example@example.com", SALT), "ssi"] == 62
    assert "1 day had two different readings of one seller; the later one was kept" in summary.notes


def test_strict_refuses_skipped_seats(tmp_path):
    before = tree_digest(tmp_path)
    result = run_cli("import", "salesnav", REPORT, "--date", "2026-05-04", "--out", tmp_path / "ds",
                     "--pseudonymize", "--salt", SALT, "--strict")
    assert_refused(result, 2, "usage_report.csv", "failed scrape", "line 6", "--strict")
    assert tree_digest(tmp_path) == before


@pytest.mark.parametrize("text, kwargs, message", [
    ("Name,Email,SSI\nA B,a@example.com,101\n", {"date": "2026-05-04"}, "'SSI'.*0 to 100"),
    ("Name,Email,Days Active\nA B,a@example.com,3\n", {"date": "2026-05-04"}, "no SSI column"),
    ("Name,Email,SSI,Date\nA B,a@example.com,40,2026-05-01\n", {"date": "2026-05-04"}, "own date column"),
    ("Title,SSI\nAE,40\n", {"date": "2026-05-04"}, "no e-mail or name column"),
    ("Name,Email,SSI\nA B,a@example.com,40\n", {"date": "2026-05-04", "id_column": "Seat"}, "no column 'Seat'"),
])
def test_bad_reports_name_file_and_column(tmp_path, text, kwargs, message):
    path = tmp_path / "r.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ImportFormatError, match=message) as info:
        read_salesnav(path, salt=SALT, **kwargs)
    assert "example.com" not in str(info.value)


def test_report_with_its_own_date_column(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("Name,Email,Social Selling Index,Date\nA B,a@example.com,40,2026-05-01\n", encoding="utf-8")
    ssi = read_salesnav(path, salt=SALT)["ssi"]
    assert ssi["date"].dt.strftime("%Y-%m-%d").tolist() == ["2026-05-01"] and ssi["ssi"].tolist() == [40]
