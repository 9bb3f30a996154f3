"""``ssi-kit check`` and ``ssi_kit.quality``: planted problems are found, clean data is quiet.

The planted dataset is built here: ten sellers read weekly for 20 weeks with smooth
pillars (the SSI the sum of the pillars, as LinkedIn shows them with decimals) and
daily activity; each seller but ``s_clean`` carries one planted problem.  The readings
mirror what the importers write from real captures: unrounded pillars that add up to the
total (LinkedIn's ``salesApiSsi`` response, see ``ssi_kit/imports/ssi_json.py``), a whole
total where a tracker kept the rounded figure, and a failed scrape with every value 0.
All content is invented.
"""
from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from hardening import assert_refused, run_cli, tree_digest
from conftest import write_tables
from ssi_kit.cli import build_parser
from ssi_kit.exceptions import UsageError
from ssi_kit.io import Dataset, load_dataset
from ssi_kit.quality import CHECKS, FINDING_COLUMNS, QualityResult, Thresholds, check_dataset

START = pd.Timestamp("2025-01-06")
WEEKS = 20
SELLERS = ("s_clean", "s_fail", "s_sum", "s_range", "s_jump", "s_stale", "s_gap", "s_outlier",
           "s_future", "s_after")
OUTLIER_DAY = "2025-02-20"


def week(k: int) -> str:
    """The date of weekly reading ``k`` (0-based)."""
    return (START + pd.Timedelta(days=7 * k)).strftime("%Y-%m-%d")


def _readings(member: str, offset: float) -> list[dict]:
    rows = []
    for k in range(WEEKS):
        parts = {p: round(base + offset + 0.13 * k, 2)
                 for p, base in zip(("brand", "people", "insights", "relationships"), (8, 9, 10, 11))}
        rows.append({"member_id": member, "date": week(k), "ssi": round(sum(parts.values()), 2), **parts,
                     "industry_top_pct": 40.0, "network_top_pct": 35.0})
    return rows


def _plant(ssi: pd.DataFrame) -> pd.DataFrame:
    """Plant one reading problem per seller (see the module docstring)."""
    pillars = ["brand", "people", "insights", "relationships"]
    at = lambda member, k: (ssi["member_id"] == member) & (ssi["date"] == week(k))  # noqa: E731
    ssi.loc[at("s_fail", 5), ["ssi", *pillars, "industry_top_pct", "network_top_pct"]] = 0.0  # failed capture
    for k in (3, 8):
        ssi.loc[at("s_sum", k), "brand"] += 3.0                              # pillars off by 3
    whole = at("s_sum", 12)                                                  # a whole total within rounding: fine
    ssi.loc[whole, "ssi"] = ssi.loc[whole, pillars].sum(axis=1).round().iloc[0]
    ssi.loc[at("s_range", 4), "industry_top_pct"] = 0.0                      # "top 0%": impossible
    ssi.loc[at("s_jump", 10), pillars] += 10.0                               # +40 in a week, then back
    ssi.loc[at("s_jump", 10), "ssi"] += 40.0
    frozen = ssi.loc[at("s_stale", 12), ["ssi", *pillars]].iloc[0]
    for k in range(13, 17):
        ssi.loc[at("s_stale", k), ["ssi", *pillars]] = frozen.to_numpy()   # unchanged weeks 12-16
    drop = (ssi["member_id"] == "s_gap") & ssi["date"].isin([week(6), week(7), week(8)])
    drop |= (ssi["member_id"] == "s_after") & (ssi["date"] > week(10))     # readings stop
    return ssi[~drop].reset_index(drop=True)


def planted_tables() -> dict:
    """The planted dataset's tables (members, ssi, activity, events)."""
    ssi = pd.DataFrame([r for k, m in enumerate(SELLERS) for r in _readings(m, 0.2 * k)])
    days = pd.date_range(START, week(WEEKS - 1), freq="D")
    activity = pd.DataFrame([{"member_id": m, "date": d.strftime("%Y-%m-%d"),
                              "posts": int(i % 3 == 0), "searches": 2 + i % 4}
                             for m in SELLERS for i, d in enumerate(days)])
    spike = (activity["member_id"] == "s_outlier") & (activity["date"] == OUTLIER_DAY)
    activity.loc[spike, "posts"] = 500                                       # 500 posts in a day
    return {
        "members": pd.DataFrame({"member_id": SELLERS, "industry": "Software"}),
        "ssi": _plant(ssi),
        "activity": activity,
        "events": pd.DataFrame({"member_id": ["s_clean", "s_future"], "date": ["2025-02-01", "2099-06-01"],
                                "event": ["training", "training"]}),
    }


