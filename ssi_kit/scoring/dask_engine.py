"""The Dask engine: the pandas engine's blocks of sellers, one per partition, on a cluster.

The big tables (``activity``, ``profiles``) are repartitioned by seller block
with ``set_index`` on explicit divisions, so partition *k* holds every row of
the sellers of block *k*; each partition is scored by
:func:`ssi_kit.scoring.chunks.score_block`, the very function the pandas engine
runs, so the two engines agree to the last bit.  Only each block's SSI comes
back to the client, where the ranks (which compare sellers across blocks) are
computed; the score table is then assembled block by block on the workers and
streamed out in order.  Input larger than the workers' memory streams through
partitions: the shuffle and the held results spill to disk.
"""
from __future__ import annotations

import contextlib
import functools
import math
import logging
import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..exceptions import DatasetError, UsageError
from ..io.dataset import load_dataset
from ..io.partitioned import duplicate_key_problem, load_partitioned
from .chunks import BLOCK_CELLS, from_micro, plan_scoring, score_block, seller_blocks
from .engine import ScoredBlocks, _assemble, _labels_of, rank_scores, score_days
from .features import day_numbers
from .spec import load_spec

__all__ = ["dask_client", "scoring_session", "current_client", "score_blocks_dask",
           "load_partitioned", "DaskScoredBlocks"]

log = logging.getLogger("ssi_kit")
_TABLES = ("activity", "profiles")
#: Arrow's default pool (jemalloc/mimalloc) keeps freed memory, which a worker counts
#: against its limit as "unmanaged" and never gets back; the system allocator, which the
#: nanny trims, returns it.
_WORKER_ENV = {"ARROW_DEFAULT_MEMORY_POOL": "system", "MALLOC_TRIM_THRESHOLD_": "65536"}


@contextlib.contextmanager
def dask_client(scheduler=None, *, workers: int | None = None, memory_limit="auto",
                local_directory=None):
    """A ``distributed`` client: to ``scheduler`` if given, else to a new local cluster.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``), e.g. one
        started by dask-kubernetes, dask-yarn or ``dask ssh``.  Default: start a
        local cluster of processes for the duration of the block.
    workers : int, optional
        Local workers (default: the CPU count, at most 4), one thread each.
    memory_limit : str or int
        Per local worker (``"2GB"``); beyond it workers spill to disk.
    local_directory : path-like, optional
        Where local workers spill.

    Yields
    ------
    distributed.Client
    """
    from distributed import Client, LocalCluster

    for name, level in (("distributed", logging.WARNING), ("distributed.shuffle", logging.ERROR)):
        logging.getLogger(name).setLevel(level)
    if scheduler is not None:
        with Client(scheduler) as client:
            yield client
        return
    n = workers or min(os.cpu_count() or 1, 4)
    with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
                      memory_limit=memory_limit, local_directory=local_directory,
                      env=_WORKER_ENV) as cluster, \
            Client(cluster) as client:
        yield client


def current_client():
    """The Dask client this process is using (see :func:`dask_client`)."""
    from distributed import get_client

    try:
        return get_client()
    except ValueError:
        raise UsageError("The dataset has Dask tables but no Dask client is running: open one "
                         "with ssi_kit.scoring.dask_engine.dask_client().") from None


@contextlib.contextmanager
def scoring_session(engine: str = "pandas", scheduler=None, **cluster):
    """Yield a dataset loader for ``engine``; for ``"dask"``, with a client open meanwhile.

    Parameters
    ----------
    engine : {"pandas", "dask"}
    scheduler : str, optional
        Dask scheduler address (default: a local cluster).
    **cluster
        Passed to :func:`dask_client` (``workers``, ``memory_limit``).

    Yields
    ------
    callable
        ``load(path, tables=None) -> Dataset``, whose big tables are Dask
        DataFrames for the Dask engine; :func:`ssi_kit.scoring.score_dataset`
        then scores on the cluster.
    """
    if engine not in ("pandas", "dask"):
        raise UsageError(f"engine must be 'pandas' or 'dask' (got {engine!r}).")
    if engine == "pandas":
        yield load_dataset
        return
    with dask_client(scheduler, **cluster) as client:
        yield functools.partial(load_partitioned, client=client)


