"""Importing CRM opportunity exports into outcomes (``ssi-kit import crm``)."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import write_tables
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
    ("Owner,Created Date,Amount,Close Date,Won\n,2026-01-01,1,2026-01-02,yes\n", None, "'Owner'.*line\\(s\\) 2"),
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
    with pytest.raises(ImportFormatError, match="without a column mapping"):
        read_crm(OPPS, mapping=None)
    with pytest.raises(ImportFormatError, match="no created column"):
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
    assert main(["import", "crm", str(OPPS), "--out", str(out)]) == 2  # --map is required


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
