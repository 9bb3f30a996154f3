"""``make bench``: the kit's speed and memory against naive and database peers, in one run.

``python -m ssi_kit.bench`` runs every benchmark; ``--only scoring,window,network,claims,full,process``
picks some and ``--sizes 1e6,3e6,1e7`` (seller-days), ``--edges`` and ``--claims-sellers``
choose the sizes.  Results go to ``outputs/bench/`` (``--out``): ``scoring.csv`` and
``scale.csv``; simulated datasets are cached as Parquet in ``outputs/bench/data/``.

Modules
-------
scoring
    Engine against a naive row-by-row loop and a bare numpy pass (``scoring.csv``).
window
    Trailing-window sums: ours against DuckDB and pandas groupby-rolling.
network
    Network top percentage: ours against a DuckDB join and group-by.
claims
    The claims battery at 10k, 30k and 100k sellers.
full
    The hook for the full-scoring-to-Parquet row.
process
    ``ssi-kit score`` as a whole process against a DuckDB process on the same files,
    CSV and Parquet output (the issue's target: ratio at most 1).
measure
    Time and peak memory of a step in a spawned child process; growth exponents.
data, table
    Cached simulated datasets; rows, exponents, the printed table and ``scale.csv``.
"""
from .command import BENCHMARKS, main
from .data import claims_dataset, window_dataset
from .full import full_scoring_to_parquet
from .measure import Measurement, StepFailed, growth_exponent, measure
from .network import network_graph
from .process import process_rows
from .scoring import bench_dataset, naive_pillars, numpy_pillars, run
from .table import BenchMismatch, Row, scale_table

__all__ = ["main", "BENCHMARKS", "run", "bench_dataset", "naive_pillars", "numpy_pillars", "measure",
           "Measurement", "StepFailed", "growth_exponent", "network_graph", "window_dataset",
           "claims_dataset", "full_scoring_to_parquet", "process_rows", "Row", "BenchMismatch", "scale_table"]
