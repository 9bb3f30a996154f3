"""What changed between two dates: pillar and input changes that add up, on hand-made scores."""
import numpy as np
import pandas as pd
import pytest

from ssi_kit.report import summaries
from ssi_kit.scoring import tier_of
from ssi_kit.report.changes import explain_change, largest_pillar, value_on

PILLARS = ("brand", "people", "insights", "relationships")
INPUTS = {"brand": ("photo", "posts"), "people": ("searches", "leads"),
          "insights": ("shares", "comments"), "relationships": ("connections_built", "peers")}


def computed_scores(points: dict) -> pd.DataFrame:
    """Computed scores from {(member, team, date): [8 input points, in INPUTS order]}."""
    rows = []
    for (member, team, date), values in points.items():
        row = {"member_id": member, "team": team, "date": pd.Timestamp(date)}
        it = iter(values)
        for pillar in PILLARS:
            for name in INPUTS[pillar]:
                row[f"{pillar}__{name}"] = float(next(it))
            row[pillar] = sum(row[f"{pillar}__{n}"] for n in INPUTS[pillar])
        row["ssi"] = sum(row[p] for p in PILLARS)
        rows.append(row)
    frame = pd.DataFrame(rows)
    return frame.assign(tier=tier_of(frame["ssi"]))


SCORES = computed_scores({
    ("a", "North", "2026-01-01"): [1, 2, 3, 4, 5, 6, 7, 8],
    ("a", "North", "2026-01-15"): [1, 3, 3, 4, 5, 6, 7, 8],
    ("a", "North", "2026-01-29"): [1, 5, 3, 9, 5, 4, 7, 8],
    ("b", "North", "2026-01-01"): [2, 2, 2, 2, 2, 2, 2, 2],
    ("b", "North", "2026-01-29"): [2, 2, 2, 2, 2, 2, 2, 1],
    ("c", "South", "2026-01-01"): [0, 0, 0, 0, 0, 0, 0, 0],
    ("c", "South", "2026-01-29"): [4, 4, 4, 4, 4, 4, 4, 4],
})


def _value(table, key, level, pillar="", name=""):
    rows = table[(table.iloc[:, 0] == key) & (table["level"] == level) & (table["pillar"] == pillar)
                 & (table["input"] == name)]
    assert len(rows) == 1, (key, level, pillar, name)
    return rows.iloc[0]


def test_default_span_is_latest_day_and_28_days_before_per_seller():
    table = explain_change(SCORES)
    assert table.attrs["start"] == pd.Timestamp("2026-01-01")
    assert table.attrs["end"] == pd.Timestamp("2026-01-29")
    a = _value(table, "a", "ssi")
    assert (a["before"], a["after"], a["change"]) == (36.0, 42.0, 6.0)  # 1+..+8 = 36; +3 +5 -2
    assert _value(table, "a", "pillar", "people")["change"] == 5.0  # leads 4 -> 9
    assert _value(table, "a", "input", "insights", "comments")["change"] == -2.0
    assert _value(table, "b", "ssi")["change"] == -1.0
    assert _value(table, "c", "input", "brand", "photo")["change"] == 4.0


def test_changes_add_up_inputs_to_pillars_to_ssi():
    for by in ("member_id", "team", None):
        table = explain_change(SCORES, by=by)
        key = table.columns[0]
        inputs = table[table["level"] == "input"].groupby([key, "pillar"])["change"].sum()
        pillars = table[table["level"] == "pillar"].set_index([key, "pillar"])["change"]
        np.testing.assert_allclose(inputs.sort_index(), pillars.sort_index(), atol=1e-9)
        total = table[table["level"] == "ssi"].set_index(key)["change"]
        np.testing.assert_allclose(pillars.groupby(level=0).sum().sort_index(), total.sort_index(), atol=1e-9)


def test_team_and_all_are_means_over_sellers_on_both_days():
    teams = explain_change(SCORES, by="team")
    north = _value(teams, "North", "ssi")
    assert north["sellers"] == 2 and north["change"] == pytest.approx((6.0 - 1.0) / 2)
    everyone = explain_change(SCORES, by=None)
    assert everyone.columns[0] == "group"
    assert _value(everyone, "all sellers", "ssi")["change"] == pytest.approx((6 - 1 + 32) / 3)


def test_explicit_dates_snap_to_the_scored_day_on_or_before():
    table = explain_change(SCORES, start="2026-01-20", end="2026-01-30")
    assert table.attrs["start"] == pd.Timestamp("2026-01-15") and table.attrs["end"] == pd.Timestamp("2026-01-29")
    assert set(table["member_id"]) == {"a"}  # only a was scored on 2026-01-15
    assert _value(table, "a", "ssi")["change"] == 5.0  # 37 -> 42


def test_readings_give_pillars_and_the_computed_score_gives_inputs():
    readings = pd.DataFrame({
        "member_id": ["a", "a", "b", "b"], "team": "North",
        "date": pd.to_datetime(["2026-01-02", "2026-01-30", "2025-12-30", "2026-01-27"]),
        "brand": [5.0, 7.0, 10, 9], "people": [5.0, 6, 10, 10], "insights": [5.0, 5, 10, 10],
        "relationships": [5.0, 5, 10, 10], "ssi": [20.0, 23, 40, 39]})
    table = explain_change(readings, computed=SCORES, source="observed")
    assert table.attrs["start"] == pd.Timestamp("2026-01-02") and table.attrs["end"] == pd.Timestamp("2026-01-30")
    assert _value(table, "a", "ssi")["change"] == 3.0
    b = _value(table, "b", "pillar", "brand")  # b's readings 3 days before each day count
    assert (b["before"], b["after"]) == (10.0, 9.0)
    assert _value(table, "a", "pillar", "brand")["source"] == "LinkedIn's reading"
    name = _value(table, "a", "input", "people", "leads")
    assert name["source"] == "the kit's computed score" and name["change"] == 5.0


def test_value_on_ignores_rows_older_than_the_tolerance():
    got = value_on(SCORES, "2026-01-10", ["ssi"])  # a's and b's rows of 2026-01-01 are 9 days old
    assert got.empty
    got = value_on(SCORES, "2026-01-20", ["ssi"])
    assert got.set_index("member_id")["ssi"].to_dict() == {"a": 37.0}


def test_unknown_grouping_is_refused():
    with pytest.raises(ValueError, match="by must be"):
        explain_change(SCORES, by="industry")


def test_movers_rank_four_week_changes_with_the_pillar_that_moved_most():
    movers = summaries.movers(SCORES, n=2)
    assert movers[["direction", "member_id"]].values.tolist() == [["up", "c"], ["up", "a"], ["down", "b"]]
    row = movers.set_index("member_id").loc["a"]
    assert row["ssi_change_28d"] == 6.0 and row["pillar_moved_most"] == "people" and row["pillar_change"] == 5.0
    assert largest_pillar(explain_change(SCORES)).set_index("member_id").loc["b", "pillar_change"] == -1.0
