"""What moves LinkedIn's score for a team: a within-seller panel model of the readings.

:func:`fit_drivers` regresses the observed SSI (and each pillar) on each seller's
recent activity, with seller fixed effects and errors clustered by seller, and
shows beside each estimate the scoring spec's view of the same change
(docs/drivers.md).  :func:`explain_rank_change` splits a seller's change in
industry or network "Top N%" into their own SSI change and the group's drift.
"""
from __future__ import annotations

from .fit import MIN_DF, MIN_SELLERS, fit_drivers
from .panel import WithinFit, fit_within, window_sums
from .ranks import RANKS, RankChange, explain_rank_change
from .results import DRIVER_COLUMNS, DriversResult
from .specview import activity_columns, spec_marginals

__all__ = ["fit_drivers", "DriversResult", "DRIVER_COLUMNS", "fit_within", "WithinFit", "window_sums",
           "spec_marginals", "activity_columns", "MIN_SELLERS", "MIN_DF", "explain_rank_change",
           "RankChange", "RANKS"]
