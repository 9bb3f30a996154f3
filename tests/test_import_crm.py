"""Importing CRM opportunity exports into outcomes (``ssi-kit import crm``)."""
from __future__ import annotations

import json
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
from ssi_kit.imports.crm import import_crm, read_crm
from ssi_kit.imports.privacy import pseudonym
from ssi_kit.imports.ssi_json import import_ssi_json
from ssi_kit.io import load_dataset

FIXTURES = Path(__file__).parent / "fixtures" / "imports" / "crm"
OPPS, QUOTAS, MAP = FIXTURES / "opportunities.csv", FIXTURES / "quotas.csv", FIXTURES / "map.yaml"
SETTINGS = settings(max_examples=20, deadline=None, database=None)
SALT = "a-secret-salt-1234"
BASE_MAP = {"columns": {"Owner": "member_id", "Created Date": "created", "Amount": "amount",
                        "Close Date": "closed", "Won": "won"}}
TINY = {"members": "member_id,industry\nalice,Software\n",
        "outcomes": "member_id,period_start,period_end,opportunities\nalice,2025-10-01,2025-12-31,2\n"}
#: (member, quarter start) -> (opportunities, revenue, quota_attained), worked out by hand.
EXPECTED = {("alice", "2026-01-01"): (3, 12000.50, True),    # won 12000.50 closed Feb; quota 10000
            ("alice", "2026-04-01"): (0, 5000.0, False),     # OPP-003 created Q1, won in April
            ("bob", "2026-01-01"): (1, 0.0, False),          # open opportunity
            ("bob", "2026-04-01"): (1, 30000.0, True),       # quota given by start date 2026-04-01
            ("carol", "2026-01-01"): (2, 7000.25, False)}    # below her 8000 quota


def snapshot(directory: Path) -> dict:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*"))
            if p.is_file() and p.name != IMPORT_LOG}  # the log records each import


def as_dict(outcomes: pd.DataFrame) -> dict:
    return {(r.member_id, r.period_start.strftime("%Y-%m-%d")):
            (int(r.opportunities), float(r.revenue), None if pd.isna(r.quota_attained) else bool(r.quota_attained))
            for r in outcomes.itertuples()}


def test_aggregates_per_seller_and_quarter():
    tables = read_crm(OPPS, mapping=MAP, quotas=QUOTAS)
    assert as_dict(tables["outcomes"]) == EXPECTED
    ends = tables["outcomes"].set_index(["member_id", "period_start"])["period_end"]
    assert ends[("alice", pd.Timestamp("2026-01-01"))] == pd.Timestamp("2026-03-31")
    assert tables["members"].to_dict("records") == [
        {"member_id": m, "industry": "unknown"} for m in ("alice", "bob", "carol")]


def test_without_quotas_attainment_is_left_out():
    outcomes = read_crm(OPPS, mapping=MAP)["outcomes"]
    assert "quota_attained" not in outcomes.columns
    assert outcomes["opportunities"].sum() == 7


def test_months_stage_won_values_and_industry(tmp_path):
    mapping = {"columns": {"Owner": "member_id", "Created Date": "created", "Stage": "stage",
                           "Amount": "amount", "Close Date": "closed", "Opportunity Name": "industry"},
               "period": "month", "won_values": ["Closed Won"]}
    tables = read_crm(OPPS, mapping=mapping)
    out = tables["outcomes"].set_index(["member_id", "period_start"])
    assert out.loc[("bob", pd.Timestamp("2026-02-01")), "opportunities"] == 0  # quiet month counted
    assert out.loc[("bob", pd.Timestamp("2026-05-01")), "revenue"] == 30000
    assert out.loc[("alice", pd.Timestamp("2026-02-01")), "period_end"] == pd.Timestamp("2026-02-28")
    assert dict(zip(tables["members"]["member_id"], tables["members"]["industry"]))["bob"] == "Hooli deal"


