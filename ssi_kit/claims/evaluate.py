"""Test every claim of a registry on a dataset: estimates, power, Holm, verdicts, sensitivity."""
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
from .did import estimate_did
from .estimators import (Untestable, design_matrix, independent_columns, estimate_paired_median, estimate_ratio,
                         estimate_share_exceeding, estimate_slope)
from .power import n_for_power, power_at_n
from .registry import ClaimSpec, load_claims
from .results import ClaimResult, ClaimsReport
from .sensitivity import sensitivity_table
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
    _cache: dict = field(default_factory=dict)

    def readings(self, source: str) -> pd.DataFrame:
        """SSI readings of a source, computed once."""
        key = ("readings", source)
        if key not in self._cache:
            try:
                self._cache[key] = prepare.ssi_readings(self.dataset, source)
            except Untestable as err:
                self._cache[key] = err
        value = self._cache[key]
        if isinstance(value, Untestable):
            raise value
        return value

    def periods(self, source: str) -> pd.DataFrame:
        """Seller-periods with period SSI for a source, computed once."""
        key = ("periods", source)
        if key not in self._cache:
            self._cache[key] = prepare.seller_periods(self.dataset, self.readings(source), self.lookback)
        return self._cache[key]


def evaluate_claims(dataset: Dataset, claims=None, *, ssi_source: str = "auto", lookback_days: int = 90,
                    covariates=prepare.COVARIATES, min_group: int = 10, n_resamples: int = 2000,
                    seed: int = 0, sensitivity: bool = True) -> ClaimsReport:
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
    sensitivity : bool
        Whether to compute the sensitivity table.

    Returns
    -------
    ClaimsReport
    """
    if ssi_source not in SSI_SOURCES:
        raise UsageError(f"ssi_source must be auto, observed or computed, not {ssi_source!r}.")
    source = ("observed" if "ssi" in dataset else "computed") if ssi_source == "auto" else ssi_source
    claims = tuple(load_claims() if claims is None else claims)
    ctx = Context(dataset, lookback_days, tuple(covariates), min_group, n_resamples, seed)
    results = [evaluate_claim(claim, ctx, source) for claim in claims]
    results = _holm(results)
    table = sensitivity_table(claims, ctx, source, evaluate_claim) if sensitivity else pd.DataFrame()
    return ClaimsReport(tuple(results), table, source)


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
    """Test one claim; an :class:`Untestable` condition becomes an ``untestable`` result."""
    base = dict(claim_id=claim.claim_id, type=claim.type, statement=claim.statement,
                published=claim.published, null_value=claim.null_value, source=claim.source,
                primary_source=claim.primary_source, definition=claim.definition)
    try:
        est, extra = _ESTIMATORS[claim.type](claim, ctx, source, adjust)
    except Untestable as err:
        return ClaimResult(verdict="untestable", reason=err.reason, **base)
    power = power_at_n(est.se, est.n, claim.published, claim.null_value, log_scale=est.log_scale)
    n80 = n_for_power(est.se, est.n, claim.published, claim.null_value, log_scale=est.log_scale)
    tost = _tost(est, claim)
    verdict = verdict_of(est.ci_low, est.ci_high, est.estimate, claim.published, claim.null_value)
    return ClaimResult(verdict=verdict, n=est.n, n_sellers=est.n_sellers, estimate=est.estimate,
                       ci_low=est.ci_low, ci_high=est.ci_high, p_value=est.p_value, power=power,
                       n_for_80_power=n80, tost_p=tost, equivalent=bool(tost < 0.05), method=est.method,
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


def _need(frame: pd.DataFrame, column: str, table: str) -> pd.Series:
    if column not in frame.columns or frame[column].isna().all():
        raise Untestable(f"the {table} table has no values in column {column}")
    return frame[column]


def _adjusted(frame, fit, ctx) -> dict:
    covs = [c for c in ctx.covariates if c in frame.columns and frame[c].nunique(dropna=True) > 1]
    if not covs:
        return {}
    data = frame.dropna(subset=covs)
    try:
        est = fit(data, independent_columns(design_matrix(data, [], covs)).drop(columns="const"))
    except Untestable:
        return {}
    return dict(adjusted_estimate=est.estimate, adjusted_ci_low=est.ci_low, adjusted_ci_high=est.ci_high)


def _group_ratio(claim, ctx, source, adjust):
    sp = ctx.periods(source)
    y = _need(sp, claim.params["outcome"], "outcomes")
    high, low = claim.params["high"].mask(sp["ssi"]), claim.params["low"].mask(sp["ssi"])
    if (high & low).any():
        raise Untestable(f"the groups {claim.params['high']} and {claim.params['low']} overlap")
    data = sp[(high | low) & y.notna()].assign(_x=high.astype(float), _y=y.astype(float))
    small = min(int(data["_x"].sum()), int((1 - data["_x"]).sum()))
    sellers = data.groupby("_x")["member_id"].nunique().reindex([0.0, 1.0], fill_value=0).min()
    groups = f"groups SSI {claim.params['high']} and {claim.params['low']}, {source} SSI"
    if small < ctx.min_group:
        raise Untestable(f"too few seller-periods in a group ({small} < {ctx.min_group}; {groups})")
    if sellers < ctx.min_group:
        raise Untestable(f"too few sellers in a group ({sellers} < {ctx.min_group}; {groups})")
    def fit(d, cov=None):
        return estimate_ratio(d["_y"], d["_x"], d["member_id"], null=claim.null_value, covariates=cov)
    est = fit(data)
    extra = {"ssi_source": source, **(_adjusted(data, fit, ctx) if adjust else {})}
    return est, extra


def _slope(claim, ctx, source, adjust):
    sp = ctx.periods(source)
    y = _need(sp, claim.params["outcome"], "outcomes")
    data = sp[y.notna()].assign(_y=y.astype(float))
    if len(data) < 2 * ctx.min_group:
        raise Untestable(f"too few seller-periods ({len(data)} < {2 * ctx.min_group})")
    if data["member_id"].nunique() < ctx.min_group:
        raise Untestable(f"too few sellers ({data['member_id'].nunique()} < {ctx.min_group})")
    def fit(d, cov=None):
        return estimate_slope(d["_y"], d["ssi"], d["member_id"], per=claim.params["per"],
                              null=claim.null_value, covariates=cov)
    return fit(data), {"ssi_source": source, **(_adjusted(data, fit, ctx) if adjust else {})}


def _share(claim, ctx, source, adjust):
    if "outcomes" not in ctx.dataset:
        raise Untestable("no outcomes table")
    members = ctx.dataset["members"]
    group_col, outcome = claim.params["group"], claim.params["outcome"]
    if group_col not in members.columns or members[group_col].isna().all():
        raise Untestable(f"the members table has no values in column {group_col}")
    values = _need(ctx.dataset["outcomes"], outcome, "outcomes")
    per_seller = values.groupby(ctx.dataset["outcomes"]["member_id"]).mean().dropna()
    flag = members.set_index("member_id")[group_col].reindex(per_seller.index)
    group, other = per_seller[flag == True], per_seller[flag == False]  # noqa: E712 (nullable bool)
    small = min(len(group), len(other))
    if small < ctx.min_group:
        raise Untestable(f"too few sellers in a group ({small} < {ctx.min_group}; {group_col} true/false)")
    est = estimate_share_exceeding(group.to_numpy(), other.to_numpy(), null=claim.null_value,
                                   n_resamples=ctx.n_resamples, seed=ctx.seed)
    return est, {"ssi_source": ""}


def _paired(claim, ctx, source, adjust):
    event, window = claim.params["event"], int(claim.params["window_days"])
    readings = ctx.readings(source)
    pairs = prepare.event_pairs(ctx.dataset, readings, event, window)
    if len(pairs) < ctx.min_group:
        raise Untestable(f"too few sellers with SSI before and after '{event}' ({len(pairs)} < {ctx.min_group})")
    diffs = (pairs["after"] - pairs["before"]).to_numpy()
    est = estimate_paired_median(diffs, null=claim.null_value, n_resamples=ctx.n_resamples, seed=ctx.seed)
    notes = [f"difference of medians: {pairs['after'].median() - pairs['before'].median():.2f} "
             f"(median before {pairs['before'].median():.1f}, after {pairs['after'].median():.1f})"]
    notes += _did_notes(ctx, readings, pairs, event, window, claim.null_value)
    return est, {"ssi_source": source, "notes": tuple(notes)}


def _did_notes(ctx, readings, pairs, event, window, null) -> list[str]:
    panel = prepare.did_panel(ctx.dataset, readings, event, window)
    untrained = panel.loc[~panel["trained"], "member_id"].nunique()
    if untrained < ctx.min_group:
        return [f"no difference-in-differences: only {untrained} untrained sellers; without a control "
                "group the rise may reflect trends or regression to the mean"]
    try:
        did = estimate_did(panel, null=null)
    except Untestable as err:
        return [f"no difference-in-differences: {err.reason}"]
    control = panel.loc[~panel["trained"], "ssi"].mean()
    corr = np.corrcoef(pairs["before"], pairs["after"] - pairs["before"])[0, 1]
    return [f"difference-in-differences ({untrained} untrained sellers as controls): {did.estimate:.2f} "
            f"(95% CI {did.ci_low:.2f} to {did.ci_high:.2f}, p = {did.p_value:.3g})",
            f"regression to the mean: trained sellers' SSI before training averaged "
            f"{pairs['before'].mean():.1f} against {control:.1f} for untrained sellers over the same dates; "
            f"the correlation of the starting SSI with the change is {corr:.2f} (strongly negative values "
            f"suggest part of the change is regression to the mean)"]


def _growth(claim, ctx, source, adjust):
    pairs, (earlier, later) = prepare.quarter_pairs(ctx.dataset, claim.params["column"])
    if len(pairs) < ctx.min_group:
        raise Untestable(f"too few sellers active in both {earlier} and {later} ({len(pairs)} < {ctx.min_group})")
    n = len(pairs)
    y = np.concatenate([pairs["earlier"], pairs["later"]])
    x = np.r_[np.zeros(n), np.ones(n)]
    est = estimate_ratio(y, x, np.concatenate([pairs["member_id"]] * 2), null=claim.null_value)
    est = dataclasses.replace(est, n=n, method=est.method + f"; {later} against {earlier}, same sellers")
    return est, {"ssi_source": ""}


_ESTIMATORS = {"ratio_of_means": _group_ratio, "risk_ratio": _group_ratio, "slope": _slope,
               "share_exceeding": _share, "paired_median_shift": _paired, "growth_ratio": _growth}
