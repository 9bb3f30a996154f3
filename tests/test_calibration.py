"""``ssi-kit calibrate``: a spec fitted to readings made by a formula the kit is not given."""
from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import yaml

from ssi_kit.calibration import CalibrationResult, fit_spec
from ssi_kit.calibration.results import spec_to_dict
from ssi_kit.cli import main
from ssi_kit.exceptions import UsageError
from ssi_kit.io import load_dataset, write_dataset
from ssi_kit.io.dataset import Dataset
from ssi_kit.io.schemas import PILLARS
from ssi_kit.plan import plan_actions
from ssi_kit.scoring import ScoringSpec, load_spec, parse_spec, score_dataset
from ssi_kit.scoring.days import choose_days
from ssi_kit.simulate import SimulationConfig, simulate_dataset
from ssi_kit.simulate.readings import readings_from_spec

_SCORED = ("members", "activity", "profiles", "connections")


def _true_spec() -> ScoringSpec:
    """The shipped spec with other weights, targets, transforms and windows (same vocabulary)."""
    base, out = load_spec(), []
    for pillar in PILLARS:
        items = base.pillar_inputs(pillar)
        ws = [i.weight * (1 + 0.5 * ((k % 3) - 1)) for k, i in enumerate(items)]
        ws = [w * 25 / sum(ws) for w in ws]
        for k, (i, w) in enumerate(zip(items, ws)):
            kw = {"weight": w, "target": i.target * (1.7 if k % 2 else 0.6)}
            if i.source == "activity":
                kw["transform"] = ("log", "exp", "linear")[k % 3]
                if i.window is not None:
                    kw["window"] = (30, 180, 90)[k % 3]
            out.append(replace(i, **kw))
    return parse_spec(spec_to_dict(ScoringSpec(tuple(out), base.window_days)), source="true spec")


def _hidden_spec(seed: int) -> ScoringSpec:
    """A random member of the spec's family: weights, targets, transforms and windows drawn from ``seed``."""
    rng, base, out = np.random.default_rng(seed), load_spec(), []
    for pillar in PILLARS:
        items = base.pillar_inputs(pillar)
        ws = np.array([i.weight for i in items]) * rng.uniform(0.4, 1.6, len(items))
        for i, w in zip(items, ws * 25 / ws.sum()):
            kw = {"weight": float(w), "target": i.target * float(rng.uniform(0.5, 2.0))}
            if i.source == "activity":
                kw["transform"] = str(rng.choice(["log", "exp", "linear"]))
                if i.window is not None:
                    kw["window"] = int(rng.choice([30, 90, 180]))
            out.append(replace(i, **kw))
    return parse_spec(spec_to_dict(ScoringSpec(tuple(out), base.window_days)), source=f"hidden spec {seed}")


@pytest.fixture(scope="module")
def truth():
    return _true_spec()


@pytest.fixture(scope="module")
def sim_dir(tmp_path_factory, truth):
    sim = simulate_dataset(SimulationConfig(members=60, seed=1))
    tables = dict(sim.tables)
    tables["ssi"] = readings_from_spec(tables, truth, every=14, noise=0.6, seed=3)
    path = tmp_path_factory.mktemp("calib") / "data"
    write_dataset({t: tables[t] for t in (*_SCORED, "ssi")}, path)
    return path


@pytest.fixture(scope="module")
def calibrated(sim_dir):
    out = sim_dir.parent / "out_a"
    assert main(["-q", "calibrate", str(sim_dir), "--out", str(out)]) == 0
    return out


def test_readings_from_spec_are_the_spec_plus_noise(truth):
    sim = simulate_dataset(SimulationConfig(members=12, seed=4))
    exact = readings_from_spec(sim.tables, truth, every=30, noise=0.0)
    noisy = readings_from_spec(sim.tables, truth, every=30, noise=0.6, seed=1)
    scores = score_dataset(Dataset({t: sim.tables[t] for t in _SCORED}), spec=truth,
                           days=np.unique(exact["date"].to_numpy().astype("datetime64[D]")))
    for p in PILLARS:
        assert np.allclose(exact[p].to_numpy(float), np.round(scores[p].to_numpy(float), 2))
        diff = noisy[p].to_numpy(float) - exact[p].to_numpy(float)
        inside = (exact[p].to_numpy(float) > 2) & (exact[p].to_numpy(float) < 23)
        assert 0.45 < diff[inside].std() < 0.75
    assert np.allclose(noisy["ssi"].to_numpy(float), noisy[list(PILLARS)].sum(axis=1).to_numpy(float), atol=0.011)