@dataclass
class DaskScoredBlocks(ScoredBlocks):
    """:class:`~ssi_kit.scoring.engine.ScoredBlocks` whose blocks live on a Dask cluster.

    ``arrays`` holds one future per block.  :meth:`frames` fetches each block's
    compact scores in turn and assembles it here, where the ranks are, instead
    of shipping the ranks to the workers.
    """

    client: object = None

    def _block_scores(self, k: int) -> dict:
        return self.arrays[k].result()[0]

    def to_dask(self):
        """The score table as a Dask DataFrame, one partition per seller block."""
        import dask
        import dask.dataframe as dd

        labels, plan = _shared(_labels_of(self.members)), _shared(self.plan)
        assemble = dask.delayed(_assemble_remote, pure=False)
        return dd.from_delayed([assemble(plan, labels, block, future, self._block_ranks(block))
                                for block, future in zip(self.blocks, self.arrays)],
                               verify_meta=False)


def _shared(value):
    """A value every task of a graph can use: one key, recomputable if a worker is lost.

    (Scattered data would be lost for good when every worker holding it restarts.)
    """
    import uuid

    import dask

    return dask.delayed(value, pure=False, name=f"ssi-kit-{uuid.uuid4().hex}")


def _assemble_remote(plan, labels, block, result, ranks) -> pd.DataFrame:
    values = {name: from_micro(a) for name, a in result[0].items()}
    return _assemble(plan, labels, block, values, ranks)


def score_blocks_dask(dataset, *, client, spec=None, days=None, progress=None,
                      block_cells: int = BLOCK_CELLS) -> DaskScoredBlocks:
    """Score a dataset whose ``activity``/``profiles`` are Dask DataFrames, on ``client``.

    Parameters
    ----------
    dataset : Dataset
        ``members`` (and ``connections``) in memory; ``activity`` and
        ``profiles`` as Dask or pandas DataFrames (e.g. from
        :func:`ssi_kit.io.partitioned.load_partitioned`).
    client : distributed.Client
    spec, days, progress, block_cells
        As :func:`ssi_kit.scoring.engine.score_blocks`; a block is a partition.

    Returns
    -------
    DaskScoredBlocks
        The same scores as the pandas engine's :func:`~ssi_kit.scoring.engine.score_blocks`.
    """
    import dask

    step = progress or (lambda *_: None)
    spec = spec or load_spec()
    members = dataset.require("members", "Scoring")
    ids = pd.Index(members["member_id"])
    scored = day_numbers(score_days(dataset) if days is None else days)
    connections = dataset["connections"] if "connections" in dataset else None
    plan = plan_scoring(ids, scored, spec, dataset.tables, connections)
    rows = max([dataset.stats.get(t, {}).get("rows", 0) for t in _TABLES] + [0])
    per_seller = max(len(plan.grid_days), math.ceil(1.5 * rows / max(len(ids), 1)))
    blocks = seller_blocks(len(ids), per_seller, _fit_block(client, block_cells))
    step("repartitioning by seller")
    parts = {t: _by_block(dataset[t], ids, blocks, dataset.stats.get(t, {}).get("seller_ranges"))
             for t in _TABLES if t in dataset}
    shared = _shared(plan)
    files = {t: (str(dataset.files.get(t, t)), str(dataset.files.get(t, "")).endswith(".csv"))
             for t in parts}
    score = dask.delayed(_score_partition, pure=True)
    futures = client.compute([score(shared, block, files, *[parts[t][k] for t in parts],
                                    names=tuple(parts)) for k, block in enumerate(blocks)])
    ssi, notes, problems = _gather_ssi(client, futures, len(scored), step)
    if problems:
        client.cancel(futures)
        raise DatasetError(problems)
    step("ranks")
    ranks = rank_scores(members, ssi.T, connections)
    out = DaskScoredBlocks(plan=plan, members=members, blocks=blocks, arrays=futures, ranks=ranks,
                           notes=notes)
    out.client = client
    return out


