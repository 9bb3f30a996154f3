"""Test every claim of a registry on a dataset: estimates, power, Holm, verdicts, specification curve."""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from ..exceptions import UsageError
from ..io import Dataset
from . import prepare
from .consistency import ConsistencyResult, check_consistency
from .estimators import Untestable
from .power import estimate_power
from .registry import ClaimSpec, load_claims
from .results import ClaimResult, ClaimsReport
from .specifications import specification_curve
from .staggered import analyse_training
from .verdicts import verdict_of

__all__ = ["evaluate_claims", "evaluate_claim", "Context", "SSI_SOURCES"]

#: Which SSI the claims are tested on (``auto``: observed readings when present).
SSI_SOURCES = ("auto", "observed", "computed")


@dataclass
class Context:
    """Shared inputs and caches of one evaluation (readings and seller-periods per SSI source)."""

    dataset: Dataset
    lookback: int = 90
    covariates: tuple[str, ...] = prepare.COVARIATES
    min_group: int = 10
    n_resamples: int = 2000
    seed: int = 0
    cluster: bool = True
    _cache: dict = field(default_factory=dict)

    def _once(self, key, make):
        """``make()``, computed once per ``key``; an :class:`Untestable` is kept and raised again."""
        if key not in self._cache:
            try:
                self._cache[key] = make()
            except Untestable as err:
                self._cache[key] = err
        value = self._cache[key]
        if isinstance(value, Untestable):
            raise value
        return value

    def readings(self, source: str) -> pd.DataFrame:
        """SSI readings of a source, computed once."""
        return self._once(("readings", source), lambda: prepare.ssi_readings(self.dataset, source))

    def training_did(self, source: str, event: str, window: int, null: float):
        """The staggered DiD of ``event`` on a source's SSI, computed once (the claim's notes and the event study)."""
        return self._once(("training_did", source, event, int(window), float(null)),
                          lambda: analyse_training(self.dataset, self.readings(source), event, window=int(window),
                                                   min_group=self.min_group, null=null))

    def periods(self, source: str, lookback: int | None = None) -> pd.DataFrame:
        """Seller-periods with period SSI for a source and SSI window, computed once per pair.

        ``lookback`` defaults to the context's :attr:`lookback` (days of SSI averaged
        before each period); the specification curve asks for other windows.
        """
        lookback = self.lookback if lookback is None else int(lookback)
        key = ("periods", source, lookback)
        if key not in self._cache:
            self._cache[key] = prepare.seller_periods(self.dataset, self.readings(source), lookback)
        return self._cache[key]


def evaluate_claims(dataset: Dataset, claims=None, *, ssi_source: str = "auto", lookback_days: int = 90,
                    covariates=prepare.COVARIATES, min_group: int = 10, n_resamples: int = 2000,
                    seed: int = 0, specifications: bool = True,
                    cluster: bool = True) -> ClaimsReport:
    """Test claims on a dataset.

    Parameters
    ----------
    dataset : Dataset
        A validated dataset; missing tables make the claims that need them untestable.
    claims : sequence of ClaimSpec, optional
        Default: the registry shipped with ssi-kit (``ssi_kit/claims/claims.yaml``).
    ssi_source : {"auto", "observed", "computed"}
        Observed readings (the ``ssi`` table) or the kit's score; ``auto`` prefers observed.
    lookback_days : int
        Days before ``period_start`` (or around an event) whose SSI is averaged.
    covariates : sequence of str
        Member columns adjusted for in the adjusted estimate, when present.
    min_group : int
        Smallest group (or number of pairs) a test needs; smaller is ``untestable``.
    n_resamples : int
        Bootstrap resamples.
    seed : int
        Seed of the bootstraps (same seed, same results).
    specifications : bool
        Whether to compute the specification curve (:mod:`ssi_kit.claims.specifications`)
        and the consistency check of the published figures (:mod:`ssi_kit.claims.consistency`).
    cluster : bool
        Errors clustered by seller wherever a seller contributes several rows (default).
        ``False`` ignores the sellers (heteroskedasticity-robust errors only); the validation
        study uses it to show what ignoring the clustering costs.  Not for real analyses.

    Returns
    -------
    ClaimsReport
    """
    if ssi_source not in SSI_SOURCES:
        raise UsageError(f"ssi_source must be auto, observed or computed, not {ssi_source!r}.")
    source = ("observed" if "ssi" in dataset else "computed") if ssi_source == "auto" else ssi_source
    claims = tuple(load_claims() if claims is None else claims)
    ctx = Context(dataset, lookback_days, tuple(covariates), min_group, n_resamples, seed, bool(cluster))
    results = [evaluate_claim(claim, ctx, source) for claim in claims]
    results = _holm(results)
    table = specification_curve(claims, ctx, source) if specifications else pd.DataFrame()
    consistency = _consistency(ctx, source, claims) if specifications else None
    return ClaimsReport(tuple(results), table, source, consistency=consistency,
                        event_study=_event_study(ctx, claims, results))


