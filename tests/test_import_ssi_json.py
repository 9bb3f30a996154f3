"""Importing captured LinkedIn SSI responses (``ssi-kit import ssi-json``)."""
from __future__ import annotations

import copy
import json
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import write_tables
from hardening import assert_refused, run_cli, tree_digest
from ssi_kit.imports.merge import IMPORT_LOG
from ssi_kit.cli import main
from ssi_kit.exceptions import ImportFormatError, InputError
from ssi_kit.imports.privacy import pseudonym
from ssi_kit.imports.ssi_json import import_ssi_json, read_ssi_json
from ssi_kit.io import load_dataset

FIXTURES = Path(__file__).parent / "fixtures" / "imports" / "ssi_json"
#: The live salesApiSsi captures (the folder's top level; other shapes are in shapes/).
LIVE = sorted(FIXTURES.glob("*.json"))
SHAPES = FIXTURES / "shapes"
FIRST = FIXTURES / "ssi_2026-01-05.json"
SETTINGS = settings(max_examples=25, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
SALT = "a-secret-salt-1234"
COLS = ["ssi", "brand", "people", "insights", "relationships", "industry_top_pct", "network_top_pct"]
#: A small valid dataset the property tests import into.
TINY = {"members": "member_id,industry\nm1,Software\n",
        "ssi": "member_id,date,ssi,brand\nm1,2026-01-01,40.5,10.25\n"}


def snapshot(directory: Path) -> dict:
    """Every file under ``directory`` with its bytes (to prove nothing changed)."""
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*"))
            if p.is_file() and p.name != IMPORT_LOG}  # the log records each import


