"""The design of the validation study: its arms, default settings and targets."""
from __future__ import annotations

__all__ = ["ARMS", "DEFAULT_MEMBERS", "DEFAULT_RESAMPLES", "DEFAULT_DATASETS", "COVERAGE_TARGET",
           "TYPE1_TARGET", "ALPHA", "DEFAULT_STAGGERED", "CLUSTERED", "UNCLUSTERED", "CLUSTERED_TYPES"]

#: The two arms of the study: the published effects and no effect.
ARMS = ("published", "null")
#: Sellers per simulated dataset (the simulator's default organisation).
DEFAULT_MEMBERS = 200
#: Bootstrap resamples per claim and dataset.
DEFAULT_RESAMPLES = 999
#: Datasets per arm of the command line's default run (``make validate`` runs 2000).
DEFAULT_DATASETS = 500
#: Datasets of the staggered-training study of the difference-in-differences (``--staggered``).
DEFAULT_STAGGERED = 500
#: Acceptable coverage of the 95% interval (inclusive).
COVERAGE_TARGET = (0.93, 0.97)
#: Largest acceptable type-I error at the 5% level.
TYPE1_TARGET = 0.06
#: Level of the tests whose rejections count as type-I errors and power.
ALPHA = 0.05
#: The two variants of the errors in the study's records (column ``errors``): the kit as
#: shipped, and the clustered estimators re-run with ``evaluate_claims(..., cluster=False)``.
CLUSTERED, UNCLUSTERED = "clustered", "not clustered"
#: Claim types whose estimators cluster their errors by seller (a seller contributes several
#: rows); the other types have one row per seller.
CLUSTERED_TYPES = ("ratio_of_means", "risk_ratio", "slope", "growth_ratio")