def _event_study(ctx: Context, claims, results):
    """The staggered DiD of the first testable ``paired_median_shift`` claim, or the reason there is none."""
    for claim, result in zip(claims, results):
        if claim.type != "paired_median_shift":
            continue
        if not result.testable:
            return f"the training claim is untestable: {result.reason}"
        try:
            return ctx.training_did(result.ssi_source, claim.params["event"], claim.params["window_days"],
                                    claim.null_value)
        except Untestable as err:
            return err.reason
    return "no training claim in the registry"


#: Registry claims whose published values the consistency check reads, when present.
_CONSISTENCY_CLAIMS = {"leaders_opportunities": "leaders_ratio", "higher_ssi_opportunities": "median_ratio",
                       "opportunities_per_10_points": "slope_per_10"}


def _consistency(ctx: Context, source: str, claims=()) -> ConsistencyResult:
    """Whether the published ratios and slope fit one line, on the dataset's period SSI."""
    figures = {_CONSISTENCY_CLAIMS[c.claim_id]: c.published for c in claims if c.claim_id in _CONSISTENCY_CLAIMS}
    basis = f"this dataset ({source} SSI of every seller-period)"
    try:
        periods = ctx.periods(source)
    except Untestable as err:
        return ConsistencyResult(pd.DataFrame(), None, basis, reason=err.reason)
    outcome = periods["opportunities"].astype(float) if "opportunities" in periods.columns else None
    return check_consistency(periods["ssi"], outcome, basis=basis, min_group=ctx.min_group, **figures)


def _holm(results: list[ClaimResult]) -> list[ClaimResult]:
    idx = [i for i, r in enumerate(results) if r.testable and math.isfinite(r.p_value)]
    if not idx:
        return results
    adjusted = multipletests([results[i].p_value for i in idx], method="holm")[1]
    out = list(results)
    for i, p in zip(idx, adjusted):
        out[i] = dataclasses.replace(out[i], p_adjusted=float(p))
    return out


def evaluate_claim(claim: ClaimSpec, ctx: Context, source: str, *, adjust: bool = True) -> ClaimResult:
    """Test one claim with its type's estimator (:mod:`ssi_kit.claims.types`).

    An :class:`Untestable` condition becomes an ``untestable`` result.
    """
    base = dict(claim_id=claim.claim_id, type=claim.type, statement=claim.statement,
                published=claim.published, null_value=claim.null_value, source=claim.source,
                primary_source=claim.primary_source, definition=claim.definition)
    try:
        est, extra = claim.claim_type.estimator(claim, ctx, source, adjust)
    except Untestable as err:
        return ClaimResult(verdict="untestable", reason=err.reason, **base)
    powered = estimate_power(claim.claim_type, extra.pop("power_inputs", None), est, claim.published,
                             claim.null_value, seed=ctx.seed)
    power, n80 = powered.power, powered.n_for_80_power
    tost = _tost(est, claim)
    verdict = verdict_of(est.ci_low, est.ci_high, est.estimate, claim.published, claim.null_value)
    return ClaimResult(verdict=verdict, n=est.n, n_sellers=est.n_sellers, estimate=est.estimate,
                       ci_low=est.ci_low, ci_high=est.ci_high, p_value=est.p_value, power=power,
                       n_for_80_power=n80, power_method=powered.method, tost_p=tost, equivalent=bool(tost < 0.05), method=est.method,
                       ssi_source=extra.pop("ssi_source", ""), **extra, **base)


def _tost(est, claim: ClaimSpec) -> float:
    """p-value of the two one-sided tests that the quantity lies within the equivalence margin."""
    lo, hi = claim.equivalence_bounds()
    g = np.log if est.log_scale else (lambda v: v)
    theta = g(est.estimate)
    dist = stats.norm if est.df is None else stats.t(est.df)
    p_low = dist.sf((theta - g(lo)) / est.se)
    p_high = dist.cdf((theta - g(hi)) / est.se)
    return float(max(p_low, p_high))
