"""The roster: one row per seller, points still available from the spec's weights, the next action."""
import numpy as np
import pandas as pd
import pytest

from ssi_kit.report.roster import build_roster, next_action, points_available
from test_report_changes import INPUTS, PILLARS, SCORES, computed_scores
from conftest import simple_spec

WEIGHTS = {"photo": 10, "posts": 15, "searches": 5, "leads": 20, "shares": 12.5, "comments": 12.5,
           "connections_built": 20, "peers": 5}


def spec():
    return simple_spec({p: [{"name": n, "source": "activity", "columns": ["posts"], "window": 30,
                             "transform": "linear", "target": 1, "weight": WEIGHTS[n],
                             "why": f"why {n}"} for n in INPUTS[p]] for p in PILLARS})


@pytest.fixture(scope="module")
def roster():
    scores = SCORES.assign(industry_top_pct=[50.0, 40, 30, 20, 10, 90, 80],
                           network_top_pct=[1.0, 2, 3, 4, 5, 6, 7])
    return build_roster(scores, spec=spec()).set_index("member_id")


def test_points_available_are_weight_minus_points_on_the_latest_day():
    table = points_available(SCORES, spec())
    a = table[table["member_id"] == "a"].set_index("input")
    # a on 2026-01-29: photo 1, posts 5, searches 3, leads 9, shares 5, comments 4, connections 7, peers 8
    expected = {"photo": 9, "posts": 10, "searches": 2, "leads": 11, "shares": 7.5, "comments": 8.5,
                "connections_built": 13, "peers": 0}  # peers 8 > weight 5: nothing left, never negative
    assert a["available"].to_dict() == expected
    assert list(a.index[:3]) == ["connections_built", "leads", "posts"]  # largest first


def test_one_row_per_seller_sorted_by_points_within_reach(roster):
    assert list(roster.index) == ["b", "c", "a"]  # SSI 15, 32, 42: 85, 68, 58 points within reach
    assert roster["points_within_reach"].is_monotonic_decreasing
    assert roster.loc["a", "ssi"] == 42.0 and roster.loc["a", "date"] == pd.Timestamp("2026-01-29")


def test_four_week_change_against_the_value_28_days_earlier(roster):
    assert roster.loc["a", "ssi_change_28d"] == 6.0
    assert roster.loc["c", "ssi_change_28d"] == 32.0
    late = SCORES[~((SCORES["member_id"] == "b") & (SCORES["date"] == "2026-01-01"))]
    assert np.isnan(build_roster(late, spec=spec()).set_index("member_id").loc["b", "ssi_change_28d"])


def test_weakest_pillar_top_inputs_and_action(roster):
    a = roster.loc["a"]
    # a's pillars: brand 6, people 12, insights 9, relationships 15 -> brand misses 19 of 25
    assert a["weakest_pillar"] == "brand" and a["weakest_pillar_missing"] == 19.0
    assert a["top_inputs"] == "Connections built (13.0); Leads (11.0); Posts (10.0)"
    assert a["next_action"] == "Build more connections: 13.0 of 20.0 points still available (Build relationships)"


def test_ranks_are_the_kits_within_this_organisation_for_computed_scores(roster):
    assert roster.loc["c", "industry_top_pct"] == 80.0 and roster.loc["c", "network_top_pct"] == 7.0
    assert "industry_top_pct_org" not in roster.columns  # source "computed": labelled within this organisation


def _readings(ranks: bool):
    frame = pd.DataFrame({"member_id": ["a", "a", "b"], "team": "North", "tier": "middle",
                          "date": pd.to_datetime(["2026-01-02", "2026-01-30", "2026-01-30"]),
                          "brand": [5.0, 7, 20], "people": [5.0, 3, 20], "insights": [5.0, 5, 20],
                          "relationships": [5.0, 5, 1], "ssi": [20.0, 20, 61]})
    if ranks:
        frame = frame.assign(industry_top_pct=[9.0, 8, 7], network_top_pct=[3.0, 2, 1])
    return frame


def test_readings_only_give_a_pillar_level_action_and_linkedins_ranks():
    roster = build_roster(_readings(ranks=True), source="observed").set_index("member_id")
    assert roster.loc["a", "weakest_pillar"] == "people" and roster.loc["a", "weakest_pillar_missing"] == 22.0
    assert roster.loc["a", "next_action"] == "Work on Find the right people: 22.0 of 25.0 points still available"
    assert roster.loc["b", "weakest_pillar"] == "relationships" and roster.loc["a", "top_inputs"] == ""
    assert roster.loc["a", "industry_top_pct"] == 8.0 and roster.loc["a", "ssi_change_28d"] == 0.0


def test_readings_with_computed_scores_take_inputs_from_the_computed_score():
    roster = build_roster(_readings(ranks=False), computed=SCORES.assign(
        industry_top_pct=1.0, network_top_pct=2.0), spec=spec(), source="observed").set_index("member_id")
    assert roster.loc["a", "ssi"] == 20.0  # LinkedIn's reading is shown
    assert roster.loc["a", "weakest_pillar"] == "people"  # from the readings' pillars
    assert roster.loc["a", "next_action"].startswith("Build more connections: 13.0 of 20.0")
    assert roster.loc["a", "industry_top_pct_org"] == 1.0  # readings without ranks: the kit's, named so
    assert "industry_top_pct" not in roster.columns


def test_a_full_marks_input_is_never_listed():
    full = computed_scores({("z", "T", "2026-01-01"): [10, 15, 5, 20, 12.5, 12.5, 20, 4]})
    roster = build_roster(full, spec=spec())
    assert roster.loc[0, "top_inputs"] == "Ties to colleagues (1.0)"


def test_unknown_input_action_names_its_columns():
    assert next_action("people", "saved_things", 2.0, 4.0, ("leads_saved",)) == (
        "Raise saved things (leads saved): 2.0 of 4.0 points still available (Find the right people)")
