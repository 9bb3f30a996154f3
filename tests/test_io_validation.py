"""Dataset reading and validation (the input contract), and atomic writes."""
from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from conftest import VALID_CSV, dataset_error, problems_for, write_tables
from ssi_kit.exceptions import DatasetError, InputError, MissingTableError, UsageError
from ssi_kit.io import atomic_directory, atomic_file, load_dataset, validate_tables, write_dataset

MEMBERS = """\
    member_id,industry
    m1,Software
    m2,Retail
    """


def one_problem(err, table, column):
    found = problems_for(err, table, column)
    assert len(found) == 1, f"expected one problem for {table}.{column}, got {err.problems}"
    return found[0]


def assert_problem(err, table, column, *, rows, count, expected, examples=None):
    """Check one problem's fields and that the message names file, column and rows."""
    p = one_problem(err, table, column)
    assert p.rows == tuple(rows)
    assert p.count == count
    assert expected in p.expected
    if examples is not None:
        assert p.examples == tuple(examples)
    assert p.file is not None and p.file.endswith(f"{table}.csv")
    msg = str(err)
    assert f"{table}.csv" in msg
    if column is not None:
        assert f"column '{column}'" in msg
    for r in rows:
        assert str(r) in msg
    return p


# ---------------------------------------------------------------------------
# refusals: one problem naming table, column, rows, count and expectation


def test_missing_member_id_column(tmp_path):
    d = write_tables(tmp_path, {"members": "industry\nSoftware\n"})
    err = dataset_error(d)
    p = assert_problem(err, "members", "member_id", rows=(), count=0,
                       expected="required column")
    assert len(err.problems) == 1
    assert "present" in p.expected


def test_blank_member_id(tmp_path):
    d = write_tables(tmp_path, {"members": "member_id,industry\nm1,S\n ,S\n,R\nm4,R\n"})
    err = dataset_error(d)
    assert_problem(err, "members", "member_id", rows=(3, 4), count=2,
                   expected="may not be blank", examples=(" ", ""))


def test_blank_member_id_in_activity(tmp_path):
    d = write_tables(tmp_path, {"members": MEMBERS,
                                "activity": "member_id,date\nm1,2024-01-01\n,2024-01-02\n"})
    err = dataset_error(d)
    assert_problem(err, "activity", "member_id", rows=(3,), count=1, expected="may not be blank")


def test_duplicate_sellers_in_members(tmp_path):
    d = write_tables(tmp_path, {"members": "member_id,industry\nm1,S\nm2,S\nm1,R\n"})
    err = dataset_error(d)
    assert_problem(err, "members", "member_id", rows=(2, 4), count=2,
                   expected="unique", examples=("m1", "m1"))
    assert len(err.problems) == 1


def test_duplicate_member_date_in_activity(tmp_path):
    d = write_tables(tmp_path, {"members": MEMBERS, "activity": """\
        member_id,date,posts
        m1,2024-01-01,1
        m2,2024-01-01,1
        m1,2024-01-01,2
        m1,2024-01-02,1
        """})
    err = dataset_error(d)
    p = one_problem(err, "activity", "member_id+date")
    assert p.rows == (2, 4) and p.count == 2
    assert "member_id, date" in p.expected
    assert "activity.csv" in str(err) and "member_id+date" in str(err)
    assert len(err.problems) == 1


def test_unparseable_dates_are_not_reported_as_duplicate_keys(tmp_path):
    d = write_tables(tmp_path, {"members": MEMBERS, "activity": """\
        member_id,date
        m1,2024-01-01
        m2,2024-02-30
        m2,03/01/2024
        m1,2024-01-01
        """})
    err = dataset_error(d)
    assert one_problem(err, "activity", "date").rows == (3, 4)
    dup = one_problem(err, "activity", "member_id+date")
    assert dup.rows == (2, 5) and dup.count == 2


def test_header_without_rows(tmp_path):
    d = write_tables(tmp_path, {"members": MEMBERS, "activity": "member_id,date,posts\n"})
    err = dataset_error(d)
    p = one_problem(err, "activity", None)
    assert "at least one data row" in p.expected
    assert p.file.endswith("activity.csv") and "activity.csv" in str(err)


