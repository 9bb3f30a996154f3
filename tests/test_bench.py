"""The benchmarks run on tiny data, and their baselines and peers agree with the kit."""
import numpy as np
import pandas as pd
import pytest

from ssi_kit import bench
from ssi_kit.bench import scoring
from ssi_kit.bench.measure import extrapolate
from ssi_kit.scoring import load_spec
from ssi_kit.scoring.features import day_numbers


def test_bench_table_on_tiny_data(tmp_path, capsys):
    argv = ["--only", "scoring", "--members", "12", "--months", "15", "--naive-cells", "5", "--out", str(tmp_path)]
    assert bench.main(argv) == 0
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
    core = scoring._core(ds, spec, days)
    dense = bench.numpy_pillars(scoring._dense(ds, spec, days), spec, days)
    ours = np.vstack([core[p] for p in ("brand", "people", "insights", "relationships")])
    np.testing.assert_allclose(ours, dense, atol=1e-5)
    ids = ds["members"]["member_id"].to_numpy()
    cells = [(ids[3], pd.Timestamp(days[5].astype("datetime64[D]"))),
             (ids[7], pd.Timestamp(days[-1].astype("datetime64[D]")))]
    naive = bench.naive_pillars(ds, spec, cells)
    np.testing.assert_allclose(naive, ours[:, [3 * len(days) + 5, 8 * len(days) - 1]].T, atol=1e-5)


def test_scale_benchmarks_on_tiny_data(tmp_path, capsys):
    """Every scale row is produced on tiny data, and the peers were checked equal to ours."""
    argv = ["--only", "window,network,claims,full", "--sizes", "1.5e4", "--edges", "2000",
            "--network-sellers", "500", "--claims-sellers", "300", "--out", str(tmp_path)]
    assert bench.main(argv) == 0
    table = pd.read_csv(tmp_path / "scale.csv")
    assert list(table.columns) == list(bench.table.COLUMNS)
    window = table[table["what"].str.startswith("window sums")]
    assert len(window) == 2 and (window["size"] == 21 * 730).all()  # 21 sellers x 730 days
    assert window["check"].str.startswith("identical sums on all 15,330 cells").all()
    assert (window["peer_seconds"] > 0).all() and (window["peak_gb"] > 0).all()
    network = table[table["what"].str.startswith("network")].iloc[0]
    assert 1800 <= network["size"] <= 2000 and network["check"].startswith("identical top %")
    claims = table[table["what"].str.startswith("claims")]
    assert len(claims) == 2 and (claims["seconds"] > 0).all()
    assert claims["check"].str.contains("claims testable").all()
    full = table[table["what"].str.startswith("full scoring")].iloc[0]
    assert full["status"] == "met" and 0 < full["peak_gb"] < 4 and full["peer_seconds"] > 0
    assert (tmp_path / "data").is_dir()  # simulated datasets cached under --out
    assert "exponent" in capsys.readouterr().out


def test_growth_exponent_and_child_measurement():
    assert bench.growth_exponent([1e6, 1e7], [1.0, 10.0]) == pytest.approx(1.0)
    assert bench.growth_exponent([1e6, 1e7], [1.0, 100.0]) == pytest.approx(2.0)
    assert np.isnan(bench.growth_exponent([1e6], [1.0]))
    assert extrapolate([(1e4, 1.0), (3e4, 2.0)], 6e4) == pytest.approx(4.0)  # never below linear
    assert extrapolate([(1e4, 1.0), (2e4, 4.0)], 4e4) == pytest.approx(16.0)
    m = bench.measure(np.ones, 1_000_000, reduce=np.sum)
    assert m.value == 1_000_000 and m.seconds > 0 and m.peak_bytes > 8_000_000
    with pytest.raises(bench.BenchMismatch, match="1 of 3"):
        bench.table.check_identical(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.5, 3.0]), "peer")


def test_process_benchmark_on_tiny_data(tmp_path, capsys):
    """ssi-kit score and the DuckDB process run on the same tiny files and write tables of one shape."""
    argv = ["--only", "process", "--process-members", "10", "--process-months", "15",
            "--process-inputs", "csv", "--process-repeat", "1", "--out", str(tmp_path)]
    assert bench.main(argv) == 0
    table = pd.read_csv(tmp_path / "scale.csv")
    rows = table[table["what"].str.startswith("whole process")]
    assert len(rows) == 2 and rows["what"].str.endswith(("csv out", "parquet out")).all()
    assert (rows["seconds"] > 0).all() and (rows["peer_seconds"] > 0).all() and (rows["ratio"] > 0).all()
    assert rows["check"].str.startswith("same shape: 4,570 rows x 48 columns").all()  # 10 sellers x 457 days
    assert rows["status"].isin(["met", "MISSED"]).all()  # no wall-clock assertion
    assert "DuckDB process" in capsys.readouterr().out


def test_duckdb_sql_sums_the_spec_windows(tmp_path):
    """The DuckDB peer's sums agree with the window benchmark's query on a tiny dataset."""
    duckdb = pytest.importorskip("duckdb")
    from ssi_kit.bench.data import window_dataset
    from ssi_kit.bench.process import duckdb_sql

    data = window_dataset(tmp_path, 10, 15)
    sql = duckdb_sql(data, tmp_path / "o.parquet", "parquet", 30)
    duckdb.connect().execute(sql)
    out = pd.read_parquet(tmp_path / "o.parquet")
    assert out.shape == (10 * 457, 30) and list(out.columns[:2]) == ["member_id", "date"]
    assert (out.filter(like="s").to_numpy() >= 0).all()


def test_calibrate_benchmark_on_tiny_data(tmp_path):
    from ssi_kit.bench.calibration import calibration_rows, hidden_spec

    (row,) = calibration_rows(tmp_path, members=30, readings=8, log=lambda *_: None)
    assert row.unit == "sellers" and row.size == 30 and row.target_on == "seconds"
    assert np.isfinite(row.seconds) and np.isfinite(row.peer_seconds) and row.verdict() in ("met", "MISSED")
    assert "held-out MAE of the total" in row.check
    hidden, shipped = hidden_spec(), load_spec()
    assert [i.target for i in hidden.inputs] != [i.target for i in shipped.inputs]
    assert [i.weight for i in hidden.inputs] == [i.weight for i in shipped.inputs]
