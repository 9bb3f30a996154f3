"""Team runs: the team checked first, every output filtered alike, ranks and claims organisation-wide,
and a batch of team runs that scores and tests the organisation once.

Two real report runs share this module (papermill runs cost 30-60 s each): a stand-alone run
of team T1 and a batch of teams T1 and T2 (one shared stage, then two runs reusing it).
"""
import json
import shutil
import subprocess
import sys

import openpyxl
import pandas as pd
import pytest
import yaml

from ssi_kit.exceptions import UsageError
from ssi_kit.io import load_dataset
from ssi_kit.report import run_report
from ssi_kit.report import readings, summaries
from ssi_kit.report.batch import run_batch
from ssi_kit.report.execute import check_reuse
from ssi_kit.report.views import build_views, read_views

TEAM, EVERY = "T1", 56
RANKS = ["team_top_pct", "industry_top_pct", "network_top_pct"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from ssi_kit.jobs import simulate_to_dir
    from ssi_kit.simulate import SimulationConfig

    out = tmp_path_factory.mktemp("data") / "tiny"
    simulate_to_dir(out, SimulationConfig(members=20, seed=6))
    return out


@pytest.fixture(scope="module")
def sellers(tiny):
    """The team's sellers, from the members table."""
    members = pd.read_csv(tiny / "members.csv", dtype=str)
    return set(members.loc[members["team"] == TEAM, "member_id"])


@pytest.fixture(scope="module")
def team_run(tiny, tmp_path_factory):
    """A stand-alone report of team T1."""
    return run_report(tiny, tmp_path_factory.mktemp("team") / "T1", parameters={"every": EVERY, "team": TEAM})


@pytest.fixture(scope="module")
def organisation(tiny):
    """The organisation's views computed here, in process, independently of the notebooks."""
    return build_views(load_dataset(tiny), every=EVERY)


@pytest.fixture(scope="module")
def batch(tiny, tmp_path_factory):
    """A batch of T1 and T2 (sharing one stage) and a run refused for its dates; (summary, folder)."""
    folder = tmp_path_factory.mktemp("batch")
    spec = {"dataset": str(tiny), "out": "out/{name}", "parallel": 2, "timeout": 900, "retries": 0,
            "parameters": {"every": EVERY},
            "runs": [{"name": "team-T1", "parameters": {"team": "T1", "title": "T1 weekly"}},
                     {"name": "team-T2", "parameters": {"team": "T2", "movers": 2}},
                     {"name": "bad", "parameters": {"start": "2020-01-01", "end": "2020-01-31"}}]}
    (folder / "runs.yaml").write_text(yaml.safe_dump(spec))
    return run_batch(folder / "runs.yaml"), folder / "out"


def test_unknown_team_is_refused_first_listing_the_valid_teams(tiny, tmp_path):
    """Refused from the members table alone: a broken activity table is not even read."""
    data = tmp_path / "data"
    shutil.copytree(tiny, data)
    (data / "activity.csv").write_text("member_id,date,posts\nm0001,not a date,x\n")
    res = subprocess.run([sys.executable, "-m", "ssi_kit", "-q", "report", str(data), "--out",
                          str(tmp_path / "out"), "-p", "team=T99"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 2, res.stderr
    assert "Parameter team" in res.stderr and "T1, T2, T3, T4, T5, T6, T7, T8" in res.stderr
    assert "'T99'" in res.stderr and "activity" not in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "out").exists()


def test_every_table_of_a_team_run_holds_the_team_only(team_run, sellers):
    scores = pd.read_csv(team_run / "scores.csv", dtype={"member_id": str})
    assert set(scores["team"]) == {TEAM} and set(scores["member_id"]) == sellers
    for name in ("scores.parquet", "readings.parquet", "tracking_scores.parquet"):
        table = pd.read_parquet(team_run / name)
        assert set(table["team"].astype(str)) == {TEAM}, name
        assert set(table["member_id"].astype(str)) == sellers, name
        for col in {"member_id", "team", "industry"} & set(table.columns):  # no level of another team survives
            if isinstance(table[col].dtype, pd.CategoricalDtype):
                assert set(table[col].cat.categories) == set(table[col].astype(str)), (name, col)
    assert (pd.read_csv(team_run / "tracking.csv")["sellers"] <= len(sellers)).all()


def test_tracking_is_recomputed_over_the_team(team_run, organisation):
    """tracking.csv equals readings.tracking on the team's rows of the organisation's pairs."""
    paired, observed = organisation.tracking_scores, organisation.observed
    expected = readings.tracking(paired[paired["team"].astype(str) == TEAM],
                                 observed[observed["team"].astype(str) == TEAM])
    written = pd.read_csv(team_run / "tracking.csv")
    pd.testing.assert_frame_equal(written, expected.reset_index(drop=True), check_dtype=False)
    assert (written["pairs"] > 0).all()


def test_workbook_sheets_with_sellers_or_teams_hold_the_team_only(team_run, sellers):
    book = openpyxl.load_workbook(team_run / "report.xlsx", read_only=True)
    checked = 0
    for sheet in book.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        header = [str(h) for h in rows[0]] if rows else []
        for col, allowed in (("Team", {TEAM}), ("Seller", sellers)):
            if col in header:
                values = {r[header.index(col)] for r in rows[1:] if r[header.index(col)] is not None}
                assert values and values <= allowed, (sheet.title, col, values - allowed)
                checked += 1
    assert checked >= 4  # snapshot, roster, readings, computed scores, pillars, movers


def test_pillars_by_team_hold_the_team_only(team_run):
    views = read_views(team_run)  # no team argument: the run folder holds the team's rows
    table = summaries.pillars_by(views.shown, by="team")
    assert list(table["team"].astype(str)) == [TEAM]
    assert (team_run / "figures" / "pillars_by_team.png").is_file()


def test_ranks_are_the_organisations(team_run, organisation, sellers):
    """A seller's rank does not change with the report's filter: it is computed on everyone."""
    keys = ["member_id", "date"]
    team = pd.read_parquet(team_run / "scores.parquet").astype({"member_id": str})
    whole = organisation.computed.astype({"member_id": str})
    both = team[keys + RANKS].merge(whole[keys + RANKS], on=keys, suffixes=("", "_org"))
    assert len(both) == len(team) > 0
    for rank in RANKS:
        pd.testing.assert_series_equal(both[rank], both[f"{rank}_org"], check_names=False)


def test_claims_are_organisation_wide_and_the_views_say_so(team_run, organisation):
    views = read_views(team_run)
    assert views.scope.team == TEAM and views.scope.is_organisation_wide("claims")
    assert not views.scope.is_organisation_wide("roster")
    assert f"not team {TEAM} alone" in views.scope.note("claims")
    assert json.loads((team_run / "scope.json").read_text())["organisation_wide"] == ["claims"]
    claims = json.loads((team_run / "claims.json").read_text())
    tested = [c for c in claims["claims"] if c.get("n_sellers")]
    assert tested and max(c["n_sellers"] for c in tested) > organisation.computed.loc[
        organisation.computed["team"].astype(str) == TEAM, "member_id"].nunique()


def test_a_batch_scores_and_tests_once_and_matches_stand_alone_runs(batch, team_run):
    summary, out = batch
    rows = summary.set_index("name")
    assert list(rows.loc[["team-T1", "team-T2"], "status"]) == ["ok", "ok"]
    assert rows.loc["bad", "status"] == "failed" and "start" in rows.loc["bad", "message"]
    assert rows.loc["team-T1", "stage"] == rows.loc["team-T2", "stage"] != ""
    manifests = [json.loads((out / name / "manifest.json").read_text()) for name in ("team-T1", "team-T2")]
    shared = {m["reused"]["manifest_sha256"] for m in manifests}
    assert len(shared) == 1  # both reused the one stage: the organisation was scored and tested once
    for name in ("team-T1", "team-T2"):
        score_nb = (out / name / "01_score.ipynb").read_text()
        claims_nb = (out / name / "02_claims.ipynb").read_text()
        assert "reused the organisation's scores" in score_nb
        assert "reused the organisation's claims" in claims_nb
    for name in ("scores.csv", "claims.csv", "tracking.csv", "specifications.csv"):
        assert (out / "team-T1" / name).read_bytes() == (team_run / name).read_bytes(), name
    t2 = pd.read_csv(out / "team-T2" / "scores.csv")
    assert set(t2["team"]) == {"T2"}


def test_reuse_must_match_the_dataset_and_parameters(team_run, tmp_path):
    """A folder whose inputs, parameters or files differ is refused, never silently recomputed."""
    folder = tmp_path / "org"
    shutil.copytree(team_run, folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    inputs, params = manifest["inputs"], {"every": EVERY}
    with pytest.raises(UsageError, match="it is a team run"):
        check_reuse(folder, inputs, params)
    manifest["parameters"] = {"every": EVERY}  # as if organisation-wide
    (folder / "manifest.json").write_text(json.dumps(manifest))
    assert check_reuse(folder, inputs, {**params, "team": "T2", "title": "x"})["folder"] == str(folder)
    with pytest.raises(UsageError, match=r"parameters differ \(every\)"):
        check_reuse(folder, inputs, {"every": 28})
    other = {**inputs, "ssi": {**inputs["ssi"], "sha256": "0" * 64}}
    with pytest.raises(UsageError, match=r"dataset differs \(tables ssi\)"):
        check_reuse(folder, other, params)
    (folder / "scores.csv").write_text("member_id\n")
    with pytest.raises(UsageError, match="files changed since it ran .*scores.csv"):
        check_reuse(folder, inputs, params)


def test_a_stage_is_the_whole_organisation(tiny, tmp_path):
    with pytest.raises(UsageError, match="whole organisation: do not give it a team"):
        run_report(tiny, tmp_path / "stage", parameters={"team": TEAM}, stage=True)
    with pytest.raises(UsageError, match="set by ssi-kit itself"):
        run_report(tiny, tmp_path / "stage", parameters={"reuse": str(tmp_path)})
    assert not (tmp_path / "stage").exists()