def write_json(path: Path, data) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def base() -> dict:
    return json.loads(FIRST.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def simulated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sim") / "ds"
    assert main(["simulate", "--out", str(out), "--members", "20", "-q"]) == 0
    return out


# --- reading --------------------------------------------------------------------------

def test_values_are_read_by_pillar_name_and_kept_unrounded():
    ssi = read_ssi_json(LIVE)["ssi"].set_index("date")
    first = ssi.loc["2026-01-05"]
    assert first["ssi"] == 19.705751
    assert (first["brand"], first["people"], first["insights"], first["relationships"]) == (
        13.118002, 3.68, 0.29999998, 2.6077502)
    assert (first["industry_top_pct"], first["network_top_pct"]) == (75, 81)
    assert (first["industry_avg_ssi"], first["network_avg_ssi"]) == (30.99, 32.72)
    shuffled = ssi.loc["2026-01-06"]  # pillars and groups listed in another order
    assert (shuffled["brand"], shuffled["people"], shuffled["insights"], shuffled["relationships"]) == (
        13.318002, 3.6855928, 0.4012, 2.7077502)
    assert (shuffled["industry_top_pct"], shuffled["network_top_pct"]) == (74, 80)


def test_envelope_team_and_missing_pillar():
    tables = read_ssi_json(LIVE)
    ssi = tables["ssi"].set_index("date")
    assert list(ssi.index.strftime("%Y-%m-%d")) == [f"2026-01-0{d}" for d in range(5, 10)]
    assert ssi.loc["2026-01-07", "ssi"] == 20.5  # wrapped: date from capturedAt
    team = ssi.loc["2026-01-08"]
    assert (team["team_top_pct"], team["team_avg_ssi"]) == (40, 24.5)
    assert pd.isna(ssi.loc["2026-01-05", "team_top_pct"])
    missing = ssi.loc["2026-01-09"]
    assert pd.isna(missing["insights"]) and missing["relationships"] == 2.8
    assert tables["members"].to_dict("records") == [{"member_id": "me", "industry": "Computer Software"}]


@pytest.mark.parametrize("wrap", [
    lambda d: {"object": "LinkedinRawData", "data": d},
    lambda d: {"response": {"body": json.dumps(d)}},
    lambda d: {"status": 200, "body": {"elements": [d]}},
])
def test_envelopes_are_unwrapped(tmp_path, wrap):
    path = write_json(tmp_path / "x_2026-02-01.json", wrap(base()))
    ssi = read_ssi_json([path])["ssi"]
    assert ssi["ssi"].tolist() == [19.705751] and ssi["date"].tolist() == [pd.Timestamp("2026-02-01")]


@pytest.mark.parametrize("field, value, expected", [
    ("date", "2026-03-04", "2026-03-04"),
    ("capturedAt", "2026-03-04T23:10:00+01:00", "2026-03-04"),
    ("timestamp", 1772582400000, "2026-03-04"),  # epoch milliseconds (UTC)
    ("timestamp", 1772582400, "2026-03-04"),
])
def test_date_field_beats_file_name(tmp_path, field, value, expected):
    path = write_json(tmp_path / "x_2026-01-01.json", {**base(), field: value})
    assert read_ssi_json(path, date="2025-12-31")["ssi"]["date"].tolist() == [pd.Timestamp(expected)]


def test_date_from_option_and_missing_date_names_the_file(tmp_path):
    path = write_json(tmp_path / "capture.json", base())
    assert read_ssi_json(path, date="2026-04-01")["ssi"]["date"].tolist() == [pd.Timestamp("2026-04-01")]
    with pytest.raises(ImportFormatError, match="capture.json.*no reading date"):
        read_ssi_json(path)
    with pytest.raises(ImportFormatError, match="not a calendar date"):
        read_ssi_json(write_json(tmp_path / "x_2026-02-30.json", base()))
    with pytest.raises(ImportFormatError, match="from 1900 to 2200"):
        read_ssi_json(write_json(tmp_path / "y.json", {**base(), "date": "9999-12-31"}))
    with pytest.raises(ImportFormatError, match="field 'timestamp'"):
        read_ssi_json(write_json(tmp_path / "z.json", {**base(), "timestamp": 10**30}))


def test_member_and_industry(tmp_path):
    assert read_ssi_json(FIRST)["members"].to_dict("records") == [{"member_id": "me", "industry": "unknown"}]
    assert read_ssi_json(FIRST, member_id="m7", industry="Retail")["members"].to_dict("records") == [
        {"member_id": "m7", "industry": "Retail"}]
    path = write_json(tmp_path / "a_2026-01-01.json", {"memberId": 4242, "data": base()})
    assert read_ssi_json(path)["ssi"]["member_id"].tolist() == ["4242"]


def test_same_day_twice_identical_kept_once_different_later_wins(tmp_path):
    shutil.copy(FIRST, tmp_path / "a_2026-01-05.json")
    shutil.copy(FIRST, tmp_path / "b_2026-01-05.json")  # identical
    changed = base()
    changed["memberScore"]["overall"] = 21.5
    write_json(tmp_path / "c_2026-01-05.json", changed)
    summary = import_ssi_json(tmp_path, tmp_path / "out")
    ssi = load_dataset(tmp_path / "out")["ssi"]
    assert ssi["ssi"].tolist() == [21.5]
    assert (summary.added["ssi"], summary.replaced["ssi"]) == (1, 1)


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["memberScore"]["subScores"][0].update(score=25.5), "subScores\\[0\\].score.*0 to 25"),
    (lambda d: d["memberScore"].update(overall=-1), "memberScore.overall.*0 to 100"),
    (lambda d: d["groupScore"][0].update(rank=101), "groupScore\\[0\\].rank"),
    (lambda d: d["memberScore"].update(overall="19.7"), "memberScore.overall"),
    (lambda d: d["memberScore"]["subScores"].append({"pillar": "FIND_RIGHT_PEOPLE", "score": 1}), "each pillar once"),
    (lambda d: d.pop("memberScore"), "no 'memberScore'"),
    (lambda d: d.update(groupScore={"INDUSTRY": 1}), "groupScore"),
])
def test_malformed_fields_name_file_and_field(tmp_path, mutate, message):
    data = base()
    mutate(data)
    path = write_json(tmp_path / "bad_2026-01-05.json", data)
    with pytest.raises(ImportFormatError, match=message) as info:
        read_ssi_json(path)
    assert "bad_2026-01-05.json" in str(info.value) and "expected" in str(info.value)


