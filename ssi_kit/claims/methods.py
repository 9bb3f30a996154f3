"""The estimator of each claim type: a claim, the evaluation context and an SSI source in, an estimate out.

Every function here has the signature ``estimator(claim, ctx, source, adjust) -> (Estimate, extra)``:
``claim`` is a :class:`~ssi_kit.claims.registry.ClaimSpec`, ``ctx`` the
:class:`~ssi_kit.claims.evaluate.Context` of the evaluation, ``source`` the SSI source
(``observed`` or ``computed``), ``adjust`` whether to add the covariate-adjusted estimate;
``extra`` holds the :class:`~ssi_kit.claims.results.ClaimResult` fields the estimator adds
(``ssi_source``, ``notes``, ``adjusted_*``).  A condition that makes the claim untestable
raises :class:`~ssi_kit.claims.estimators.Untestable`.  The claim type records of
:mod:`ssi_kit.claims.types` point at these functions.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from . import prepare
from .estimators import (Untestable, design_matrix, estimate_paired_median, estimate_ratio, estimate_share_exceeding,
                         estimate_slope, independent_columns)

__all__ = ["group_ratio", "slope", "share_exceeding", "paired_median_shift", "growth_ratio"]


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
    return dict(adjusted_estimate=est.estimate, adjusted_ci_low=est.ci_low, adjusted_ci_high=est.ci_high,
                adjusted_p_value=est.p_value, adjusted_n=est.n)


def group_ratio(claim, ctx, source, adjust):
    """``ratio_of_means`` and ``risk_ratio``: outcome of the ``high`` SSI group / the ``low`` one (seller-periods)."""
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
        return estimate_ratio(d["_y"], d["_x"], d["member_id"], null=claim.null_value, covariates=cov,
                              cluster=ctx.cluster)
    est = fit(data)
    extra = {"ssi_source": source, **(_adjusted(data, fit, ctx) if adjust else {})}
    return est, {**extra, "power_inputs": {"y": data["_y"].to_numpy(), "x": data["_x"].to_numpy(),
                                           "groups": data["member_id"].to_numpy()}}


def slope(claim, ctx, source, adjust):
    """``slope``: change of the outcome per ``per`` points of period SSI (OLS, errors clustered by seller)."""
    sp = ctx.periods(source)
    y = _need(sp, claim.params["outcome"], "outcomes")
    data = sp[y.notna()].assign(_y=y.astype(float))
    if len(data) < 2 * ctx.min_group:
        raise Untestable(f"too few seller-periods ({len(data)} < {2 * ctx.min_group})")
    if data["member_id"].nunique() < ctx.min_group:
        raise Untestable(f"too few sellers ({data['member_id'].nunique()} < {ctx.min_group})")
    def fit(d, cov=None):
        return estimate_slope(d["_y"], d["ssi"], d["member_id"], per=claim.params["per"],
                              null=claim.null_value, covariates=cov, cluster=ctx.cluster)
    return fit(data), {"ssi_source": source, **(_adjusted(data, fit, ctx) if adjust else {}),
                       "power_inputs": {"y": data["_y"].to_numpy(), "x": data["ssi"].to_numpy(float),
                                        "groups": data["member_id"].to_numpy(), "per": claim.params["per"]}}


def share_exceeding(claim, ctx, source, adjust):
    """``share_exceeding``: share of the ``group`` sellers above the other sellers' median outcome."""
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
    return est, {"ssi_source": "", "power_inputs": {"group": group.to_numpy(), "other": other.to_numpy()}}


def paired_median_shift(claim, ctx, source, adjust):
    """``paired_median_shift``: median of the sellers' SSI after - before an event, with DiD notes."""
    event, window = claim.params["event"], int(claim.params["window_days"])
    readings = ctx.readings(source)
    pairs = prepare.event_pairs(ctx.dataset, readings, event, window)
    if len(pairs) < ctx.min_group:
        raise Untestable(f"too few sellers with SSI before and after '{event}' ({len(pairs)} < {ctx.min_group})")
    diffs = (pairs["after"] - pairs["before"]).to_numpy()
    est = estimate_paired_median(diffs, null=claim.null_value, n_resamples=ctx.n_resamples, seed=ctx.seed)
    notes = [f"difference of medians: {pairs['after'].median() - pairs['before'].median():.2f} "
             f"(median before {pairs['before'].median():.1f}, after {pairs['after'].median():.1f})"]
    notes += _did_notes(ctx, source, readings, pairs, event, window, claim.null_value)
    return est, {"ssi_source": source, "notes": tuple(notes), "power_inputs": {"diffs": diffs}}


def _did_notes(ctx, source, readings, pairs, event, window, null) -> list[str]:
    """The staggered DiD (with its pre-trend test), the TWFE for comparison, and regression to the mean."""
    try:
        did = ctx.training_did(source, event, window, null)
    except Untestable as err:
        return [f"no difference-in-differences: {err.reason}; without a control group the rise may "
                "reflect trends or regression to the mean"]
    lo, hi = did.conf_int()
    notes = [f"staggered difference-in-differences (Callaway-Sant'Anna, not-yet-trained sellers as controls, "
             f"{did.period_days}-day periods): {did.att:.2f} SSI points (95% CI {lo:.2f} to {hi:.2f}, "
             f"p = {did.p_value:.3g}); pre-trend test p = {did.pretrend_p:.3g}"]
    if did.twfe is not None:
        notes.append(f"two-way fixed-effects estimate, for comparison only (biased when effects differ by cohort "
                     f"or grow after training): {did.twfe.estimate:.2f} (95% CI {did.twfe.ci_low:.2f} to "
                     f"{did.twfe.ci_high:.2f})")
    trained = set(pairs["member_id"].astype(str))
    others = readings[~readings["member_id"].astype(str).isin(trained)]
    control = others["ssi"].mean()
    corr = np.corrcoef(pairs["before"], pairs["after"] - pairs["before"])[0, 1]
    return notes + [f"regression to the mean: trained sellers' SSI before training averaged "
                    f"{pairs['before'].mean():.1f} against {control:.1f} for other sellers; "
                    f"the correlation of the starting SSI with the change is {corr:.2f} (strongly negative values "
                    f"suggest part of the change is regression to the mean)"]


def growth_ratio(claim, ctx, source, adjust):
    """``growth_ratio``: an activity count per seller, latest complete quarter / a year earlier."""
    pairs, (earlier, later) = prepare.quarter_pairs(ctx.dataset, claim.params["column"])
    if len(pairs) < ctx.min_group:
        raise Untestable(f"too few sellers active in both {earlier} and {later} ({len(pairs)} < {ctx.min_group})")
    n = len(pairs)
    y = np.concatenate([pairs["earlier"], pairs["later"]])
    x = np.r_[np.zeros(n), np.ones(n)]
    est = estimate_ratio(y, x, np.concatenate([pairs["member_id"]] * 2), null=claim.null_value,
                         cluster=ctx.cluster)
    est = dataclasses.replace(est, n=n, method=est.method + f"; {later} against {earlier}, same sellers")
    return est, {"ssi_source": "",
                 "power_inputs": {"y": y, "x": x, "groups": np.concatenate([pairs["member_id"]] * 2)}}
