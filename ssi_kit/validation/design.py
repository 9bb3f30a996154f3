"""The design of the validation study: its arms, default settings and targets."""
from __future__ import annotations

__all__ = ["ARMS", "DEFAULT_MEMBERS", "DEFAULT_RESAMPLES", "DEFAULT_DATASETS", "COVERAGE_TARGET",
           "TYPE1_TARGET", "ALPHA"]

#: The two arms of the study: the published effects and no effect.
ARMS = ("published", "null")
#: Sellers per simulated dataset (the simulator's default organisation).
DEFAULT_MEMBERS = 200
#: Bootstrap resamples per claim and dataset.
DEFAULT_RESAMPLES = 999
#: Datasets per arm of the command line's default run (``make validate`` runs 2000).
DEFAULT_DATASETS = 500
#: Acceptable coverage of the 95% interval (inclusive).
COVERAGE_TARGET = (0.93, 0.97)
#: Largest acceptable type-I error at the 5% level.
TYPE1_TARGET = 0.06
#: Level of the tests whose rejections count as type-I errors and power.
ALPHA = 0.05