def test_counts_only_without_amounts():
    outcomes = read_crm(OPPS, mapping={"columns": {"Owner": "member_id", "Created Date": "created"}})["outcomes"]
    assert list(outcomes.columns) == ["member_id", "period_start", "period_end", "opportunities"]


def test_period_labels_and_decimal_commas(tmp_path):
    opps = tmp_path / "o.csv"
    opps.write_text("Rep;Opened;Value;Closed;Status\nann;15.01.2026;1.500,50;20.02.2026;Won\n"
                    "ann;03.02.2026;99,5;;Open\n", encoding="utf-8")
    quotas = tmp_path / "q.csv"
    quotas.write_text("Rep;Quarter;Target\nann;Q1 2026;1500\n", encoding="utf-8")
    mapping = {"columns": {"Rep": "member_id", "Opened": "created", "Value": "amount", "Closed": "closed",
                           "Status": "stage"}, "date_format": "%d.%m.%Y",
               "quotas": {"columns": {"Rep": "member_id", "Quarter": "period", "Target": "quota"}}}
    assert as_dict(read_crm(opps, mapping=mapping, quotas=quotas)["outcomes"]) == {
        ("ann", "2026-01-01"): (2, 1500.5, True)}


@pytest.mark.parametrize("text, quotas, message", [
    ("Owner,Created Date,Amount,Close Date,Won\n,2026-01-01,1,2026-01-02,yes\n", None, "no owner \\(column 'Owner'\\) on every row \\(line 2\\)"),
    ("Owner,Created Date,Amount,Close Date,Won\na,soon,1,2026-01-02,yes\n", None, "'Created Date'"),
    ("Owner,Created Date,Amount,Close Date,Won\na,2026-01-01,lots,2026-01-02,yes\n", None, "'Amount'.*number"),
    ("Owner,Created Date,Amount,Close Date,Won\na,2026-01-01,1,,yes\n", None, "close date on every won"),
    ("Owner,Created Date,Amount,Close Date,Won\na,2026-01-01,1,2026-01-02,maybe\n", None, "'Won'.*true/false"),
    ("Owner,Created,Amount,Close Date,Won\na,2026-01-01,1,2026-01-02,yes\n", None, "no column 'Created Date'"),
    ("Owner,Created Date,Amount,Close Date,Won\na,2026-01-01,1,2026-01-02,yes\n",
     "Seller,Period,Quota\na,2026-13,5\n", "'Period'"),
    ("Owner,Created Date,Amount,Close Date,Won\na,2026-01-01,1,2026-01-02,yes\n",
     "Seller,Period,Quota\na,2026Q1,5\na,2026-01-01,6\n", "one quota per seller and period"),
    ("Owner,Created Date,Amount,Close Date,Won\na,2026-01-01,1,2026-01-02,yes\n",
     "Seller,Quota\na,5\n", "no period column"),
])
def test_bad_exports_name_file_column_and_rows(tmp_path, text, quotas, message):
    path = tmp_path / "opps.csv"
    path.write_text(text, encoding="utf-8")
    qpath = None
    if quotas:
        qpath = tmp_path / "quotas.csv"
        qpath.write_text(quotas, encoding="utf-8")
    with pytest.raises(ImportFormatError, match=message) as info:
        read_crm(path, mapping=BASE_MAP, quotas=qpath)
    assert "expected" in str(info.value)


