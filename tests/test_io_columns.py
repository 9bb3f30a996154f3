"""Column-selective reading (``load_dataset(columns=...)``) and column-by-column validation."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import VALID_CSV, problems_for, write_tables
from ssi_kit.exceptions import DatasetError, InputError, MissingTableError, UsageError
from ssi_kit.io import load_dataset, validate_tables, write_dataset
from ssi_kit.io.schemas import frame_columns
from ssi_kit.io.validate import key_order

MEMBERS = "member_id,industry,team\nm1,Software,A\nm2,Retail,B\n"
ACTIVITY = """\
    member_id,date,posts,searches,messages_sent,mood
    m1,2024-03-01,1,10,5,good
    m1,2024-03-05,0,3,1,bad
    m2,2024-03-03,2,0,0,
    """


def _members() -> pd.DataFrame:
    return pd.DataFrame({"member_id": ["m1", "m2"], "industry": ["Software", "Retail"],
                         "team": ["A", "B"]})


def _load_error(directory, **kwargs) -> DatasetError:
    with pytest.raises(DatasetError) as info:
        load_dataset(directory, **kwargs)
    return info.value


@pytest.fixture(params=["csv", "parquet"])
def fmt(request):
    return request.param


@pytest.fixture
def both(tmp_path, valid_dir, fmt):
    """The tiny valid dataset as CSV or Parquet (same content)."""
    if fmt == "csv":
        return valid_dir
    return write_dataset(load_dataset(valid_dir).tables, tmp_path / "pq", fmt="parquet")


# ---------------------------------------------------------------------------
# what is read and returned


def test_only_requested_and_required_columns_are_returned(both):
    full = load_dataset(both)
    ds = load_dataset(both, columns={"activity": ["posts", "messages_sent"], "members": ["team"]})
    assert list(ds["activity"].columns) == ["member_id", "date", "posts", "messages_sent"]
    assert list(ds["members"].columns) == ["member_id", "industry", "team"]
    for name, table in ds.tables.items():
        pd.testing.assert_frame_equal(table, full[name][list(table.columns)], check_exact=True)


def test_tables_not_named_in_columns_are_read_whole(both):
    full = load_dataset(both)
    ds = load_dataset(both, columns={"activity": ["posts"]})
    for name in ("members", "ssi", "outcomes", "profiles"):
        pd.testing.assert_frame_equal(ds[name], full[name])


def test_required_columns_are_always_read(both):
    ds = load_dataset(both, tables=["ssi", "outcomes", "events", "connections"],
                      columns={"ssi": [], "outcomes": (), "events": [], "connections": []})
    assert list(ds["ssi"].columns) == ["member_id", "date", "ssi"]
    assert list(ds["outcomes"].columns) == ["member_id", "period_start", "period_end"]
    assert list(ds["events"].columns) == ["member_id", "date", "event"]
    assert list(ds["connections"].columns) == ["member_id", "connection_id"]
    assert frame_columns("activity") == ("member_id", "date")


def test_a_single_column_name_may_be_a_string(both):
    ds = load_dataset(both, columns={"activity": "posts"})
    assert list(ds["activity"].columns) == ["member_id", "date", "posts"]


def test_extra_columns_only_when_requested(tmp_path, fmt):
    frames = {"members": _members(),
              "activity": pd.DataFrame({"member_id": ["m1", "m2"],
                                        "date": pd.to_datetime(["2024-03-01", "2024-03-02"]),
                                        "posts": [1, 2], "mood": ["good", "bad"]})}
    d = write_tables(tmp_path, frames, fmt=fmt)
    assert "mood" not in load_dataset(d, columns={"activity": ["posts"]})["activity"]
    ds = load_dataset(d, columns={"activity": ["mood"]})
    assert list(ds["activity"].columns) == ["member_id", "date", "mood"]
    assert list(ds["activity"]["mood"]) == ["good", "bad"]


def test_requested_column_absent_from_file_is_ignored(both):
    ds = load_dataset(both, columns={"activity": ["posts", "group_posts", "no_such_column"]})
    assert list(ds["activity"].columns) == ["member_id", "date", "posts"]
    assert ds.has("activity", ["posts"]) and not ds.has("activity", ["group_posts"])
    with pytest.raises(MissingTableError, match="group_posts"):
        ds.require("activity", "Scoring", ["posts", "group_posts"])


def test_columns_do_not_add_tables(both):
    ds = load_dataset(both, tables=["activity"], columns={"ssi": ["brand"]})
    assert set(ds.tables) == {"members", "activity"}


def test_unknown_table_in_columns_is_refused(valid_dir):
    with pytest.raises(InputError, match="Unknown table.*activities.*in columns"):
        load_dataset(valid_dir, columns={"activities": ["posts"]})


def test_columns_must_be_a_mapping(valid_dir):
    with pytest.raises(UsageError, match="columns must map table names"):
        load_dataset(valid_dir, columns=["posts"])


def test_unsorted_table_is_sorted_with_column_selection(tmp_path, fmt):
    activity = pd.DataFrame({"member_id": ["m2", "m1", "m1"],
                             "date": pd.to_datetime(["2024-01-01", "2024-01-03", "2024-01-02"]),
                             "posts": [7, 3, 2], "searches": [1, 1, 1]})
    d = write_tables(tmp_path, {"members": _members(),
                                "activity": activity}, fmt=fmt)
    a = load_dataset(d, columns={"activity": ["posts"]})["activity"]
    assert list(a["member_id"]) == ["m1", "m1", "m2"]
    assert list(a["posts"]) == [2, 3, 7]
    assert list(a.index) == [0, 1, 2]


def test_parquet_index_is_not_a_column(tmp_path):
    members = pd.DataFrame({"member_id": ["m1", "m2"], "industry": ["S", "R"]}, index=[10, 20])
    d = tmp_path / "ds"
    d.mkdir()
    members.to_parquet(d / "members.parquet", index=True)
    for columns in (None, {"members": ["__index_level_0__"]}):
        ds = load_dataset(d, columns=columns)
        assert list(ds["members"].columns) == ["member_id", "industry"]
        assert list(ds["members"].index) == [0, 1]


# ---------------------------------------------------------------------------
# validation of what is read


def test_invalid_value_in_requested_column_is_reported_csv(tmp_path):
    d = write_tables(tmp_path, {"members": MEMBERS,
                                "activity": ACTIVITY.replace("m1,2024-03-05,0,3", "m1,2024-03-05,-4,x")})
    err = _load_error(d, columns={"activity": ["posts", "searches"]})
    [posts] = problems_for(err, "activity", "posts")
    assert (posts.rows, posts.examples, posts.row_unit) == ((3,), ("-4",), "line")
    assert "a value of at least 0" in posts.expected
    [searches] = problems_for(err, "activity", "searches")
    assert (searches.rows, searches.examples) == ((3,), ("x",))
    assert "activity.csv, column 'posts': 1 row fails, line 3 ('-4')" in str(err)


def test_invalid_value_in_requested_column_is_reported_parquet(tmp_path):
    activity = pd.DataFrame({"member_id": ["m1", "m1", "m2"],
                             "date": pd.to_datetime(["2024-03-01", "2024-03-05", "2024-03-03"]),
                             "posts": [1.0, 2.5, -1.0], "searches": [1, 2, 3]})
    d = write_tables(tmp_path, {"members": _members(),
                                "activity": activity}, fmt="parquet")
    err = _load_error(d, columns={"activity": ["posts"]})
    assert {(p.rows, p.expected) for p in problems_for(err, "activity", "posts")} == {
        ((2,), "a whole number (a non-negative integer count)"), ((3,), "a value of at least 0")}
    assert all(p.row_unit == "row" for p in err.problems)


def test_columns_not_requested_are_not_validated(tmp_path):
    d = write_tables(tmp_path, {"members": MEMBERS,
                                "activity": ACTIVITY.replace("m1,2024-03-05,0,3", "m1,2024-03-05,0,x")})
    with pytest.raises(DatasetError):
        load_dataset(d)
    ds = load_dataset(d, columns={"activity": ["posts"]})
    assert list(ds["activity"]["posts"]) == [1, 0, 2]


def test_required_columns_are_validated_when_not_requested(tmp_path):
    d = write_tables(tmp_path, {"members": MEMBERS,
                                "activity": ACTIVITY.replace("m2,2024-03-03", "m9,2024-13-03"),
                                "ssi": "member_id,date,brand\nm1,2024-01-01,3\n"})
    err = _load_error(d, columns={"activity": ["posts"], "ssi": ["brand"]})
    assert problems_for(err, "activity", "date")[0].rows == (4,)
    assert problems_for(err, "activity", "member_id")[0].examples == ("m9",)
    assert "required column" in problems_for(err, "ssi", "ssi")[0].expected


def test_duplicate_key_is_reported_with_column_selection(tmp_path, fmt):
    activity = pd.DataFrame({"member_id": ["m1", "m1", "m2"],
                             "date": pd.to_datetime(["2024-03-01", "2024-03-01", "2024-03-03"]),
                             "posts": [1, 2, 3]})
    d = write_tables(tmp_path, {"members": _members(),
                                "activity": activity}, fmt=fmt)
    err = _load_error(d, columns={"activity": []})
    [p] = problems_for(err, "activity", "member_id+date")
    assert p.count == 2 and "one row per key" in p.expected


def test_row_blank_only_in_read_columns_is_not_dropped(tmp_path):
    text = "member_id,date,posts,searches\nm1,2024-03-01,1,2\n,,,7\n,,,\n\nm2,2024-03-02,1,1\n"
    d = write_tables(tmp_path, {"members": MEMBERS, "activity": text})
    err = _load_error(d, columns={"activity": ["posts"]})
    [p] = problems_for(err, "activity", "member_id")
    assert p.rows == (3,) and p.count == 1  # lines 4 and 5 are blank in every column
    fixed = text.replace(",,,7\n", "")
    d2 = write_tables(tmp_path / "ok", {"members": MEMBERS, "activity": fixed})
    ds = load_dataset(d2, columns={"activity": ["posts"]})
    assert list(ds["activity"]["member_id"]) == ["m1", "m2"]


def test_unreadable_parquet_file(tmp_path):
    d = write_tables(tmp_path, {"members": MEMBERS})
    (d / "activity.parquet").write_bytes(b"not parquet at all")
    err = _load_error(d)
    [p] = problems_for(err, "activity", None)
    assert "a readable table" in p.expected and p.file.endswith("activity.parquet")


# ---------------------------------------------------------------------------
# in-memory validation and key order


def test_validate_tables_leaves_its_input_untouched():
    raw = {"members": pd.DataFrame({"member_id": [" b", "a "], "industry": ["S", "S"],
                                    "tenure_months": ["1", "2.5"]})}
    before = raw["members"].copy()
    typed = validate_tables(raw)
    pd.testing.assert_frame_equal(raw["members"], before)
    assert list(typed["members"]["member_id"]) == ["a", "b"]
    assert str(typed["members"]["tenure_months"].dtype) == "Float64"


def test_validate_tables_matches_load_dataset(valid_dir):
    ds = load_dataset(valid_dir)
    again = validate_tables({name: t for name, t in ds.tables.items()})
    for name, table in ds.tables.items():
        pd.testing.assert_frame_equal(again[name], table)


@pytest.mark.parametrize("members,dates,expected", [
    (["a", "a", "b"], [1, 2, 1], (True, True)),
    (["a", "a", "b"], [1, 1, 1], (True, False)),
    (["a", "b", "a"], [1, 1, 2], (False, False)),
    (["a", "a", "b"], [2, 1, 1], (False, False)),
    (["a", None, "b"], [1, 1, 1], (False, False)),
    (["a"], [1], (True, True)),
])
def test_key_order(members, dates, expected):
    columns = {"member_id": pd.Series(members, dtype="str"),
               "date": pd.Series(pd.to_datetime(np.array(dates), unit="D"))}
    assert key_order(columns, ("member_id", "date")) == expected


def test_all_tables_read_whole_when_columns_is_none(valid_dir):
    ds = load_dataset(valid_dir, columns=None)
    assert set(ds.tables) == set(VALID_CSV)
    assert "invitations_accepted" in ds["activity"]