def test_header_only_with_blank_lines(tmp_path):
    d = write_tables(tmp_path, {"members": MEMBERS, "activity": "member_id,date\n\n\n"})
    err = dataset_error(d)
    assert "at least one data row" in one_problem(err, "activity", None).expected


def test_empty_file(tmp_path):
    d = write_tables(tmp_path, {"members": MEMBERS, "activity": ""})
    assert (d / "activity.csv").stat().st_size == 0
    err = dataset_error(d)
    p = one_problem(err, "activity", None)
    assert "empty" in p.expected
    assert "activity.csv" in str(err)


def test_empty_members_file(tmp_path):
    d = write_tables(tmp_path, {"members": ""})
    err = dataset_error(d)
    assert "empty" in one_problem(err, "members", None).expected


@pytest.mark.parametrize("content", [
    b"member_id,date\nm1,2024-01-01\xe9\xff\n",          # invalid UTF-8
    b"\xff\xfe\x00\x81\x9c\x00garbage\n\x00\x01\x02\xff",  # binary garbage
], ids=["invalid-utf8", "binary"])
def test_unreadable_file(tmp_path, content):
    d = write_tables(tmp_path, {"members": MEMBERS, "activity.csv": content})
    err = dataset_error(d)
    p = one_problem(err, "activity", None)
    assert "readable" in p.expected
    assert "activity.csv" in str(err)


@pytest.mark.parametrize("bad", ["a", "1.5", "1e3", "two"])
def test_count_not_a_whole_number(tmp_path, bad):
    d = write_tables(tmp_path, {"members": MEMBERS,
                                "activity": f"member_id,date,posts\nm1,2024-01-01,3\nm1,2024-01-02,{bad}\n"})
    err = dataset_error(d)
    assert_problem(err, "activity", "posts", rows=(3,), count=1, expected="whole number",
                   examples=(bad,))
    assert len(err.problems) == 1


def test_negative_count(tmp_path):
    d = write_tables(tmp_path, {"members": MEMBERS,
                                "activity": "member_id,date,searches\nm1,2024-01-01,-1\nm2,2024-01-01,0\n"})
    err = dataset_error(d)
    assert_problem(err, "activity", "searches", rows=(2,), count=1, expected="at least 0",
                   examples=("-1",))


def test_negative_profile_count(tmp_path):
    d = write_tables(tmp_path, {"members": MEMBERS,
                                "profiles": "member_id,date,skills\nm1,2024-01-01,3\nm2,2024-01-01,-4\n"})
    err = dataset_error(d)
    assert_problem(err, "profiles", "skills", rows=(3,), count=1, expected="at least 0")


def test_boolean_that_is_not_one(tmp_path):
    d = write_tables(tmp_path, {"members": """\
        member_id,industry,sales_navigator,social_media
        m1,S,maybe,false
        m2,S,true,no
        """})
    err = dataset_error(d)
    assert_problem(err, "members", "sales_navigator", rows=(2,), count=1, expected="boolean",
                   examples=("maybe",))
    assert len(err.problems) == 1  # 'false' and 'no' are fine


@pytest.mark.parametrize("bad", ["2024-02-30", "03/01/2024", "2024-1-5", "2023-02-29", "yesterday"])
def test_bad_date(tmp_path, bad):
    d = write_tables(tmp_path, {"members": MEMBERS,
                                "activity": f"member_id,date\nm1,2024-02-29\nm2,{bad}\n"})
    err = dataset_error(d)
    assert_problem(err, "activity", "date", rows=(3,), count=1, expected="ISO date",
                   examples=(bad,))


def test_period_end_before_period_start(tmp_path):
    d = write_tables(tmp_path, {"members": MEMBERS, "outcomes": """\
        member_id,period_start,period_end
        m1,2024-01-01,2024-03-31
        m2,2024-04-01,2024-03-31
        m1,2024-04-01,2024-04-01
        """})
    err = dataset_error(d)
    [p] = problems_for(err, "outcomes")
    assert p.rows == (3,) and p.count == 1
    assert "period_end on or after period_start" in p.expected
    assert "outcomes.csv" in str(err)


@pytest.mark.parametrize("table,text,column", [
    ("outcomes", "member_id,period_start,period_end\nm2,2024-04-01,2024-03-31\n", "period_end"),
    ("connections", "member_id,connection_id\nm1,m1\n", "connection_id"),
], ids=["period-order", "self-tie"])
def test_frame_level_problems_name_a_column(tmp_path, table, text, column):
    d = write_tables(tmp_path, {"members": MEMBERS, table: text})
    err = dataset_error(d)
    [p] = problems_for(err, table)
    assert p.column is not None and column in p.column
    assert f"column '{p.column}'" in str(err)


