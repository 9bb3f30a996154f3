"""Full scoring to Parquet, as ``ssi-kit score --format parquet`` runs it: time and peak memory.

Each size is scored in a fresh child process (load and validate the tables, score
block by block, rank, stream ``scores.parquet``), so the peak resident memory is
the step's alone; the target is a peak under 4 GB at 10M seller-days.  At the
smaller sizes the Dask engine (a local cluster of 2 worker processes) scores the
same data and its time is printed beside the pandas engine's (its workers' memory
is not in the child's peak).
"""
from __future__ import annotations

import tempfile

from .measure import measure
from .table import Row

__all__ = ["full_scoring_to_parquet", "full_rows", "FULL_SIZE", "PEAK_TARGET_GB"]

#: Seller-days of the row (the dataset of the window benchmark at 1e7).
FULL_SIZE = 1e7
#: Target on the peak resident memory, GB.
PEAK_TARGET_GB = 4.0


def _score_to_parquet(data_dir: str, out: str, engine: str = "pandas") -> int:
    from ..jobs import score_to_dir
    from ..scoring.engines import get_engine

    # a local cluster of 2 workers for a distributed engine; the pandas engine takes none
    workers = 2 if get_engine(engine).distributed else None
    result = score_to_dir(data_dir, out, formats=("parquet",), engine=engine, workers=workers)
    return result.path.stat().st_size


def full_scoring_to_parquet(data_dir, engine: str = "pandas", cap_bytes=None) -> tuple[float, int]:
    """Seconds and peak resident bytes of scoring ``data_dir`` in full and writing Parquet.

    Parameters
    ----------
    data_dir : pathlib.Path
        A simulated dataset (Parquet tables).
    engine : {"pandas", "dask"}
    cap_bytes : int, optional
        Memory cap of the child (see :func:`ssi_kit.bench.measure.measure`).

    Returns
    -------
    seconds : float
    peak_bytes : int
    """
    with tempfile.TemporaryDirectory(prefix="ssi-kit-bench-") as out:
        m = measure(_score_to_parquet, str(data_dir), out, engine, cap_bytes=cap_bytes)
    return m.seconds, m.peak_bytes


def full_rows(cache, sizes, *, months: int = 24, dask_up_to: float = 3e6, cap_bytes=None,
              log=print) -> list:
    """Rows of full scoring to Parquet at each size (pandas engine; Dask at the small sizes)."""
    from .data import members_for, span_days, window_dataset

    rows = []
    for size in sizes:
        members = members_for(size, months)
        data = window_dataset(cache, members, months)
        row = Row(what="full scoring to Parquet (load, score, rank, write)",
                  size=members * span_days(months), unit="seller-days",
                  target=f"peak < {PEAK_TARGET_GB:g} GB", target_on="peak", limit=PEAK_TARGET_GB)
        log(f"full scoring of {row.size:,} seller-days to Parquet")
        row.seconds, peak = full_scoring_to_parquet(data, cap_bytes=cap_bytes)
        row.peak_gb = peak / 1e9
        if size <= dask_up_to:
            log("the same with the Dask engine (2 local workers)")
            row.peer, (row.peer_seconds, _) = "Dask engine, 2 local workers", full_scoring_to_parquet(
                data, "dask", cap_bytes=cap_bytes)
            row.note = "peer: the same scoring on Dask (its workers' memory is not in the peaks)"
        rows.append(row)
    return rows
