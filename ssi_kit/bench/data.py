"""Simulated benchmark datasets, written once as Parquet and reused.

A dataset lives in ``<cache>/<name>/`` (by default ``outputs/bench/data/<name>/``),
its name spelling out what was simulated, so a second run finds it and skips the
simulation.  Large claims datasets are simulated in pieces of at most
:data:`PIECE` sellers with different seeds, their member ids and teams prefixed by
the piece, and their Parquet files concatenated row group by row group, so memory
holds one piece at a time.
"""
from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from ..io import write_dataset

__all__ = ["PIECE", "window_dataset", "claims_dataset", "members_for", "span_days"]

#: Most sellers simulated at once for the claims datasets.
PIECE = 10_000
_COMPLETE = ".complete"


def span_days(months: int, start: str = "2025-07-01") -> int:
    """Days from ``start`` to the last day of a ``months``-month simulation."""
    first = pd.Timestamp(start)
    return int((first + pd.DateOffset(months=months) - first).days)


def members_for(seller_days: float, months: int) -> int:
    """Sellers giving about ``seller_days`` seller-days over ``months`` months (at least 10)."""
    return max(10, int(round(float(seller_days) / span_days(months))))


def _ready(path: Path) -> bool:
    return (path / _COMPLETE).exists()


def _mark(path: Path) -> Path:
    (path / _COMPLETE).write_text("written by ssi_kit.bench\n", encoding="utf-8")
    return path


def window_dataset(cache, members: int, months: int = 24, seed: int = 0, fmt: str = "parquet") -> Path:
    """Directory of a simulated dataset of ``members`` sellers, simulated when absent.

    Parameters
    ----------
    cache : path-like
        Folder holding the cached datasets.
    members, months, seed : int
        Passed to :class:`ssi_kit.simulate.SimulationConfig`.
    fmt : {"parquet", "csv"}
        Format of the tables (a CSV dataset's folder name ends in ``-csv``).

    Returns
    -------
    pathlib.Path
    """
    from ..simulate import SimulationConfig, simulate_dataset

    path = Path(cache) / f"sim-{members}x{months}mo-seed{seed}{'' if fmt == 'parquet' else '-' + fmt}"
    if not _ready(path):
        sim = simulate_dataset(SimulationConfig(members=members, months=months, seed=seed))
        write_dataset(sim.tables, path, fmt=fmt, replace=True)
        del sim
        _mark(path)
    return path


def _prefixed(tables: dict, prefix: str) -> dict:
    """The tables of one piece, ``connections`` left out, ids and teams prefixed."""
    out = {}
    for name, table in tables.items():
        if name == "connections":
            continue
        table = table.copy()
        table["member_id"] = prefix + table["member_id"].astype(str)
        if "team" in table.columns:
            table["team"] = prefix + table["team"].astype(str)
        out[name] = table
    return out


def claims_dataset(cache, sellers: int, months: int = 15, seed: int = 0) -> Path:
    """Directory of a simulated claims dataset of ``sellers`` sellers (no connections table).

    Simulated in ``ceil(sellers / PIECE)`` pieces of equal size with seeds
    ``seed, seed + 1, ...``; member ids and teams carry the prefix ``pNN-``.

    Returns
    -------
    pathlib.Path
    """
    from ..simulate import SimulationConfig, simulate_dataset

    path = Path(cache) / f"claims-{sellers}x{months}mo-seed{seed}"
    if _ready(path):
        return path
    pieces = max(1, math.ceil(sellers / PIECE))
    sizes = np.diff(np.linspace(0, sellers, pieces + 1).round().astype(int))
    parts = path.with_name(path.name + ".parts")
    shutil.rmtree(parts, ignore_errors=True)
    for k, size in enumerate(sizes):
        sim = simulate_dataset(SimulationConfig(members=int(size), months=months, seed=seed + k))
        write_dataset(_prefixed(sim.tables, f"p{k:02d}-" if pieces > 1 else ""), parts / f"{k:02d}",
                      fmt="parquet", replace=True)
        del sim
    _concatenate(sorted(parts.iterdir()), path)
    shutil.rmtree(parts, ignore_errors=True)
    return _mark(path)


def _concatenate(dirs: list[Path], out: Path) -> None:
    """Concatenate the same-named Parquet tables of ``dirs`` into ``out``, one piece in memory at a time."""
    import pyarrow.parquet as pq

    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for file in sorted(dirs[0].glob("*.parquet")):
        schema = pq.read_schema(file)
        with pq.ParquetWriter(out / file.name, schema) as writer:
            for part in dirs:
                writer.write_table(pq.read_table(part / file.name, schema=schema))
