"""Option bounds and output folders of the replacing commands (issue #10, review follow-up).

Every CLI test asserts the exit code, the one-paragraph message naming the option
(or folder) and what is allowed, and with :func:`tree_digest` that nothing was
touched.  Refusals come before any work, so these tests are fast.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from hardening import assert_refused, run_cli, tree_digest
from ssi_kit import limits
from ssi_kit.cli import build_parser
from ssi_kit.exceptions import UsageError
from ssi_kit.io.atomic import LOCK_NAME
from ssi_kit.report.parameters import DOMAINS
from ssi_kit.simulate import SimulationConfig
from ssi_kit.simulate.config import check_span

SAMPLE_TRUTH = Path(__file__).resolve().parents[1] / "data" / "sample" / "truth.json"


# ---------------------------------------------------------------------------
# 1. simulate --force replaces only the simulator's own output

def test_force_refuses_a_dataset_without_truth(valid_dir, tmp_path):
    """A real dataset (tables, no truth.json) is never replaced by synthetic tables."""
    before = tree_digest(tmp_path)
    res = run_cli("-q", "simulate", "--force", "--out", valid_dir, "--members", 10)
    assert_refused(res, 2, "not the output of ssi-kit simulate", "no truth.json", "choose another --out")
    assert tree_digest(tmp_path) == before


@pytest.mark.parametrize("truth", ["{}", "not json", "[1, 2]", '{"config": {}, "effects": {}, "claims": []}',
                                   "\xff\xfe"], ids=["empty", "text", "list", "wrong-type", "binary"])
def test_force_refuses_a_truth_that_is_not_the_simulators(valid_dir, tmp_path, truth):
    (valid_dir / "truth.json").write_text(truth, encoding="latin-1")
    before = tree_digest(tmp_path)
    res = run_cli("-q", "simulate", "--force", "--out", valid_dir, "--members", 10)
    assert_refused(res, 2, "not the output of ssi-kit simulate", "truth.json")
    assert tree_digest(tmp_path) == before


def test_force_refuses_a_truth_folder_and_foreign_files(valid_dir, tmp_path):
    shutil.copy(SAMPLE_TRUTH, valid_dir / "truth.json")
    (valid_dir / "notes.txt").write_text("mine", encoding="utf-8")
    before = tree_digest(tmp_path)
    assert_refused(run_cli("-q", "simulate", "--force", "--out", valid_dir, "--members", 10), 2, "notes.txt")
    (valid_dir / "notes.txt").unlink()
    (valid_dir / "truth.json").unlink()
    (valid_dir / "truth.json").mkdir()
    before = tree_digest(tmp_path)
    assert_refused(run_cli("-q", "simulate", "--force", "--out", valid_dir, "--members", 10), 2, "truth.json")
    assert tree_digest(tmp_path) == before


def test_force_replaces_an_earlier_simulation(tmp_path):
    """The simulator's own output (with a lock file left beside) is replaced by the new one."""
    out = tmp_path / "sim"
    assert run_cli("-q", "simulate", "--out", out, "--members", 10, "--seed", 1).code == 0
    (out / LOCK_NAME).write_text("", encoding="utf-8")
    first = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    res = run_cli("-q", "simulate", "--force", "--out", out, "--members", 10, "--seed", 2)
    assert res.code == 0, res.err
    second = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    assert (first["config"]["seed"], second["config"]["seed"]) == (1, 2)


# ---------------------------------------------------------------------------
# 2. the commands that replace OUT whole refuse the current folder, its parents, home

@pytest.fixture
def inside(tmp_path, monkeypatch) -> Path:
    """Work from tmp_path/home/work, with tmp_path/home as the home folder."""
    work = tmp_path / "home" / "work"
    work.mkdir(parents=True)
    (work / "keep.txt").write_text("the user's file", encoding="utf-8")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(work)
    return work


@pytest.mark.parametrize("out, what", [(".", "the current folder"), ("./", "the current folder"),
                                       ("sub/..", "the current folder"), ("..", "your home folder"),
                                       ("~", "your home folder"), ("../..", "above the current folder"),
                                       ("/", "above the current folder")])
@pytest.mark.parametrize("command", ["report", "simulate", "simulate-force"])
def test_replacing_commands_refuse_the_current_folder_and_above(inside, tmp_path, valid_dir, out, what, command):
    argv = {"report": ["report", valid_dir, "--out", out],
            "simulate": ["simulate", "--out", out, "--members", 10],
            "simulate-force": ["simulate", "--force", "--out", out, "--members", 10]}[command]
    if out == "~":
        argv[argv.index("~")] = str(Path(tmp_path / "home"))
    before = tree_digest(tmp_path)
    assert_refused(run_cli("-q", *argv), 2, f"--out {argv[argv.index('--out') + 1]}", what, "sub-folder")
    assert tree_digest(tmp_path) == before


def test_symlink_to_the_current_folder_is_refused(inside, tmp_path):
    (tmp_path / "here").symlink_to(inside)
    before = tree_digest(tmp_path)
    assert_refused(run_cli("-q", "simulate", "--out", tmp_path / "here", "--members", 10), 2,
                   "the current folder")
    assert tree_digest(tmp_path) == before