@pytest.mark.parametrize("value,expected", [("100.5", "at most 100"), ("-1", "at least 0"),
                                            ("abc", "finite number"), ("inf", "finite number")])
def test_ssi_outside_range(tmp_path, value, expected):
    d = write_tables(tmp_path, {"members": MEMBERS,
                                "ssi": f"member_id,date,ssi\nm1,2024-01-01,100\nm2,2024-01-01,{value}\n"})
    err = dataset_error(d)
    assert_problem(err, "ssi", "ssi", rows=(3,), count=1, expected=expected, examples=(value,))
    assert len(err.problems) == 1


def test_blank_ssi_refused(tmp_path):
    d = write_tables(tmp_path, {"members": MEMBERS, "ssi": "member_id,date,ssi\nm1,2024-01-01,\n"})
    err = dataset_error(d)
    assert_problem(err, "ssi", "ssi", rows=(2,), count=1, expected="may not be blank")


@pytest.mark.parametrize("value,expected", [("25.5", "at most 25"), ("-0.5", "at least 0")])
@pytest.mark.parametrize("pillar", ["brand", "relationships"])
def test_pillar_outside_range(tmp_path, pillar, value, expected):
    d = write_tables(tmp_path, {"members": MEMBERS,
                                "ssi": f"member_id,date,ssi,{pillar}\nm1,2024-01-01,50,25\n"
                                       f"m2,2024-01-01,50,{value}\n"})
    err = dataset_error(d)
    assert_problem(err, "ssi", pillar, rows=(3,), count=1, expected=expected)


def test_self_tie_in_connections(tmp_path):
    d = write_tables(tmp_path, {"members": MEMBERS,
                                "connections": "member_id,connection_id\nm1,m2\nm2,m2\n"})
    err = dataset_error(d)
    [p] = problems_for(err, "connections")
    assert p.rows == (3,) and p.count == 1
    assert "self-ties" in p.expected
    assert "connections.csv" in str(err) and "line 3" in str(err)


@pytest.mark.parametrize("table,text,column,line,value", [
    ("activity", "member_id,date\nm1,2024-01-01\nm9,2024-01-01\n", "member_id", 3, "m9"),
    ("connections", "member_id,connection_id\nm1,m2\nm2,zz\n", "connection_id", 3, "zz"),
    ("outcomes", "member_id,period_start,period_end\nm7,2024-01-01,2024-02-01\n", "member_id", 2, "m7"),
])
def test_member_id_not_in_members(tmp_path, table, text, column, line, value):
    d = write_tables(tmp_path, {"members": MEMBERS, table: text})
    err = dataset_error(d)
    assert_problem(err, table, column, rows=(line,), count=1, expected="listed in members",
                   examples=(value,))


def test_missing_required_column(tmp_path):
    d = write_tables(tmp_path, {"members": MEMBERS, "activity": "member_id,posts\nm1,1\n",
                                "ssi": "member_id,date\nm1,2024-01-01\n"})
    err = dataset_error(d)
    assert_problem(err, "activity", "date", rows=(), count=0, expected="required column")
    assert_problem(err, "ssi", "ssi", rows=(), count=0, expected="required column")


def test_both_csv_and_parquet(tmp_path):
    d = write_tables(tmp_path, {"members": MEMBERS})
    pd.DataFrame({"member_id": ["m1"], "industry": ["S"]}).to_parquet(d / "members.parquet")
    err = dataset_error(d)
    assert any("both .csv and .parquet" in p.expected for p in problems_for(err, "members"))
    assert "members.csv" in str(err)


def test_both_csv_and_parquet_not_reported_missing(tmp_path):
    d = write_tables(tmp_path, {"members": MEMBERS})
    pd.DataFrame({"member_id": ["m1"], "industry": ["S"]}).to_parquet(d / "members.parquet")
    err = dataset_error(d)
    assert len(problems_for(err, "members")) == 1


