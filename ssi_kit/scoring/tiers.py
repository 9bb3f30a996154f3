"""Tiers and bands of an SSI: the one home of their cut points.

Two published groupings of the 0-100 SSI:

* LinkedIn's 2014 **tiers** (:data:`TIERS`): ``laggard`` below 30, ``leader``
  above 70, else ``middle`` (:data:`TIER_CUTS`).
* The article's **bands** (:data:`BANDS`): ``poor`` below 40, ``good`` 70 and
  up, else ``average`` (:data:`BAND_CUTS`).

Note the edges: a tier's cuts are both strict (70 is ``middle``), a band's upper
cut is inclusive (70 is ``good``).  Every module that writes, labels or draws a
tier or band takes its numbers from here.
"""
from __future__ import annotations

import numpy as np

__all__ = ["TIER_CUTS", "TIERS", "BAND_CUTS", "BANDS", "tier_of", "band_of", "tier_codes", "band_codes"]

#: LinkedIn 2014: laggard ``ssi < 30``, leader ``ssi > 70``, else middle.
TIER_CUTS = (30, 70)
#: The tiers, lowest first (:func:`tier_codes` indexes into it).
TIERS = ("laggard", "middle", "leader")
#: The article: poor ``ssi < 40``, good ``ssi >= 70``, else average.
BAND_CUTS = (40, 70)
#: The bands, lowest first (:func:`band_codes` indexes into it).
BANDS = ("poor", "average", "good")


def tier_codes(ssi) -> np.ndarray:
    """Each SSI's tier as an ``int8`` index into :data:`TIERS`."""
    ssi = np.asarray(ssi, dtype=float)
    low, high = TIER_CUTS
    return np.where(ssi > high, 2, np.where(ssi < low, 0, 1)).astype(np.int8)


def band_codes(ssi) -> np.ndarray:
    """Each SSI's band as an ``int8`` index into :data:`BANDS`."""
    ssi = np.asarray(ssi, dtype=float)
    low, high = BAND_CUTS
    return np.where(ssi >= high, 2, np.where(ssi < low, 0, 1)).astype(np.int8)


def tier_of(ssi) -> np.ndarray:
    """LinkedIn's 2014 tiers: ``leader`` above 70, ``laggard`` below 30, else ``middle``."""
    return np.asarray(TIERS)[tier_codes(ssi)]


def band_of(ssi) -> np.ndarray:
    """The article's bands: ``poor`` below 40, ``average`` 40 to below 70, ``good`` 70 and up."""
    return np.asarray(BANDS)[band_codes(ssi)]
