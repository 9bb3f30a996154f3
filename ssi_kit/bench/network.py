"""Network rank of one day's SSI: ours against a DuckDB join and group-by.

The graph comes from the simulator's connection generator (teams, a share of ties
within the team, more ties for sellers strong in the relationships pillar), sized
by *directed* edges: "10M connections" means 10M ``(u, v)`` rows, both directions
of 5M undirected ties, a mean of 50 connections per seller at 200k sellers.  That
is the edge list both implementations read; the ``connections`` table of a dataset
would hold each tie once (5M rows).

* *ours*: :func:`ssi_kit.scoring.ranks.network_top_pct` on SSI of shape (1, sellers);
* *DuckDB*: tables ``scores(seller, ssi)`` and ``edges(u, v)`` (created before the
  clock starts), then ``edges JOIN scores (u) JOIN scores (v) GROUP BY u`` computing
  ``100 * (count of v with ssi_v >= ssi_u, + 1) / (degree + 1)``.  Sellers without
  ties have no row; their top percentage is 100 by definition.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

try:  # a peer only (the test extra); imported with the module: the timed steps do not pay for it
    import duckdb
except ImportError:  # pragma: no cover
    duckdb = None

__all__ = ["network_graph", "write_graph", "network_rows", "load_graph", "ours_network", "duckdb_tables",
           "duckdb_network", "NETWORK_SQL", "ours_pct", "duckdb_pct"]

NETWORK_SQL = """
    SELECT e.u AS seller,
           100.0::DOUBLE * (SUM(CASE WHEN sv.ssi >= su.ssi THEN 1 ELSE 0 END) + 1) / (COUNT(*) + 1) AS top_pct
    FROM edges AS e
    JOIN scores AS su ON su.seller = e.u
    JOIN scores AS sv ON sv.seller = e.v
    GROUP BY e.u"""


def network_graph(sellers: int, directed_edges: float, seed: int = 0):
    """A simulator-shaped graph of about ``directed_edges`` directed edges and one day's SSI.

    Uses the simulator's private connection generator
    (``ssi_kit.simulate.model.draw_connections``) with ``mean_connections`` set to
    ``directed_edges / sellers`` and the default teams and within-team share; base
    SSI levels are the simulator's ``100 * Beta(a, a)``, rounded to 0.1 point as
    LinkedIn reports them (so some scores tie).

    Parameters
    ----------
    sellers : int
        Number of sellers (at least 10).
    directed_edges : float
        Target number of directed edges (both directions of each tie).
    seed : int

    Returns
    -------
    values : numpy.ndarray, shape (1, sellers)
    u, v : numpy.ndarray of int64
        Directed edges, both directions of every tie, sorted by ``u``.
    """
    from ..simulate import SimulationConfig
    from ..simulate.model import draw_connections

    n = max(10, int(sellers))
    cfg = SimulationConfig(members=n, mean_connections=max(1.0, float(directed_edges) / n), seed=seed)
    rng = np.random.default_rng(seed)
    team = rng.integers(0, cfg.teams, n)
    level = rng.beta(cfg.ssi_concentration, cfg.ssi_concentration, n)
    u, v = draw_connections(cfg, team, level, rng)
    return np.round(100.0 * level, 1)[None, :], u, v


def write_graph(cache, sellers: int, directed_edges: float, seed: int = 0) -> tuple[Path, int]:
    """Cache a :func:`network_graph` as ``.npz`` (written once); its path and directed edge count."""
    path = Path(cache) / f"graph-{int(sellers)}x{int(directed_edges)}-seed{seed}.npz"
    count = path.with_suffix(".edges")
    if not (path.exists() and count.exists()):
        values, u, v = network_graph(sellers, directed_edges, seed)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.stem + ".tmp.npz")
        np.savez(tmp, values=values, u=u, v=v)
        tmp.replace(path)
        count.write_text(f"{len(u)}\n", encoding="utf-8")
    return path, int(count.read_text(encoding="utf-8"))


def load_graph(path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(values, u, v)`` of a cached graph (the untimed set-up of ours)."""
    with np.load(path) as data:
        return data["values"], data["u"], data["v"]


