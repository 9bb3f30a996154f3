"""Scheduled batches: two parameter sets in parallel, a failing one, the summary and exit code."""
import datetime as dt
import json

import pytest

from ssi_kit.cli import main
from ssi_kit.exceptions import InputError
from ssi_kit.report.batch import load_batch


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


def test_two_runs_in_parallel_and_a_failing_one(tiny, tmp_path, capsys):
    runs = [{"name": "team-T1", "parameters": {"team": "T1"}},
            {"name": "team-T2", "parameters": {"team": "T2"}},
            {"name": "bad", "parameters": {"start": "2025-06-01", "end": "2025-06-30"}}]  # no readings
    code = main(["-q", "batch", str(_write(tmp_path / "runs.yaml", tiny, runs))])
    assert code == 1  # one run failed
    printed = capsys.readouterr().out
    assert "team-T1" in printed and "failed" in printed
    today = dt.date.today().isoformat()
    for name in ("team-T1", "team-T2"):
        out = tmp_path / "out" / f"{today}-{name}"
        assert (out / "report.html").exists()
        assert json.loads((out / "manifest.json").read_text())["parameters"]["team"] == name[-2:]
    failed = tmp_path / "out" / f"{today}-bad"
    assert json.loads((failed / "manifest.json").read_text())["status"] == "failed"


def test_all_ok_exits_zero(tiny, tmp_path):
    runs = [{"name": "all"}]
    assert main(["-q", "batch", str(_write(tmp_path / "runs.yaml", tiny, runs))]) == 0


def test_timeout_kills_a_run(tiny, tmp_path, capsys):
    runs = [{"name": "slow"}]
    assert main(["-q", "batch", str(_write(tmp_path / "runs.yaml", tiny, runs, timeout=0.5))]) == 1
    assert "timed out" in capsys.readouterr().out


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


def test_parameters_file_and_overrides(tiny, tmp_path):
    (tmp_path / "p.yaml").write_text("every: 56\ntitle: From a file\n")
    out = tmp_path / "r"
    assert main(["-q", "report", str(tiny), "--out", str(out), "-f", str(tmp_path / "p.yaml"),
                 "-p", "title=Overridden"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["parameters"] == {"every": 56, "title": "Overridden"}
