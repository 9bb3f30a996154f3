"""The Dask engine: the pandas engine's blocks of sellers, one per partition, on a cluster.

The big tables (``activity``, ``profiles``) are repartitioned by seller block
with ``set_index`` on explicit divisions, so partition *k* holds every row of
the sellers of block *k*; each partition is scored by
:func:`ssi_kit.scoring.chunks.score_block`, the very function the pandas engine
runs, so the two engines agree to the last bit.  Only each block's SSI comes
back to the client, where the ranks (which compare sellers across blocks) are
computed; the score table is then fetched and assembled one block at a time
(:meth:`DaskScoredBlocks.frames`), never whole on the client.  Input larger than
the workers' memory streams through partitions: the shuffle and the held
results spill to disk.
"""
from __future__ import annotations

import contextlib
import logging
import math
import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...exceptions import DatasetError, UsageError
from ...io.dataset import Dataset
from ...io.schemas import table_key
from ..chunks import BLOCK_CELLS, score_block, seller_blocks
from ..micro import from_micro
from ..ranks import rank_scores
from ..results import HELD, HOLD_BYTES, ScoredBlocks, assemble_block, holds_all, labels_of
from ..spec import ScoringSpec
from .base import Engine, start_run

__all__ = ["DaskEngine", "DaskScoredBlocks", "dask_client", "current_client", "score_blocks_dask"]

log = logging.getLogger("ssi_kit")
_TABLES = ("activity", "profiles")
#: Arrow's default pool (jemalloc/mimalloc) keeps freed memory, which a worker counts
#: against its limit as "unmanaged" and never gets back; the system allocator, which the
#: nanny trims, returns it.
_WORKER_ENV = {"ARROW_DEFAULT_MEMORY_POOL": "system", "MALLOC_TRIM_THRESHOLD_": "65536"}


class DaskEngine(Engine):
    """Score on a Dask cluster: local processes, or a running scheduler (Kubernetes, YARN, SSH).

    :meth:`session` opens the client (:func:`dask_client`); :meth:`load` and
    :meth:`score` use the client of the open session (:func:`current_client`).
    """

    name = "dask"
    distributed = True

    def session(self, scheduler: str | None = None, workers: int | None = None):
        return dask_client(scheduler, workers=workers)

    def load(self, dataset_dir, tables=None, columns: Mapping | None = None, trusted=None) -> Dataset:
        """:func:`ssi_kit.io.partitioned.load_partitioned`, the big tables trimmed to ``columns``.

        Every table is validated on the cluster (``trusted`` is not used by this
        engine's loader yet); the columns not asked for are dropped before scoring.
        """
        from ...io.partitioned import load_partitioned

        dataset = load_partitioned(dataset_dir, tables=tables, client=current_client())
        for table, wanted in (columns or {}).items():
            if table in dataset and table in _TABLES:
                keep = {*table_key(table), *([wanted] if isinstance(wanted, str) else wanted), "_row"}
                frame = dataset.tables[table]
                dataset.tables[table] = frame[[c for c in frame.columns if c in keep]]
        return dataset

    def score(self, dataset: Dataset, spec: ScoringSpec | None = None, days=None,
              progress: Callable | None = None, block_cells: int = BLOCK_CELLS,
              hold_bytes: int = HOLD_BYTES, rank: bool = True) -> "DaskScoredBlocks":
        return score_blocks_dask(dataset, client=current_client(), spec=spec, days=days, progress=progress,
                                 block_cells=block_cells, hold_bytes=hold_bytes, rank=rank)


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
        raise UsageError("The Dask engine needs a Dask client: open one with the engine's session() "
                         "(ssi_kit.scoring.engines.get_engine('dask').session()).") from None


@dataclass
class DaskScoredBlocks(ScoredBlocks):
    """:class:`~ssi_kit.scoring.results.ScoredBlocks` whose blocks live on a Dask cluster.

    ``arrays`` holds one future per block; :meth:`block_scores` fetches one
    block's compact scores (scoring the block again from its persisted input
    partitions when the workers hold only the pillars: ``hold_bytes``), and
    :meth:`~ssi_kit.scoring.results.ScoredBlocks.frames` assembles it here, where
    the ranks are, one block at a time.
    """

    client: object = None
    #: ``task(k, keep)``: block ``k``'s delayed scoring (see :func:`score_blocks_dask`).
    task: Callable | None = None

    def block_scores(self, k: int) -> dict:
        if self.rescore is not None:
            return self.rescore(k)[0]
        return self.arrays[k].result()[0]

    def to_dask(self):
        """The score table as a Dask DataFrame, one partition per seller block."""
        import dask
        import dask.dataframe as dd

        labels, plan = _shared(labels_of(self.members)), _shared(self.plan)
        assemble = dask.delayed(_assemble_remote, pure=False)
        results = [self.task(k, None) if self.rescore is not None else future
                   for k, future in enumerate(self.arrays)]
        return dd.from_delayed([assemble(plan, labels, block, result, self.block_ranks(block))
                                for block, result in zip(self.blocks, results)], verify_meta=False)


