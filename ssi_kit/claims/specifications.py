"""A specification curve: every claim re-estimated over the reasonable ways to define it.

Following Simonsohn, Simmons and Nelson (2020, "Specification curve analysis", Nature Human
Behaviour 4: 1208-1214), each claim is re-run over every combination of the defensible
choices its wording leaves open, so a reader sees whether the verdict rests on one choice:

* **leader cut-offs** (group comparisons with fixed SSI cut-offs, e.g. leaders > 70 vs
  laggards < 30): as defined; top vs bottom quartile; the article's bands
  (:data:`ssi_kit.scoring.tiers.BAND_CUTS`: good and above vs poor); and *continuous SSI*:
  a log-linear Poisson fit of the outcome on the period SSI of all seller-periods (errors
  clustered by seller), turned into the ratio it implies between the mean SSI of the
  claim's two groups, ``exp(b * (mean SSI high - mean SSI low))``, so it is on the claim's
  own scale.  Group claims with a median split get "as defined" and "continuous SSI";
* **SSI window**: the SSI averaged over 90, 60 or 30 days before each period (for the
  training claim: the window before and after the event);
* **SSI source**: observed readings or the kit's computed score, when both are available;
* **covariates**: without, or with the member covariates of the adjusted estimate
  (:data:`ssi_kit.claims.prepare.COVARIATES`);
* **outcome period**: every seller-period, or only each seller's latest period (one row
  per seller: no repeated periods, the design of LinkedIn's one-quarter survey).

Claims that read no SSI (shares, growth) have one specification.  Which dimensions a claim
gets comes from its type's record (:mod:`ssi_kit.claims.types`).  The first specification of
each claim is the claim as defined; it equals the main estimate.
"""
from __future__ import annotations

import dataclasses
import itertools
import math
import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from ..scoring.tiers import BAND_CUTS
from .estimators import Untestable, design_matrix, independent_columns
from .registry import GroupRule
from .verdicts import verdict_of

__all__ = ["specification_curve", "summarize_specifications", "GROUP_VARIANTS", "SSI_WINDOWS",
           "CHOICE_COLUMNS", "AS_DEFINED", "CONTINUOUS"]

AS_DEFINED = "as defined"
CONTINUOUS = "continuous SSI"
#: Alternative leader / laggard definitions for fixed cut-offs: (name, high, low).
GROUP_VARIANTS = (
    ("top vs bottom quartile", ">=q75", "<=q25"),
    (f"article bands: {BAND_CUTS[1]:g}+ vs below {BAND_CUTS[0]:g}", f">={BAND_CUTS[1]:g}", f"<{BAND_CUTS[0]:g}"),
)
#: SSI windows (days) of the curve; the context's own window comes first.
SSI_WINDOWS = (90, 60, 30)
#: The choice columns of the curve, in the order of the dot matrix.
CHOICE_COLUMNS = ("leader_cutoff", "ssi_window", "ssi_source", "covariates", "outcome_period")
_NA = "n/a"
_COLUMNS = ("claim_id", "spec", *CHOICE_COLUMNS, "as_defined", "n", "estimate", "ci_low", "ci_high",
            "p_value", "published", "null_value", "verdict", "includes_published", "consistent", "reason")


class _SpecContext:
    """The evaluation context with another SSI window and, optionally, only the latest period."""

    def __init__(self, base, lookback: int, latest: bool, store: dict):
        self._base, self.lookback, self._latest, self._store = base, lookback, latest, store

    def __getattr__(self, name):
        return getattr(self._base, name)

    def periods(self, source: str, lookback: int | None = None) -> pd.DataFrame:
        frame = self._base.periods(source, self.lookback if lookback is None else lookback)
        if not self._latest:
            return frame
        key = (source, self.lookback if lookback is None else lookback)
        if key not in self._store:
            last = frame.groupby("member_id", observed=True)["period_start"].idxmax()
            self._store[key] = frame.loc[np.sort(last.to_numpy())].reset_index(drop=True)
        return self._store[key]


def _fixed(rule: GroupRule) -> bool:
    """Whether a group condition is a fixed SSI value (not a median or quantile)."""
    return rule.value.replace(".", "").lstrip("-").isdigit()


def _cutoffs(claim) -> list[tuple[str, object]]:
    if not claim.claim_type.compares_groups:
        return [(_NA, claim)]
    out = [(AS_DEFINED, claim)]
    if _fixed(claim.params["high"]):
        for name, high, low in GROUP_VARIANTS:
            params = {**claim.params, "high": GroupRule.parse(high), "low": GroupRule.parse(low)}
            out.append((name, dataclasses.replace(claim, params=params)))
    out.append((CONTINUOUS, claim))
    return out


