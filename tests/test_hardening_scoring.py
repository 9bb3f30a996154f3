"""Hardening of scoring bounds (issue #10, follow-up).

A spec, a span of days or an ``every`` can no longer exhaust the machine: a spec
has at most :data:`MAX_INPUTS_PER_PILLAR` inputs a pillar, :data:`MAX_WINDOWS`
distinct windows and targets of at least :data:`MIN_TARGET`; the days to score
lie within the data's span widened by the scoring window and the score table must
fit in memory.  ``score`` and ``report`` share the day checks (the report's before
any notebook runs).  Each refusal is exit 2 with one paragraph, and touches
nothing (``tree_digest``).
"""
from __future__ import annotations

import time
import warnings
from dataclasses import replace

import numpy as np
import pytest

from conftest import VALID_CSV, write_tables
from hardening import assert_refused, run_cli, tree_digest
from ssi_kit.exceptions import SpecError, UsageError
from ssi_kit.io import load_dataset
from ssi_kit.io.safe_yaml import dump_yaml
from ssi_kit.scoring import days as scoring_days, score_days
from ssi_kit.scoring.chunks import pillar_points
from ssi_kit.scoring.spec import MAX_INPUTS_PER_PILLAR, MAX_WINDOWS, MIN_TARGET, ScoringSpec, parse_spec

PILLARS = ("brand", "people", "insights", "relationships")


@pytest.fixture
def ws(tmp_path):
    """A workspace: the tiny valid dataset (activity 2024-03-01..05, profiles from 2024-02-01)."""
    write_tables(tmp_path / "ds", VALID_CSV)
    return tmp_path


def _refused(ws, argv, *fragments):
    """Run the CLI; assert exit 2 naming ``fragments``, OUT absent, the workspace untouched."""
    before = tree_digest(ws)
    result = run_cli(*argv)
    assert_refused(result, 2, *fragments)
    assert not (ws / "out").exists()
    assert tree_digest(ws) == before
    return result


def _score(ws, *extra):
    return ["-q", "score", ws / "ds", "--out", ws / "out", *extra]


def _spec(n_inputs: int = 1, windows=None, target=1.0) -> dict:
    """A spec whose pillars have ``n_inputs`` activity inputs each (weights summing to 25)."""
    def inputs():
        return [{"name": f"i{k}", "source": "activity", "columns": ["posts"], "transform": "linear",
                 "target": target, "weight": 25 / n_inputs,
                 "window": windows[k] if windows else 30} for k in range(n_inputs)]
    return {"window_days": 30, "pillars": {p: inputs() for p in PILLARS}}


def _write_spec(ws, data) -> str:
    path = ws / "spec.yaml"
    path.write_text(dump_yaml(data), encoding="utf-8")
    return path


# -- 1. the spec's size ------------------------------------------------------------------------------

def test_too_many_inputs_a_pillar_is_refused_by_score(ws):
    spec = _write_spec(ws, _spec(MAX_INPUTS_PER_PILLAR + 1))
    _refused(ws, _score(ws, "--spec", spec), "spec.yaml", f"at most {MAX_INPUTS_PER_PILLAR} inputs a pillar",
             f"got {MAX_INPUTS_PER_PILLAR + 1}")


def test_a_spec_at_the_limits_scores(ws):
    windows = [k % MAX_WINDOWS + 1 for k in range(MAX_INPUTS_PER_PILLAR)]
    spec = _write_spec(ws, _spec(MAX_INPUTS_PER_PILLAR, windows=windows))
    assert len(parse_spec(_spec(MAX_INPUTS_PER_PILLAR, windows=windows)).inputs) == 4 * MAX_INPUTS_PER_PILLAR
    result = run_cli(*_score(ws, "--spec", spec))
    assert result.code == 0, result.err
    header = (ws / "out" / "scores.csv").read_text().splitlines()[0].split(",")
    assert sum("__i" in c for c in header) == 4 * MAX_INPUTS_PER_PILLAR


def test_too_many_distinct_windows_are_refused(ws):
    n = MAX_WINDOWS + 1
    spec = _write_spec(ws, _spec(n, windows=list(range(1, n + 1))))
    _refused(ws, _score(ws, "--spec", spec), "spec.yaml", f"at most {MAX_WINDOWS} distinct windows", f"got {n}")
    assert len(parse_spec(_spec(MAX_WINDOWS, windows=list(range(1, MAX_WINDOWS + 1)))).inputs)


@pytest.mark.parametrize("target", [1e-320, 1e-10, 5e-324])
def test_subnormal_or_tiny_target_is_refused(ws, target):
    spec = _write_spec(ws, _spec(target=target))
    result = _refused(ws, _score(ws, "--spec", spec), "'target' must be at least", f"{MIN_TARGET:g}")
    assert "weights must sum" not in result.err  # no follow-on problem from the refused input


