"""Scheduled batches: checks before any run, shared stages, timeouts, the summary and exit code.

The real batch of team runs (a shared stage reused by two runs, outputs equal to stand-alone
runs) is in ``tests/test_report_team.py``, which shares its report runs; the tests here run
no report to completion.
"""

import pandas as pd
import pytest

from ssi_kit.cli import main
from ssi_kit.exceptions import InputError
from ssi_kit.report.batch import _stages, load_batch


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from ssi_kit.jobs import simulate_to_dir
    from ssi_kit.simulate import SimulationConfig

    out = tmp_path_factory.mktemp("data") / "tiny"
    simulate_to_dir(out, SimulationConfig(members=20, seed=6))
    return out


def _write(path, dataset, runs, **extra):
    import yaml

    spec = {"dataset": str(dataset), "out": "out/{date}-{name}", "parallel": 2, "timeout": 600,
            "retries": 0, "parameters": {"every": 56}, "runs": runs, **extra}
    path.write_text(yaml.safe_dump(spec))
    return path


def test_timeout_kills_a_run(tiny, tmp_path, capsys):
    runs = [{"name": "slow"}]
    assert main(["-q", "batch", str(_write(tmp_path / "runs.yaml", tiny, runs, timeout=0.5))]) == 1
    printed = capsys.readouterr().out
    assert "timed out" in printed and "slow" in printed


def test_runs_sharing_scoring_and_claims_parameters_share_one_stage(tiny, tmp_path):
    runs = [{"name": "a", "parameters": {"team": "T1", "title": "A"}},
            {"name": "b", "parameters": {"team": "T2", "movers": 3, "every": 56}},
            {"name": "c", "parameters": {"team": "T3", "seed": 0}},  # the default seed: same scores
            {"name": "d", "parameters": {"team": "T1", "every": 28}},  # other scores: on its own
            {"name": "e", "parameters": {"team": "T2", "resamples": 500}}]  # other claims: on its own
    batch = load_batch(_write(tmp_path / "runs.yaml", tiny, runs))
    stages = _stages(batch.runs, tmp_path / "work")
    assert sorted(stages) == ["a", "b", "c"]
    stage = stages["a"]
    assert stages["b"] is stage and stages["c"] is stage
    assert stage.parameters["every"] == 56 and "team" not in stage.parameters
    assert not {"title", "movers"} & set(stage.parameters)  # the stage runs notebooks 01 and 02 only
    assert stage.out.parent == tmp_path / "work"


def test_unknown_team_in_a_batch_is_refused_before_any_run(tiny, tmp_path):
    runs = [{"name": "ok", "parameters": {"team": "T1"}}, {"name": "typo", "parameters": {"team": "T99"}}]
    with pytest.raises(InputError, match=r"run typo: Parameter team: .*T1, T2, T3.*'T99'"):
        load_batch(_write(tmp_path / "runs.yaml", tiny, runs))
    assert not (tmp_path / "out").exists()


def test_exit_status_is_one_when_any_run_failed(monkeypatch, tmp_path, capsys):
    import ssi_kit.report.batch as batch

    for statuses, code in ((["ok", "ok"], 0), (["ok", "failed"], 1)):
        summary = pd.DataFrame({"name": ["a", "b"], "status": statuses, "stage": ["stage.1"] * 2})
        monkeypatch.setattr(batch, "run_batch", lambda *_, summary=summary, **__: summary)
        assert main(["-q", "batch", str(tmp_path / "runs.yaml")]) == code
        assert "stage.1" in capsys.readouterr().out


def test_bad_batch_files(tmp_path):
    (tmp_path / "a.yaml").write_text("runs: []\n")
    with pytest.raises(InputError, match="non-empty 'runs'"):
        load_batch(tmp_path / "a.yaml")
    (tmp_path / "b.yaml").write_text("dataset: d\nout: o\nruns: [{name: x}, {name: x}]\n")
    with pytest.raises(InputError, match="unique 'name'"):
        load_batch(tmp_path / "b.yaml")
    (tmp_path / "c.yaml").write_text("dataset: d\nout: o\nrunz: 1\nruns: [{name: x}]\n")
    with pytest.raises(InputError, match="unknown: runz"):
        load_batch(tmp_path / "c.yaml")
    assert main(["batch", str(tmp_path / "a.yaml")]) == 2


def test_parameters_file_and_overrides(tiny, tmp_path, monkeypatch):
    """-p overrides the file; --reuse and --stage reach the runner."""
    import ssi_kit.report as report

    seen = {}
    monkeypatch.setattr(report, "run_report", lambda *a, **kw: seen.update(kw) or tmp_path / "r")
    (tmp_path / "p.yaml").write_text("every: 56\ntitle: From a file\n")
    assert main(["-q", "report", str(tiny), "--out", str(tmp_path / "r"), "-f", str(tmp_path / "p.yaml"),
                 "-p", "title=Overridden", "--reuse", str(tmp_path / "stage")]) == 0
    assert seen["parameters"] == {"every": 56, "title": "Overridden"}
    assert seen["reuse"] == str(tmp_path / "stage") and seen["stage"] is False


def test_a_failed_stage_fails_its_runs_and_no_other(tiny, tmp_path, monkeypatch):
    """Runs reusing a failed stage fail with its error, unrun; a run on its own still runs."""
    import concurrent.futures as cf

    import ssi_kit.report.batch as batch

    calls = []

    def fake(run, _batch, _workdir, extra=()):
        calls.append((run.name, tuple(extra)))
        ok = not run.name.startswith("stage")
        return {"name": run.name, "status": "ok" if ok else "failed", "attempts": 1, "seconds": 0.1,
                "out": str(run.out), "message": "" if ok else "ssi-kit: failed: disk full"}

    monkeypatch.setattr(batch, "_execute", fake)
    runs = [{"name": "a", "parameters": {"team": "T1"}}, {"name": "b", "parameters": {"team": "T2"}},
            {"name": "solo", "parameters": {"every": 28}}]
    loaded = load_batch(_write(tmp_path / "runs.yaml", tiny, runs))
    with cf.ThreadPoolExecutor(max_workers=2) as pool:
        rows = {r["name"]: r for r in batch._run_all(loaded, tmp_path, pool, lambda *_: None)}
    assert sorted(calls) == [("solo", ()), ("stage.1", ("--stage",))]
    for name in ("a", "b"):
        assert rows[name]["status"] == "failed" and rows[name]["attempts"] == 0
        assert rows[name]["message"] == "the shared stage.1 failed: ssi-kit: failed: disk full"
    assert rows["solo"]["status"] == "ok" and rows["solo"]["stage"] == ""
