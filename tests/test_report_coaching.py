"""The report's coaching: the plan in the roster, the team's best action, what moves LinkedIn's score."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ssi_kit.drivers import explain_rank_change, fit_drivers
from ssi_kit.io import load_dataset
from ssi_kit.io.dataset import Dataset
from ssi_kit.report import coaching
from ssi_kit.report.narrative import first_step_sentence
from ssi_kit.report.roster import build_roster
from ssi_kit.scoring import load_spec, score_dataset

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
DAY = pd.Timestamp("2026-09-30")


@pytest.fixture(scope="module")
def sample():
    return load_dataset(SAMPLE, tables=["members", "activity", "profiles", "ssi", "connections"])


@pytest.fixture(scope="module")
def coach(sample):
    return coaching.coach_plan(sample, spec=load_spec(), day=DAY)


@pytest.fixture(scope="module")
def team_members(sample):
    members = sample["members"].astype({"member_id": str, "team": str})
    return members.loc[members["team"] == "T3", "member_id"].tolist()


def test_no_plan_without_activity_or_day(sample):
    assert coaching.coach_plan(sample, day=None) is None
    readings_only = Dataset(tables={t: sample[t] for t in ("members", "ssi")})
    assert coaching.coach_plan(readings_only, day=DAY) is None


def test_coaching_columns_are_the_plans_top_three(coach):
    cols = coaching.coaching_columns(coach, ["m0001", "m0002", "nobody"]).set_index("member_id")
    for member in ("m0001", "m0002"):
        rows = coach.table[coach.table["member_id"] == member].sort_values("rank").head(3)
        assert cols.loc[member, "top_actions_gain"] == pytest.approx(rows["gain"].sum(), abs=1e-12)
        words = [f"{a}: +{g:.1f} points" for a, g in zip(rows["action"], rows["gain"])]
        assert cols.loc[member, "top_actions"] == "; ".join(words)
        assert cols.loc[member, "first_action"] == words[0]
        assert coach.describe(member) == words
    assert cols.loc["nobody", "top_actions"] == "" and cols.loc["nobody", "top_actions_gain"] == 0.0


def test_first_action_gain_equals_rescoring_the_profile_change(sample, coach):
    """An independent check of one roster number: a profile action done by hand and re-scored."""
    rows = coach.table[coach.table["column"].isin(["has_cover", "has_photo", "has_headline", "has_summary"])]
    member, column, gain = rows.iloc[0][["member_id", "column", "gain"]]
    profiles = sample["profiles"]
    latest = profiles[(profiles["member_id"] == member) & (profiles["date"] <= DAY)].sort_values("date").iloc[[-1]]
    changed = pd.concat([profiles[~((profiles["member_id"] == member) & (profiles["date"] == DAY))],
                         latest.assign(date=DAY, **{column: True})]).sort_values(["member_id", "date"])
    day = np.array([np.datetime64(DAY.date(), "D")])
    before = score_dataset(sample, days=day).set_index("member_id").loc[member, "ssi"]
    after = score_dataset(Dataset(tables={**sample.tables, "profiles": changed.reset_index(drop=True)}),
                          days=day).set_index("member_id").loc[member, "ssi"]
    assert after - before == pytest.approx(gain, abs=1e-6)


def test_lift_action_matches_the_plans_team_action_and_a_hand_sum(coach, team_members):
    step = coaching.lift_action(coach, team_members)
    team = coach.team_action("T3")
    assert step["column"] == team["column"] and step["action"] == team["action"]
    assert step["mean_gain"] == pytest.approx(team["mean_gain"], abs=1e-6)
    cand = coach.candidates[coach.candidates["member_id"].isin(team_members)]
    totals = cand.groupby("column")["gain"].sum()
    assert step["column"] == totals.idxmax()
    assert step["mean_gain"] == pytest.approx(totals.max() / len(team_members), abs=1e-12)
    assert step["sellers"] == len(team_members) and step["weeks"] == 4 and step["day"] == DAY


def test_team_actions_one_row_per_team(coach, sample):
    roster = sample["members"][["member_id", "team"]].astype(str)
    table = coaching.team_actions(coach, roster)
    assert list(table["team"]) == sorted(roster["team"].unique())
    for r in table.itertuples():
        assert r.mean_gain == pytest.approx(coach.team_action(r.team)["mean_gain"], abs=1e-6)
    note = coaching.plan_note(coach, table.iloc[[2]], team=table["team"].iloc[2])
    assert f"team {table['team'].iloc[2]} most" in note and f"+{table['mean_gain'].iloc[2]:.1f} points" in note
    assert "100 minus the SSI" in coaching.plan_note(coach, table)
    assert coaching.plan_note(None, None).startswith("_No coaching plan")
    assert "not calibrated to this team's readings" in coaching.plan_note(coach, table)


def test_note_quotes_a_calibrated_specs_error(coach, sample):
    """The error calibrate wrote beside the spec (total MAE, start spec's MAE) reaches the roster note."""
    from dataclasses import replace

    errors = [{"pillar": "ssi", "spec": "calibrated", "mae": 0.4321}, {"pillar": "ssi", "spec": "default", "mae": 6.5}]
    calibrated = replace(coach, calibration={"report": {"folds": 5, "errors": errors}})
    note = coaching.plan_note(calibrated, coaching.team_actions(coach, sample["members"][["member_id", "team"]]))
    note = note.replace("\\", "")  # Markdown escapes (the record is a file)
    assert "held-out error 0.43 points of SSI" in note and "against 6.50 for the start spec" in note
    assert "5-fold cross-validation by seller" in note


def test_roster_with_plan(sample, coach):
    spec = load_spec()
    days = np.array([np.datetime64(DAY.date(), "D")])
    computed = score_dataset(sample, days=days)
    computed = computed[computed["member_id"].isin(["m0001", "m0002", "m0003"])]
    plain = build_roster(computed, spec=spec)
    roster = build_roster(computed, spec=spec, plan=coach).set_index("member_id")
    cols = list(roster.columns)
    at = list(plain.columns).index("top_inputs") - 1  # member_id is the index here
    assert cols[at:at + 2] == ["top_actions", "top_actions_gain"] and "next_action" not in cols
    assert roster.loc["m0001", "top_actions"] == "; ".join(coach.describe("m0001"))
    gains = coach.table[(coach.table["member_id"] == "m0002") & (coach.table["rank"] <= 3)]["gain"]
    assert roster.loc["m0002", "top_actions_gain"] == pytest.approx(gains.sum(), abs=1e-12)
    assert roster["top_actions_gain"].dtype == float
    assert np.allclose(roster["points_within_reach"], 100 - roster["ssi"])
    assert list(roster.index) == list(plain["member_id"])  # same order as without a plan


def test_first_step_sentence_from_the_plan(coach, team_members):
    step = coaching.lift_action(coach, team_members)
    text = first_step_sentence(None, None, step)
    assert text.startswith(f"What to do first: {step['action']}.")
    assert f"{step['mean_gain']:.1f} points higher" in text and "2026-09-30" in text
    assert text.endswith("under default spec).")


def test_spec_shown_by_file_name_only():
    assert coaching.spec_name("/home/me/secret/calibrated/spec.yaml") == "spec.yaml"
    assert coaching.spec_name("default spec") == "default spec"


def test_report_drivers_of_one_team_equal_fitting_the_team_alone(sample, team_members):
    fitted, reason = coaching.fit_report_drivers(sample, members=team_members)
    assert reason is None
    keep = {t: sample[t][sample[t]["member_id"].isin(team_members)] for t in ("members", "ssi", "activity")}
    direct = fit_drivers(Dataset(tables=keep), weeks=4)
    pd.testing.assert_frame_equal(fitted.table, direct.table)
    t = direct.table[direct.table["outcome"] == "ssi"]
    lead, spec_text, how = coaching.drivers_sentences(fitted)
    best = t[t["ci_low"] > 0].sort_values("estimate", ascending=False).iloc[0]
    assert f"{coaching.column_words(best['column'])} ({best['estimate']:+.2f})" in lead
    assert f"disagree on {int(t['disagrees'].sum())} of {len(t)} columns" in spec_text
    assert "clustered by seller" in how and f"{len(team_members)} sellers" in how
    view = coaching.drivers_view(fitted)
    assert not any("_" in c for c in view.columns)
    ssi_rows = view[view["Score"] == "SSI (total)"]
    assert np.allclose(ssi_rows["Estimate (points)"], t["estimate"]) and len(ssi_rows) == len(t)
    assert not ssi_rows.iloc[:, 1].str.contains("_").any()
    p = t["p_value"].to_numpy()
    assert list(ssi_rows["p-value"]) == ["<0.001" if x < 0.001 else f"{x:.3f}" for x in p]


def test_report_drivers_say_why_they_cannot_fit(sample):
    readings_only = Dataset(tables={t: sample[t] for t in ("members", "ssi")})
    fitted, reason = coaching.fit_report_drivers(readings_only)
    assert fitted is None and "activity" in reason
    activity_only = Dataset(tables={t: sample[t] for t in ("members", "activity")})
    fitted, reason = coaching.fit_report_drivers(activity_only)
    assert fitted is None and "ssi" in reason


def test_rank_changes_split_adds_up(sample):
    table, reasons = coaching.rank_changes(sample["ssi"], "m0001", "2026-09-01", DAY)
    assert reasons == [] and len(table) == 2
    row = table.iloc[0]
    direct = explain_rank_change(sample["ssi"], "m0001", "2026-09-01", DAY, rank="industry")
    assert row["Own SSI change's part"] == pytest.approx(direct.own)
    assert row["Own SSI change's part"] + row["Group drift's part"] == pytest.approx(row["Change (points)"])
    _, reasons = coaching.rank_changes(sample["ssi"], "nobody", "2026-09-01", DAY)
    assert len(reasons) == 2 and "nobody" in reasons[0]