def test_both_formats_of_an_optional_table(tmp_path):
    d = write_tables(tmp_path, {"members": MEMBERS, "events": "member_id,date,event\nm1,2024-01-01,x\n"})
    pd.DataFrame({"member_id": ["m1"], "date": pd.to_datetime(["2024-01-01"]),
                  "event": ["x"]}).to_parquet(d / "events.parquet")
    err = dataset_error(d)
    [p] = problems_for(err, "events")
    assert "both" in p.expected


def test_missing_members_table(tmp_path):
    d = write_tables(tmp_path, {"activity": "member_id,date\nm1,2024-01-01\n"})
    err = dataset_error(d)
    p = one_problem(err, "members", None)
    assert "always required" in p.expected
    assert "members.csv" in str(err) and "members.parquet" in str(err)


def test_not_a_directory(tmp_path):
    with pytest.raises(InputError, match="not a dataset directory"):
        load_dataset(tmp_path / "nope")
    f = tmp_path / "file.csv"
    f.write_text("x\n")
    with pytest.raises(InputError):
        load_dataset(f)


def test_all_problems_of_several_tables_in_one_error(tmp_path):
    d = write_tables(tmp_path, {
        "members": "member_id,industry\nm1,S\nm2,\n",
        "activity": "member_id,date,posts\nm1,2024-01-01,a\n",
        "profiles": "member_id,date,has_photo\nm1,2024-01-01,maybe\n",
        "ssi": "member_id,date,ssi\nm1,2024-01-01,100.5\n",
        "outcomes": "member_id,period_start,period_end\nm1,2024-13-01,2024-02-01\n",
        "events": "",
    })
    err = dataset_error(d)
    got = {(p.table, p.column) for p in err.problems}
    assert got == {("members", "industry"), ("activity", "posts"), ("profiles", "has_photo"),
                   ("ssi", "ssi"), ("outcomes", "period_start"), ("events", None)}
    msg = str(err)
    assert msg.startswith("Invalid dataset (6 problems in ")
    for f in ("members.csv", "activity.csv", "profiles.csv", "ssi.csv", "outcomes.csv", "events.csv"):
        assert f in msg
    assert "\n" not in msg


def test_several_problems_in_one_table(tmp_path):
    d = write_tables(tmp_path, {"members": MEMBERS, "activity": """\
        member_id,date,posts,searches,shares
        m1,2024-01-01,a,1.5,-2
        m2,2024-01-01,1,2,3
        """})
    err = dataset_error(d)
    assert {p.column for p in err.problems} == {"posts", "searches", "shares"}
    assert all(p.rows == (2,) for p in err.problems)


def test_many_bad_rows_quote_five_and_count_all(tmp_path):
    rows = "".join(f"m1,2024-01-{day:02d},x{day}\n" for day in range(1, 8))
    d = write_tables(tmp_path, {"members": MEMBERS, "activity": "member_id,date,posts\n" + rows})
    err = dataset_error(d)
    p = one_problem(err, "activity", "posts")
    assert p.count == 7
    assert p.rows == (2, 3, 4, 5, 6)
    assert p.examples == ("x1", "x2", "x3", "x4", "x5")
    assert "7 rows fail" in str(err) and "and 2 more" in str(err)


def test_blank_lines_are_ignored_and_lines_still_counted(tmp_path):
    d = write_tables(tmp_path, {"members": "member_id,industry\n\nm1,S\n\nm2,R\n\n"})
    ds = load_dataset(d)
    assert list(ds["members"]["member_id"]) == ["m1", "m2"]
    d2 = write_tables(tmp_path / "b", {"members": "member_id,industry\n\nm1,S\n\nm2,R\n,R\n"})
    err = dataset_error(d2)
    assert_problem(err, "members", "member_id", rows=(6,), count=1, expected="may not be blank")


# ---------------------------------------------------------------------------
# acceptance: types, booleans, extra columns, optional tables, Parquet


