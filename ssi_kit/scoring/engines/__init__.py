"""The scoring engines behind one registry: :func:`get_engine` and :data:`ENGINES`.

An engine (:class:`~ssi_kit.scoring.engines.base.Engine`) provides

* ``session(scheduler=None, workers=None)``: a context manager holding what it
  needs open (the Dask client; nothing for pandas);
* ``load(dataset_dir, tables=None, columns=None, trusted=None) -> Dataset``;
* ``score(dataset, spec, days, progress, block_cells, hold_bytes, rank) -> ScoredBlocks``,
  the same arguments on every engine, whose
  :meth:`~ssi_kit.scoring.results.ScoredBlocks.block_scores` says how a block's
  scores are fetched.

Engines share everything below them (:mod:`ssi_kit.scoring.chunks` scores a
block, :mod:`~ssi_kit.scoring.ranks`, :mod:`~ssi_kit.scoring.results`,
:mod:`~ssi_kit.scoring.days`), so they give the same scores.  The name is
validated here and nowhere else; nothing outside this registry branches on an
engine's name.

Adding an engine (say DuckDB or Polars) is one module and one registry line:
write ``engines/duckdb_engine.py`` with a subclass of
:class:`~ssi_kit.scoring.engines.base.Engine`, and add it to :data:`_REGISTRY`
below.  The command line's ``--engine`` choices, the report's ``engine``
parameter and :func:`ssi_kit.jobs.score_to_dir` follow from :data:`ENGINES`.
"""
from __future__ import annotations

from ...exceptions import UsageError
from .base import Engine
from .cluster import DaskEngine
from .local import PandasEngine

__all__ = ["get_engine", "ENGINES", "DISTRIBUTED", "Engine"]

#: Every engine by name, the default first.
_REGISTRY: dict[str, type[Engine]] = {
    PandasEngine.name: PandasEngine,
    DaskEngine.name: DaskEngine,
}
#: The engines' names (``--engine`` choices), the default first.
ENGINES = tuple(_REGISTRY)
#: The engines that run on a cluster (take ``scheduler`` and ``workers``).
DISTRIBUTED = tuple(name for name, engine in _REGISTRY.items() if engine.distributed)


def get_engine(name: str = ENGINES[0]) -> Engine:
    """The engine called ``name``.

    Raises
    ------
    UsageError
        Listing the engines, when there is none of that name.
    """
    engine = _REGISTRY.get(name) if isinstance(name, str) else None
    if engine is None:
        raise UsageError(f"Unknown scoring engine {name!r}: choose one of {', '.join(ENGINES)}.")
    return engine()