def test_unknown_pillar_is_ignored_and_total_from_pillars(tmp_path):
    data = base()
    data["memberScore"]["subScores"].append({"pillar": "SOMETHING_NEW", "score": 99})
    del data["memberScore"]["overall"]
    ssi = read_ssi_json(write_json(tmp_path / "x_2026-01-05.json", data))["ssi"]
    assert ssi["ssi"].iloc[0] == pytest.approx(13.118002 + 3.68 + 0.29999998 + 2.6077502)


# --- importing into a dataset ---------------------------------------------------------

def test_round_trip_into_empty_dir_then_reimport_is_unchanged(tmp_path):
    out = tmp_path / "ds"
    summary = import_ssi_json(LIVE, out)
    assert (summary.added["ssi"], summary.replaced["ssi"], summary.unchanged["ssi"]) == (5, 0, 0)
    data = load_dataset(out)
    expected = read_ssi_json(LIVE)["ssi"]
    cols = ["ssi", "brand", "people", "insights", "relationships", "industry_top_pct", "network_top_pct"]
    pd.testing.assert_frame_equal(data["ssi"][["member_id", "date", *cols]],
                                  expected[["member_id", "date", *cols]], check_dtype=False)
    assert set(data["ssi"].columns) >= {"industry_avg_ssi", "network_avg_ssi", "team_top_pct", "team_avg_ssi"}
    before = snapshot(out)
    again = import_ssi_json(LIVE, out)
    assert (again.added["ssi"], again.replaced["ssi"], again.unchanged["ssi"]) == (0, 0, 5)
    assert "ssi: 0 added, 0 replaced, 5 already present" in again.describe()
    assert snapshot(out) == before


def test_changed_reading_is_counted_as_replaced(tmp_path):
    out = tmp_path / "ds"
    import_ssi_json(LIVE, out)
    changed = base()
    changed["memberScore"]["subScores"][1]["score"] = 4.25
    summary = import_ssi_json(write_json(tmp_path / "fix_2026-01-05.json", changed), out)
    assert (summary.added["ssi"], summary.replaced["ssi"]) == (0, 1)
    ssi = load_dataset(out)["ssi"].set_index("date")
    assert ssi.loc["2026-01-05", "people"] == 4.25 and len(ssi) == 5


def test_into_simulated_dataset_keeps_it_valid_and_scores(tmp_path, simulated):
    out = tmp_path / "ds"
    shutil.copytree(simulated, out)
    members = load_dataset(out, tables=["members"])["members"].set_index("member_id")
    summary = import_ssi_json([FIRST, FIXTURES / "ssi_2026-01-06.json"], out, member_id="m0001")
    assert summary.unchanged["members"] == 1  # 'unknown' never overwrites a known industry
    data = load_dataset(out)
    assert data["members"].set_index("member_id").loc["m0001", "industry"] == members.loc["m0001", "industry"]
    row = data["ssi"].set_index(["member_id", "date"]).loc[("m0001", pd.Timestamp("2026-01-05"))]
    assert row["ssi"] == 19.705751
    assert (out / "truth.json").exists()
    from ssi_kit.scoring import score_dataset
    assert len(score_dataset(data)) > 0