#: Working bytes per seller-day of a block (float arrays per input while scoring).
_BYTES_PER_CELL = 1_000


def _fit_block(client, block_cells: int) -> int:
    """Block size that leaves a quarter of the smallest worker's memory limit to one block."""
    limits = [w.get("memory_limit") or 0 for w in client.scheduler_info().get("workers", {}).values()]
    limits = [x for x in limits if x > 0]
    if not limits:
        return block_cells
    return max(5_000, min(block_cells, min(limits) // 4 // _BYTES_PER_CELL))


def _by_block(table, ids: pd.Index, blocks, ranges=None) -> list:
    """One delayed partition per block of sellers (all of the block's rows, any order).

    When the file is sorted by seller (``ranges``: each partition's first and last
    seller code, from the load), a block's rows come straight from the one or two
    partitions that hold them; otherwise the table is shuffled by block
    (``set_index`` on explicit divisions).
    """
    import dask
    import dask.dataframe as dd

    if not isinstance(table, dd.DataFrame):
        table = dd.from_pandas(table, npartitions=max(1, len(blocks)), sort=False)
    shared_ids = dask.delayed(ids, pure=True)  # one key in the graph, not a copy per task
    if ranges is not None and len(ranges) == table.npartitions:
        parts, (los, his) = table.to_delayed(), np.array(ranges).T
        take = dask.delayed(_rows_of_block, pure=True)
        return [take(table._meta, shared_ids, b.start, b.stop,
                     *[parts[j] for j in np.flatnonzero((his >= b.start) & (los < b.stop))])
                for b in blocks]
    size = len(blocks[0])
    divisions = list(range(len(blocks))) + [len(blocks) - 1]
    meta = table._meta.assign(_block=pd.Series(dtype="int64"))
    keyed = table.map_partitions(_with_block, shared_ids, size, meta=meta)
    return keyed.set_index("_block", divisions=divisions, sort=True).to_delayed()


def _rows_of_block(meta: pd.DataFrame, ids: pd.Index, start: int, stop: int, *frames) -> pd.DataFrame:
    """The rows of sellers ``start <= code < stop`` from the partitions that hold them."""
    if not frames:
        return meta
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    code = ids.get_indexer(frame["member_id"])
    return frame[(code >= start) & (code < stop)]


def _with_block(frame: pd.DataFrame, ids: pd.Index, size: int) -> pd.DataFrame:
    return frame.assign(_block=ids.get_indexer(frame["member_id"]) // size)


def _score_partition(plan, block, files, *frames, names):
    """Score one block; returns (micro arrays, notes, problems)."""
    tables, problems = {}, []
    for name, frame in zip(names, frames):
        frame = frame.reset_index(drop=True)
        frame = frame.sort_values(["member_id", "date"], kind="mergesort").reset_index(drop=True)
        if "_row" in frame:
            file, csv = files[name]
            found = duplicate_key_problem(name, frame, file=file, csv=csv)
            problems += [found] if found is not None else []
            frame = frame.drop(columns="_row")
        tables[name] = frame
    ids = plan.ids[block.start:block.stop]
    arrays, notes = score_block(tables, ids, plan, block)
    return arrays, notes, problems


def _gather_ssi(client, futures, n_days, step):
    """Every block's SSI (as one seller x day matrix), the notes and any problems."""
    from distributed import as_completed

    order = {f.key: k for k, f in enumerate(futures)}
    ssi, notes, problems = [None] * len(futures), [], []
    heads = {client.submit(_head, f, pure=False): order[f.key] for f in futures}
    for done, future in enumerate(as_completed(list(heads)), start=1):
        k = heads[future]
        ssi[k], notes, found = future.result()
        problems += found
        step("scoring sellers", done, len(futures))
    if not futures:
        return np.empty((0, n_days)), notes, problems
    return np.concatenate([from_micro(s) for s in ssi]), notes, problems


def _head(result):
    arrays, notes, problems = result
    return arrays["ssi"], notes, problems