#: (check, seller, first date, last date, count) of every planted problem, in report order.
EXPECTED = [
    ("failed_scrape", "s_fail", week(5), week(5), 1),
    ("out_of_range", "s_range", week(4), week(4), 1),
    ("future_date", "s_future", "2099-06-01", "2099-06-01", 1),
    ("pillar_sum", "s_sum", week(3), week(8), 2),
    ("jump", "s_jump", week(9), week(11), 2),
    ("stale", "s_stale", week(12), week(16), 5),
    ("activity_outlier", "s_outlier", OUTLIER_DAY, OUTLIER_DAY, 1),
    ("gap", "s_gap", week(5), week(9), 27),
    ("activity_after_readings", "s_after", "2025-04-17", week(WEEKS - 1), 33),
]


@pytest.fixture
def planted_dir(tmp_path) -> Path:
    return write_tables(tmp_path / "planted", planted_tables())


def _keys(findings: pd.DataFrame) -> list[tuple]:
    return [(r.check, r.member_id, r.first_date.strftime("%Y-%m-%d"), r.last_date.strftime("%Y-%m-%d"),
             r.count) for r in findings.itertuples(index=False)]


def test_every_planted_problem_is_found_with_seller_dates_and_count(planted_dir):
    result = check_dataset(load_dataset(planted_dir), today="2026-01-01")
    assert isinstance(result, QualityResult)
    assert list(result.findings.columns) == list(FINDING_COLUMNS)
    assert _keys(result.findings) == EXPECTED  # exactly these: nothing on s_clean, no knock-on findings
    severity = dict(zip(result.findings["check"], result.findings["severity"]))
    assert severity == {c.name: c.severity for c in CHECKS if c.name in severity}
    assert result.findings["detail"].str.len().gt(20).all()
    detail = result.findings.set_index("check")["detail"]
    assert "largest +40.5 points in 7 day(s), 2025-03-10 to 2025-03-17" in detail["jump"]
    text = result.summary()
    counts = result.to_dict()
    assert counts["findings"] == 9 and counts["by_severity"] == {"error": 3, "warning": 4, "info": 2}
    assert text.splitlines()[0] == "9 data-quality finding(s): 3 error, 4 warning, 2 info."


def test_thresholds_change_what_is_flagged(planted_dir):
    dataset = load_dataset(planted_dir)
    loose = check_dataset(dataset, max_daily_change=6, stale_days=29, max_gap_days=28,
                          after_readings_days=70, outlier_floor=500, today="2026-01-01")
    assert sorted(loose.findings["check"]) == ["failed_scrape", "future_date", "out_of_range", "pillar_sum"]
    early = check_dataset(dataset, today="2025-03-01")  # everything after it is "future"
    future = early.findings[early.findings["check"] == "future_date"]
    assert set(future["member_id"]) == set(SELLERS)
    with pytest.raises(UsageError, match="stale_dayz"):
        check_dataset(dataset, stale_dayz=3)
    with pytest.raises(UsageError, match="max_gap_days"):
        check_dataset(dataset, max_gap_days=0)


