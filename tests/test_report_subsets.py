"""The report on whatever a dataset holds: LinkedIn's readings, activity, or both.

Three real report runs (readings only; readings and outcomes; activity only) on subsets
of one small simulated dataset; the fourth subset, both, is the run of
``tests/test_report_run.py``.  The package functions that decide what a dataset
supports are unit-tested in process.
"""
import json
import shutil

import matplotlib.pyplot as plt
import numpy as np
import openpyxl
import pandas as pd
import pytest

from hardening import assert_refused, run_cli
from ssi_kit.io import load_dataset
from ssi_kit.report import changes, claims_tables, readings, summaries, workbook
from ssi_kit.report.views import build_views

#: Tables of each subset (``members`` always).
SUBSETS = {
    "readings": ("members", "ssi", "events"),
    "readings_outcomes": ("members", "ssi", "outcomes"),
    "activity": ("members", "activity", "profiles", "connections", "outcomes", "events"),
}
DRIVERS = "What drives the kit's computed score"
NO_SCORE = "The kit's score cannot be computed, so nothing explains the readings: the dataset has no activity or profiles table."
NO_READINGS = "The kit's score cannot be compared with LinkedIn's: the dataset has no ssi table."
NO_CLAIMS = "No claims can be tested: the dataset has no outcomes table."


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    from ssi_kit.jobs import simulate_to_dir
    from ssi_kit.simulate import SimulationConfig

    out = tmp_path_factory.mktemp("data") / "full"
    simulate_to_dir(out, SimulationConfig(members=30, seed=5))
    return out


def _subset(full, root, name):
    folder = root / name
    folder.mkdir()
    for table in SUBSETS[name]:
        shutil.copy(full / f"{table}.csv", folder / f"{table}.csv")
    return folder


@pytest.fixture(scope="module")
def runs(full, tmp_path_factory):
    """One report per subset (about a minute each on a loaded machine)."""
    root = tmp_path_factory.mktemp("subsets")
    out = {}
    for name in SUBSETS:
        data = _subset(full, root, name)
        result = run_cli("report", str(data), "--out", str(root / f"{name}-report"), "-p", "every=28", "-q")
        out[name] = (data, root / f"{name}-report", result)
    return out


