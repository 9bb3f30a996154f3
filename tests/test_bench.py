"""The benchmark runs on tiny data, and its baselines agree with the engine."""
import numpy as np
import pandas as pd

from ssi_kit import bench
from ssi_kit.scoring import load_spec
from ssi_kit.scoring.features import day_numbers


def test_bench_table_on_tiny_data(tmp_path, capsys):
    assert bench.main(["--members", "12", "--months", "15", "--naive-cells", "5", "--out", str(tmp_path)]) == 0
    table = pd.read_csv(tmp_path / "scoring.csv")
    assert len(table) == 4
    assert (table["seconds"] > 0).all()
    assert table["seller_days"].iloc[0] == 12 * 457  # 2025-07-01 .. 2026-09-30
    printed = capsys.readouterr().out
    assert "naive" in printed and "numpy" in printed and "target" in printed


def test_naive_and_numpy_baselines_compute_the_engine_pillars():
    ds = bench.bench_dataset(10, 15, seed=1)
    spec = load_spec()
    act = ds["activity"]
    days = np.arange(day_numbers(act["date"]).min(), day_numbers(act["date"]).max() + 1)[::40]
    core = bench._core(ds, spec, days)
    dense = bench.numpy_pillars(bench._dense(ds, spec, days), spec, days)
    ours = np.vstack([core[p] for p in ("brand", "people", "insights", "relationships")])
    np.testing.assert_allclose(ours, dense, atol=1e-5)
    ids = ds["members"]["member_id"].to_numpy()
    cells = [(ids[3], pd.Timestamp(days[5].astype("datetime64[D]"))),
             (ids[7], pd.Timestamp(days[-1].astype("datetime64[D]")))]
    naive = bench.naive_pillars(ds, spec, cells)
    np.testing.assert_allclose(naive, ours[:, [3 * len(days) + 5, 8 * len(days) - 1]].T, atol=1e-5)