def test_valid_dataset_loads_typed(valid_dir):
    ds = load_dataset(valid_dir)
    assert set(ds.tables) == set(VALID_CSV)
    m = ds["members"]
    assert list(m["member_id"]) == ["m1", "m2", "m3"]
    assert str(m["sales_navigator"].dtype) == "boolean"
    assert list(m["sales_navigator"]) == [True, False, True]
    assert list(m["social_media"]) == [True, False, False]
    assert str(m["tenure_months"].dtype) == "Float64"
    assert m["tenure_months"].tolist()[:2] == [12.0, 3.5] and pd.isna(m["tenure_months"][2])
    a = ds["activity"]
    assert str(a["posts"].dtype) == "Int64"
    assert pd.api.types.is_datetime64_any_dtype(a["date"])
    assert list(a["date"].dt.strftime("%Y-%m-%d")) == ["2024-03-01", "2024-03-05", "2024-03-03"]
    assert pd.isna(a["invitations_accepted"][1])  # blank count -> missing
    o = ds["outcomes"]
    assert list(o["quota_attained"]) == [True, False]
    assert o["revenue"][0] == 1000.5 and pd.isna(o["revenue"][1])
    assert ds.files["members"].name == "members.csv"


def test_tables_are_sorted_by_key(tmp_path):
    d = write_tables(tmp_path, {"members": "member_id,industry\nm2,S\nm1,S\n",
                                "activity": "member_id,date\nm2,2024-01-01\nm1,2024-01-03\nm1,2024-01-02\n"})
    ds = load_dataset(d)
    assert list(ds["members"]["member_id"]) == ["m1", "m2"]
    assert list(ds["activity"]["member_id"]) == ["m1", "m1", "m2"]
    assert list(ds["activity"]["date"].dt.day) == [2, 3, 1]
    assert list(ds["activity"].index) == [0, 1, 2]


@pytest.mark.parametrize("text,value", [
    ("true", True), ("TRUE", True), ("True", True), ("1", True), ("yes", True), ("YES", True),
    ("Yes", True), (" yes ", True), ("false", False), ("FALSE", False), ("False", False),
    ("0", False), ("no", False), ("NO", False), ("nO", False),
])
def test_boolean_spellings(tmp_path, text, value):
    d = write_tables(tmp_path, {"members": f"member_id,industry,sales_navigator\nm1,S,{text}\nm2,S,\n"})
    col = load_dataset(d)["members"]["sales_navigator"]
    assert bool(col[0]) is value
    assert pd.isna(col[1])


@pytest.mark.parametrize("bad", ["maybe", "2", "t", "y", "on"])
def test_boolean_refusals(tmp_path, bad):
    d = write_tables(tmp_path, {"members": f"member_id,industry,social_media\nm1,S,{bad}\n"})
    assert_problem(dataset_error(d), "members", "social_media", rows=(2,), count=1,
                   expected="boolean")


def test_extra_columns_are_kept(tmp_path):
    d = write_tables(tmp_path, {"members": "member_id,industry,favourite_colour\nm1,S,blue\nm2,S,\n",
                                "activity": "member_id,date,posts,mood\nm1,2024-01-01,1,good\n"})
    ds = load_dataset(d)
    assert list(ds["members"].columns) == ["member_id", "industry", "favourite_colour"]
    assert ds["members"]["favourite_colour"][0] == "blue"
    assert ds["activity"]["mood"][0] == "good"


def test_missing_optional_tables_load(members_only_dir):
    ds = load_dataset(members_only_dir)
    assert set(ds.tables) == {"members"}
    assert ds.has("members", ["team"]) and not ds.has("members", ["nope"])
    assert not ds.has("activity") and "activity" not in ds
    with pytest.raises(MissingTableError, match="activity"):
        ds.require("activity", "Scoring")
    with pytest.raises(MissingTableError, match="columns nope"):
        ds.require("members", "Something", ["nope"])


def test_load_only_some_tables(valid_dir):
    (valid_dir / "ssi.csv").write_text("garbage,\n1,2,3,4\n")
    ds = load_dataset(valid_dir, tables=["activity"])
    assert set(ds.tables) == {"members", "activity"}
    with pytest.raises(InputError, match="Unknown table"):
        load_dataset(valid_dir, tables=["activities"])


def _typed_frames():
    members = pd.DataFrame({
        "member_id": ["m2", "m1", "m3"],
        "industry": ["Retail", "Software", "Software"],
        "team": [None, "A", "B"],
        "tenure_months": [3.5, 12.0, None],
        "sales_navigator": pd.array([False, True, None], dtype="boolean"),
        "social_media": [True, False, True],
    })
    activity = pd.DataFrame({
        "member_id": ["m1", "m1", "m2"],
        "date": pd.to_datetime(["2024-01-02", "2024-01-01", "2024-01-01"]),
        "posts": pd.array([None, 1, 0], dtype="Int64"),
        "searches": np.array([4, 2, 7], dtype=np.int64),
    })
    profiles = pd.DataFrame({
        "member_id": ["m1"], "date": pd.to_datetime(["2023-12-31"]),
        "has_photo": [True], "skills": np.array([5], dtype=np.int32),
    })
    return {"members": members, "activity": activity, "profiles": profiles}


