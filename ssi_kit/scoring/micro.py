"""Scores as exact integer micro-points: every score is rounded to :data:`DECIMALS` decimals.

``k / 1e6`` gives back exactly the rounded float, so a block's results are held
compactly as ``int32`` without losing anything.
"""
from __future__ import annotations

import numpy as np

__all__ = ["DECIMALS", "to_micro", "from_micro"]

#: Decimals every score, contribution and rank is rounded to.
DECIMALS = 6
_MICRO = 10.0 ** DECIMALS


def to_micro(values: np.ndarray) -> np.ndarray:
    """Values rounded to 6 decimals as exact integer micro-points (``int32``)."""
    return np.rint(values * _MICRO).astype(np.int32)


def from_micro(values: np.ndarray) -> np.ndarray:
    """The floats back from :func:`to_micro` (bit-identical to the rounded values)."""
    return values / _MICRO
