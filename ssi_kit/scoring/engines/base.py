"""What every scoring engine provides (:class:`Engine`) and the start every engine shares."""
from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pandas as pd

from ...io.dataset import Dataset
from ..chunks import BLOCK_CELLS, ScoringPlan, plan_scoring
from ..days import score_days
from ..features import day_numbers
from ..results import HOLD_BYTES, ScoredBlocks
from ..spec import ScoringSpec, load_spec

__all__ = ["Engine", "ScoringRun", "start_run"]


class Engine(ABC):
    """A way to load and score a dataset: in this process, on a cluster, in a database...

    Every engine gives the same scores (to the last bit) from the same arguments.
    An engine is stateless: :meth:`session` opens what it needs (a cluster
    client) and :meth:`load` and :meth:`score` use it while the session is open.

    Attributes
    ----------
    name : str
        The registry name (``--engine NAME``).
    distributed : bool
        Whether the engine runs on a cluster, i.e. takes ``scheduler`` and ``workers``.
    """

    name: str = ""
    distributed: bool = False

    def session(self, scheduler: str | None = None, workers: int | None = None):
        """A context manager holding what :meth:`load` and :meth:`score` need open (nothing here).

        Parameters
        ----------
        scheduler : str, optional
            A cluster's address (distributed engines; default a local cluster).
        workers : int, optional
            Workers of a local cluster (distributed engines).
        """
        return contextlib.nullcontext(self)

    @abstractmethod
    def load(self, dataset_dir, tables=None, columns: Mapping | None = None, trusted=None) -> Dataset:
        """Read and validate ``dataset_dir`` (see :func:`ssi_kit.io.load_dataset`, same arguments)."""

    @abstractmethod
    def score(self, dataset: Dataset, spec: ScoringSpec | None = None, days=None,
              progress: Callable | None = None, block_cells: int = BLOCK_CELLS,
              hold_bytes: int = HOLD_BYTES, rank: bool = True) -> ScoredBlocks:
        """Score every seller on every day of ``days``, block by block of sellers.

        Parameters
        ----------
        dataset : Dataset
            As :meth:`load` returns it.
        spec : ScoringSpec, optional
            Default: the spec shipped with the package.
        days : array-like of dates, optional
            Default :func:`ssi_kit.scoring.score_days` of the dataset.
        progress : callable, optional
            ``progress(phase)`` and ``progress(phase, done, total)``.
        block_cells : int
            Seller-days scored at a time.
        hold_bytes : int
            When holding every score column would take more, only the pillars,
            SSI and change are held; contributions are computed again block by
            block as the table is streamed.
        rank : bool
            False leaves the rank columns out (NaN), for callers that need the scores only.

        Returns
        -------
        ScoredBlocks
            Fetches each block's scores in turn: :meth:`ScoredBlocks.frames` streams the table.
        """


@dataclass(frozen=True)
class ScoringRun:
    """What every engine computes first: the spec, the sellers, the plan."""

    spec: ScoringSpec
    members: pd.DataFrame
    plan: ScoringPlan
    connections: pd.DataFrame | None


def start_run(dataset: Dataset, spec: ScoringSpec | None = None, days=None) -> ScoringRun:
    """The spec (default the shipped one), ``members``, the days (default :func:`score_days`) and the plan."""
    spec = spec or load_spec()
    members = dataset.require("members", "Scoring")
    scored = day_numbers(score_days(dataset, spec=spec) if days is None else days)
    connections = dataset["connections"] if "connections" in dataset else None
    plan = plan_scoring(pd.Index(members["member_id"]), scored, spec, dataset.tables, connections)
    return ScoringRun(spec, members, plan, connections)
