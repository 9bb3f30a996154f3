"""The Dask engine gives the pandas engine's scores, on a 2-worker local cluster.

The sample data is scored in many small seller blocks (one partition each), from
CSV and from Parquet, and compared with the pandas engine cell by cell; bad input
is refused with the same kind of problem list and nothing is written.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ssi_kit.cli import main
from ssi_kit.exceptions import DatasetError
from ssi_kit.io import load_dataset, write_dataset
from ssi_kit.scoring import band_of, score_dataset, score_days, tier_of
from ssi_kit.io.partitioned import load_partitioned
from ssi_kit.scoring import score_blocks
from ssi_kit.scoring.engines.cluster import dask_client, score_blocks_dask

pytest.importorskip("distributed")

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
TABLES = ("members", "activity", "profiles", "connections")
BLOCK = 20_000  # about 40 sellers a block: 5 partitions on the sample


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    with dask_client(workers=2, memory_limit="1GB",
                     local_directory=tmp_path_factory.mktemp("dask")) as c:
        yield c


@pytest.fixture(scope="module")
def pandas_scores():
    return score_dataset(load_dataset(SAMPLE, tables=TABLES))


@pytest.fixture(scope="module")
def parquet_sample(tmp_path_factory):
    ds = load_dataset(SAMPLE, tables=TABLES)
    out = tmp_path_factory.mktemp("pq") / "sample"
    write_dataset(ds.tables, out, fmt="parquet")
    return out


def _dask_scores(client, path, **kwargs) -> pd.DataFrame:
    ds = load_partitioned(path, tables=TABLES, client=client, blocksize="1MB")
    scored = score_blocks_dask(ds, client=client, block_cells=BLOCK, **kwargs)
    assert len(scored.blocks) >= 5
    return scored.to_frame()


@pytest.mark.parametrize("source", ["csv", "parquet"])
def test_dask_engine_equals_pandas_engine(client, pandas_scores, parquet_sample, source):
    path = SAMPLE if source == "csv" else parquet_sample
    ours = _dask_scores(client, path)
    pd.testing.assert_frame_equal(ours, pandas_scores, check_exact=False, rtol=0, atol=1e-9)
    numeric = pandas_scores.select_dtypes("number").columns
    assert np.array_equal(ours[numeric].to_numpy(), pandas_scores[numeric].to_numpy(), equal_nan=True)


def test_block_sizes_do_not_change_the_pandas_engine(pandas_scores):
    ds = load_dataset(SAMPLE, tables=TABLES)
    small = score_blocks(ds, block_cells=7_000)
    assert len(small.blocks) > 10
    pd.testing.assert_frame_equal(small.to_frame(), pandas_scores, check_exact=True)


def test_dask_to_dask_frame_is_partitioned_by_seller_block(client, pandas_scores):
    ds = load_partitioned(SAMPLE, tables=TABLES, client=client, blocksize="1MB")
    scored = score_blocks_dask(ds, client=client, block_cells=BLOCK)
    frame = scored.to_dask()
    assert frame.npartitions == len(scored.blocks)
    first = frame.get_partition(0).compute()
    assert first["member_id"].nunique() == len(scored.blocks[0])
    assert len(frame) == len(pandas_scores)


def _broken_copy(tmp_path, edit) -> Path:
    bad = tmp_path / "bad"
    shutil.copytree(SAMPLE, bad)
    lines = (bad / "activity.csv").read_text().splitlines()
    edit(lines)
    (bad / "activity.csv").write_text("\n".join(lines) + "\n")
    return bad


def _refusal(client, path) -> str:
    with pytest.raises(DatasetError) as err:
        ds = load_partitioned(path, tables=TABLES, client=client, blocksize="1MB")
        score_blocks_dask(ds, client=client, block_cells=BLOCK)
    return str(err.value)


def test_bad_value_in_a_late_partition_is_reported_with_its_file_line(client, tmp_path):
    def edit(lines):
        cells = lines[-3].split(",")
        cells[lines[0].split(",").index("posts")] = "-4"
        lines[-3] = ",".join(cells)
    bad = _broken_copy(tmp_path, edit)
    n_lines = len((bad / "activity.csv").read_text().splitlines())
    text = _refusal(client, bad)
    assert "activity.csv, column 'posts': 1 row fails" in text
    assert f"line {n_lines - 2} ('-4')" in text


def test_key_repeated_across_partitions_is_reported(client, tmp_path):
    bad = _broken_copy(tmp_path, lambda lines: lines.append(lines[5]))
    n_lines = len((bad / "activity.csv").read_text().splitlines())
    text = _refusal(client, bad)
    assert "one row per key (member_id, date)" in text
    assert f"line {n_lines}" in text


def test_cli_dask_engine_writes_the_pandas_engines_file(tmp_path, capsys):
    assert main(["score", str(SAMPLE), "--out", str(tmp_path / "p"), "-q"]) == 0
    assert main(["score", str(SAMPLE), "--out", str(tmp_path / "d"), "-q", "--engine", "dask",
                 "--workers", "2"]) == 0
    assert (tmp_path / "p" / "scores.csv").read_bytes() == (tmp_path / "d" / "scores.csv").read_bytes()


def test_cli_refuses_scheduler_without_dask_engine(tmp_path, capsys):
    assert main(["score", str(SAMPLE), "--out", str(tmp_path), "--scheduler", "tcp://x:1"]) == 2
    assert "--engine dask" in capsys.readouterr().err
    assert not (tmp_path / "scores.csv").exists()


@pytest.mark.slow
def test_input_larger_than_worker_memory_streams_through_partitions(tmp_path):
    """Workers limited to 1 GB each score input larger than that, and agree with pandas."""
    from ssi_kit.simulate import SimulationConfig, simulate_dataset

    sim = simulate_dataset(SimulationConfig(members=20000, months=18, seed=5))
    data = write_dataset({t: sim.tables[t] for t in TABLES}, tmp_path / "big")
    in_memory = sum(sim.tables[t].memory_usage(deep=True).sum() for t in TABLES)
    assert in_memory > 1.2e9  # larger than a worker's limit
    del sim
    local = load_dataset(data, tables=TABLES)
    days = score_days(local, every=7)
    expected = score_blocks(local, days=days, block_cells=200_000)
    del local
    with dask_client(workers=2, memory_limit="1GB", local_directory=tmp_path / "spill") as c:
        ds = load_partitioned(data, tables=TABLES, client=c, blocksize="16MB")
        scored = score_blocks_dask(ds, client=c, days=days, block_cells=200_000)
        assert len(scored.blocks) > 10
        got = scored.to_frame()
    pd.testing.assert_frame_equal(got, expected.to_frame(), check_exact=True)


def test_lean_mode_recomputes_contributions_to_the_same_table(pandas_scores):
    ds = load_dataset(SAMPLE, tables=TABLES)
    lean = score_blocks(ds, block_cells=30_000, hold_bytes=0)
    assert lean.rescore is not None and set(lean.arrays[0]) == {
        "brand", "people", "insights", "relationships", "ssi", "ssi_change_7d"}
    pd.testing.assert_frame_equal(lean.to_frame(), pandas_scores, check_exact=True)
    assert (pandas_scores["tier"].astype(str) == tier_of(pandas_scores["ssi"])).all()
    assert (pandas_scores["band"].astype(str) == band_of(pandas_scores["ssi"])).all()


def test_unsorted_files_are_shuffled_by_seller_and_score_the_same(client, pandas_scores, tmp_path):
    """Files not sorted by seller take the shuffle path (set_index by block); same scores."""
    data = tmp_path / "unsorted"
    shutil.copytree(SAMPLE, data)
    for table in ("activity", "profiles"):
        frame = pd.read_csv(data / f"{table}.csv", dtype=str, keep_default_na=False)
        frame.sample(frac=1.0, random_state=3).to_csv(data / f"{table}.csv", index=False)
    ds = load_partitioned(data, tables=TABLES, client=client, blocksize="1MB")
    assert ds.stats["activity"]["seller_ranges"] is None
    got = score_blocks_dask(ds, client=client, block_cells=BLOCK).to_frame()
    pd.testing.assert_frame_equal(got, pandas_scores, check_exact=True)


def test_sorted_files_record_each_partitions_sellers(client):
    ds = load_partitioned(SAMPLE, tables=TABLES, client=client, blocksize="1MB")
    ranges = ds.stats["activity"]["seller_ranges"]
    assert ranges is not None and len(ranges) == ds["activity"].npartitions > 2
    assert ranges[0][0] == 0 and ranges[-1][1] == 199
    assert all(a[1] <= b[0] for a, b in zip(ranges, ranges[1:]))