def test_smallest_target_scores_without_warnings(ws):
    spec = _write_spec(ws, _spec(target=MIN_TARGET))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a numpy RuntimeWarning would fail the run
        result = run_cli(*_score(ws, "--spec", spec))
    assert result.code == 0, result.err
    assert "Warning" not in result.err
    assert (ws / "out" / "scores.csv").is_file()


def test_pillar_points_never_warn_even_on_overflow():
    valid = parse_spec(_spec())  # a subnormal target, bypassing validation: the engine itself stays quiet
    spec = ScoringSpec((replace(valid.inputs[0], target=1e-320), *valid.inputs[1:]), valid.window_days)
    raw = {i.column_name: np.array([0.0, 5.0, 1e300]) for i in spec.inputs}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, pillars = pillar_points(raw, spec)
    assert pillars["brand"].tolist() == [0.0, 25.0, 25.0]


# -- 2. the days to score --------------------------------------------------------------------------

@pytest.mark.parametrize("extra,fragments", [
    (("--end", "9999-12-31"),
     ("end 9999-12-31", "2024-02-01 to 2024-03-05", "must lie from 2023-11-03 to 2024-06-03")),
    (("--start", "1678-01-01", "--end", "2261-12-31"), ("start 1678-01-01 and end 2261-12-31", "90 days")),
    (("--start", "2023-11-02"), ("start 2023-11-02",)),
    (("--end", "2024-06-04"), ("end 2024-06-04",)),
])
def test_days_far_outside_the_data_are_refused_at_once(ws, extra, fragments):
    began = time.monotonic()
    _refused(ws, _score(ws, *extra), "Days to score", *fragments)
    assert time.monotonic() - began < 10


def test_days_within_the_window_are_scored(valid_dir):
    ds = load_dataset(valid_dir)
    days = score_days(ds, start="2023-11-03", end="2024-06-03", every=30)
    assert str(days[0]) == "2023-11-06" and str(days[-1]) == "2024-06-03"


def test_start_after_end_is_refused(ws):
    _refused(ws, _score(ws, "--start", "2024-03-05", "--end", "2024-03-01"),
             "No days to score", "start is after end")


@pytest.mark.parametrize("every", [10 ** 23, 2 ** 63, 35, 10 ** 6])
def test_every_longer_than_the_span_gives_the_last_day(valid_dir, every):
    ds = load_dataset(valid_dir)
    days = score_days(ds, every=every)  # profiles 2024-02-01 .. activity 2024-03-05: 34 days
    assert [str(d) for d in days] == ["2024-03-05"]
    assert [str(d) for d in score_days(ds, every=33)] == ["2024-02-01", "2024-03-05"]


def test_a_table_larger_than_memory_is_refused_before_any_work(ws, monkeypatch):
    monkeypatch.setattr(scoring_days, "_available_memory", lambda: 10_000)
    result = _refused(ws, _score(ws), "Too many days to score", "sellers x 34 days", "larger every",
                      "shorter span")
    assert "GiB" in result.err
    ds = load_dataset(ws / "ds")
    with pytest.raises(UsageError, match="score at most"):
        score_days(ds)
    monkeypatch.setattr(scoring_days, "_available_memory", lambda: 10 ** 6)
    assert len(score_days(ds, every=7)) == 5  # a larger every fits


def test_available_memory_is_known():
    assert scoring_days._available_memory() > 2 ** 20


# -- 3. the report checks the days before any notebook runs -----------------------------------------

def _report(ws, *extra):
    return ["-q", "report", ws / "ds", "--out", ws / "out", *extra]


@pytest.mark.parametrize("params,fragments", [
    (("-p", "start=2261-12-31", "-p", "end=1678-01-01"), ("start 2261-12-31 is after end 1678-01-01",)),
    (("-p", "end=9999-12-31"), ("Days to score", "end 9999-12-31")),
    (("-p", "start=1678-01-01"), ("Days to score", "start 1678-01-01")),
])
def test_report_refuses_bad_days_before_any_notebook(ws, params, fragments):
    began = time.monotonic()
    _refused(ws, _report(ws, *params), *fragments)
    assert time.monotonic() - began < 10  # no kernel was started


def test_report_memory_check_uses_the_report_every(ws, monkeypatch):
    monkeypatch.setattr(scoring_days, "_available_memory", lambda: 1000)
    _refused(ws, _report(ws, "-p", "warmup=false", "-p", "every=1"), "Too many days to score", "every 1")


def test_spec_errors_name_the_spec():
    with pytest.raises(SpecError, match="at most"):
        parse_spec(_spec(MAX_INPUTS_PER_PILLAR + 1), source="s.yaml")