def test_pseudonyms_are_consistent_and_stable(tmp_path):
    out = tmp_path / "ds"
    import_ssi_json(LIVE, out, member_id="alice", salt=SALT)
    data = load_dataset(out)
    assert data["members"]["member_id"].tolist() == [pseudonym("alice", SALT)]
    assert set(data["ssi"]["member_id"]) == {pseudonym("alice", SALT)}
    again = import_ssi_json(LIVE, out, member_id="alice", salt=SALT)
    assert (again.added["ssi"], again.unchanged["ssi"]) == (0, 5)
    assert "alice" not in "".join(p.read_text() for p in out.glob("*.csv"))


def test_email_ids_are_refused_without_salt(tmp_path):
    with pytest.raises(ImportFormatError, match="e-mail"):
        import_ssi_json(FIRST, tmp_path / "ds", member_id="jane@example.com")
    assert not (tmp_path / "ds").exists()
    import_ssi_json(FIRST, tmp_path / "ds", member_id="jane@example.com", salt=SALT)
    assert "example.com" not in (tmp_path / "ds" / "members.csv").read_text()


# --- command line ---------------------------------------------------------------------

def test_cli_imports_and_prints_summary(tmp_path, capsys):
    out = tmp_path / "ds"
    assert main(["import", "ssi-json", *map(str, LIVE), "--out", str(out), "--member", "m1", "-q"]) == 0
    printed = capsys.readouterr().out
    assert "ssi: 5 added, 0 replaced, 0 already present" in printed
    assert load_dataset(out)["ssi"]["member_id"].unique().tolist() == ["m1"]