def test_duplicates_in_a_dataset_built_in_python_are_found():
    """The contract refuses a seller-day twice on disk; a Dataset built in Python may hold one."""
    ssi = pd.DataFrame({"member_id": ["a", "a", "a", "a", "b"],
                        "date": pd.to_datetime(["2025-01-01", "2025-01-01", "2025-01-08", "2025-01-08",
                                                "2025-01-01"]),
                        "ssi": [40.0, 40.0, 41.0, 45.0, 30.0]})
    activity = pd.DataFrame({"member_id": ["b", "b"], "date": pd.to_datetime(["2025-01-02"] * 2),
                             "posts": pd.array([1, 1], dtype="Int64")})
    dataset = Dataset(tables={"members": pd.DataFrame({"member_id": ["a", "b"], "industry": "x"}),
                              "ssi": ssi, "activity": activity})
    result = check_dataset(dataset, today="2026-01-01")
    assert _keys(result.findings) == [
        ("duplicate_conflict", "a", "2025-01-08", "2025-01-08", 1),
        ("duplicate_row", "a", "2025-01-01", "2025-01-01", 1),
        ("duplicate_row", "b", "2025-01-02", "2025-01-02", 1),
    ]
    assert "activity table" in result.findings["detail"].iloc[2]


def test_missing_tables_are_reported_as_not_run():
    dataset = Dataset(tables={"members": pd.DataFrame({"member_id": ["a"], "industry": "x"})})
    result = check_dataset(dataset)
    assert result.findings.empty and list(result.to_frame().columns) == list(FINDING_COLUMNS)
    assert result.skipped["stale"] == "no ssi table"
    assert "stale: not run (no ssi table)" in result.summary()


def test_cli_prints_findings_writes_stable_csv_and_json(planted_dir, tmp_path):
    before = tree_digest(planted_dir)
    first = run_cli("check", planted_dir, "--out", tmp_path / "q1", "--today", "2026-01-01", "-q")
    second = run_cli("check", planted_dir, "--out", tmp_path / "q2", "--today", "2026-01-01", "-q")
    assert first.code == 0 and second.code == 0, first.err
    assert tree_digest(planted_dir) == before
    assert "9 data-quality finding(s)" in first.out and "s_stale" in first.out
    assert first.out.strip().endswith("quality.csv")
    csv1, csv2 = (tmp_path / "q1" / "quality.csv").read_bytes(), (tmp_path / "q2" / "quality.csv").read_bytes()
    assert csv1 == csv2
    table = pd.read_csv(io.BytesIO(csv1), dtype=str)
    assert list(table.columns) == list(FINDING_COLUMNS)
    assert [tuple(r[:4]) + (int(r[4]),) for r in table[["check", "member_id", "first_date", "last_date",
                                                      "count"]].itertuples(index=False)] == EXPECTED
    summary = json.loads((tmp_path / "q1" / "quality.json").read_text())
    assert summary["findings"] == 9 and summary["checks"]["stale"]["rows"] == 5
    assert list(summary["checks"]) == [c.name for c in CHECKS]
    assert summary["parameters"]["today"] == "2026-01-01"


def test_cli_threshold_option_and_bad_values(planted_dir):
    loose = run_cli("check", planted_dir, "--max-daily-change", "6", "--today", "2026-01-01", "-q")
    assert loose.code == 0 and "jump" not in loose.out and "stale" in loose.out
    assert_refused(run_cli("check", planted_dir, "--stale-days", "0"), 2, "--stale-days")
    assert_refused(run_cli("check", planted_dir, "--max-daily-change", "nan"), 2, "--max-daily-change")


def test_cli_help_states_the_defaults_of_thresholds():
    """The defaults live in Thresholds (the CLI passes only given options); the help must agree."""
    parser = build_parser()
    check = next(a for a in parser._subparsers._group_actions if a.dest == "command").choices["check"]
    defaults = Thresholds()
    options = {a.dest: a for a in check._actions if a.dest in Thresholds.__dataclass_fields__}
    assert set(options) == set(Thresholds.__dataclass_fields__) - {"regular_days", "sum_tolerance"}
    for name, action in options.items():
        if name != "today":
            assert f"(default {getattr(defaults, name):g})" in action.help, name


def test_sample_dataset_gives_no_false_alarms(tmp_path):
    result = run_cli("check", Path(__file__).parents[1] / "data" / "sample", "-q")
    assert result.code == 0, result.err
    assert result.out.startswith("0 data-quality finding(s): 0 error, 0 warning, 0 info.")