def test_score_still_adds_its_files_to_the_current_folder(inside, valid_dir):
    """score only adds scores.csv into OUT: `--out .` is fine and keeps the other files."""
    res = run_cli("-q", "score", valid_dir, "--out", ".")
    assert res.code == 0, res.err
    assert sorted(p.name for p in inside.iterdir()) == ["keep.txt", "scores.csv"]


# ---------------------------------------------------------------------------
# 3. numeric bounds, checked before any work

BOUNDS = [
    (["simulate", "--members", "1000001"], "--members", "from 10 to 1000000"),
    (["simulate", "--members", "9"], "--members", "from 10 to 1000000"),
    (["simulate", "--months", "1201"], "--months", "from 15 to 1200"),
    (["simulate", "--months", "99999999999999999999"], "--months", "from 15 to 1200"),
    (["simulate", "--seed", "-1"], "--seed", "from 0 to 4294967295"),
    (["simulate", "--seed", "4294967296"], "--seed", "from 0 to 4294967295"),
    (["simulate", "--seed", "\u0663"], "--seed", "from 0 to 4294967295"),  # an Arabic-Indic 3
    (["claims", "DS", "--seed", "-5"], "--seed", "from 0 to 4294967295"),
    (["claims", "DS", "--seed", "4294967296"], "--seed", "from 0 to 4294967295"),
    (["claims", "DS", "--resamples", "100001"], "--resamples", "from 1 to 100000"),
    (["claims", "DS", "--resamples", "0"], "--resamples", "from 1 to 100000"),
    (["score", "DS", "--every", "3661"], "--every", "from 1 to 3660"),
    (["score", "DS", "--every", "0"], "--every", "from 1 to 3660"),
    (["score", "DS", "--engine", "dask", "--workers", "65"], "--workers", "from 1 to 64"),
]


@pytest.mark.parametrize("argv, option, allowed", BOUNDS, ids=[" ".join(b[0]) for b in BOUNDS])
def test_out_of_range_options_are_refused(valid_dir, tmp_path, argv, option, allowed):
    out = tmp_path / "out"
    argv = [valid_dir if a == "DS" else a for a in argv]
    before = tree_digest(tmp_path)
    assert_refused(run_cli("-q", *argv, "--out", out), 2, option, allowed)
    assert tree_digest(tmp_path) == before


@pytest.mark.parametrize("start, months", [("2261-01-01", 15), ("2260-10-02", 15), ("1677-12-31", 15),
                                           ("2200-01-01", 1200), ("0001-01-01", 15)])
def test_simulated_dates_must_fit_the_supported_range(tmp_path, start, months):
    before = tree_digest(tmp_path)
    res = run_cli("-q", "simulate", "--out", tmp_path / "out", "--members", 10, "--start", start,
                  "--months", months)
    assert_refused(res, 2, "--start", "--months", "1678-01-01", "2261-12-31")
    assert ".tmp" not in res.err  # names the options, not the hidden temporary folder
    assert tree_digest(tmp_path) == before


def test_largest_values_are_accepted():
    parser = build_parser()
    args = parser.parse_args(["simulate", "--out", "x", "--members", "1000000", "--months", "1200",
                              "--seed", "4294967295"])
    assert (args.members, args.months, args.seed) == (1_000_000, 1200, 2**32 - 1)
    args = parser.parse_args(["claims", "d", "--out", "x", "--seed", "4294967295", "--resamples", "100000"])
    assert (args.seed, args.resamples) == (2**32 - 1, 100_000)
    args = parser.parse_args(["score", "d", "--out", "x", "--every", "3660", "--workers", "64"])
    assert (args.every, args.workers) == (3660, 64)
    check_span("2260-10-01", 15)  # ends exactly on 2261-12-31
    check_span("1678-01-01", 15)
    assert SimulationConfig(start="2260-10-01", seed=2**32 - 1).end_date.strftime("%F") == "2261-12-31"


def test_simulation_config_checks_the_same_bounds():
    for kwargs, fragment in [({"members": 1_000_001}, "members"), ({"months": 1201}, "months"),
                             ({"seed": 2**32}, "seed"), ({"start": "2261-01-01"}, "start")]:
        with pytest.raises(UsageError, match=fragment):
            SimulationConfig(**kwargs)


def test_library_calls_check_the_same_bounds(valid_dir, tmp_path):
    from ssi_kit.jobs import claims_to_dir, score_to_dir

    with pytest.raises(UsageError, match="seed"):
        claims_to_dir(valid_dir, tmp_path / "o", seed=-5)
    with pytest.raises(UsageError, match="n_resamples"):
        claims_to_dir(valid_dir, tmp_path / "o", n_resamples=limits.MAX_RESAMPLES + 1)
    with pytest.raises(UsageError, match="every"):
        score_to_dir(valid_dir, tmp_path / "o", every=limits.MAX_EVERY + 1)
    assert not (tmp_path / "o").exists()


def test_report_parameters_use_the_same_limits():
    """One place for each limit: the report's domains accept exactly what the options accept."""
    for name, high, low in [("every", limits.MAX_EVERY, 1), ("seed", limits.MAX_SEED, 0),
                            ("resamples", limits.MAX_RESAMPLES, 1)]:
        expected, test = DOMAINS[name]
        assert test(high) and test(low) and not test(high + 1) and not test(low - 1)
        assert f"from {low} to {high}" in expected
