"""Importing SSI tracker spreadsheets (``ssi-kit import tracker``)."""
from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import write_tables
from hardening import assert_refused, run_cli, tree_digest
from ssi_kit.imports.merge import IMPORT_LOG
from ssi_kit.cli import main
from ssi_kit.exceptions import ImportFormatError, InputError
from ssi_kit.imports.privacy import pseudonym
from ssi_kit.imports.tracker import import_tracker, read_tracker
from ssi_kit.io import load_dataset

FIXTURES = Path(__file__).parent / "fixtures" / "imports" / "tracker"
WIDE = FIXTURES / "wide.csv"
SETTINGS = settings(max_examples=25, deadline=None, database=None)
SALT = "a-secret-salt-1234"
TINY = {"members": "member_id,industry\nm1,Software\n",
        "ssi": "member_id,date,ssi,brand\nm1,2026-01-01,40.5,10.25\n"}
#: The readings of 5 and 6 January 2026 as every tracker fixture holds them.
JAN = {"2026-01-05": (19.705751, 13.118002, 3.68, 0.29999998, 2.6077502, 75, 81),
       "2026-01-06": (20.112345, 13.318002, 3.6855928, 0.4012, 2.7077502, 74, 80)}
COLS = ["ssi", "brand", "people", "insights", "relationships", "industry_top_pct", "network_top_pct"]


def snapshot(directory: Path) -> dict:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*"))
            if p.is_file() and p.name != IMPORT_LOG}  # the log records each import


def readings(ssi: pd.DataFrame, member: str) -> dict:
    rows = ssi[ssi["member_id"] == member].set_index("date")
    return {d.strftime("%Y-%m-%d"): tuple(float(v) for v in rows.loc[d, COLS]) for d in rows.index}


@pytest.mark.parametrize("name, mapping, member", [
    ("wide.csv", None, "me"),
    ("semicolon.csv", None, "me"),
    ("tracker.xlsx", None, "m1"),
    ("mapped.csv", "mapped.yaml", "m1"),
])
def test_layouts_read_the_same_unrounded_values(name, mapping, member):
    tables = read_tracker(FIXTURES / name, mapping=mapping and FIXTURES / mapping)
    got = readings(tables["ssi"], member)
    assert {d: got[d] for d in JAN} == {d: tuple(map(float, v)) for d, v in JAN.items()}


def test_wide_total_missing_is_the_sum_of_pillars_and_blank_rows_skipped():
    ssi = read_tracker(WIDE)["ssi"].set_index("date")
    assert len(ssi) == 4
    assert ssi.loc["2026-01-07", "ssi"] == pytest.approx(13.5 + 3.7 + 0.6 + 2.7)
    assert "Notes" not in ssi.columns and "notes" not in ssi.columns


def test_long_layout():
    ssi = read_tracker(FIXTURES / "long.csv")["ssi"].set_index("date")
    assert ssi.loc["2026-02-01", COLS].tolist() == [30.5, 10.25, 7.5, 5.75, 7.0, 40.0, 35.0]
    assert ssi.loc["2026-02-02", "ssi"] == pytest.approx(10.5 + 7.5 + 6 + 7.25)
    assert ssi.loc["2026-02-02", "industry_top_pct"] == 39 and pd.isna(ssi.loc["2026-02-02", "network_top_pct"])


def test_xlsx_member_column_and_mapping_options():
    tables = read_tracker(FIXTURES / "tracker.xlsx")
    assert tables["members"]["member_id"].tolist() == ["m1", "m2"]
    m2 = tables["ssi"].set_index(["member_id", "date"]).loc[("m2", pd.Timestamp("2026-01-06"))]
    assert m2["ssi"] == pytest.approx(12.5 + 11 + 10.25 + 12.25)
    mapped = read_tracker(FIXTURES / "mapped.csv", mapping=FIXTURES / "mapped.yaml")
    assert mapped["members"].to_dict("records") == [{"member_id": "m1", "industry": "Software"}]
    assert read_tracker(WIDE, member_id="ann")["members"]["member_id"].tolist() == ["ann"]