def test_cli_malformed_input_exits_2_and_writes_nothing(tmp_path, capsys):
    out = write_tables(tmp_path / "ds", TINY)
    before = snapshot(out)
    bad = tmp_path / "broken_2026-01-05.json"
    bad.write_text(FIRST.read_text()[:80], encoding="utf-8")
    assert main(["import", "ssi-json", str(FIRST), str(bad), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "broken_2026-01-05.json" in err and "expected" in err and "\n" not in err
    assert snapshot(out) == before


# --- the shapes client tools store (issue #11; tests/fixtures/imports/ssi_json/shapes/README.md) --

GROUP_PILLARS = ["brand", "people", "insights", "relationships"]


def one(path: Path, **kw) -> pd.Series:
    ssi = read_ssi_json(path, **kw)["ssi"]
    assert len(ssi) == 1
    return ssi.iloc[0]


def test_unipile_envelope_with_group_pillar_averages():
    row = one(SHAPES / "unipile_2026-02-03.json")
    assert row["date"] == pd.Timestamp("2026-02-03")
    assert row[COLS].tolist() == [41.75, 12.5, 9.25, 8.0, 12.0, 22.0, 15.0]
    assert row[[f"industry_avg_{p}" for p in ["ssi", *GROUP_PILLARS]]].tolist() == [27.4, 8.1, 6.3, 5.2, 7.8]
    assert row[[f"network_avg_{p}" for p in ["ssi", *GROUP_PILLARS]]].tolist() == [30.6, 9.0, 7.1, 6.0, 8.5]
    industry = read_ssi_json(SHAPES / "unipile_2026-02-03.json")["members"]["industry"].tolist()
    assert industry == ["IT Services and IT Consulting"]


def test_linked_api_retrieve_ssi_result():
    row = one(SHAPES / "linkedapi_2026-02-05.json")
    assert row["date"] == pd.Timestamp("2026-02-05")  # no date field: the dated file name
    assert (row["ssi"], row["industry_top_pct"], row["network_top_pct"]) == (47, 12, 8)
    assert row[GROUP_PILLARS].isna().all()


def test_normalized_history_list_failed_scrape_and_same_day_twice(tmp_path):
    path = SHAPES / "normalized_history.json"
    summary = import_ssi_json(path, tmp_path / "ds")
    ssi = load_dataset(tmp_path / "ds")["ssi"].set_index("date")
    assert list(ssi.index.strftime("%Y-%m-%d")) == ["2026-03-01", "2026-03-03"]
    first, later = ssi.loc["2026-03-01"], ssi.loc["2026-03-03"]
    assert first[COLS].tolist() == [62.5, 17.5, 15.0, 14.25, 15.75, 4.0, 9.0]
    assert float(first["industry_avg_ssi"]) == 31.2 and float(first["network_avg_ssi"]) == 35.8
    assert float(first["industry_avg_relationships"]) == 8.3
    assert (float(first["team_top_pct"]), float(first["team_avg_ssi"])) == (20.0, 44.1)
    assert (later["ssi"], later["brand"], later["industry_top_pct"]) == (63.5, 18.0, 3.0)  # the later reading
    assert [(s.reason, s.count, s.lost) for s in summary.skipped] == [
        ("failed scrape: every value 0 or empty", 1, "1 SSI reading (item 2 of the list)")]
    assert summary.notes == ["1 day had two different readings of one seller; the later one was kept"]
    assert summary.replaced["ssi"] == 1


def test_json_lines_history_skips_failed_and_unreadable_lines(tmp_path, capsys):
    out = tmp_path / "ds"
    assert main(["-q", "import", "ssi-json", str(SHAPES / "retrieve_ssi.jsonl"), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "1 row skipped (line 4): has no 'memberScore' object or numeric 'ssi'" in printed
    assert "1 row skipped (line 2): failed scrape: every value 0 or empty" in printed
    ssi = load_dataset(out)["ssi"]
    assert ssi["date"].dt.strftime("%Y-%m-%d").tolist() == ["2026-04-01", "2026-04-03", "2026-04-05"]
    assert ssi["ssi"].tolist() == [51, 52, 53.5] and ssi["network_top_pct"].tolist() == [7, 7, 6]
    log = json.loads((out / IMPORT_LOG).read_text(encoding="utf-8").splitlines()[-1])
    assert sorted((s["lines"], s["count"]) for s in log["skipped"]) == [([2], 1), ([4], 1)]


def test_strict_refuses_a_history_with_skipped_readings(tmp_path):
    out = write_tables(tmp_path / "ds", TINY)
    before = tree_digest(tmp_path)
    result = run_cli("import", "ssi-json", SHAPES / "retrieve_ssi.jsonl", "--out", out, "--strict")
    assert_refused(result, 2, "retrieve_ssi.jsonl", "line 2", "line 4", "failed scrape", "--strict")
    assert tree_digest(tmp_path) == before


def test_every_shape_in_one_import_and_nothing_private(tmp_path):
    out = tmp_path / "ds"
    data = dict(base(), memberId="jane.doe@example.com")
    path = write_json(tmp_path / "h.json", [dict(data, date="2026-01-05"), dict(data, date="2026-01-06")])
    result = run_cli("import", "ssi-json", SHAPES, path, "--out", out)
    assert_refused(result, 2, "h.json", "e-mail address", "--pseudonymize")
    assert "jane" not in result.err and not out.exists()
    result = run_cli("import", "ssi-json", SHAPES, path, "--out", out, "--pseudonymize", "--salt", SALT)
    assert result.code == 0 and "jane" not in result.out
    ssi = load_dataset(out)["ssi"]
    assert len(ssi) == 2 + 1 + 2 + 3 + 1  # history, Linked API, normalized, JSON Lines, Unipile
    assert not any("example.com" in p.read_text(encoding="utf-8") for p in out.iterdir())


def test_history_reading_without_its_own_date_is_skipped(tmp_path):
    path = write_json(tmp_path / "h_2026-01-05.json", [dict(base(), date="2026-01-04"), base()])
    summary = import_ssi_json(path, tmp_path / "ds", date="2026-01-01")
    assert load_dataset(tmp_path / "ds")["ssi"]["date"].dt.strftime("%Y-%m-%d").tolist() == ["2026-01-04"]
    assert [(s.reason, s.count) for s in summary.skipped] == [
        ("carries no reading date", 1)]


def test_a_lone_failed_scrape_is_refused_clearly(tmp_path):
    data = base()
    data["memberScore"]["overall"] = 0
    for pillar in data["memberScore"]["subScores"]:
        pillar["score"] = 0
    for group in data["groupScore"]:
        group["rank"] = 0
    path = write_json(tmp_path / "zero_2026-01-05.json", data)
    before = tree_digest(tmp_path)
    result = run_cli("import", "ssi-json", path, "--out", tmp_path / "ds")
    assert_refused(result, 2, "zero_2026-01-05.json", "holds no reading that can be kept",
                   "1 skipped: failed scrape: every value 0 or empty")
    assert tree_digest(tmp_path) == before


# --- property-based: malformed input gives a valid import or the kit's own error -------

def _import_or_input_error(files: dict[str, bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        out = write_tables(tmp / "ds", TINY)
        before = snapshot(out)
        paths = []
        for name, data in files.items():
            (tmp / name).write_bytes(data)
            paths.append(tmp / name)
        try:
            import_ssi_json(paths, out, date="2026-02-01")
        except InputError:
            assert snapshot(out) == before
        else:
            assert len(load_dataset(out)["ssi"]) >= 2


@SETTINGS
@given(st.binary(max_size=300))
def test_random_bytes(data):
    _import_or_input_error({"r_2026-01-05.json": data})


@SETTINGS
@given(st.integers(min_value=0, max_value=len(FIRST.read_bytes())))
def test_truncated_prefixes(n):
    _import_or_input_error({"ok_2026-01-04.json": FIRST.read_bytes(), "t_2026-01-05.json": FIRST.read_bytes()[:n]})


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats() | st.text(max_size=8)
    | st.sampled_from(["2026-01-01", "9999-12-31", "0001-01-01T00:00", "2026-02-30", "PROFESSIONAL_BRAND", "TEAM"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6)
_PATHS = [("memberScore",), ("memberScore", "overall"), ("memberScore", "subScores"),
          ("memberScore", "subScores", 0), ("memberScore", "subScores", 1, "score"),
          ("memberScore", "subScores", 2, "pillar"), ("groupScore",), ("groupScore", 0),
          ("groupScore", 0, "rank"), ("groupScore", 1, "score"), ("groupScore", 1, "score", "overall"),
          ("groupScore", 0, "groupType"), ("groupScore", 0, "industry"), ("date",), ("timestamp",),
          ("memberId",)]


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(_PATHS), st.booleans(), _JSON_VALUES), min_size=1, max_size=3))
def test_wrong_types_missing_keys_and_out_of_range_values(edits):
    data = copy.deepcopy(base())
    for path, delete, value in edits:
        node = data
        for step in path[:-1]:
            try:
                node = node[step]
            except (KeyError, IndexError, TypeError):
                break
        else:
            if isinstance(node, dict) or (isinstance(node, list) and isinstance(path[-1], int)
                                          and path[-1] < len(node)):
                if delete and isinstance(node, dict):
                    node.pop(path[-1], None)
                else:
                    node[path[-1]] = value
    _import_or_input_error({"m_2026-01-05.json": json.dumps(data).encode()})


@SETTINGS
@given(st.floats(-50, 150), st.floats(-10, 40), st.floats(-10, 120))
def test_scores_out_of_range(overall, pillar, rank):
    data = base()
    data["memberScore"]["overall"] = overall
    data["memberScore"]["subScores"][3]["score"] = pillar
    data["groupScore"][1]["rank"] = rank
    valid = 0 <= overall <= 100 and 0 <= pillar <= 25 and 0 <= rank <= 100
    if valid:
        _import_or_input_error({"s_2026-01-05.json": json.dumps(data).encode()})
    else:
        with tempfile.TemporaryDirectory() as tmp:
            path = write_json(Path(tmp) / "s_2026-01-05.json", data)
            with pytest.raises(ImportFormatError, match="s_2026-01-05.json"):
                read_ssi_json(path)