def test_mapping_problems(tmp_path):
    with pytest.raises(ImportFormatError, match="no member_id \\(owner\\) column.*'Owner'.*--map"):
        read_crm(OPPS, mapping=None)  # a bare 'Owner' column is no known layout
    with pytest.raises(ImportFormatError, match="no created \\(created date\\) column"):
        read_crm(OPPS, mapping={"columns": {"Owner": "member_id"}})
    with pytest.raises(ImportFormatError, match="'period'.*quarter or month"):
        read_crm(OPPS, mapping={**BASE_MAP, "period": "fortnight"})
    bad = tmp_path / "m.yaml"
    bad.write_text("columns: [Owner", encoding="utf-8")
    with pytest.raises(ImportFormatError, match="m.yaml.*not valid YAML"):
        read_crm(OPPS, mapping=bad)
    with pytest.raises(ImportFormatError, match="quarter periods"):
        read_crm(OPPS, mapping=BASE_MAP, quotas=_write(tmp_path / "q.csv", "Seller,Period,Quota\nalice,2026-02,1\n"))


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_round_trip_reimport_and_replace(tmp_path):
    out = tmp_path / "ds"
    summary = import_crm(OPPS, out, mapping=MAP, quotas=QUOTAS)
    assert summary.added["outcomes"] == 5
    assert as_dict(load_dataset(out)["outcomes"]) == EXPECTED
    before = snapshot(out)
    again = import_crm(OPPS, out, mapping=MAP, quotas=QUOTAS)
    assert (again.added["outcomes"], again.replaced["outcomes"], again.unchanged["outcomes"]) == (0, 0, 5)
    assert snapshot(out) == before
    raised = _write(tmp_path / "q.csv", QUOTAS.read_text().replace("carol,2026Q1,8000", "carol,2026Q1,7000"))
    changed = import_crm(OPPS, out, mapping=MAP, quotas=raised)
    assert (changed.replaced["outcomes"], changed.unchanged["outcomes"]) == (1, 4)
    assert as_dict(load_dataset(out)["outcomes"])[("carol", "2026-01-01")] == (2, 7000.25, True)


def test_contact_emails_and_phones_are_never_written(tmp_path):
    out = tmp_path / "ds"
    import_crm(OPPS, out, mapping=MAP, quotas=QUOTAS)
    written = "".join(p.read_text(encoding="utf-8") for p in out.iterdir() if p.is_file())
    for secret in ("@", "example", "555", "7946", "Contact", "Acme", "OPP-00"):
        assert secret not in written
    assert set(pd.read_csv(out / "outcomes.csv").columns) == {
        "member_id", "period_start", "period_end", "opportunities", "revenue", "quota_attained"}


def test_email_owners_need_pseudonyms(tmp_path):
    path = _write(tmp_path / "o.csv", "Owner,Created Date\nann@corp.example,2026-01-05\n")
    mapping = {"columns": {"Owner": "member_id", "Created Date": "created"}}
    with pytest.raises(ImportFormatError, match="e-mail"):
        import_crm(path, tmp_path / "ds", mapping=mapping)
    import_crm(path, tmp_path / "ds", mapping=mapping, salt=SALT)
    assert "corp.example" not in (tmp_path / "ds" / "members.csv").read_text()


def test_pseudonyms_consistent_across_tables_and_imports(tmp_path):
    out = tmp_path / "ds"
    import_crm(OPPS, out, mapping=MAP, quotas=QUOTAS, salt=SALT)
    ssi_file = Path(__file__).parent / "fixtures" / "imports" / "ssi_json" / "ssi_2026-01-05.json"
    second = import_ssi_json(ssi_file, out, member_id="alice", salt=SALT)
    assert second.unchanged["members"] == 1  # the same pseudonym for alice in both imports
    data = load_dataset(out)
    alice = pseudonym("alice", SALT)
    assert set(data["members"]["member_id"]) == {pseudonym(m, SALT) for m in ("alice", "bob", "carol")}
    assert set(data["outcomes"]["member_id"]) == set(data["members"]["member_id"])
    assert data["ssi"]["member_id"].tolist() == [alice]
    again = import_crm(OPPS, out, mapping=MAP, quotas=QUOTAS, salt=SALT)
    assert again.unchanged["outcomes"] == 5