def test_invalid_dataset_is_refused_and_nothing_is_written(valid_dir, tmp_path):
    ssi = (valid_dir / "ssi.csv").read_text().replace("m2,2024-03-01,20,5,5,5,5", "m2,2024-03-01,20,30,5,5,5")
    (valid_dir / "ssi.csv").write_text(ssi)
    out = tmp_path / "out"
    assert_refused(run_cli("check", valid_dir, "--out", out), 2, "ssi", "brand")
    assert not out.exists()


def test_out_that_is_a_file_is_refused(valid_dir, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert_refused(run_cli("check", valid_dir, "--out", blocker / "q"), 2, "is a file")
    assert blocker.read_text() == "x"


def test_terminal_output_is_a_rich_table(planted_dir):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    screen = Terminal()
    check_dataset(load_dataset(planted_dir), today="2026-01-01").show(file=screen, limit=3)
    text = screen.getvalue()
    assert "first_date" in text and "s_fail" in text and "... and 6 more" in text


@pytest.mark.parametrize("total, pillar_sum, flagged", [
    (40.0, 40.5, False),      # a whole total: LinkedIn's rounding of 40.5 (plus pillar rounding)
    (40.0, 40.54, False),
    (40.0, 40.6, True),
    (40.25, 40.28, False),    # an unrounded total: only the pillars' rounding
    (40.25, 40.35, True),
], ids=["whole-half", "whole-edge", "whole-over", "decimal-ok", "decimal-over"])
def test_pillar_sum_tolerates_only_rounding(total, pillar_sum, flagged):
    last = round(pillar_sum - 30.0, 4)
    ssi = pd.DataFrame({"member_id": ["a"], "date": pd.to_datetime(["2025-01-01"]), "ssi": [total],
                        "brand": [10.0], "people": [10.0], "insights": [10.0], "relationships": [last]})
    dataset = Dataset(tables={"members": pd.DataFrame({"member_id": ["a"], "industry": "x"}), "ssi": ssi})
    found = check_dataset(dataset, today="2026-01-01").findings
    assert list(found["check"]) == (["pillar_sum"] if flagged else [])


def test_tiny_dataset_gives_no_findings(valid_dir):
    tiny = run_cli("check", valid_dir, "-q")
    assert tiny.code == 0 and tiny.out.startswith("0 data-quality finding(s)"), tiny.err


def test_empty_tables_and_empty_values_do_not_crash():
    """Tables built in Python may be empty (the contract refuses that on disk) or hold only gaps."""
    members = pd.DataFrame({"member_id": ["a"], "industry": ["x"]})
    empty = Dataset(tables={"members": members,
                            "ssi": pd.DataFrame({"member_id": pd.Series([], dtype=str), "date": pd.to_datetime([]),
                                                 "ssi": pd.array([], dtype="Float64")}),
                            "activity": pd.DataFrame({"member_id": pd.Series([], dtype=str),
                                                      "date": pd.to_datetime([]),
                                                      "posts": pd.array([], dtype="Int64")})})
    assert check_dataset(empty).findings.empty
    days = pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-03"])
    gaps = Dataset(tables={"members": members,
                           "activity": pd.DataFrame({"member_id": ["a"] * 3, "date": days,
                                                     "posts": pd.array([None] * 3, dtype="Int64")})})
    assert check_dataset(gaps, today="2026-01-01").findings.empty


def test_values_the_contract_refuses_on_disk_are_out_of_range_in_python():
    ssi = pd.DataFrame({"member_id": ["a", "a", "b"],
                        "date": pd.to_datetime(["2025-01-01", "2025-01-08", "2025-01-01"]),
                        "ssi": [120.0, 60.0, 50.0], "brand": [30.0, 15.0, 12.5],
                        "network_top_pct": [5.0, 101.0, 3.0]})
    dataset = Dataset(tables={"members": pd.DataFrame({"member_id": ["a", "b"], "industry": "x"}), "ssi": ssi})
    found = check_dataset(dataset, today="2026-01-01").findings
    assert _keys(found[found["check"] == "out_of_range"]) == [("out_of_range", "a", "2025-01-01", "2025-01-08", 2)]
    assert "2 reading(s) with ssi, brand, network_top_pct outside its range" in found["detail"].iloc[0]