def _dimensions(claim, ctx, sources):
    """The choices of one claim: cut-offs, windows, sources, covariates, periods."""
    kind = claim.claim_type
    if not kind.reads_ssi:
        return _cutoffs(claim), [None], [""], [False], [False]
    windowed = "window_days" in claim.params
    first = int(claim.params["window_days"]) if windowed else ctx.lookback
    windows = [first] + [w for w in SSI_WINDOWS if w != first]
    uses_periods = kind.compares_groups or kind.name == "slope"
    return (_cutoffs(claim), windows, sources, [False, True] if uses_periods else [False],
            [False, True] if uses_periods else [False])


def specification_curve(claims, ctx, source: str, *, available=None) -> pd.DataFrame:
    """One row per claim and specification (the first of each claim: as defined).

    Parameters
    ----------
    claims : sequence of ClaimSpec
    ctx : Context
        The evaluation context (its ``periods(source, lookback)`` is cached per window).
    source : str
        The main SSI source; the other one is added when the data allow it.
    available : callable, optional
        ``available(source) -> bool``; default: whether ``ctx.readings(source)`` works.

    Returns
    -------
    pandas.DataFrame
        Columns ``claim_id, spec`` (0 = as defined), the choices (:data:`CHOICE_COLUMNS`,
        readable values, ``n/a`` where a choice does not apply), ``as_defined, n, estimate,
        ci_low, ci_high, p_value, published, null_value, verdict, includes_published``
        (the 95% interval contains the published value), ``consistent`` (verdict
        ``consistent``) and ``reason`` (why a specification is untestable).
    """
    available = available or (lambda s: _readable(ctx, s))
    sources = [source] + [s for s in ("observed", "computed") if s != source and available(s)]
    store: dict = {}
    rows = []
    for claim in claims:
        cut, windows, srcs, covs, periods = _dimensions(claim, ctx, sources)
        spec = 0
        for (name, variant), window, src, latest in itertools.product(cut, windows, srcs, periods):
            sub = _SpecContext(ctx, ctx.lookback if window is None else window, latest, store)
            if window is not None and "window_days" in claim.params:
                variant = dataclasses.replace(variant, params={**variant.params, "window_days": window})
            fits = _fit(name, variant, sub, src or source, adjust=len(covs) > 1)
            for with_cov in covs:
                choice = dict(leader_cutoff=name, ssi_window=_NA if window is None else f"{window} days",
                              ssi_source=src or _NA, covariates=_NA if len(covs) == 1 else
                              ("with" if with_cov else "without"),
                              outcome_period=_NA if len(periods) == 1 else
                              ("latest period per seller" if latest else "all periods"))
                rows.append(_row(claim, spec, choice, fits[with_cov]))
                spec += 1
    table = pd.DataFrame(rows, columns=list(_COLUMNS))
    return table.astype({"n": int, "as_defined": bool, "includes_published": bool, "consistent": bool})


def _readable(ctx, source: str) -> bool:
    try:
        ctx.readings(source)
    except Untestable:
        return False
    return True


def _fit(name, claim, ctx, source, *, adjust: bool) -> dict:
    """{False: (n, est, lo, hi, p, reason), True: the same with covariates}.

    The claim type's estimator is called directly (no power, equivalence test or Holm step:
    the curve needs the estimates only), so the as-defined row equals the main estimate.
    """
    if name == CONTINUOUS:
        return {cov: _continuous(claim, ctx, source, cov) for cov in ((False, True) if adjust else (False,))}
    why = "no member covariates vary in the data"
    try:
        try:
            est, extra = claim.claim_type.estimator(claim, ctx, source, adjust)
        except (ArithmeticError, ValueError, np.linalg.LinAlgError):
            # a small subset (e.g. one period per seller) can leave the adjusted fit no
            # residual degrees of freedom; the plain estimate is still made
            if not adjust:
                raise
            est, extra = claim.claim_type.estimator(claim, ctx, source, False)
            why = "the covariate-adjusted fit failed (too few rows for the covariates)"
    except Untestable as err:
        missing = (0, math.nan, math.nan, math.nan, math.nan, err.reason)
        return {False: missing, True: missing}
    plain = (est.n, est.estimate, est.ci_low, est.ci_high, est.p_value, "")
    if not math.isfinite(extra.get("adjusted_estimate", math.nan)):
        adjusted = (0, math.nan, math.nan, math.nan, math.nan, why)
    else:  # rows with a missing covariate are left out of the adjusted fit
        adjusted = (extra["adjusted_n"], extra["adjusted_estimate"], extra["adjusted_ci_low"],
                    extra["adjusted_ci_high"], extra["adjusted_p_value"], "")
    return {False: plain, True: adjusted}


