"""Score a dataset already in memory: :func:`score_dataset` and :func:`score_blocks`.

Both run an engine of the registry (:func:`ssi_kit.scoring.engines.get_engine`),
the pandas engine by default.  To load, score and write a dataset folder, use
:func:`ssi_kit.jobs.score_to_dir`, the one scoring job of the command line and
the notebooks.
"""
from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from ..io.dataset import Dataset
from .chunks import BLOCK_CELLS
from .engines import get_engine
from .results import HOLD_BYTES, ScoredBlocks
from .spec import ScoringSpec

__all__ = ["score_dataset", "score_blocks"]


def score_dataset(dataset: Dataset, *, spec: ScoringSpec | None = None, days=None,
                  progress: Callable | None = None, engine: str = "pandas") -> pd.DataFrame:
    """Score each seller on each day.

    Parameters
    ----------
    dataset : Dataset
        A validated dataset (``members`` plus any of ``activity``, ``profiles``,
        ``connections``; missing ones score 0 and are listed in ``attrs["notes"]``).
    spec : ScoringSpec, optional
        Default: the spec shipped with the package.
    days : array-like of dates, optional
        Days to score; default :func:`ssi_kit.scoring.score_days` of the dataset.
    progress : callable, optional
        Called as ``progress(phase)`` and ``progress(phase, done, total)`` as work
        proceeds (see :class:`ssi_kit.progress.Progress`).
    engine : str
        An engine of :data:`ssi_kit.scoring.engines.ENGINES`; a distributed one
        runs on the client of its open session.

    Returns
    -------
    pandas.DataFrame
        One row per seller and day, sorted by ``member_id`` and ``date``, with
        :data:`~ssi_kit.scoring.results.SCORE_COLUMNS` followed by one
        ``pillar__input`` contribution column per spec input (points the input
        adds to its pillar).

    See Also
    --------
    score_blocks : the same scores block by block, for data too large to hold as one table.
    """
    return score_blocks(dataset, spec=spec, days=days, progress=progress, engine=engine).to_frame()


def score_blocks(dataset: Dataset, *, spec: ScoringSpec | None = None, days=None,
                 progress: Callable | None = None, block_cells: int = BLOCK_CELLS,
                 hold_bytes: int = HOLD_BYTES, rank: bool = True, engine: str = "pandas") -> ScoredBlocks:
    """Score every seller block by block, then rank them all (see :meth:`Engine.score
    <ssi_kit.scoring.engines.base.Engine.score>` for ``block_cells``, ``hold_bytes`` and ``rank``).

    Returns
    -------
    ScoredBlocks
        :meth:`~ssi_kit.scoring.results.ScoredBlocks.frames` streams the score table.
    """
    return get_engine(engine).score(dataset, spec=spec, days=days, progress=progress, block_cells=block_cells,
                                    hold_bytes=hold_bytes, rank=rank)
