"""The pandas engine: this process scores the sellers block by block, in bounded memory."""
from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from ...io.dataset import Dataset, load_dataset
from ..chunks import BLOCK_CELLS, block_tables, score_block, seller_blocks
from ..micro import from_micro
from ..ranks import rank_scores
from ..results import HELD, HOLD_BYTES, ScoredBlocks, holds_all
from ..spec import ScoringSpec
from .base import Engine, start_run

__all__ = ["PandasEngine"]

#: Spec inputs a block of ``block_cells`` seller-days is sized for (the shipped spec has 30).
_BLOCK_INPUTS = 32


class PandasEngine(Engine):
    """Score in this process: the tables in memory, the sellers in blocks of ``block_cells``.

    Memory holds the input tables, 4 bytes per seller-day per held score column
    and the rank columns, never a seller x day x input cube of floats.
    """

    name = "pandas"
    distributed = False

    def load(self, dataset_dir, tables=None, columns: Mapping | None = None, trusted=None) -> Dataset:
        return load_dataset(dataset_dir, tables=tables, columns=columns, trusted=trusted)

    def score(self, dataset: Dataset, spec: ScoringSpec | None = None, days=None,
              progress: Callable | None = None, block_cells: int = BLOCK_CELLS,
              hold_bytes: int = HOLD_BYTES, rank: bool = True) -> ScoredBlocks:
        step = progress or (lambda *_: None)
        run = start_run(dataset, spec, days)
        plan, ids = run.plan, run.plan.ids
        tables = {t: _by_seller(dataset[t], ids) for t in ("activity", "profiles") if t in dataset}
        # block_cells is sized for _BLOCK_INPUTS inputs: a larger spec scores fewer sellers at a time
        cells = max(1, block_cells * _BLOCK_INPUTS // max(_BLOCK_INPUTS, len(run.spec.inputs)))
        blocks = seller_blocks(len(ids), len(plan.grid_days), cells)
        lean = not holds_all(plan, hold_bytes)

        def rescore(k: int) -> tuple[dict, list]:
            block = blocks[k]
            part, local = block_tables(tables, block)
            return score_block(part, ids[block.start:block.stop], plan, block, local)

        arrays, notes = [], []
        for k in range(len(blocks)):
            step("scoring sellers", k, len(blocks))
            result, notes = rescore(k)
            arrays.append({c: result[c] for c in HELD} if lean else result)
        step("scoring sellers", len(blocks), len(blocks))
        step("ranks")
        ssi = np.concatenate([from_micro(a["ssi"]) for a in arrays]) if arrays else np.empty((0, len(plan.scored)))
        ranks = rank_scores(run.members, ssi.T, run.connections) if rank else {}
        return ScoredBlocks(plan=plan, members=run.members, blocks=blocks, arrays=arrays, ranks=ranks,
                            notes=notes, rescore=rescore if lean else None)


def _by_seller(table: pd.DataFrame, ids: pd.Index) -> tuple[pd.DataFrame, np.ndarray]:
    """The table in seller-code order (stable) and its rows' seller codes."""
    codes = ids.get_indexer(table["member_id"])
    if len(codes) and not np.all(codes[1:] >= codes[:-1]):
        order = np.argsort(codes, kind="stable")
        table, codes = table.iloc[order], codes[order]
    return table, codes