def _text(report):
    """The visible text of report.html, whitespace collapsed."""
    import html
    import re

    page = (report / "report.html").read_text(encoding="utf-8")
    page = re.sub(r"<style.*?</style>|<script.*?</script>", " ", page, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", page)).replace("\u00b6", " ")  # heading anchors
    return re.sub(r"\s+", " ", text)


def _sheet(report, name):
    book = openpyxl.load_workbook(report / "report.xlsx", read_only=True)
    rows = list(book[name].values)
    return pd.DataFrame(rows[1:], columns=rows[0])


def _expected_headline(ssi_csv):
    """LinkedIn's latest reading per seller, computed here from the ssi table alone."""
    ssi = pd.read_csv(ssi_csv)
    latest = ssi.sort_values("date").groupby("member_id").tail(1)
    return {"Sellers": len(latest),  # the workbook stores numbers, shares as fractions
            "Median SSI (LinkedIn's reading)": pytest.approx(round(float(latest["ssi"].median()), 1)),
            "Mean SSI (LinkedIn's reading)": pytest.approx(round(float(latest["ssi"].mean()), 1)),
            "Leaders (SSI > 70)": pytest.approx(round(float((latest["ssi"] > 70).mean()), 3)),
            "Laggards (SSI < 30)": pytest.approx(round(float((latest["ssi"] < 30).mean()), 3)),
            "Latest day": pd.Timestamp(latest["date"].max())}


def _assert_headline_is_linkedins(data, report):
    got = dict(_sheet(report, "Headline").itertuples(index=False))
    assert {k: got[k] for k in _expected_headline(data / "ssi.csv")} == _expected_headline(data / "ssi.csv")


@pytest.mark.parametrize("name", ["readings", "readings_outcomes"])
def test_report_on_readings_without_activity(runs, name):
    data, report, result = runs[name]
    assert result.code == 0, result.err
    _assert_headline_is_linkedins(data, report)
    text = _text(report)
    for heading in ("Headline: LinkedIn's readings", "LinkedIn's readings against the published references",
                    "Pillars by team (LinkedIn's readings)", "Industry and network ranks (LinkedIn's readings)",
                    "Over time (LinkedIn's readings)", "Biggest movers over four weeks (LinkedIn's readings)",
                    "SSI, LinkedIn's reading (0-100)", "Summary", "Roster", "What changed", "Caveats"):
        assert heading in text, heading
    assert f"{DRIVERS} {NO_SCORE}" in text  # the section's one sentence, not a failure
    assert "the kit's computed score" not in _sheet(report, "Headline").to_string()
    assert pd.read_csv(report / "scores.csv").empty  # notebook 01 scored nothing, cleanly
    assert json.loads((report / "plan.json").read_text())["tables"] == sorted(SUBSETS[name])
    figures = sorted(p.name for p in (report / "figures").iterdir())
    assert {"ssi_distribution.png", "history.png", "pillars_by_team.png"} <= set(figures)
    assert "LinkedIn readings" in openpyxl.load_workbook(report / "report.xlsx", read_only=True).sheetnames
    if name == "readings":
        assert NO_CLAIMS in text and "claims_forest.png" not in figures
    else:
        assert NO_CLAIMS not in text and "claims_forest.png" in figures
        verdicts = _sheet(report, "Claims")
        tested = verdicts[verdicts["Verdict"] != "Untestable"]
        assert set(tested["SSI tested"].dropna()) - {"No SSI used"} == {"LinkedIn's reading"}  # claims on the readings


def test_report_on_activity_alone_shows_the_computed_score(runs):
    data, report, result = runs["activity"]
    assert result.code == 0, result.err
    scores = pd.read_csv(report / "scores.csv")
    latest = scores[scores["date"] == scores["date"].max()]
    got = dict(_sheet(report, "Headline").itertuples(index=False))
    assert got["Median SSI (the kit's computed score)"] == pytest.approx(round(float(latest["ssi"].median()), 1))
    text = _text(report)
    for heading in ("Headline: the kit's computed scores", "Pillars by team (the kit's computed scores)",
                    DRIVERS, "SSI, the kit's computed score (0-100)"):
        assert heading in text, heading
    assert NO_READINGS in text and "LinkedIn's reading)" not in text
    assert not (report / readings.READINGS_FILE).exists()
    assert {"Computed scores", "Drivers"} <= set(openpyxl.load_workbook(report / "report.xlsx", read_only=True).sheetnames)


def test_report_refuses_a_dataset_without_any_ssi(full, tmp_path):
    data = tmp_path / "members_outcomes"
    data.mkdir()
    for table in ("members", "outcomes"):
        shutil.copy(full / f"{table}.csv", data / f"{table}.csv")
    result = run_cli("report", str(data), "--out", str(tmp_path / "out"))
    assert_refused(result, 2, "no ssi table", "no activity or profiles table")
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- in process


def _dataset(full, tmp_path, name):
    return load_dataset(_subset(full, tmp_path, name))


def test_plan_decides_the_headline_and_each_section(full, tmp_path):
    both = readings.report_plan(load_dataset(full))
    only = readings.report_plan(_dataset(full, tmp_path, "readings"))
    activity = readings.report_plan(_dataset(full, tmp_path, "activity"))
    assert (both.headline, only.headline, activity.headline) == ("observed", "observed", "computed")
    assert both.label == only.label == "LinkedIn's reading"
    assert activity.label == "the kit's computed score"
    assert [s for s in ("pillars", "ranks", "drivers", "tracking") if both.why_not(s)] == []
    assert only.why_not("drivers") == only.why_not("tracking") == NO_SCORE
    assert activity.why_not("tracking") == NO_READINGS and activity.why_not("pillars") is None
    bare = readings.ReportPlan(("members", "ssi"))  # readings without pillars or ranks
    assert "no pillar columns" in bare.why_not("pillars") and "industry_top_pct" in bare.why_not("ranks")
    assert readings.read_plan(only.write(tmp_path / "run").parent) == only


def test_observed_scores_are_linkedins_readings_with_the_week_change(full):
    dataset = load_dataset(full)
    observed = readings.observed_scores(dataset)
    ssi = pd.read_csv(full / "ssi.csv", dtype={"member_id": str})
    assert len(observed) == len(ssi)
    merged = observed.merge(ssi, on=["member_id"], suffixes=("", "_raw")).query("date == @pd.to_datetime(date_raw)")
    assert np.allclose(merged["ssi"], merged["ssi_raw"]) and np.allclose(merged["brand"], merged["brand_raw"])
    assert np.allclose(merged["industry_top_pct"], merged["industry_top_pct_raw"])
    one = observed[observed["member_id"] == observed["member_id"].iloc[0]].reset_index(drop=True)
    gap = (one["date"].diff().dt.days == 7).to_numpy()
    assert np.allclose(one["ssi_change_7d"][gap], (one["ssi"].diff()[gap]).round(2))
    assert one["ssi_change_7d"].isna().iloc[0]  # no reading a week before the first
    assert set(observed["tier"].astype(str)) <= {"leader", "middle", "laggard"}


def test_views_with_both_track_the_readings_and_label_every_sheet(full):
    views = build_views(load_dataset(full), every=28)
    assert views.plan.headline == "observed" and views.shown is views.observed
    track = views.tracking.set_index("measure")
    assert list(track.index) == ["brand", "people", "insights", "relationships", "ssi"]
    assert (track["pairs"] > 0).all() and (track["mean_abs_error"] >= 0).all()
    assert track.loc["ssi", "correlation"] > 0.5  # the simulator's readings follow the same inputs
    sheets = workbook.workbook_sheets(views.shown, None, source="observed", computed=views.computed,
                                      tracking=views.tracking)
    assert {"readings", "scores", "drivers", "tracking"} <= set(sheets)
    assert "SSI, LinkedIn's reading (0-100)" in sheets["readings"].columns
    assert "SSI, the kit's computed score (0-100)" in sheets["scores"].columns
    assert "Mean points, the kit's computed score (points)" in sheets["drivers"].columns
    assert summaries.headline(views.shown, "observed")["measure"].str.contains("LinkedIn's reading").any()


def test_views_from_readings_alone_need_no_activity(full, tmp_path):
    views = build_views(_dataset(full, tmp_path, "readings"), every=28)
    assert views.computed.empty and views.tracking is None
    assert readings.drivers(views.computed).empty
    assert len(summaries.latest_scores(views.shown)) == 30  # each seller's latest reading


def test_no_claims_reason_is_one_sentence():
    untestable = {"claims": [{"verdict": "untestable", "reason": "no outcomes table"},
                             {"verdict": "untestable", "reason": "too few sellers"}]}
    assert claims_tables.no_claims_reason(untestable) == NO_CLAIMS
    assert claims_tables.no_claims_reason(None).startswith("No claims results")
    assert claims_tables.no_claims_reason({"claims": [{"verdict": "consistent"}]}) is None


def test_readings_with_only_the_total_on_each_sellers_own_days(tmp_path):
    """A tracker keeping only LinkedIn's whole-number total, each seller read on their own days."""
    from conftest import write_tables
    from ssi_kit.report import figures

    data = write_tables(tmp_path / "totals", {
        "members": """\
            member_id,industry,team
            a,Software,North
            b,Software,North
            c,Retail,South
        """,
        "ssi": """\
            member_id,date,ssi
            a,2026-01-05,40
            a,2026-01-12,44
            b,2026-01-02,71
            b,2026-01-10,69
            c,2026-01-07,25
        """})
    views = build_views(load_dataset(data))
    plan = views.plan
    assert plan.headline == "observed" and not plan.pillars and not plan.ranks
    assert "no pillar columns" in plan.why_not("pillars") and plan.why_not("drivers") == NO_SCORE
    got = dict(summaries.headline(views.shown, "observed").itertuples(index=False))
    assert got["Median SSI (LinkedIn's reading)"] == "44.0"  # latest per seller: 44, 69, 25
    assert got["Leaders (SSI > 70)"] == "0.0%" and got["Laggards (SSI < 30)"] == "33.3%"
    change = changes.explain_change(views.shown, start="2026-01-05", source="observed")
    total = change[change["level"] == "ssi"].set_index("member_id")["change"].to_dict()
    assert total == {"a": 4.0, "b": -2.0}  # c has one reading: no change
    assert set(summaries.history(views.shown)["measure"]) == {"ssi"}
    sheets = workbook.workbook_sheets(views.shown, None, source="observed", computed=views.computed)
    assert "drivers" not in sheets and "scores" not in sheets
    for fig in (figures.plot_seller_history(views.shown, "a", source="observed"),
                figures.plot_ssi_distribution(views.shown, source="observed")):
        figures.save_figure(fig, tmp_path / "fig.png")
    assert "LinkedIn's reading" in readings.section_text(plan, "headline") + figures.plot_history(
        summaries.history(views.shown), source="observed").axes[0].get_title()
    plt.close("all")
