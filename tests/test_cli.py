"""The ``ssi-kit`` command line, in process (capsys) and once as a real console script."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import VALID_CSV, write_tables
from ssi_kit import __version__
from ssi_kit.cli import main

SSI_KIT = Path(sys.executable).with_name("ssi-kit")
BAD_ACTIVITY = "member_id,date,posts\nm1,2024-03-01,1\nm2,2024-03-02,lots\n"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_paragraph_error(err):
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("ssi-kit: error:")]
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture
def bad_dir(tmp_path):
    return write_tables(tmp_path / "bad", {"members": VALID_CSV["members"],
                                           "activity": BAD_ACTIVITY})


def test_score_writes_scores_csv(tmp_path, capsys, valid_dir):
    out = tmp_path / "out"
    code, stdout, err = run(capsys, "-q", "score", str(valid_dir), "--out", str(out))
    assert code == 0, err
    assert stdout.strip() == str(out / "scores.csv")
    s = pd.read_csv(out / "scores.csv")
    for col in ("member_id", "date", "brand", "people", "insights", "relationships", "ssi",
                "tier", "industry_top_pct", "network_top_pct"):
        assert col in s.columns
    assert len(s) == 3 * 34  # 3 sellers x 2024-02-01..2024-03-05
    assert "Traceback" not in err


def test_score_team_keeps_its_rows_with_organisation_ranks(tmp_path, capsys):
    sample = Path(__file__).resolve().parents[1] / "data" / "sample"
    whole, team = tmp_path / "whole", tmp_path / "team"
    assert run(capsys, "-q", "score", str(sample), "--out", str(whole), "--every", "28")[0] == 0
    assert run(capsys, "-q", "score", str(sample), "--out", str(team), "--every", "28", "--team", "T2")[0] == 0
    everyone, kept = pd.read_csv(whole / "scores.csv"), pd.read_csv(team / "scores.csv")
    expected = everyone[everyone["team"] == "T2"].reset_index(drop=True)
    assert len(kept) and set(kept["team"]) == {"T2"}
    pd.testing.assert_frame_equal(kept, expected)  # same ranks: computed over the whole organisation


def test_score_unknown_team_exit_2_lists_the_teams(tmp_path, capsys):
    sample = Path(__file__).resolve().parents[1] / "data" / "sample"
    code, _, err = run(capsys, "-q", "score", str(sample), "--out", str(tmp_path / "o"), "--team", "T99")
    assert code == 2 and "T99" in err and "T1, T2" in err and "Traceback" not in err
    assert not (tmp_path / "o" / "scores.csv").exists()


def test_score_with_day_options(tmp_path, capsys, valid_dir):
    out = tmp_path / "out"
    code, _, err = run(capsys, "-q", "score", str(valid_dir), "--out", str(out),
                       "--start", "2024-03-01", "--end", "2024-03-09", "--every", "4")
    assert code == 0, err
    s = pd.read_csv(out / "scores.csv")
    assert sorted(set(s["date"])) == ["2024-03-01", "2024-03-05", "2024-03-09"]
    assert list(s["member_id"]) == ["m1"] * 3 + ["m2"] * 3 + ["m3"] * 3


def test_score_with_user_spec(tmp_path, capsys, valid_dir):
    spec = tmp_path / "spec.yaml"
    spec.write_text("pillars:\n" + "".join(
        f"  {p}: [{{name: p, source: activity, columns: [posts], window: all, "
        f"transform: linear, target: 100, weight: 25}}]\n"
        for p in ("brand", "people", "insights", "relationships")))
    out = tmp_path / "out"
    code, _, err = run(capsys, "-q", "score", str(valid_dir), "--out", str(out), "--spec",
                       str(spec), "--start", "2024-03-05", "--end", "2024-03-05")
    assert code == 0, err
    s = pd.read_csv(out / "scores.csv").set_index("member_id")
    assert list(s["ssi"]) == [1.0, 2.0, 0.0]  # ssi == all posts so far
    assert [c for c in s.columns if "__" in c] == [
        "brand__p", "people__p", "insights__p", "relationships__p"]


def test_invalid_dataset_exit_2_one_paragraph_nothing_written(tmp_path, capsys, bad_dir):
    out = tmp_path / "out"
    code, stdout, err = run(capsys, "-q", "score", str(bad_dir), "--out", str(out))
    assert code == 2
    assert stdout == ""
    line = assert_one_paragraph_error(err)
    assert err.strip() == line  # with -q the message is all there is
    assert "activity.csv" in line and "column 'posts'" in line and "line 3" in line
    assert "'lots'" in line and "whole number" in line
    assert not (out / "scores.csv").exists()


def test_invalid_dataset_keeps_existing_scores(tmp_path, capsys, bad_dir):
    out = tmp_path / "out"
    out.mkdir()
    old = b"member_id,date,ssi\nm1,2024-01-01,42.0\n"
    (out / "scores.csv").write_bytes(old)
    code, _, err = run(capsys, "score", str(bad_dir), "--out", str(out))
    assert code == 2
    assert_one_paragraph_error(err)
    assert (out / "scores.csv").read_bytes() == old
    assert sorted(p.name for p in out.iterdir()) == ["scores.csv"]


def test_several_problems_in_one_message(tmp_path, capsys):
    d = write_tables(tmp_path / "bad", {
        "members": "member_id,industry\nm1,S\nm1,S\n",
        "profiles": "member_id,date,has_photo\nm1,2024-13-01,maybe\n"})
    code, _, err = run(capsys, "-q", "score", str(d), "--out", str(tmp_path / "out"))
    assert code == 2
    line = assert_one_paragraph_error(err)
    for words in ("members.csv", "column 'member_id'", "profiles.csv", "column 'date'",
                  "column 'has_photo'", "3 problems"):
        assert words in line, words


def test_nonexistent_dataset_dir(tmp_path, capsys):
    code, _, err = run(capsys, "score", str(tmp_path / "nope"), "--out", str(tmp_path / "out"))
    assert code == 2
    line = assert_one_paragraph_error(err)
    assert "nope" in line and "not a dataset directory" in line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("option,value", [("--start", "2024-02-30"), ("--start", "03/01/2024"),
                                          ("--end", "soon"), ("--every", "0"),
                                          ("--every", "x")])
def test_bad_option_values(tmp_path, capsys, valid_dir, option, value):
    code, _, err = run(capsys, "score", str(valid_dir), "--out", str(tmp_path / "out"),
                       option, value)
    assert code == 2
    line = assert_one_paragraph_error(err)
    assert option in line and value in line
    assert not (tmp_path / "out").exists()


def test_end_before_start(tmp_path, capsys, valid_dir):
    code, _, err = run(capsys, "score", str(valid_dir), "--out", str(tmp_path / "out"),
                       "--start", "2024-03-05", "--end", "2024-03-01")
    assert code == 2
    assert "No days to score" in assert_one_paragraph_error(err)


def test_dataset_without_dates_needs_start_and_end(tmp_path, capsys, members_only_dir):
    code, _, err = run(capsys, "score", str(members_only_dir), "--out", str(tmp_path / "out"))
    assert code == 2
    assert "activity" in assert_one_paragraph_error(err)
    code, _, err = run(capsys, "-q", "score", str(members_only_dir), "--out", str(tmp_path / "o2"),
                       "--start", "2024-01-01", "--end", "2024-01-02")
    assert code == 0, err
    assert len(pd.read_csv(tmp_path / "o2" / "scores.csv")) == 6


def test_invalid_spec(tmp_path, capsys, valid_dir):
    spec = tmp_path / "spec.yaml"
    spec.write_text("pillars:\n  brand: []\n")
    code, _, err = run(capsys, "score", str(valid_dir), "--out", str(tmp_path / "out"),
                       "--spec", str(spec))
    assert code == 2
    line = assert_one_paragraph_error(err)
    assert "Invalid scoring spec" in line and "spec.yaml" in line and "pillars.people" in line


@pytest.mark.parametrize("argv,words", [
    ([], "COMMAND"),
    (["frobnicate"], "frobnicate"),
    (["score"], "dataset"),
    (["score", "some_dir"], "--out"),
])
def test_usage_errors(capsys, argv, words):
    code, _, err = run(capsys, *argv)
    assert code == 2
    line = assert_one_paragraph_error(err)
    assert words in line and "--help" in line


def test_top_level_help(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for words in ("usage: ssi-kit", "score", "simulate", "--version", "--quiet"):
        assert words in out, words


def test_score_help(capsys):
    with pytest.raises(SystemExit) as info:
        main(["score", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for words in ("usage: ssi-kit score", "dataset", "--out", "--spec", "--start", "--end",
                  "--every", "scores.csv"):
        assert words in out, words


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    out = capsys.readouterr().out.strip()
    assert out == f"ssi-kit {__version__}"
    assert __version__ != "0.0.0"


# ---------------------------------------------------------------------------
# the installed console script, in a real process


def test_console_script(tmp_path, valid_dir, bad_dir):
    assert SSI_KIT.exists(), SSI_KIT
    out = tmp_path / "out"
    ok = subprocess.run([str(SSI_KIT), "score", str(valid_dir), "--out", str(out)],
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == str(out / "scores.csv")
    assert len(pd.read_csv(out / "scores.csv")) == 3 * 34
    before = (out / "scores.csv").read_bytes()

    bad = subprocess.run([str(SSI_KIT), "-q", "score", str(bad_dir), "--out", str(out)],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert "Traceback" not in bad.stderr
    lines = bad.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ssi-kit: error: Invalid dataset")
    assert "activity.csv" in lines[0] and "column 'posts'" in lines[0]
    assert (out / "scores.csv").read_bytes() == before


@pytest.mark.parametrize("sub", ["", "sub"], ids=["file", "under-file"])
def test_out_is_an_existing_file(tmp_path, capsys, valid_dir, sub):
    target = tmp_path / "taken"
    target.write_text("not a directory")
    out = target / sub if sub else target
    try:
        code, _, err = run(capsys, "-q", "score", str(valid_dir), "--out", str(out))
    except OSError as exc:  # escapes main(): the console script would print a traceback
        pytest.fail(f"main() raised {exc!r}")
    assert code == 2
    assert "taken" in assert_one_paragraph_error(err)
    assert target.read_text() == "not a directory"