def _shared(value):
    """A value every task of a graph can use: one key, recomputable if a worker is lost.

    (Scattered data would be lost for good when every worker holding it restarts.)
    """
    import dask

    return dask.delayed(value, pure=False, name=f"ssi-kit-{uuid.uuid4().hex}")


def _assemble_remote(plan, labels, block, result, ranks) -> pd.DataFrame:
    values = {name: from_micro(a) for name, a in result[0].items()}
    return assemble_block(plan, labels, block, values, ranks)


def score_blocks_dask(dataset: Dataset, *, client, spec: ScoringSpec | None = None, days=None,
                      progress: Callable | None = None, block_cells: int = BLOCK_CELLS,
                      hold_bytes: int = HOLD_BYTES, rank: bool = True) -> DaskScoredBlocks:
    """Score a dataset whose ``activity``/``profiles`` are Dask (or pandas) DataFrames, on ``client``.

    Parameters
    ----------
    dataset : Dataset
        ``members`` (and ``connections``) in memory; ``activity`` and
        ``profiles`` as Dask or pandas DataFrames (e.g. from
        :func:`ssi_kit.io.partitioned.load_partitioned`).
    client : distributed.Client
    spec, days, progress, block_cells, hold_bytes, rank
        As :meth:`ssi_kit.scoring.engines.base.Engine.score`; a block is a
        partition.  Beyond ``hold_bytes``, the workers hold each block's pillars,
        SSI and change and its input partitions, and score a block again when
        its rows are fetched.

    Returns
    -------
    DaskScoredBlocks
        The same scores as the pandas engine's.
    """
    step = progress or (lambda *_: None)
    run = start_run(dataset, spec, days)
    plan = run.plan
    rows = max([dataset.stats.get(t, {}).get("rows", 0) for t in _TABLES] + [0])
    per_seller = max(len(plan.grid_days), math.ceil(1.5 * rows / max(len(plan.ids), 1)))
    blocks = seller_blocks(len(plan.ids), per_seller, _fit_block(client, block_cells))
    step("repartitioning by seller")
    parts = {t: _by_block(dataset[t], plan.ids, blocks, dataset.stats.get(t, {}).get("seller_ranges"))
             for t in _TABLES if t in dataset}
    lean = not holds_all(plan, hold_bytes)
    if lean:  # the inputs stay on the workers to score a block again when it is fetched
        parts = {t: client.persist(p) for t, p in parts.items()}
    score = _score_tasks(plan, dataset, parts, blocks)
    futures = client.compute([score(k, HELD if lean else None) for k in range(len(blocks))])
    ssi, notes, problems = _gather_ssi(client, futures, len(plan.scored), step)
    if problems:
        client.cancel(futures)
        raise DatasetError(problems)
    step("ranks")
    ranks = rank_scores(run.members, ssi.T, run.connections) if rank else {}

    def rescore(k: int) -> tuple[dict, list]:
        return client.compute(score(k, None)).result()[:2]

    return DaskScoredBlocks(plan=plan, members=run.members, blocks=blocks, arrays=futures, ranks=ranks,
                            notes=notes, rescore=rescore if lean else None, client=client, task=score)


def _score_tasks(plan, dataset: Dataset, parts: dict, blocks: list) -> Callable:
    """``task(k, keep)``: the delayed scoring of block ``k`` (its arrays trimmed to ``keep``)."""
    import dask

    shared = _shared(plan)
    files = {t: (str(dataset.files.get(t, t)), str(dataset.files.get(t, "")).endswith(".csv"))
             for t in parts}
    score = dask.delayed(_score_partition, pure=True)

    def task(k: int, keep):
        return score(shared, blocks[k], files, *[parts[t][k] for t in parts], names=tuple(parts), keep=keep)
    return task


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


def _score_partition(plan, block, files, *frames, names, keep=None):
    """Score one block; returns (micro arrays, notes, problems), the arrays trimmed to ``keep``."""
    from ...io.partitioned import duplicate_key_problem

    tables, problems = {}, []
    for name, frame in zip(names, frames):
        frame = frame.reset_index(drop=True)
        frame = frame.sort_values(["member_id", "date"], kind="mergesort").reset_index(drop=True)
        if "_row" in frame:
            file, csv = files[name]
            found = duplicate_key_problem(name, frame, file=file, csv=csv)  # one row per key: io's check
            problems += [found] if found is not None else []
            frame = frame.drop(columns="_row")
        tables[name] = frame
    ids = plan.ids[block.start:block.stop]
    arrays, notes = score_block(tables, ids, plan, block)
    if keep is not None:
        arrays = {c: arrays[c] for c in keep}
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
