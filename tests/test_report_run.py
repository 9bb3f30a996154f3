"""Papermill smoke runs of the report on a tiny dataset, and its failure path."""
import json

import pytest

from ssi_kit.exceptions import DatasetError, UsageError
from ssi_kit.report import ReportFailed, run_report
from ssi_kit.report.parameters import parameter_hash, render_out


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from ssi_kit.jobs import simulate_to_dir
    from ssi_kit.simulate import SimulationConfig

    out = tmp_path_factory.mktemp("data") / "tiny"
    simulate_to_dir(out, SimulationConfig(members=20, seed=3))
    return out


@pytest.fixture(scope="module")
def report(tiny, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "r1"
    return run_report(tiny, out, parameters={"every": 28})


def test_report_writes_html_scores_figures_and_manifest(report):
    html = (report / "report.html").read_text()
    assert "Social Selling Index report" in html and "<img" in html
    assert "Caveats" in html and "Power and sample size" in html
    assert "def " not in html and "import " not in html  # no code in the report
    for name in ("scores.csv", "claims.csv", "claims.json", "specifications.csv", "report.xlsx"):
        assert (report / name).stat().st_size > 0, name
    figures = sorted(p.name for p in (report / "figures").iterdir())
    curves = [f for f in figures if f.startswith("specification_curve_")]
    assert [f for f in figures if f not in curves] == [
        "claims_forest.png", "history.png", "pillars_by_team.png", "reference_distribution.png",
        "ssi_distribution.png"]
    assert "specification_curve_leaders_opportunities.png" in curves and "Specification curve" in html
    assert "Can the published figures all hold at once?" in html
    manifest = json.loads((report / "manifest.json").read_text())
    assert manifest["status"] == "ok"
    assert manifest["parameters"] == {"every": 28}
    assert [n["notebook"] for n in manifest["notebooks"]] == ["01_score.ipynb", "02_claims.ipynb", "03_report.ipynb"]
    assert all(n["status"] == "ok" and n["duration_s"] > 0 for n in manifest["notebooks"])
    assert len(manifest["inputs"]["members"]["sha256"]) == 64


def test_report_workbook_has_the_sheets(report):
    import openpyxl

    book = openpyxl.load_workbook(report / "report.xlsx", read_only=True)
    assert book.sheetnames[0] == "About"
    assert {"Headline", "Latest snapshot", "Roster", "LinkedIn readings", "Computed scores", "Pillars by team",
            "Drivers", "Tracking", "Claims", "Claims power", "Claim specifications",
            "Claims methods"} <= set(book.sheetnames)
    rows = list(book["Claims"].values)
    estimates = [r[rows[0].index("Estimate")] for r in rows[1:]]
    assert estimates and all(e is None or isinstance(e, float) for e in estimates)  # numbers, not text
    assert any(isinstance(e, float) for e in estimates)


def test_report_with_readings_and_activity_headlines_linkedins_readings(tiny, report):
    """Both kinds of SSI: LinkedIn's readings are the headline, the computed score explains them."""
    import openpyxl
    import pandas as pd

    ssi = pd.read_csv(tiny / "ssi.csv")
    latest = ssi.sort_values("date").groupby("member_id").tail(1)  # computed here, independently
    rows = list(openpyxl.load_workbook(report / "report.xlsx", read_only=True)["Headline"].values)
    got = dict(rows[1:])  # stored as numbers, shares as fractions, the day as a date
    assert got["Median SSI (LinkedIn's reading)"] == pytest.approx(round(float(latest["ssi"].median()), 1))
    assert got["Mean SSI (LinkedIn's reading)"] == pytest.approx(round(float(latest["ssi"].mean()), 1))
    assert got["Leaders (SSI > 70)"] == pytest.approx(round(float((latest["ssi"] > 70).mean()), 3))
    assert str(got["Latest day"].date()) == str(latest["date"].max())
    html = (report / "report.html").read_text()
    for heading in ("Headline: LinkedIn&#39;s readings", "What drives the kit&#39;s computed score",
                    "How closely the kit&#39;s computed score tracks LinkedIn&#39;s readings"):
        assert heading.replace("&#39;", "'") in html or heading in html, heading
    tracking = pd.read_csv(report / "tracking.csv").set_index("measure")
    assert list(tracking.index) == ["brand", "people", "insights", "relationships", "ssi"]
    assert (tracking["pairs"] > 0).all() and tracking["mean_abs_error"].notna().all()
    assert not pd.read_csv(report / "scores.csv").empty  # the computed score is still written


def test_unknown_parameter_is_an_error(tiny, tmp_path):
    with pytest.raises(UsageError, match="Unknown parameter.*evrey"):
        run_report(tiny, tmp_path / "x", parameters={"evrey": 7})
    assert not (tmp_path / "x").exists()


def test_invalid_dataset_runs_nothing(tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "members.csv").write_text("member_id,industry\n,Software\n")
    with pytest.raises(DatasetError, match="member_id"):
        run_report(bad, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_failed_run_keeps_previous_report_and_leaves_the_error_notebook(tiny, report, tmp_path):
    import shutil

    out = tmp_path / "r"
    shutil.copytree(report, out)
    before = (out / "report.html").read_bytes()
    with pytest.raises(ReportFailed) as err:
        # no LinkedIn readings in the span (checks before the notebooks pass): the notebook raises
        run_report(tiny, out, parameters={"start": "2025-06-01", "end": "2025-06-30"})
    assert (out / "report.html").read_bytes() == before
    failed = out / "failed-run"
    assert json.loads((failed / "manifest.json").read_text())["status"] == "failed"
    assert "papermill-error-cell-tag" in (failed / "01_score.ipynb").read_text()
    assert err.value.out == failed


def test_output_name_templating_is_stable():
    import datetime as dt

    h = parameter_hash({"every": 7}, "data/sample")
    assert h == parameter_hash({"every": 7}, "data/sample") != parameter_hash({"every": 1}, "data/sample")
    out = render_out("outputs/{date}-{hash}", {"every": 7}, "data/sample", today=dt.date(2026, 1, 2))
    assert str(out) == f"outputs/2026-01-02-{h}"


def test_relative_out_path_holds_the_whole_report(tiny, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = run_report(tiny, "runs/{hash}", parameters={"every": 56})
    assert not out.is_absolute()
    assert {"report.html", "scores.csv", "manifest.json", "figures", "report.xlsx"} <= {p.name for p in out.iterdir()}
    assert not list(out.rglob("*.tmp"))
