"""Properties of the default spec on random small valid datasets (hypothesis + explicit)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import write_tables
from ssi_kit.io import Dataset, load_dataset, validate_tables
from ssi_kit.io.schemas import ACTIVITY_COUNTS, PILLARS
from ssi_kit.jobs import score_to_dir
from ssi_kit.scoring import load_spec, score_dataset

SPEC = load_spec()
START = pd.Timestamp("2024-01-01")
N_DAYS = 20
DAYS = pd.date_range(START, periods=N_DAYS, freq="D")
PROFILE_BOOLS = ("has_photo", "has_cover", "has_headline", "has_summary")
PROFILE_COUNTS = ("positions", "education", "skills", "recommendations", "featured_items")
CONTRIB = [i.column_name for i in SPEC.inputs]
RANKS = ("industry_top_pct", "team_top_pct", "network_top_pct")
ZERO = "zz_nothing"  # a seller with no activity, no profile, no connections

SETTINGS = settings(max_examples=25, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@st.composite
def datasets(draw):
    """Raw text tables (as read from CSV) of a small valid dataset."""
    n = draw(st.integers(1, 4))
    ids = [f"m{i}" for i in range(n)]
    members = pd.DataFrame({
        "member_id": ids + [ZERO],
        "industry": [draw(st.sampled_from(["Soft", "Retail"])) for _ in range(n)] + ["Soft"],
        "team": [draw(st.sampled_from(["A", "B", ""])) for _ in range(n + 1)],
    })
    count = st.integers(0, 400)
    keys = st.tuples(st.integers(0, n - 1), st.integers(-10, N_DAYS - 1))
    act = draw(st.dictionaries(keys, st.dictionaries(st.sampled_from(ACTIVITY_COUNTS), count,
                                                     max_size=5), max_size=12))
    activity = pd.DataFrame(
        [{"member_id": ids[m], "date": (START + pd.Timedelta(days=d)).strftime("%Y-%m-%d"),
          **{c: str(vals[c]) if c in vals else "" for c in ACTIVITY_COUNTS}}
         for (m, d), vals in act.items()],
        columns=["member_id", "date", *ACTIVITY_COUNTS])
    prof = draw(st.dictionaries(keys, st.tuples(
        st.lists(st.sampled_from(["true", "false", "", "yes", "0"]), min_size=4, max_size=4),
        st.lists(st.one_of(st.just(""), st.integers(0, 30).map(str)), min_size=5, max_size=5)),
        max_size=6))
    profiles = pd.DataFrame(
        [{"member_id": ids[m], "date": (START + pd.Timedelta(days=d)).strftime("%Y-%m-%d"),
          **dict(zip(PROFILE_BOOLS, b)), **dict(zip(PROFILE_COUNTS, c))}
         for (m, d), (b, c) in prof.items()],
        columns=["member_id", "date", *PROFILE_BOOLS, *PROFILE_COUNTS])
    ties = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1))
                         .filter(lambda t: t[0] != t[1]), max_size=6))
    connections = pd.DataFrame({"member_id": [ids[a] for a, _ in ties],
                                "connection_id": [ids[b] for _, b in ties]})
    raw = {"members": members}
    for name, table in (("activity", activity), ("profiles", profiles),
                        ("connections", connections)):
        if len(table):
            raw[name] = table.astype(str)
    return raw


def score(raw, days=DAYS):
    return score_dataset(Dataset(validate_tables(raw)), spec=SPEC, days=days)


def check_invariants(s):
    for p in PILLARS:
        assert ((s[p] >= 0) & (s[p] <= 25)).all(), p
    assert np.allclose(s["ssi"], s[list(PILLARS)].sum(axis=1), atol=1e-5, rtol=0)
    for p in PILLARS:
        cols = [c for c in CONTRIB if c.startswith(p + "__")]
        assert np.allclose(s[cols].sum(axis=1), s[p], atol=1e-5, rtol=0), p
    assert (s[CONTRIB] >= 0).all().all()
    for col in RANKS:
        r = s[col].dropna()
        assert ((r > 0) & (r <= 100)).all(), col
    assert s["industry_top_pct"].notna().all()
    assert s.loc[s["team"].isna(), "team_top_pct"].isna().all()
    assert set(s["tier"]) <= {"leader", "middle", "laggard"}
    assert set(s["band"]) <= {"poor", "average", "good"}
    assert len(s) == s["member_id"].nunique() * N_DAYS


@SETTINGS
@given(datasets())
def test_invariants_on_random_datasets(raw):
    s = score(raw)
    check_invariants(s)
    zero = s[s["member_id"] == ZERO]
    assert (zero[[*PILLARS, "ssi", *CONTRIB, "ssi_change_7d"]] == 0).all().all()
    for _, day in s.groupby("date"):
        assert day.loc[day["member_id"] == ZERO, "ssi"].iloc[0] == day["ssi"].min()
    assert (zero["industry_top_pct"] == 100).all()
    if "connections" in raw:
        assert (zero["network_top_pct"] == 100).all()
    else:
        assert s["network_top_pct"].isna().all()


@SETTINGS
@given(datasets(), st.data())
def test_more_activity_never_lowers_a_pillar(raw, data):
    n = len(raw["members"]) - 1
    member = f"m{data.draw(st.integers(0, n - 1))}"
    day = (START + pd.Timedelta(days=data.draw(st.integers(-10, N_DAYS - 1)))).strftime("%Y-%m-%d")
    column = data.draw(st.sampled_from(ACTIVITY_COUNTS))
    extra = data.draw(st.integers(1, 500))
    more = dict(raw)
    act = raw.get("activity", pd.DataFrame(columns=["member_id", "date", *ACTIVITY_COUNTS]))
    act = act.copy()
    hit = (act["member_id"] == member) & (act["date"] == day)
    if hit.any():
        old = act.loc[hit, column].iloc[0]
        act.loc[hit, column] = str((int(old) if old else 0) + extra)
    else:
        row = {c: "" for c in act.columns}
        row.update(member_id=member, date=day, **{column: str(extra)})
        act = pd.concat([act, pd.DataFrame([row])], ignore_index=True)
    more["activity"] = act.astype(str)
    before, after = score(raw), score(more)
    for col in (*PILLARS, "ssi", *CONTRIB):
        assert (after[col] >= before[col]).all(), (col, member, day, column, extra)


@SETTINGS
@given(datasets(), st.randoms(use_true_random=False))
def test_shuffled_rows_and_columns_give_identical_scores(raw, rnd):
    shuffled = {}
    for name, table in raw.items():
        rows = list(range(len(table)))
        cols = list(table.columns)
        rnd.shuffle(rows)
        rnd.shuffle(cols)
        shuffled[name] = table.iloc[rows][cols].reset_index(drop=True)
    pd.testing.assert_frame_equal(score(raw), score(shuffled))


# ---------------------------------------------------------------------------
# explicit versions on disk


def _random_tables(seed, n=6, days=30):
    rng = np.random.default_rng(seed)
    ids = [f"s{i:02d}" for i in range(n)]
    act = []
    for m in ids:
        for d in sorted(rng.choice(days, size=days // 2, replace=False)):
            row = {"member_id": m, "date": (START + pd.Timedelta(days=int(d))).strftime("%Y-%m-%d")}
            row.update({c: int(rng.integers(0, 40)) for c in ACTIVITY_COUNTS})
            act.append(row)
    profiles = pd.DataFrame({
        "member_id": ids, "date": [START.strftime("%Y-%m-%d")] * n,
        **{c: rng.choice(["true", "false"], n) for c in PROFILE_BOOLS},
        **{c: rng.integers(0, 10, n) for c in PROFILE_COUNTS}})
    ties = [(ids[a], ids[b]) for a, b in rng.integers(0, n, size=(10, 2)) if a != b]
    return {
        "members": pd.DataFrame({"member_id": ids, "industry": rng.choice(["Soft", "Retail"], n),
                                 "team": rng.choice(["A", "B"], n)}),
        "activity": pd.DataFrame(act),
        "profiles": profiles,
        "connections": pd.DataFrame(ties, columns=["member_id", "connection_id"]),
    }


def test_shuffled_csv_files_give_identical_scores(tmp_path):
    tables = _random_tables(1)
    rng = np.random.default_rng(7)
    shuffled = {name: t.sample(frac=1, random_state=rng).loc[:, list(rng.permutation(t.columns))]
                for name, t in tables.items()}
    a = load_dataset(write_tables(tmp_path / "a", tables))
    b = load_dataset(write_tables(tmp_path / "b", shuffled))
    headers = [(tmp_path / d / "activity.csv").read_text().splitlines()[0] for d in "ab"]
    assert headers[0] != headers[1]  # the column order really differs
    sa, sb = score_dataset(a), score_dataset(b)
    assert sa["ssi"].gt(0).any()
    pd.testing.assert_frame_equal(sa, sb)
    check_invariants_loose(sa)


def check_invariants_loose(s):
    for p in PILLARS:
        assert s[p].between(0, 25).all()
    assert np.allclose(s["ssi"], s[list(PILLARS)].sum(axis=1), atol=1e-5, rtol=0)


def test_parquet_and_csv_give_identical_scores(tmp_path):
    tables = _random_tables(2)
    a = load_dataset(write_tables(tmp_path / "a", tables))
    b = load_dataset(write_tables(tmp_path / "b", tables, fmt="parquet"))
    pd.testing.assert_frame_equal(score_dataset(a), score_dataset(b))


def test_two_runs_write_byte_identical_scores(tmp_path):
    d = write_tables(tmp_path / "ds", _random_tables(3))
    first = score_to_dir(d, tmp_path / "one").path.read_bytes()
    second = score_to_dir(d, tmp_path / "two").path.read_bytes()
    assert first == second
    again = score_to_dir(d, tmp_path / "one").path.read_bytes()  # overwrite in place
    assert again == first
    assert first.count(b"\n") == 6 * 30 + 1


def test_seller_with_nothing_scores_zero_and_lowest(tmp_path):
    tables = _random_tables(4)
    tables["members"] = pd.concat([tables["members"], pd.DataFrame(
        {"member_id": [ZERO], "industry": ["Soft"], "team": ["A"]})], ignore_index=True)
    s = score_dataset(load_dataset(write_tables(tmp_path, tables)))
    zero = s[s["member_id"] == ZERO]
    assert (zero[[*PILLARS, "ssi"]] == 0).all().all()
    assert (zero["industry_top_pct"] == 100).all() and (zero["network_top_pct"] == 100).all()
    others = s[s["member_id"] != ZERO]
    assert (others.groupby("date")["ssi"].min() > 0).all()
    assert (zero["tier"] == "laggard").all() and (zero["band"] == "poor").all()


@pytest.mark.parametrize("column", ACTIVITY_COUNTS)
def test_each_activity_column_is_monotone(tmp_path, column):
    base = {"members": pd.DataFrame({"member_id": ["m1"], "industry": ["S"]}),
            "activity": pd.DataFrame({"member_id": ["m1"], "date": ["2024-01-01"], column: [3]})}
    more = {"members": base["members"],
            "activity": pd.DataFrame({"member_id": ["m1"], "date": ["2024-01-01"], column: [40]})}
    days = ["2024-01-01"]
    s0 = score_dataset(Dataset(validate_tables(base)), days=days)
    s1 = score_dataset(Dataset(validate_tables(more)), days=days)
    assert s1["ssi"].iloc[0] >= s0["ssi"].iloc[0] > 0
    for p in PILLARS:
        assert s1[p].iloc[0] >= s0[p].iloc[0]