def ours_network(graph) -> np.ndarray:
    """Our network top percentage of every seller (the timed step)."""
    values, u, v = graph
    from ..scoring.ranks import network_top_pct

    return network_top_pct(values, u, v)


def duckdb_tables(path):
    """A DuckDB connection holding ``scores`` and ``edges`` of a cached graph (untimed set-up)."""
    values, u, v = load_graph(path)
    con = duckdb.connect()  # default threads and memory limit
    con.execute("SET enable_progress_bar = false")
    scores = pd.DataFrame({"seller": np.arange(values.shape[1], dtype=np.int64), "ssi": values[0]})
    edges = pd.DataFrame({"u": u, "v": v})
    for name, frame in (("scores", scores), ("edges", edges)):
        con.register(f"{name}_in", frame)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM {name}_in")
        con.unregister(f"{name}_in")
    return con


def duckdb_network(con) -> dict:
    """DuckDB's network top percentage of every seller with a tie (the timed step)."""
    return con.execute(NETWORK_SQL).fetchnumpy()


def ours_pct(result) -> np.ndarray:
    """Our top percentages, one per seller (a ``reduce``)."""
    return np.asarray(result[0], dtype=float)


def duckdb_pct(result, sellers: int) -> np.ndarray:
    """DuckDB's top percentages aligned by seller, 100 for sellers without ties (a ``reduce``)."""
    out = np.full(sellers, 100.0)
    out[np.asarray(result["seller"], dtype=np.int64)] = np.asarray(result["top_pct"], dtype=float)
    return out


def network_rows(cache, edges, *, sellers: int = 200_000, repeat: int = 3, cap_bytes=None, log=print) -> list:
    """Measure ours and DuckDB at each graph size and return the table rows.

    Parameters
    ----------
    cache : path-like
        Folder of the cached graphs.
    edges : sequence of float
        Target directed edge counts (the row reports the count generated).
    sellers : int
    repeat : int
        Runs of each (best kept).
    cap_bytes : int, optional
    log : callable

    Returns
    -------
    list of Row

    Raises
    ------
    BenchMismatch
        When DuckDB's top percentages differ from ours.
    """
    rows = []
    for target in sorted(edges):
        path, count = write_graph(cache, sellers, target)
        log(f"network top %, {sellers:,} sellers, {count:,} directed edges: ours and DuckDB")
        rows.append(_network_row(path, count, sellers, repeat, cap_bytes))
    return rows


def _network_row(path, count: int, sellers: int, repeat: int, cap_bytes):
    import functools

    from .measure import attempt, cpu_count
    from .table import Row, check_identical

    row = Row(what=f"network top % of one day, {sellers:,} sellers", size=count,
              unit="directed edges", peer=f"DuckDB {_version()}: edges JOIN scores x2, GROUP BY u, "
              f"{cpu_count()} threads, tables built before timing", limit=1.5, target="ratio <= 1.5",
              note=f"{count / 2:,.0f} undirected ties, {count / sellers:.1f} connections per seller; "
              "graph from the simulator's draw_connections()")
    ours, why = attempt(ours_network, path, setup=load_graph, reduce=ours_pct, repeat=repeat,
                        cap_bytes=cap_bytes)
    if ours is None:
        row.status, row.note = "failed", f"ours failed: {why}"
        return row
    row.seconds, row.peak_gb = ours.seconds, ours.peak_bytes / 1e9
    duck, why = attempt(duckdb_network, path, setup=duckdb_tables, repeat=repeat, cap_bytes=cap_bytes,
                        reduce=functools.partial(duckdb_pct, sellers=sellers))
    if duck is None:
        row.status, row.note = "failed", f"DuckDB failed: {why}"
        return row
    check_identical(ours.value, duck.value, "DuckDB")
    row.peer_seconds, row.peer_peak_gb = duck.seconds, duck.peak_bytes / 1e9
    row.check = f"identical top % for all {sellers:,} sellers"
    return row


def _version() -> str:
    return duckdb.__version__ if duckdb is not None else "(not installed)"