def test_recovers_a_spec_it_was_not_given(calibrated, truth):
    spec = load_spec(calibrated / "spec.yaml")
    other = simulate_dataset(SimulationConfig(members=40, seed=2))  # sellers never seen by the fit
    data = Dataset({t: other.tables[t] for t in _SCORED})
    days = choose_days(data, truth, every=7, warmup=True)
    true, cal, default = (score_dataset(data, spec=s, days=days) for s in (truth, spec, load_spec()))
    for col in (*PILLARS, "ssi"):
        err = float(np.mean(np.abs(cal[col] - true[col])))
        base = float(np.mean(np.abs(default[col] - true[col])))
        assert err <= (0.5 if col == "ssi" else 0.3), (col, err)
        # the target, on the true SSI: ten times smaller than the default spec's error
        # (measured: total 0.25 against 3.7, 15x; pillars 9x to 25x, slow test below for more specs)
        assert err * (10 if col == "ssi" else 5) <= base, (col, err, base)
    for p in PILLARS:
        items = spec.pillar_inputs(p)
        assert 1 <= len(items) <= 12
        assert sum(i.weight for i in items) == pytest.approx(25, abs=1e-9)
        assert all(i.why.startswith("fit: weight") and "held-out MAE" in i.why for i in items)


def test_outputs_and_errors(calibrated):
    assert sorted(p.name for p in calibrated.iterdir()) == [
        "calibration.csv", "calibration.json", "calibration.png", "spec.yaml"]
    report = json.loads((calibrated / "calibration.json").read_text())
    rows = {(r["pillar"], r["spec"]): r for r in report["errors"]}
    assert set(rows) == {(p, s) for p in (*PILLARS, "ssi") for s in ("calibrated", "default")}
    for p in (*PILLARS, "ssi"):
        assert rows[(p, "calibrated")]["mae"] < rows[(p, "default")]["mae"] / 1.5
        assert rows[(p, "calibrated")]["r2"] > 0.95
    assert report["warnings"] == []
    assert (calibrated / "calibration.png").read_bytes()[:4] == b"\x89PNG"


def test_errors_are_computed_by_hand(sim_dir):
    from ssi_kit.io import load_dataset

    result = fit_spec(load_dataset(sim_dir), folds=3, seed=5)
    assert isinstance(result, CalibrationResult)
    r = result.readings[result.readings["pillar"] == "people"]
    err = r["calibrated"].to_numpy() - r["observed"].to_numpy()
    y = r["observed"].to_numpy()
    row = result.errors.query("pillar == 'people' and spec == 'calibrated'").iloc[0]
    assert row["mae"] == pytest.approx(np.mean(np.abs(err)), abs=1e-6)
    assert row["rmse"] == pytest.approx(np.sqrt(np.mean(err ** 2)), abs=1e-6)
    assert row["r2"] == pytest.approx(1 - np.sum(err ** 2) / np.sum((y - y.mean()) ** 2), abs=1e-6)
    assert parse_spec(yaml.safe_load(result.to_yaml())).inputs == result.spec.inputs
    assert "held-out" not in result.summary() or "MAE" in result.summary()
    fig = result.plot()
    assert len(fig.axes) == 5 and fig.legends


def test_score_uses_the_calibrated_spec(calibrated, sim_dir, tmp_path):
    out = tmp_path / "scores"
    assert main(["-q", "score", str(sim_dir), "--out", str(out), "--spec", str(calibrated / "spec.yaml"),
                 "--every", "60"]) == 0
    assert (out / "scores.csv").stat().st_size > 0


def test_deterministic(calibrated, sim_dir, tmp_path):
    out = tmp_path / "again"
    assert main(["-q", "calibrate", str(sim_dir), "--out", str(out)]) == 0
    for name in ("spec.yaml", "calibration.csv", "calibration.json", "calibration.png"):
        assert (out / name).read_bytes() == (calibrated / name).read_bytes(), name


@pytest.mark.slow  # about 20-40 s: one joint fit of the four pillars' candidates per fold
def test_total_only_readings(sim_dir, truth):
    from ssi_kit.io import load_dataset

    data = load_dataset(sim_dir)
    tables = dict(data.tables)
    tables["ssi"] = tables["ssi"][["member_id", "date", "ssi"]]
    result = fit_spec(tables, folds=2)
    assert list(result.errors["pillar"].unique()) == ["ssi"]
    cal = result.errors.set_index("spec").loc["calibrated"]
    assert cal["mae"] < result.errors.set_index("spec").loc["default", "mae"] / 2


def _write(tmp_path, drop=(), members=60):
    sim = simulate_dataset(SimulationConfig(members=members, seed=1))
    tables = {t: sim.tables[t] for t in (*_SCORED, "ssi") if t not in drop}
    write_dataset(tables, tmp_path / "d")
    return tmp_path / "d"