def test_into_simulated_dataset(tmp_path):
    from ssi_kit.jobs import simulate_to_dir
    from ssi_kit.simulate import SimulationConfig

    out = simulate_to_dir(tmp_path / "sim", SimulationConfig(members=20))
    n = len(load_dataset(out, tables=["outcomes"])["outcomes"])
    summary = import_crm(OPPS, out, mapping=MAP, quotas=QUOTAS)
    assert summary.added["outcomes"] == 5
    assert len(load_dataset(out)["outcomes"]) == n + 5


def test_cli(tmp_path, capsys):
    out = tmp_path / "ds"
    args = ["import", "crm", str(OPPS), "--map", str(MAP), "--quotas", str(QUOTAS), "--out", str(out), "-q"]
    assert main(args) == 0
    assert "outcomes: 5 added, 0 replaced, 0 already present" in capsys.readouterr().out
    before = snapshot(out)
    bad = _write(tmp_path / "bad.csv", "Owner,Created Date,Amount,Close Date,Won\nx,2026-01-01,1,,yes\n")
    assert main(["import", "crm", str(bad), "--map", str(MAP), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "bad.csv" in err and "expected" in err and "\n" not in err
    assert snapshot(out) == before
    assert main(["import", "crm", str(OPPS), "--out", str(out)]) == 2  # no known layout: --map needed


# --- real layouts: Salesforce (English, German locale) and HubSpot, without a mapping ------
# The fixtures' README names the real layouts they mirror; their content is invented.

SF_EN, SF_DE, HUBSPOT = (FIXTURES / n for n in ("salesforce_report_en.csv", "salesforce_report_de.csv",
                                                "hubspot_deals.csv"))


def _outcomes(out: Path) -> dict:
    return {(r.member_id, r.period_start.strftime("%Y-%m-%d")): (int(r.opportunities), float(r.revenue))
            for r in load_dataset(out)["outcomes"].itertuples()}


def _log(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / IMPORT_LOG).read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("path, preset, expected, skipped, placeholders", [
    # Dana: 3 created in Q1 (one open with 12/31/3999), 12000.50 won in Feb; Evan: the 3999 deal
    # created in Q1 and open, 30000 won in May; Evan's row without a created date skipped (line 7)
    (SF_EN, None, {("Dana Example", "2026-01-01"): (3, 12000.5), ("Evan Sample", "2026-01-01"): (1, 0.0),
                   ("Evan Sample", "2026-04-01"): (1, 30000.0)},
     ("Created Date", 7), 2),
    # the same in German: cp1252, ';', quoted, DD.MM.YYYY, 12.000,50; 31.12.3999; line 6 without Erstelldatum
    (SF_DE, "salesforce", {("Frida Beispiel", "2026-01-01"): (3, 12000.5),
                           ("Gustav Muster", "2026-04-01"): (1, 30000.0)},
     ("Erstelldatum", 6), 1),
    # HubSpot: "Closed Won (Partner Pipeline)" is won; the unowned deal on line 6 skipped
    (HUBSPOT, None, {("Hana Invented", "2026-01-01"): (2, 15000.0), ("Ivo Madeup", "2026-04-01"): (2, 25000.0)},
     ("Deal owner", 6), 0),
])
def test_real_layouts_import_without_a_map(tmp_path, path, preset, expected, skipped, placeholders):
    out = tmp_path / "ds"
    result = run_cli("import", "crm", path, "--out", out, *(["--preset", preset] if preset else []))
    assert result.code == 0, result.err
    assert _outcomes(out) == expected
    column, line = skipped
    assert f"1 row skipped (line {line}): no " in result.out and f"(column '{column}'); lost: 1 opportunity" \
        in result.out
    [entry] = _log(out)
    assert [(s["count"], s["lines"], s["lost"]) for s in entry["skipped"]] == [(1, [line], "1 opportunity")]
    assert any("report footer" in n for n in entry["notes"]) == (path != HUBSPOT)
    held = [n for n in entry["notes"] if "placeholder close date" in n]
    assert held == ([f"{path}: {placeholders} opportunit{'y has' if placeholders == 1 else 'ies have'} a "
                     f"placeholder close date (from the year 3000 on, column "
                     f"'{'Schlusstermin' if path == SF_DE else 'Close Date'}'): counted as created and open, "
                     "won in no period"] if placeholders else [])
    written = "".join(p.read_text(encoding="utf-8") for p in out.iterdir() if p.is_file())
    for secret in ("Northwind", "Musterfirma", "Globex", "Confidential", "Vertrauliche", "9000000001"):
        assert secret not in written


@pytest.mark.parametrize("path", [SF_EN, SF_DE, HUBSPOT])
def test_strict_refuses_rows_that_cannot_be_read_and_writes_nothing(tmp_path, path):
    out = write_tables(tmp_path / "ds", TINY)
    before = tree_digest(out)
    result = run_cli("import", "crm", path, "--out", out, "--strict")
    assert_refused(result, 2, path.name, "holds rows that cannot be read", "1 row skipped",
                   "lost: 1 opportunity", "without --strict")
    assert tree_digest(out) == before


@pytest.mark.parametrize("text, cut, won", [
    ("a,2026-01-05,31.12.3999,10,Closed Won\n", None, 0.0),     # Salesforce's placeholder, even marked won
    ("a,2026-01-05,12/31/3999,10,Prospecting\n", None, 0.0),
    ("a,2026-01-05,3000-01-01,10,Closed Won\n", None, 0.0),     # from the year 3000 on
    ("a,2026-01-05,2150-06-30,10,Closed Won\n", None, 10.0),    # a real (if far) date stays a date
    ("a,2026-01-05,2150-06-30,10,Closed Won\n", "2100-01-01", 0.0),  # ... unless the cut says otherwise
    ("a,2026-01-05,2150-06-30,10,Closed Won\n", "2100", 0.0),
])
def test_placeholder_close_dates_mean_open_deals(tmp_path, text, cut, won):
    path = _write(tmp_path / "o.csv", "Opportunity Owner,Created Date,Close Date,Amount,Stage\n"
                  "a,2026-01-05,2026-02-10,5,Closed Won\n" + text)
    outcomes = read_crm(path, placeholder_from=cut)["outcomes"]
    assert outcomes["opportunities"].sum() == 2
    assert outcomes["revenue"].sum() == 5.0 + won


def test_placeholder_close_date_in_a_workbook(tmp_path):
    """An XLSX export holds 31.12.3999 as a real date cell (beyond what pandas dates hold)."""
    import datetime

    import openpyxl

    book = openpyxl.Workbook()
    for row in (["Opportunity Owner", "Created Date", "Close Date", "Amount", "Won"],
                ["ann", datetime.datetime(2026, 1, 5), datetime.datetime(3999, 12, 31), 10, 1],
                ["ann", datetime.datetime(2026, 1, 6), datetime.datetime(2026, 2, 1), 7, 1]):
        book.active.append(row)
    book.save(tmp_path / "o.xlsx")
    outcomes = read_crm(tmp_path / "o.xlsx")["outcomes"]
    assert (int(outcomes["opportunities"].sum()), float(outcomes["revenue"].sum())) == (2, 7.0)


def test_a_year_between_2200_and_the_cut_is_still_refused(tmp_path):
    path = _write(tmp_path / "o.csv", "Opportunity Owner,Created Date,Close Date,Amount,Stage\n"
                  "a,2026-01-05,2500-01-01,5,Closed Won\n")
    with pytest.raises(ImportFormatError, match="'Close Date'.*line\\(s\\) 2"):
        read_crm(path)
    with pytest.raises(ImportFormatError, match="placeholder close date is 'soon'"):
        read_crm(path, placeholder_from="soon")


def test_a_preset_that_does_not_fit_and_an_unknown_layout_are_refused(tmp_path):
    result = run_cli("import", "crm", SF_EN, "--out", tmp_path / "ds", "--preset", "hubspot")
    assert_refused(result, 2, "salesforce_report_en.csv", "no member_id (owner) column the hubspot preset knows",
                   "'Opportunity Owner'")
    assert not (tmp_path / "ds").exists()
    unknown = _write(tmp_path / "u.csv", "Rep,Opened\nann,2026-01-05\n")
    assert_refused(run_cli("import", "crm", unknown, "--out", tmp_path / "ds"), 2, "u.csv", "--map")


def test_a_map_overrides_single_columns_of_a_preset(tmp_path):
    """A mapping naming only the owner column; the rest still comes from the Salesforce preset."""
    text = SF_EN.read_text(encoding="utf-8").replace('"Opportunity Owner"', '"Owner Alias"', 1)
    path = _write(tmp_path / "sf.csv", text)
    tables = read_crm(path, mapping={"columns": {"Owner Alias": "member_id"}}, preset="salesforce")
    assert tables["outcomes"]["opportunities"].sum() == 5


def test_quotas_with_a_preset_and_no_map(tmp_path):
    quotas = _write(tmp_path / "q.csv", "Seller,Period,Quota\nDana Example,2026Q1,10000\nEvan Sample,2026Q2,40000\n")
    out = read_crm(SF_EN, quotas=quotas)["outcomes"].set_index(["member_id", "period_start"])["quota_attained"]
    assert bool(out[("Dana Example", pd.Timestamp("2026-01-01"))])  # 12000.50 won against 10000
    assert not bool(out[("Evan Sample", pd.Timestamp("2026-04-01"))])  # 30000 won against 40000
    assert pd.isna(out[("Evan Sample", pd.Timestamp("2026-01-01"))])  # no quota given for that quarter


def test_trailing_rows_that_are_no_footer_are_skipped_and_counted(tmp_path):
    path = _write(tmp_path / "o.csv", "Opportunity Owner,Created Date\nann,2026-01-05\nben,\ncid,\n")
    read = _read_export(path)
    assert [(s.count, s.lines, s.lost) for s in read.skipped] == [(2, (3, 4), "2 opportunities")]
    assert read.notes == []


def _read_export(path):
    from ssi_kit.imports.crm import _read

    return _read(path, None, None, guard=True)


# --- property-based --------------------------------------------------------------------

def _import_or_input_error(data: bytes, quotas: bytes | None = None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        out = write_tables(tmp / "ds", TINY)
        before = snapshot(out)
        (tmp / "o.csv").write_bytes(data)
        qpath = None
        if quotas is not None:
            qpath = tmp / "q.csv"
            qpath.write_bytes(quotas)
        try:
            import_crm(tmp / "o.csv", out, mapping=MAP, quotas=qpath)
        except InputError:
            assert snapshot(out) == before
        else:
            load_dataset(out)


@SETTINGS
@given(st.binary(max_size=300))
def test_random_bytes(data):
    _import_or_input_error(data)


@SETTINGS
@given(st.integers(min_value=0, max_value=len(OPPS.read_bytes())), st.integers(0, len(QUOTAS.read_bytes())))
def test_truncated_prefixes(n, q):
    _import_or_input_error(OPPS.read_bytes()[:n], QUOTAS.read_bytes()[:q])


_CELLS = st.one_of(st.floats(-1e6, 1e6).map(str), st.text(max_size=6),
                   st.sampled_from(["", "2026-02-30", "2026Q5", "TRUE", "no", "1e400", "NaN", "12,5", "-3"]))


@SETTINGS
@given(st.lists(st.tuples(st.integers(1, 7), st.integers(0, 9), _CELLS), min_size=1, max_size=4))
def test_wrong_cells(edits):
    rows = [line.split(",") for line in OPPS.read_text(encoding="utf-8").splitlines()]
    for row, col, value in edits:
        rows[row][col] = value.replace(",", ";").replace("\n", " ").replace("\r", " ").replace('"', "")
    _import_or_input_error("\n".join(",".join(r) for r in rows).encode(), QUOTAS.read_bytes())