CSV_OF_TYPED = {
    "members": """\
        member_id,industry,team,tenure_months,sales_navigator,social_media
        m2,Retail,,3.5,false,yes
        m1,Software,A,12,TRUE,0
        m3,Software,B,,,1
        """,
    "activity": """\
        member_id,date,posts,searches
        m1,2024-01-02,,4
        m1,2024-01-01,1,2
        m2,2024-01-01,0,7
        """,
    "profiles": """\
        member_id,date,has_photo,skills
        m1,2023-12-31,yes,5
        """,
}


def test_parquet_gives_same_typed_tables_as_csv(tmp_path):
    pq = write_tables(tmp_path / "pq", _typed_frames(), fmt="parquet")
    assert (pq / "members.parquet").exists()
    csv = write_tables(tmp_path / "csv", CSV_OF_TYPED)
    a, b = load_dataset(pq), load_dataset(csv)
    assert set(a.tables) == set(b.tables) == {"members", "activity", "profiles"}
    for name in a.tables:
        pd.testing.assert_frame_equal(a[name], b[name], check_dtype=True)
    assert list(a["members"]["member_id"]) == ["m1", "m2", "m3"]
    assert str(a["activity"]["posts"].dtype) == "Int64"


def test_parquet_problems_use_row_numbers(tmp_path):
    d = write_tables(tmp_path, {
        "members": pd.DataFrame({"member_id": ["m1", "m2"], "industry": ["S", "S"]}),
        "activity": pd.DataFrame({"member_id": ["m1", "m2", "m2"],
                                  "date": pd.to_datetime(["2024-01-01 00:00", "2024-01-01 00:00", "2024-01-02 10:00"]),
                                  "posts": [1.0, 1.5, -3.0]}),
    }, fmt="parquet")
    err = dataset_error(d)
    posts = problems_for(err, "activity", "posts")
    assert {(p.rows, p.expected) for p in posts} == {
        ((2,), "a whole number (a non-negative integer count)"), ((3,), "a value of at least 0")}
    assert all(p.row_unit == "row" for p in err.problems)
    assert one_problem(err, "activity", "date").rows == (3,)
    assert "activity.parquet" in str(err) and "row 2" in str(err)


def test_validate_tables_in_memory():
    raw = {"members": pd.DataFrame({"member_id": ["b", "a"], "industry": ["S", "S"]}),
           "connections": pd.DataFrame({"member_id": ["a"], "connection_id": ["c"]})}
    with pytest.raises(DatasetError) as info:
        validate_tables(raw)
    [p] = info.value.problems
    assert (p.table, p.column, p.rows, p.file) == ("connections", "connection_id", (2,), None)
    raw["connections"]["connection_id"] = ["b"]
    typed = validate_tables(raw)
    assert list(typed["members"]["member_id"]) == ["a", "b"]


# ---------------------------------------------------------------------------
# writing datasets and atomic outputs


def _entries(directory):
    return sorted(os.listdir(directory))


def test_write_dataset_round_trip(tmp_path, valid_dir):
    ds = load_dataset(valid_dir)
    out = write_dataset(ds.tables, tmp_path / "copy")
    back = load_dataset(out)
    for name in ds.tables:
        pd.testing.assert_frame_equal(back[name], ds[name], check_dtype=False)
    assert _entries(tmp_path) == ["copy", "ds"]
    text = (out / "members.csv").read_text()
    assert "true" in text and "True" not in text


def test_write_dataset_parquet_round_trip(tmp_path, valid_dir):
    ds = load_dataset(valid_dir)
    out = write_dataset(ds.tables, tmp_path / "pq", fmt="parquet")
    assert (out / "activity.parquet").exists() and not (out / "activity.csv").exists()
    back = load_dataset(out)
    for name in ds.tables:
        pd.testing.assert_frame_equal(back[name],
                                      ds[name], check_dtype=False)


