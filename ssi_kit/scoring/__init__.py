"""Transparent SSI scoring: a declarative spec, vectorized inputs, ranks."""
from .engine import SCORE_COLUMNS, apply_transform, band_of, score_dataset, score_days, tier_of
from .spec import InputSpec, ScoringSpec, load_spec, parse_spec

__all__ = [
    "score_dataset", "score_days", "apply_transform", "tier_of", "band_of", "SCORE_COLUMNS",
    "InputSpec", "ScoringSpec", "load_spec", "parse_spec",
]