def _continuous(claim, ctx, source, with_cov: bool) -> tuple:
    """The ratio implied by a log-linear Poisson fit on continuous SSI between the groups' mean SSI."""
    try:
        sp = ctx.periods(source)
        outcome = claim.params["outcome"]
        if outcome not in sp.columns or sp[outcome].isna().all():
            raise Untestable(f"the outcomes table has no values in column {outcome}")
        data = sp[sp[outcome].notna()]
        high, low = claim.params["high"].mask(data["ssi"]), claim.params["low"].mask(data["ssi"])
        if min(int(high.sum()), int(low.sum())) < ctx.min_group:
            raise Untestable("too few seller-periods in a group to define the groups' mean SSI")
        gap = float(data.loc[high, "ssi"].mean() - data.loc[low, "ssi"].mean())
        if not gap > 0:
            raise Untestable("the groups' mean SSI do not differ")
        return _poisson_ratio(data.assign(_x=data["ssi"] / gap), outcome, claim.null_value,
                              [c for c in ctx.covariates if c in data.columns] if with_cov else [],
                              ctx.min_group)
    except Untestable as err:
        return (0, math.nan, math.nan, math.nan, math.nan, err.reason)
    except (ArithmeticError, ValueError, np.linalg.LinAlgError):
        return (0, math.nan, math.nan, math.nan, math.nan, "the Poisson fit on continuous SSI failed")


def _poisson_ratio(data, outcome, null, covs, min_group) -> tuple:
    """exp(coefficient of ``_x``): Poisson GLM, errors clustered by seller, t(G - 1) reference."""
    wanted = bool(covs)
    covs = [c for c in covs if data[c].nunique(dropna=True) > 1]
    if wanted and not covs:
        raise Untestable("no member covariates vary in the data")
    data = data.dropna(subset=covs)
    X = independent_columns(design_matrix(data, ["_x"], covs))
    codes = pd.factorize(data["member_id"].astype(str))[0]
    n_groups = int(codes.max() + 1) if codes.size else 0
    if n_groups < max(min_group, 2):
        raise Untestable(f"too few sellers ({n_groups} < {min_group})")
    if len(data) <= X.shape[1]:
        raise Untestable(f"too few rows ({len(data)}) for {X.shape[1]} model terms")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sm.GLM(data[outcome].astype(float).to_numpy(), X.to_numpy(float),
                     family=sm.families.Poisson()).fit(cov_type="cluster", cov_kwds={"groups": codes})
    b, se = float(res.params[1]), float(res.bse[1])
    if not (math.isfinite(b) and math.isfinite(se) and se > 0):
        raise Untestable("the Poisson fit on continuous SSI has no finite standard error")
    q = stats.t.ppf(0.975, n_groups - 1)
    p = float(2 * stats.t.sf(abs((b - math.log(null)) / se), n_groups - 1))
    return (len(data), math.exp(b), math.exp(b - q * se), math.exp(b + q * se), p, "")


def _row(claim, spec: int, choice: dict, fit: tuple) -> dict:
    n, est, lo, hi, p, reason = fit
    verdict = verdict_of(lo, hi, est, claim.published, claim.null_value) if math.isfinite(est) else "untestable"
    includes = bool(math.isfinite(lo) and math.isfinite(hi) and lo <= claim.published <= hi)
    return {"claim_id": claim.claim_id, "spec": spec, **choice, "as_defined": spec == 0, "n": int(n),
            "estimate": est, "ci_low": lo, "ci_high": hi, "p_value": p, "published": claim.published,
            "null_value": claim.null_value, "verdict": verdict, "includes_published": includes,
            "consistent": verdict == "consistent", "reason": reason if verdict == "untestable" else ""}


def summarize_specifications(table: pd.DataFrame) -> pd.DataFrame:
    """Per claim: specifications, testable ones, shares including the published value and consistent.

    Shares are over the testable specifications (NaN when none is testable).

    Returns
    -------
    pandas.DataFrame
        ``claim_id, specifications, testable, share_includes_published, share_consistent,
        median_estimate, as_defined_estimate, published``.
    """
    cols = ["claim_id", "specifications", "testable", "share_includes_published", "share_consistent",
            "median_estimate", "as_defined_estimate", "published"]
    rows = []
    for claim_id, group in table.groupby("claim_id", sort=False):
        ok = group[group["verdict"] != "untestable"]
        share = (lambda col: float(ok[col].mean())) if len(ok) else (lambda col: math.nan)
        first = group[group["as_defined"]]
        rows.append({"claim_id": claim_id, "specifications": len(group), "testable": len(ok),
                     "share_includes_published": share("includes_published"),
                     "share_consistent": share("consistent"),
                     "median_estimate": float(ok["estimate"].median()) if len(ok) else math.nan,
                     "as_defined_estimate": float(first["estimate"].iloc[0]) if len(first) else math.nan,
                     "published": float(group["published"].iloc[0])})
    return pd.DataFrame(rows, columns=cols)