@pytest.mark.parametrize("drop, words", [(("ssi",), "no ssi table"), (("activity",), "no activity table")])
def test_clear_errors_without_readings_or_activity(tmp_path, capsys, drop, words):
    out = tmp_path / "out"
    assert main(["-q", "calibrate", str(_write(tmp_path, drop)), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert words in err and "calibrate needs" in err
    assert not out.exists() or not any(out.iterdir())


def test_too_few_readings(tmp_path, capsys):
    path = _write(tmp_path, members=12)
    assert main(["-q", "calibrate", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "too few readings" in err and "of 12 sellers" in err and "at least 20" in err


def test_options_checked():
    with pytest.raises(UsageError, match="folds"):
        fit_spec({}, folds=1)


def test_simulate_draws_readings_from_a_spec_file(tmp_path, truth):
    spec_file = tmp_path / "hidden.yaml"
    spec_file.write_text(yaml.safe_dump(spec_to_dict(truth)), encoding="utf-8")
    out = tmp_path / "sim"
    assert main(["-q", "simulate", "--out", str(out), "--members", "30", "--seed", "1",
                 "--readings-spec", str(spec_file), "--readings-noise", "0.6"]) == 0
    sim = simulate_dataset(SimulationConfig(members=30, seed=1))
    expected = readings_from_spec(dict(sim.tables), truth, every=7, noise=0.6, seed=1)
    written = pd.read_csv(out / "ssi.csv")
    assert list(written.columns) == list(expected.columns) and len(written) == len(expected)
    np.testing.assert_allclose(written["ssi"].to_numpy(), expected["ssi"].to_numpy(), atol=1e-9)
    recorded = json.loads((out / "truth.json").read_text(encoding="utf-8"))["readings"]
    assert recorded["spec"] == str(spec_file) and recorded["noise"] == 0.6


def test_a_plan_under_the_calibrated_spec_names_its_error(calibrated, sim_dir, tmp_path):
    out = tmp_path / "plan"
    assert main(["-q", "plan", str(sim_dir), "--out", str(out), "--spec", str(calibrated / "spec.yaml")]) == 0
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert plan["spec"] == str(calibrated / "spec.yaml")
    errors = pd.DataFrame(plan["calibration"]["report"]["errors"])
    mine = pd.read_csv(calibrated / "calibration.csv")
    assert np.allclose(errors.sort_values(["pillar", "spec"])["mae"], mine.sort_values(["pillar", "spec"])["mae"])
    assert set(pd.read_csv(out / "plan.csv")["spec"]) == {str(calibrated / "spec.yaml")}
    total = mine[(mine["pillar"] == "ssi") & (mine["spec"] == "calibrated")]["mae"].iloc[0]
    data = load_dataset(sim_dir)
    result = plan_actions(data, spec=calibrated / "spec.yaml", member=data["members"]["member_id"].iloc[0])
    assert f"held-out error {total:.2f} points of SSI" in result.summary()
    assert f"held-out error {total:.2f} points of SSI" in result.spec_accuracy()


@pytest.mark.slow
@pytest.mark.parametrize("seed", [11, 12, 13])
def test_accuracy_target_over_hidden_specs_and_noise(seed):
    """The issue's target on several hidden specs and LinkedIn-like noise levels, on sellers the fit never saw.

    Measured (60 sellers fitted, 40 held out; readings every 14 days): total error 0.13 to 0.35
    points, 18x to 96x smaller than the default spec's; pillars 0.03 to 0.21 points.
    """
    truth = _hidden_spec(seed)
    fitted = simulate_dataset(SimulationConfig(members=60, seed=1))
    other = simulate_dataset(SimulationConfig(members=40, seed=2))
    data = Dataset({t: other.tables[t] for t in _SCORED})
    days = choose_days(data, truth, every=7, warmup=True)
    true, default = (score_dataset(data, spec=s, days=days) for s in (truth, load_spec()))
    for noise in (0.3, 0.6, 1.0):
        tables = dict(fitted.tables)
        tables["ssi"] = readings_from_spec(tables, truth, every=14, noise=noise, seed=3)
        spec = fit_spec(Dataset({t: tables[t] for t in (*_SCORED, "ssi")})).spec
        cal = score_dataset(data, spec=spec, days=days)
        for col in (*PILLARS, "ssi"):
            err = float(np.mean(np.abs(cal[col] - true[col])))
            assert err <= (0.5 if col == "ssi" else 0.3), (seed, noise, col, err)
        base = float(np.mean(np.abs(default["ssi"] - true["ssi"])))
        assert float(np.mean(np.abs(cal["ssi"] - true["ssi"]))) * 10 <= base, (seed, noise)
