"""Transparent SSI scoring: a declarative spec, vectorized inputs, ranks.

Layers, top to bottom (each imports only those below it):

* :mod:`~ssi_kit.scoring.engine`: :func:`score_dataset`, :func:`score_blocks` (an engine by name);
* :mod:`~ssi_kit.scoring.engines`: the registry (:func:`~ssi_kit.scoring.engines.get_engine`)
  and the engines (``pandas``, ``dask``);
* :mod:`~ssi_kit.scoring.days` (which days), :mod:`~ssi_kit.scoring.results` (the score
  table's blocks), :mod:`~ssi_kit.scoring.ranks`, :mod:`~ssi_kit.scoring.tiers`;
* :mod:`~ssi_kit.scoring.chunks` (one block of sellers), :mod:`~ssi_kit.scoring.features`,
  :mod:`~ssi_kit.scoring.spec`, :mod:`~ssi_kit.scoring.micro`.
"""
from .chunks import apply_transform
from .days import score_days
from .engine import score_blocks, score_dataset
from .results import SCORE_COLUMNS, ScoredBlocks
from .spec import InputSpec, ScoringSpec, load_spec, parse_spec
from .tiers import band_of, tier_of

__all__ = [
    "score_dataset", "score_blocks", "ScoredBlocks", "score_days", "apply_transform", "tier_of", "band_of",
    "SCORE_COLUMNS", "InputSpec", "ScoringSpec", "load_spec", "parse_spec",
]