def test_write_dataset_invalid_leaves_existing_target_untouched(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "members.csv").write_text("member_id,industry\nold,S\n")
    bad = {"members": pd.DataFrame({"member_id": ["m1", "m1"], "industry": ["S", "S"]})}
    with pytest.raises(DatasetError):
        write_dataset(bad, target, replace=True)
    assert _entries(target) == ["members.csv"]
    assert (target / "members.csv").read_text() == "member_id,industry\nold,S\n"
    assert _entries(tmp_path) == ["out"]  # no temporary directories left


def test_write_dataset_refuses_non_empty_target(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "old.txt").write_text("keep me")
    good = {"members": pd.DataFrame({"member_id": ["m1"], "industry": ["S"]})}
    with pytest.raises(UsageError, match="not empty"):
        write_dataset(good, target)
    # replace=True (simulate --force) replaces only a dataset folder, never other files
    with pytest.raises(UsageError, match="not part of a dataset"):
        write_dataset(good, target, replace=True)
    assert _entries(target) == ["old.txt"]
    (target / "old.txt").unlink()
    (target / "members.csv").write_text("member_id,industry\nold,S\n")
    write_dataset(good, target, replace=True)
    assert _entries(target) == ["members.csv"]
    assert (target / "members.csv").read_text().splitlines()[1] == "m1,S"
    assert _entries(tmp_path) == ["out"]


def test_atomic_directory_failure_keeps_old_directory(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_directory(target, replace=True) as tmp:
            assert tmp.parent == tmp_path and tmp != target
            (tmp / "new.txt").write_text("half")
            raise RuntimeError("boom")
    assert _entries(target) == ["old.txt"]
    assert (target / "old.txt").read_text() == "old"
    assert _entries(tmp_path) == ["out"]


def test_atomic_directory_failure_creates_nothing(tmp_path):
    target = tmp_path / "new"
    with pytest.raises(RuntimeError):
        with atomic_directory(target) as tmp:
            (tmp / "a.csv").write_text("x")
            raise RuntimeError("boom")
    assert not target.exists()
    assert _entries(tmp_path) == []


def test_atomic_directory_success_replaces(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with atomic_directory(target, replace=True) as tmp:
        (tmp / "new.txt").write_text("new")
        assert _entries(target) == ["old.txt"]  # not visible before completion
    assert _entries(target) == ["new.txt"]
    assert _entries(tmp_path) == ["out"]


def test_atomic_directory_refuses_non_empty_target(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with pytest.raises(UsageError, match="already exists and is not empty"):
        with atomic_directory(target):
            pytest.fail("must not be entered")
    assert _entries(target) == ["old.txt"]
    assert _entries(tmp_path) == ["out"]
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(UsageError):
        with atomic_directory(f):
            pass


def test_atomic_directory_accepts_empty_existing_target(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    with atomic_directory(target) as tmp:
        (tmp / "x.txt").write_text("x")
    assert _entries(target) == ["x.txt"]


def test_atomic_file_failure_keeps_old_file(tmp_path):
    target = tmp_path / "scores.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_file(target) as tmp:
            tmp.write_text("half written")
            raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert _entries(tmp_path) == ["scores.csv"]
    with atomic_file(target) as tmp:
        tmp.write_text("new")
    assert target.read_text() == "new"
    assert _entries(tmp_path) == ["scores.csv"]


def test_bom_and_crlf_are_accepted(tmp_path):
    d = tmp_path / "ds"
    d.mkdir()
    (d / "members.csv").write_bytes(b"\xef\xbb\xbfmember_id,industry\r\nm1,S\r\nm2,R\r\n")
    (d / "activity.csv").write_bytes(b"member_id,date,posts\r\nm2,2024-01-01,3\r\n")
    ds = load_dataset(d)
    assert list(ds["members"].columns) == ["member_id", "industry"]
    assert list(ds["members"]["member_id"]) == ["m1", "m2"]
    assert ds["activity"]["posts"].tolist() == [3]


def test_duplicate_column_in_csv_header(tmp_path):
    d = write_tables(tmp_path, {"members": MEMBERS,
                                "activity": "member_id,date,posts,posts\nm1,2024-01-01,1,5\n"})
    err = dataset_error(d)
    p = one_problem(err, "activity", "posts")
    assert "unique column names" in p.expected
