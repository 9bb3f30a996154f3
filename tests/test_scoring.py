"""Scoring against numbers computed by hand from the transform definitions.

Transforms (ssi_kit/scoring/default_spec.yaml):
  linear: min(x / t, 1);  log: min(log1p(x) / log1p(t), 1);  exp: 1 - 0.05 ** (x / t)
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from conftest import identity_spec, simple_spec, write_tables
from ssi_kit.exceptions import MissingTableError, UsageError
from ssi_kit.io import load_dataset
from ssi_kit.io.safe_yaml import dump_yaml
from ssi_kit.jobs import score_to_dir
from ssi_kit.scoring import SCORE_COLUMNS, apply_transform, band_of, score_dataset, score_days, tier_of

DESIGN_COLUMNS = ["member_id", "date", "brand", "people", "insights", "relationships", "ssi",
                  "tier", "industry_top_pct", "network_top_pct"]
TOL = 2e-6  # pillars and ranks are rounded to 6 decimals

# ---------------------------------------------------------------------------
# transforms, tiers, bands


@pytest.mark.parametrize("transform,x,target,expected", [
    ("linear", 0, 4, 0.0), ("linear", 3, 4, 0.75), ("linear", 4, 4, 1.0), ("linear", 9, 4, 1.0),
    ("log", 0, 3, 0.0), ("log", 1, 3, math.log(2) / math.log(4)), ("log", 3, 3, 1.0),
    ("log", 50, 3, 1.0), ("log", 8, 9, math.log(9) / math.log(10)),
    ("exp", 0, 10, 0.0), ("exp", 10, 10, 0.95), ("exp", 20, 10, 1 - 0.05 ** 2),
    ("exp", 5, 10, 1 - 0.05 ** 0.5),
])
def test_apply_transform(transform, x, target, expected):
    got = apply_transform(np.array([x], dtype=float), transform, target)
    assert got[0] == pytest.approx(expected, abs=1e-12)


def test_apply_transform_clips_negative_to_zero():
    for t in ("linear", "log", "exp"):
        assert apply_transform(np.array([-5.0]), t, 3)[0] == 0.0


@pytest.mark.parametrize("ssi,tier", [(0, "laggard"), (29.999, "laggard"), (30, "middle"),
                                      (50, "middle"), (70, "middle"), (70.000001, "leader"),
                                      (100, "leader")])
def test_tier(ssi, tier):
    assert tier_of([ssi])[0] == tier


@pytest.mark.parametrize("ssi,band", [(0, "poor"), (39.99, "poor"), (40, "average"),
                                      (69.99, "average"), (70, "good"), (100, "good")])
def test_band(ssi, band):
    assert band_of([ssi])[0] == band


# ---------------------------------------------------------------------------
# a hand-made dataset and spec, every number worked out below

HAND_SPEC = {
    "brand": [
        {"name": "posts", "source": "activity", "columns": ["posts"], "window": 7,
         "transform": "linear", "target": 4, "weight": 10},
        {"name": "look", "source": "profile", "columns": ["has_photo", "has_headline"],
         "transform": "linear", "target": 2, "weight": 5},
        {"name": "skills", "source": "profile", "columns": ["skills"],
         "transform": "log", "target": 9, "weight": 10},
    ],
    "people": [
        {"name": "searches", "source": "activity", "columns": ["searches"], "window": "all",
         "transform": "exp", "target": 10, "weight": 15},
        {"name": "days", "source": "active_days", "window": 7, "transform": "linear",
         "target": 5, "weight": 10},
    ],
    "insights": [
        {"name": "talk", "source": "activity", "columns": ["messages_sent", "shares"], "window": 3,
         "transform": "linear", "target": 10, "weight": 25},
    ],
    "relationships": [
        {"name": "peers", "source": "peers", "transform": "linear", "target": 4, "weight": 20},
        {"name": "inv", "source": "activity", "columns": ["invitations_accepted"],
         "transform": "log", "target": 3, "weight": 5},  # window: window_days = 30
    ],
}

# scored day D = 2024-03-10; comments give days before D
HAND_TABLES = {
    "members": """\
        member_id,industry,team
        a,Software,X
        b,Software,X
        c,Software,Y
        d,Retail,
        """,
    "activity": """\
        member_id,date,posts,searches,invitations_accepted,messages_sent,shares
        a,2024-02-01,9,4,1,,
        a,2024-02-09,,0,2,,
        a,2024-02-10,,,1,,
        a,2024-03-03,5,,,0,
        a,2024-03-04,1,,,,
        a,2024-03-07,,,,4,
        a,2024-03-08,,,,2,1
        a,2024-03-09,0,0,0,0,0
        a,2024-03-10,2,6,,,3
        a,2024-03-11,100,100,100,100,100
        """,
    # 2024-02-01: 39 days; 02-09: 30 (out of 30); 02-10: 29 (in); 03-03: 7 (out of 7);
    # 03-04: 6 (in); 03-07: 3 (out of 3); 03-08: 2 (in); 03-09: an all-zero row (not active);
    # 03-11: after D (never counted)
    "profiles": """\
        member_id,date,has_photo,has_headline,skills
        a,2024-01-01,true,false,3
        a,2024-03-10,true,true,8
        a,2024-03-12,true,true,100
        b,2024-03-11,true,true,9
        c,2024-01-01,yes,,
        """,
    # a-b listed three times (once reversed): one tie
    "connections": """\
        member_id,connection_id
        a,b
        b,a
        a,b
        a,c
        """,
}

D = "2024-03-10"
LN = math.log

# seller a on D
A_BRAND = 10 * min(3 / 4, 1) + 5 * min(2 / 2, 1) + 10 * LN(1 + 8) / LN(1 + 9)
A_PEOPLE = 15 * (1 - 0.05 ** (10 / 10)) + 10 * min(4 / 5, 1)
A_INSIGHTS = 25 * min(6 / 10, 1)
A_REL = 20 * min(2 / 4, 1) + 5 * LN(1 + 1) / LN(1 + 3)
A_SSI = A_BRAND + A_PEOPLE + A_INSIGHTS + A_REL
# seller a on D - 7 = 2024-03-03
A7_BRAND = 10 * min(5 / 4, 1) + 5 * min(1 / 2, 1) + 10 * LN(1 + 3) / LN(1 + 9)
A7_PEOPLE = 15 * (1 - 0.05 ** (4 / 10)) + 10 * min(1 / 5, 1)
A7_INSIGHTS = 0.0
A7_REL = 20 * min(2 / 4, 1) + 5 * min(LN(1 + 3) / LN(1 + 3), 1)
A7_SSI = A7_BRAND + A7_PEOPLE + A7_INSIGHTS + A7_REL
B_SSI = 20 * 1 / 4             # one peer; its profile is dated after D
C_SSI = 20 * 1 / 4 + 5 * 1 / 2  # one peer, a photo (headline blank counts 0)
D_SSI = 0.0


@pytest.fixture
def hand(tmp_path):
    ds = load_dataset(write_tables(tmp_path / "hand", HAND_TABLES))
    spec = simple_spec(HAND_SPEC, window_days=30)
    scores = score_dataset(ds, spec=spec, days=[D])
    return scores.set_index("member_id")


def test_hand_values_are_what_the_comments_say():
    assert A_BRAND == pytest.approx(7.5 + 5 + 9.542425094, abs=1e-8)
    assert A_PEOPLE == pytest.approx(14.25 + 8)
    assert A_INSIGHTS == 15 and A_REL == pytest.approx(12.5)
    assert A_SSI == pytest.approx(71.792425094, abs=1e-8)


def test_hand_pillars_seller_a(hand):
    a = hand.loc["a"]
    assert a["date"] == pd.Timestamp(D)
    assert a["brand"] == pytest.approx(A_BRAND, abs=TOL)
    assert a["people"] == pytest.approx(A_PEOPLE, abs=TOL)
    assert a["insights"] == pytest.approx(A_INSIGHTS, abs=TOL)
    assert a["relationships"] == pytest.approx(A_REL, abs=TOL)
    assert a["ssi"] == pytest.approx(A_SSI, abs=TOL)
    assert a["tier"] == "leader" and a["band"] == "good"


def test_hand_contributions_seller_a(hand):
    a = hand.loc["a"]
    expected = {
        "brand__posts": 7.5,                      # posts 1 (03-04) + 2 (D); 5 on 03-03 is out
        "brand__look": 5.0,                       # snapshot of D itself: photo + headline
        "brand__skills": 10 * LN(9) / LN(10),     # skills 8 on D; 100 on 03-12 not used
        "people__searches": 14.25,                # 4 + 0 + 6 over all history, 03-11 excluded
        "people__days": 8.0,                      # 03-04, 03-07, 03-08, D; 03-09 all zero
        "insights__talk": 15.0,                   # 2 + 1 (03-08) + 3 (D); 4 on 03-07 is out
        "relationships__peers": 10.0,             # b and c; duplicate and reversed a-b once
        "relationships__inv": 2.5,                # only 02-10 (29 days); 02-09 (30 days) out
    }
    for col, value in expected.items():
        assert a[col] == pytest.approx(value, abs=TOL), col


def test_hand_other_sellers(hand):
    assert hand.loc["b", "ssi"] == pytest.approx(B_SSI, abs=TOL)
    assert hand.loc["b", "brand"] == 0.0  # profile dated after the day is not used
    assert hand.loc["c", "brand"] == pytest.approx(2.5, abs=TOL)
    assert hand.loc["c", "brand__skills"] == 0.0
    assert hand.loc["c", "ssi"] == pytest.approx(C_SSI, abs=TOL)
    for p in ("brand", "people", "insights", "relationships", "ssi"):
        assert hand.loc["d", p] == 0.0
    assert list(hand["tier"]) == ["leader", "laggard", "laggard", "laggard"]
    assert list(hand["band"]) == ["good", "poor", "poor", "poor"]


def test_hand_ssi_change_7d(hand):
    assert A7_SSI == pytest.approx(18.520599913 + 15 * (1 - 0.05 ** 0.4) + 2 + 15, abs=1e-8)
    assert hand.loc["a", "ssi_change_7d"] == pytest.approx(A_SSI - A7_SSI, abs=5 * TOL)
    assert hand.loc["b", "ssi_change_7d"] == 0.0   # peers unchanged, nothing else
    assert hand.loc["d", "ssi_change_7d"] == 0.0


def test_hand_group_ranks_and_averages(hand):
    # Software: a 71.79, b 5, c 7.5 -> a top 1/3, c 2/3, b 3/3; Retail: d alone
    assert hand.loc["a", "industry_top_pct"] == pytest.approx(100 / 3, abs=TOL)
    assert hand.loc["b", "industry_top_pct"] == pytest.approx(100.0)
    assert hand.loc["c", "industry_top_pct"] == pytest.approx(200 / 3, abs=TOL)
    assert hand.loc["d", "industry_top_pct"] == pytest.approx(100.0)
    software = (A_SSI + B_SSI + C_SSI) / 3
    for m in "abc":
        assert hand.loc[m, "industry_avg_ssi"] == pytest.approx(software, abs=TOL)
    assert hand.loc["d", "industry_avg_ssi"] == 0.0
    # team X: a, b; Y: c; d has none
    assert hand.loc["a", "team_top_pct"] == pytest.approx(50.0)
    assert hand.loc["b", "team_top_pct"] == pytest.approx(100.0)
    assert hand.loc["c", "team_top_pct"] == pytest.approx(100.0)
    assert np.isnan(hand.loc["d", "team_top_pct"]) and np.isnan(hand.loc["d", "team_avg_ssi"])
    assert hand.loc["a", "team_avg_ssi"] == pytest.approx((A_SSI + B_SSI) / 2, abs=TOL)
    assert hand.loc["c", "team_avg_ssi"] == pytest.approx(C_SSI, abs=TOL)


def test_hand_network_ranks_and_averages(hand):
    # networks: a {a,b,c}; b {b,a}; c {c,a}; d {d}
    assert hand.loc["a", "network_top_pct"] == pytest.approx(100 / 3, abs=TOL)
    assert hand.loc["b", "network_top_pct"] == pytest.approx(100.0)
    assert hand.loc["c", "network_top_pct"] == pytest.approx(100.0)
    assert hand.loc["d", "network_top_pct"] == pytest.approx(100.0)
    assert hand.loc["a", "network_avg_ssi"] == pytest.approx((A_SSI + B_SSI + C_SSI) / 3, abs=TOL)
    assert hand.loc["b", "network_avg_ssi"] == pytest.approx((A_SSI + B_SSI) / 2, abs=TOL)
    assert hand.loc["c", "network_avg_ssi"] == pytest.approx((A_SSI + C_SSI) / 2, abs=TOL)
    assert hand.loc["d", "network_avg_ssi"] == 0.0


def test_hand_columns(hand):
    cols = list(hand.reset_index().columns)
    assert cols[:len(SCORE_COLUMNS)] == list(SCORE_COLUMNS)
    assert cols[len(SCORE_COLUMNS):] == [
        "brand__posts", "brand__look", "brand__skills", "people__searches", "people__days",
        "insights__talk", "relationships__peers", "relationships__inv"]
    assert set(DESIGN_COLUMNS) <= set(cols)


# ---------------------------------------------------------------------------
# the trailing window boundary, one activity row at a time

WINDOW_SPEC = {p: [{"name": "posts", "source": "activity", "columns": ["posts"], "window": 7,
                    "transform": "linear", "target": 100, "weight": 25}]
               for p in ("brand", "people", "insights", "relationships")}


@pytest.mark.parametrize("days_before,counted", [
    (-1, False), (0, True), (1, True), (6, True), (7, False), (8, False), (400, False)])
def test_window_boundary(tmp_path, days_before, counted):
    day = pd.Timestamp("2024-06-15")
    when = (day - pd.Timedelta(days=days_before)).strftime("%Y-%m-%d")
    ds = load_dataset(write_tables(tmp_path, {
        "members": "member_id,industry\nm1,S\n",
        "activity": f"member_id,date,posts\nm1,{when},40\n"}))
    s = score_dataset(ds, spec=simple_spec(WINDOW_SPEC), days=[day])
    assert s["brand"].iloc[0] == (10.0 if counted else 0.0)  # 25 * 40 / 100
    assert s["ssi"].iloc[0] == (40.0 if counted else 0.0)


def test_window_all_counts_everything_up_to_the_day(tmp_path):
    ds = load_dataset(write_tables(tmp_path, {
        "members": "member_id,industry\nm1,S\n",
        "activity": "member_id,date,posts\nm1,1999-01-01,10\nm1,2024-01-01,20\nm1,2024-01-02,30\n"}))
    s = score_dataset(ds, spec=identity_spec(), days=["1998-12-31", "1999-01-01", "2024-01-01",
                                                      "2024-01-02"])
    assert list(s["ssi"]) == [0.0, 10.0, 30.0, 60.0]
    assert list(s["date"].dt.strftime("%Y-%m-%d")) == ["1998-12-31", "1999-01-01", "2024-01-01",
                                                       "2024-01-02"]


def test_active_days_counts_days_with_any_count(tmp_path):
    spec = simple_spec({p: [{"name": "days", "source": "active_days", "window": 10,
                             "transform": "linear", "target": 10, "weight": 25}]
                        for p in ("brand", "people", "insights", "relationships")})
    ds = load_dataset(write_tables(tmp_path, {
        "members": "member_id,industry\nm1,S\nm2,S\n",
        "activity": """\
            member_id,date,posts,group_posts,inmails_sent
            m1,2024-01-01,1,,
            m1,2024-01-02,0,0,0
            m1,2024-01-03,,,
            m1,2024-01-04,,1,
            m1,2024-01-05,,,7
            m2,2024-01-05,,,
            """}))
    s = score_dataset(ds, spec=spec, days=["2024-01-05"]).set_index("member_id")
    assert s.loc["m1", "brand"] == pytest.approx(25 * 3 / 10)  # 01-01, 01-04, 01-05
    assert s.loc["m2", "brand"] == 0.0


def test_profile_as_of_latest_snapshot(tmp_path):
    spec = simple_spec({p: [{"name": "pos", "source": "profile", "columns": ["positions"],
                             "transform": "linear", "target": 10, "weight": 25}]
                        for p in ("brand", "people", "insights", "relationships")})
    ds = load_dataset(write_tables(tmp_path, {
        "members": "member_id,industry\nm0,S\nm1,S\nm2,S\n",
        "profiles": """\
            member_id,date,positions
            m1,2024-01-10,2
            m1,2024-01-20,6
            m1,2024-01-30,
            m2,2024-02-01,9
            """}))
    days = ["2024-01-09", "2024-01-10", "2024-01-19", "2024-01-20", "2024-01-29", "2024-01-30",
            "2024-02-01"]
    s = score_dataset(ds, spec=spec, days=days)
    by = {m: list(g["brand"]) for m, g in s.groupby("member_id")}
    assert by["m0"] == [0.0] * 7
    assert by["m1"] == [0.0, 5.0, 5.0, 15.0, 15.0, 0.0, 0.0]  # a blank snapshot counts 0
    assert by["m2"] == [0.0] * 6 + [22.5]


def test_missing_tables_and_columns_score_zero_with_notes(members_only_dir):
    ds = load_dataset(members_only_dir)
    s = score_dataset(ds, days=["2024-01-01"])
    assert (s["ssi"] == 0).all() and len(s) == 3
    assert s["network_top_pct"].isna().all() and s["network_avg_ssi"].isna().all()
    notes = " ".join(s.attrs["notes"])
    assert "no activity table" in notes and "no profiles table" in notes
    assert "no connections table" in notes


# ---------------------------------------------------------------------------
# tiers, bands, change and ranks end to end with ssi == posts


def _identity_scores(tmp_path, activity, members="member_id,industry\nm1,S\n", days=None,
                     connections=None):
    tables = {"members": members, "activity": activity}
    if connections:
        tables["connections"] = connections
    ds = load_dataset(write_tables(tmp_path, tables))
    return score_dataset(ds, spec=identity_spec(), days=days)


@pytest.mark.parametrize("posts,tier,band", [
    (0, "laggard", "poor"), (29, "laggard", "poor"), (30, "middle", "poor"),
    (39, "middle", "poor"), (40, "middle", "average"), (69, "middle", "average"),
    (70, "middle", "good"), (71, "leader", "good"), (100, "leader", "good")])
def test_tier_and_band_end_to_end(tmp_path, posts, tier, band):
    s = _identity_scores(tmp_path, f"member_id,date,posts\nm1,2024-01-01,{posts}\n")
    row = s.iloc[0]
    assert row["ssi"] == pytest.approx(posts, abs=1e-9)
    assert (row["tier"], row["band"]) == (tier, band)


def test_ssi_change_7d(tmp_path):
    s = _identity_scores(tmp_path, """\
        member_id,date,posts
        m1,2024-01-01,10
        m1,2024-01-03,5
        m1,2024-01-08,7
        m1,2024-01-10,1
        """, days=["2024-01-01", "2024-01-08", "2024-01-10"])
    # ssi: 01-01 10; 12-25 0 -> +10; 01-08 22 vs 01-01 10 -> +12; 01-10 23 vs 01-03 15 -> +8
    assert list(s["ssi"]) == [10.0, 22.0, 23.0]
    assert list(s["ssi_change_7d"]) == [10.0, 12.0, 8.0]


def test_ranks_end_to_end(tmp_path):
    s = _identity_scores(tmp_path, """\
        member_id,date,posts
        m1,2024-01-01,10
        m2,2024-01-01,20
        m3,2024-01-01,20
        m4,2024-01-01,5
        m5,2024-01-01,50
        """, members="""\
        member_id,industry,team
        m1,S,T
        m2,S,T
        m3,S,U
        m4,S,U
        m5,R,T
        """, connections="member_id,connection_id\nm1,m2\nm2,m1\nm1,m5\nm3,m4\n").set_index("member_id")
    # industry S: 10, 20, 20, 5 -> m1: #>=10 = 3 of 4; m2, m3: 2 of 4 (ties count against); m4: 4/4
    assert list(s["industry_top_pct"]) == [75.0, 50.0, 50.0, 100.0, 100.0]
    assert list(s["industry_avg_ssi"]) == [13.75] * 4 + [50.0]
    # team T: m1 10, m2 20, m5 50; U: m3 20, m4 5
    assert list(s["team_top_pct"]) == pytest.approx([100.0, 200 / 3, 50.0, 100.0, 100 / 3])
    # networks: m1 {m1,m2,m5}; m2 {m2,m1}; m3 {m3,m4}; m4 {m4,m3}; m5 {m5,m1}
    assert list(s["network_top_pct"]) == pytest.approx([100.0, 50.0, 50.0, 100.0, 50.0])
    assert list(s["network_avg_ssi"]) == pytest.approx([80 / 3, 15.0, 12.5, 12.5, 30.0])
    assert ((s["industry_top_pct"] > 0) & (s["industry_top_pct"] <= 100)).all()


def test_network_is_nan_without_connections_table(tmp_path):
    s = _identity_scores(tmp_path, "member_id,date,posts\nm1,2024-01-01,10\n")
    assert np.isnan(s["network_top_pct"].iloc[0]) and np.isnan(s["network_avg_ssi"].iloc[0])
    assert s["industry_top_pct"].iloc[0] == 100.0


def test_rows_sorted_by_member_then_date(tmp_path):
    s = _identity_scores(tmp_path, "member_id,date,posts\nm2,2024-01-02,1\nm1,2024-01-01,1\n",
                         members="member_id,industry\nm2,S\nm1,S\n")
    assert list(s["member_id"]) == ["m1", "m1", "m2", "m2"]
    assert list(s["date"].dt.day) == [1, 2, 1, 2]


# ---------------------------------------------------------------------------
# the days to score


def test_score_days(tmp_path, valid_dir):
    ds = load_dataset(valid_dir)
    days = score_days(ds)  # activity 03-01..03-05, profiles from 02-01
    assert str(days[0]) == "2024-02-01" and str(days[-1]) == "2024-03-05"
    assert len(days) == 34
    every = score_days(ds, start="2024-03-01", end="2024-03-10", every=4)
    assert [str(d) for d in every] == ["2024-03-02", "2024-03-06", "2024-03-10"]
    with pytest.raises(UsageError):
        score_days(ds, start="2024-03-10", end="2024-03-01")
    with pytest.raises(UsageError):
        score_days(ds, every=0)


def test_score_days_needs_dates(members_only_dir):
    ds = load_dataset(members_only_dir)
    with pytest.raises(MissingTableError, match="activity"):
        score_days(ds)
    assert [str(d) for d in score_days(ds, start="2024-01-01", end="2024-01-02")] == [
        "2024-01-01", "2024-01-02"]


# ---------------------------------------------------------------------------
# scores.csv through the job


def test_score_to_dir_writes_scores_csv(tmp_path, valid_dir):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("other file")
    path = score_to_dir(valid_dir, out, start="2024-03-01", end="2024-03-05").path
    assert path == out / "scores.csv"
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt", "scores.csv"]
    s = pd.read_csv(path)
    assert list(s.columns[:len(SCORE_COLUMNS)]) == list(SCORE_COLUMNS)
    assert set(DESIGN_COLUMNS) <= set(s.columns)
    assert len(s) == 3 * 5
    assert s["date"].iloc[0] == "2024-03-01"  # ISO dates, not timestamps
    assert set(s["tier"]) <= {"leader", "middle", "laggard"}


def test_score_to_dir_network_ranks_with_spec_without_peers(tmp_path):
    d = write_tables(tmp_path / "ds", {
        "members": "member_id,industry\nm1,S\nm2,S\n",
        "activity": "member_id,date,posts\nm1,2024-01-01,30\nm2,2024-01-01,10\n",
        "connections": "member_id,connection_id\nm1,m2\n"})
    one = {"name": "posts", "source": "activity", "columns": ["posts"], "window": "all",
           "transform": "linear", "target": 100, "weight": 25}
    spec = tmp_path / "spec.yaml"
    spec.write_text(dump_yaml({"pillars": {p: [one] for p in
                                                ("brand", "people", "insights", "relationships")}}))
    s = pd.read_csv(score_to_dir(d, tmp_path / "out", spec=spec).path).set_index("member_id")
    assert list(s["network_top_pct"]) == [50.0, 100.0]
    assert list(s["network_avg_ssi"]) == [20.0, 20.0]