def test_mapping_as_dict_and_date_format(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("Tag|Wert|Rang\n31/12/2025|55,5|12\n01/01/2026|56|11\n", encoding="utf-8")
    mapping = {"columns": {"Tag": "date", "Wert": "ssi", "Rang": "industry_top_pct"},
               "date_format": "%d/%m/%Y", "decimal": ","}
    ssi = read_tracker(path, mapping=mapping, member_id="x")["ssi"]
    assert ssi["date"].dt.strftime("%Y-%m-%d").tolist() == ["2025-12-31", "2026-01-01"]
    assert ssi["ssi"].tolist() == [55.5, 56.0]


def test_same_day_twice_later_row_wins_and_is_counted(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("Date,SSI\n2026-01-01,40\n2026-01-01,40\n2026-01-02,41\n2026-01-02,42.5\n", encoding="utf-8")
    summary = import_tracker(path, tmp_path / "ds")
    assert load_dataset(tmp_path / "ds")["ssi"]["ssi"].tolist() == [40, 42.5]
    assert (summary.added["ssi"], summary.replaced["ssi"]) == (2, 1)


@pytest.mark.parametrize("text, mapping, message", [
    ("Date,SSI\n2026-01-01,abc\n", None, "'SSI'.*line\\(s\\) 2 \\('abc'\\).*number"),
    ("Date,Brand\n2026-01-01,26\n", None, "'Brand'.*0 to 25"),
    ("Date,SSI\n2026-01-01,-3\n", None, "'SSI'.*0 to 100"),
    ("Date,SSI\nyesterday,40\n", None, "'Date'.*date"),
    ("Date,SSI\n9999-12-31,40\n", None, "'Date'.*date"),
    ("Date,SSI\n01/02/2026,40\n", None, "ambiguous"),
    ("Date,Brand,People\n2026-01-01,10,10\n", None, "total SSI, or all four pillar"),
    ("Day,Notes\n2026-01-01,x\n", None, "no SSI column"),
    ("SSI,Brand\n40,10\n", None, "no date column"),
    ("Date,SSI,Total SSI\n2026-01-01,40,40\n", None, "both read as ssi"),
    ("Date,SSI\n2026-01-01,40\n", {"columns": {"Datum": "date"}}, "no column 'Datum'"),
    ("Date,SSI\n2026-01-01,40\n", {"columns": {"Date": "when"}}, "unknown names"),
    ("Date,SSI\n2026-01-01,40\n", {"colums": {}}, "unknown key"),
    ("Date,SSI\n2026-01-01,40\n", {"decimal": ";"}, "'decimal' is ';'"),
    ("Date,SSI\n2026-01-01,40\n", {"date_format": "%Q"}, "date_format '%Q' is not usable"),
    ("Date,SSI\n,40\n", None, "a date on every row"),
])
def test_bad_trackers_name_file_column_and_rows(tmp_path, text, mapping, message):
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ImportFormatError, match=message) as info:
        read_tracker(path, mapping=mapping)
    assert "expected" in str(info.value)


def test_round_trip_reimport_and_replace(tmp_path):
    out = tmp_path / "ds"
    import_tracker(WIDE, out, member_id="m1")
    data = load_dataset(out)
    assert readings(data["ssi"], "m1")["2026-01-05"] == tuple(map(float, JAN["2026-01-05"]))
    before = snapshot(out)
    again = import_tracker(FIXTURES / "semicolon.csv", out, member_id="m1")  # same readings, other format
    assert (again.added["ssi"], again.replaced["ssi"], again.unchanged["ssi"]) == (0, 0, 3)
    assert snapshot(out) == before
    changed = tmp_path / "c.csv"
    changed.write_text("Date,SSI\n2026-01-05,19.8\n", encoding="utf-8")
    summary = import_tracker(changed, out, member_id="m1")
    assert (summary.added["ssi"], summary.replaced["ssi"]) == (0, 1)
    assert load_dataset(out)["ssi"].set_index("date").loc["2026-01-05", "ssi"] == 19.8


def test_unmapped_columns_are_never_copied(tmp_path):
    out = tmp_path / "ds"
    import_tracker(WIDE, out)
    written = "".join(p.read_text() for p in out.iterdir())
    assert "jane.doe" not in written and "555" not in written and "Notes" not in written


def test_into_simulated_dataset(tmp_path):
    from ssi_kit.jobs import simulate_to_dir
    from ssi_kit.simulate import SimulationConfig

    out = simulate_to_dir(tmp_path / "sim", SimulationConfig(members=20))
    summary = import_tracker(FIXTURES / "tracker.xlsx", out)
    assert summary.added["members"] == 2
    data = load_dataset(out)
    assert {"m1", "m2", "m0001"} <= set(data["members"]["member_id"])


def test_pseudonyms_consistent_across_imports(tmp_path):
    out = tmp_path / "ds"
    import_tracker(FIXTURES / "tracker.xlsx", out, salt=SALT)
    data = load_dataset(out)
    assert set(data["members"]["member_id"]) == {pseudonym("m1", SALT), pseudonym("m2", SALT)}
    assert set(data["ssi"]["member_id"]) == set(data["members"]["member_id"])
    again = import_tracker(FIXTURES / "tracker.xlsx", out, salt=SALT)
    assert (again.added["ssi"], again.unchanged["ssi"]) == (0, 4)


def test_cli(tmp_path, capsys):
    out = tmp_path / "ds"
    args = ["import", "tracker", str(FIXTURES / "mapped.csv"), "--map", str(FIXTURES / "mapped.yaml"),
            "--out", str(out), "-q"]
    assert main(args) == 0
    assert "ssi: 2 added" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("Date,SSI\n2026-01-05,140\n", encoding="utf-8")
    before = snapshot(out)
    assert main(["import", "tracker", str(bad), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "bad.csv" in err and "expected" in err and "\n" not in err
    assert snapshot(out) == before


# --- property-based --------------------------------------------------------------------

def _import_or_input_error(name: str, data: bytes, mapping=None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        out = write_tables(tmp / "ds", TINY)
        before = snapshot(out)
        (tmp / name).write_bytes(data)
        try:
            import_tracker(tmp / name, out, mapping=mapping, member_id="m1")
        except InputError:
            assert snapshot(out) == before
        else:
            load_dataset(out)


@SETTINGS
@given(st.binary(max_size=300), st.sampled_from(["t.csv", "t.xlsx"]))
def test_random_bytes(data, name):
    _import_or_input_error(name, data)


@SETTINGS
@given(st.integers(min_value=0, max_value=len(WIDE.read_bytes())))
def test_truncated_prefixes(n):
    _import_or_input_error("t.csv", WIDE.read_bytes()[:n])


_CELLS = st.one_of(st.floats(-50, 150).map(str), st.integers(-5, 130).map(str), st.text(max_size=6),
                   st.sampled_from(["", "NaN", "inf", "1e400", "12,5", "Top 5%", "2026-01-01", "--"]))


@SETTINGS
@given(st.lists(st.tuples(st.integers(1, 5), st.integers(0, 7), _CELLS), min_size=1, max_size=4))
def test_wrong_cells(edits):
    lines = [line.split(",") for line in WIDE.read_text(encoding="utf-8").splitlines()]
    for row, col, value in edits:
        lines[row][col] = value.replace(",", ";").replace("\n", " ").replace("\r", " ").replace('"', "")
    _import_or_input_error("t.csv", "\n".join(",".join(r) for r in lines).encode())


def test_xlsx_fixture_is_a_workbook(tmp_path):
    shutil.copy(FIXTURES / "tracker.xlsx", tmp_path / "renamed.xlsx")
    assert len(read_tracker(tmp_path / "renamed.xlsx")["ssi"]) == 4


def test_out_folder_with_other_files_keeps_them(tmp_path, capsys):
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(WIDE, folder / "wide.csv")
    (folder / "notes.docx").write_bytes(b"keep me")
    before = snapshot(folder)
    assert main(["-q", "import", "tracker", str(folder / "wide.csv"), "--out", str(folder)]) == 0
    after = snapshot(folder)
    assert {k: after[k] for k in before} == before  # the tracker and the notes are untouched
    assert load_dataset(folder).has("ssi")
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="is a file"):
        import_tracker(WIDE, tmp_path / "file")


def test_import_into_current_directory(tmp_path, monkeypatch):
    out = tmp_path / "ds"
    import_tracker(WIDE, out)
    monkeypatch.chdir(out)
    summary = import_tracker(FIXTURES / "long.csv", ".")
    assert summary.added["ssi"] == 2 and len(load_dataset(out)["ssi"]) == 6


# --- long layouts with sections, failed scrapes, duplicate readings (issue #11) --------
# long_sections_de.csv mirrors a long tracker export (one row per day, section and figure;
# ';' separated, decimal commas, dd.mm.yyyy dates, CRLF line ends) with the German labels of
# LinkedIn's SSI page; failed_scrapes.csv the wide English layout of wide.csv with the rows a
# scraper writes when LinkedIn shows a login wall (all 0) or times out (empty). Values invented.
DE, DE_MAP = FIXTURES / "long_sections_de.csv", FIXTURES / "long_sections_de.yaml"
FAILED = FIXTURES / "failed_scrapes.csv"


def test_long_sections_map_field_and_section_values_to_columns():
    ssi = read_tracker(DE, mapping=DE_MAP)["ssi"].set_index("date")
    assert list(ssi.index.strftime("%Y-%m-%d")) == ["2026-02-03", "2026-02-05", "2026-02-07"]
    first = ssi.loc["2026-02-03"]
    assert first[COLS].tolist() == [48.25, 14.5, 11.25, 9.75, 12.75, 18.0, 11.0]
    assert (first["industry_avg_ssi"], first["industry_avg_brand"], first["network_avg_ssi"]) == (27.5, 7.25, 33.1)
    assert ssi.loc["2026-02-05", ["ssi", "industry_top_pct", "network_top_pct"]].tolist() == [49.0, 17.0, 11.0]
    assert "team_avg_ssi" not in ssi.columns  # no team section: no empty column


def test_long_sections_failed_scrapes_and_duplicates_are_counted(tmp_path, capsys):
    out = tmp_path / "ds"
    assert main(["-q", "import", "tracker", str(DE), "--map", str(DE_MAP), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "2 rows skipped (lines 12, 23): failed scrape: every value 0 or empty" in printed
    assert "note: 1 day had two different readings of one seller; the later one was kept" in printed
    log = [json.loads(line) for line in (out / IMPORT_LOG).read_text(encoding="utf-8").splitlines()]
    assert log[-1]["skipped"] == [{"file": str(DE), "reason": "failed scrape: every value 0 or empty",
                                   "count": 2, "lines": [12, 23], "lost": "2 SSI readings"}]
    assert load_dataset(out)["ssi"]["ssi"].tolist() == [48.25, 49.0, 49.5]
    assert "Termin" not in "".join(p.read_text(encoding="utf-8") for p in out.iterdir())  # notes never copied


def test_wide_failed_scrapes_dropped_duplicates_later_row_wins(tmp_path):
    summary = import_tracker(FAILED, tmp_path / "ds")
    ssi = load_dataset(tmp_path / "ds")["ssi"].set_index("date")
    assert list(ssi.index.strftime("%Y-%m-%d")) == ["2026-03-10", "2026-03-13", "2026-03-14"]
    assert ssi.loc["2026-03-13", COLS].tolist() == [39.25, 11.5, 9.25, 8.75, 9.75, 30.0, 21.0]
    assert not (ssi["ssi"] == 0).any()
    assert [(s.reason, s.count, s.lines) for s in summary.skipped] == [
        ("failed scrape: every value 0 or empty", 2, (3, 4))]
    assert summary.notes == ["1 day had two different readings of one seller; the later one was kept"]
    assert (summary.added["ssi"], summary.replaced["ssi"]) == (3, 1)


def test_strict_refuses_failed_scrapes_and_writes_nothing(tmp_path):
    out = write_tables(tmp_path / "ds", TINY)
    before = tree_digest(tmp_path)
    result = run_cli("import", "tracker", FAILED, "--out", out, "--strict")
    assert_refused(result, 2, "failed_scrapes.csv", "failed scrape", "lines 3, 4", "--strict")
    assert tree_digest(tmp_path) == before


@pytest.mark.parametrize("mapping, message", [
    ({"columns": {"Datum": "date", "Bereich": "section", "Kennzahl": "field", "Wert": "value"},
      "fields": {"Gesamt-SSI": "total"}, "decimal": ",", "date_format": "%d.%m.%Y"}, "fields name unknown figures"),
    ({"columns": {"Datum": "date", "Bereich": "section", "Kennzahl": "field", "Wert": "value"},
      "fields": {"Gesamt-SSI": "ssi"}, "sections": {"Ich": "me"}, "decimal": ",", "date_format": "%d.%m.%Y"},
     "sections name unknown roles"),
    ({"columns": {"Datum": "date", "Bereich": "section", "Kennzahl": "field", "Wert": "value"},
      "fields": {"Gesamt-SSI": "ssi", "Rang": "rank"}, "decimal": ",", "date_format": "%d.%m.%Y"},
     "'Bereich': 17 rows fail, line\\(s\\) 2 \\('Ich'\\).*section such as Me"),
    ({"fields": ["ssi"]}, "'fields' is a list"),
])
def test_bad_field_and_section_mappings_are_refused(mapping, message):
    with pytest.raises(ImportFormatError, match=message):
        read_tracker(DE, mapping=mapping)


def test_bare_rank_without_section_is_refused(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("date,field,value\n2026-01-01,SSI,40\n2026-01-01,Rank,12\n", encoding="utf-8")
    with pytest.raises(ImportFormatError, match="bare rank without a section"):
        read_tracker(path)


def test_only_failed_scrapes_is_refused_clearly(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("Date,SSI,Industry rank\n2026-01-01,0,0\n2026-01-02,,\n", encoding="utf-8")
    before = tree_digest(tmp_path)
    result = run_cli("import", "tracker", path, "--out", tmp_path / "ds")
    assert_refused(result, 2, "t.csv", "no SSI reading that can be kept", "2 failed scrape(s)")
    assert tree_digest(tmp_path) == before
