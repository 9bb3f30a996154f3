"""The one table writer: CSV and Parquet through Arrow, streamed, deterministic, round-tripping."""
import io

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from ssi_kit.io import write_table
from ssi_kit.io.stream import csv_text, write_blocks


def _frame(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    """Every kind of column the kit writes, with missing values and awkward text."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "text": pd.array(rng.choice(["a", "b,c", 'q"x', "l\nm", "", None, "'=1", "ü"], n), dtype="str"),
        "obj": pd.Series(rng.choice(["a", "b,c", None], n), dtype=object),
        "cat": pd.Categorical(rng.choice(["leader", "mid,dle", None], n)),
        "cat_int": pd.Categorical(rng.choice([1, 2, 3], n)),
        "micro": np.round(rng.normal(size=n) * 10.0 ** rng.integers(-8, 14, n), 6),
        "whole": rng.integers(-5, 5, n).astype(float),
        "any": np.where(rng.random(n) < 0.3, np.nan, rng.random(n)),
        "few": rng.choice([0.0, 0.75, 1.5, np.nan], n),
        "int": rng.integers(-10**12, 10**12, n),
        "nint": pd.array(np.where(rng.random(n) < 0.3, None, rng.integers(0, 9, n)), dtype="Int64"),
        "flag": rng.random(n) < 0.5,
        "nflag": pd.array(np.where(rng.random(n) < 0.3, None, rng.random(n) < 0.5), dtype="boolean"),
        "date": pd.to_datetime("2024-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D"),
    })
    frame.loc[3, "date"] = pd.NaT
    frame.loc[4, "micro"] = -0.0
    frame.loc[5, "any"] = np.inf
    return frame


def _pandas_csv(frame: pd.DataFrame) -> str:
    """What pandas writes (the kit's writer before #13), dates and booleans as the contract says."""
    old = frame.copy()
    for col in old.columns:
        s = old[col]
        if pd.api.types.is_datetime64_any_dtype(s.dtype):
            old[col] = s.dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_bool_dtype(s.dtype):
            old[col] = s.map({True: "true", False: "false"})
    return old.to_csv(index=False, lineterminator="\n")


def test_csv_reads_back_as_pandas_wrote_it():
    """Every value and every inferred dtype is what reading pandas' own CSV gives."""
    frame = _frame()
    ours, theirs = csv_text(frame), _pandas_csv(frame)
    a = pd.read_csv(io.StringIO(ours), keep_default_na=False, na_values=[""])
    b = pd.read_csv(io.StringIO(theirs), keep_default_na=False, na_values=[""])
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert np.signbit(a["micro"].iloc[4])  # -0.0 keeps its sign
    assert ours.splitlines()[0] == theirs.splitlines()[0]


def test_csv_format_promises():
    frame = pd.DataFrame({"d": pd.to_datetime(["2025-01-02 13:45", None]), "b": [True, False],
                          "f": [3.0, np.nan], "g": [0.000001, 2.5], "s": ["x,y", None]})
    assert csv_text(frame) == 'd,b,f,g,s\n2025-01-02,true,3.0,0.000001,"x,y"\n,false,,2.5,\n'
    assert csv_text(pd.DataFrame({"a": ["", None, "x"]})) == 'a\n""\n""\nx\n'  # no blank lines
    assert csv_text(pd.DataFrame({"a": ["q\rx"], "b": [1]})) == 'a,b\n"q\rx",1\n'  # a lone CR is quoted


@pytest.mark.parametrize("sizes", [[3000], [1, 2999], [1000, 1000, 1000], [7] * 428 + [4]])
def test_csv_bytes_do_not_depend_on_blocks(tmp_path, sizes):
    frame = _frame()
    edges = np.cumsum([0, *sizes])
    blocks = [frame.iloc[a:b] for a, b in zip(edges[:-1], edges[1:])]
    assert write_blocks(blocks, tmp_path / "s.csv") == len(frame)
    write_table(frame, tmp_path / "t.csv", verbatim=True)
    first = (tmp_path / "s.csv").read_bytes()
    assert first == (tmp_path / "t.csv").read_bytes() == csv_text(frame).encode()
    write_blocks(blocks, tmp_path / "s.csv")
    assert (tmp_path / "s.csv").read_bytes() == first  # the same bytes on every run


def test_csv_batches_inside_a_block(tmp_path, monkeypatch):
    from ssi_kit.io import stream

    frame = _frame(500)
    whole = csv_text(frame)
    monkeypatch.setattr(stream, "CSV_BATCH_ROWS", 7)
    assert csv_text(frame) == whole


def test_parquet_blocks_are_row_groups_and_deterministic(tmp_path):
    frame = _frame(1000).drop(columns=["obj"])
    blocks = [frame.iloc[:400], frame.iloc[400:]]
    assert write_blocks(blocks, tmp_path / "a.parquet") == 1000
    write_blocks(blocks, tmp_path / "b.parquet")
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()
    assert pq.ParquetFile(tmp_path / "a.parquet").num_row_groups == 2
    back = pd.read_parquet(tmp_path / "a.parquet")
    pd.testing.assert_frame_equal(back, frame, check_dtype=False, check_categorical=False)


def test_nothing_is_left_when_a_block_fails(tmp_path):
    def blocks():
        yield pd.DataFrame({"a": [1.5]})
        raise RuntimeError("boom")

    for name in ("x.csv", "x.parquet"):
        with pytest.raises(RuntimeError):
            write_blocks(blocks(), tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_for_spreadsheets_changes_categories_not_cells():
    from ssi_kit.io.cells import for_spreadsheets

    codes = np.zeros(100_000, dtype=np.int8)
    frame = pd.DataFrame({"team": pd.Categorical.from_codes(codes, ["=x\r"]),
                          "id": pd.array(["-a"] + ["b"] * 99_999, dtype="str")})
    out = for_spreadsheets(frame)
    assert isinstance(out["team"].dtype, pd.CategoricalDtype)
    assert list(out["team"].cat.categories) == ["'=x\n"]
    assert out["id"].iloc[0] == "'-a" and out["id"].iloc[1] == "b" and frame["id"].iloc[0] == "-a"
