"""How the estimates move under reasonable alternative definitions.

Which claims are re-run comes from their type's record (:mod:`ssi_kit.claims.types`):
a type that ``reads_ssi`` on both SSI sources, a type that ``compares_groups`` (leaders
vs laggards at fixed SSI cut-offs) also with the :data:`GROUP_VARIANTS`.
"""
from __future__ import annotations

import dataclasses

import pandas as pd

from ..scoring.tiers import BAND_CUTS
from .estimators import Untestable
from .registry import GroupRule

__all__ = ["sensitivity_table", "GROUP_VARIANTS"]

#: Alternative leader / laggard definitions for group comparisons: (name, high, low).
#: The article's bands come from :data:`ssi_kit.scoring.tiers.BAND_CUTS` (good >= 70, poor < 40).
GROUP_VARIANTS = (
    ("top vs bottom quartile", ">=q75", "<=q25"),
    (f"article bands: {BAND_CUTS[1]:g}+ vs below {BAND_CUTS[0]:g}", f">={BAND_CUTS[1]:g}", f"<{BAND_CUTS[0]:g}"),
)


def _variants(claim):
    yield "as defined", claim
    if claim.claim_type.compares_groups and _fixed(claim.params["high"]):  # leaders vs laggards
        for name, high, low in GROUP_VARIANTS:
            params = {**claim.params, "high": GroupRule.parse(high), "low": GroupRule.parse(low)}
            yield name, dataclasses.replace(claim, params=params)


def _fixed(rule: GroupRule) -> bool:
    """Whether a group condition is a fixed SSI value (not a median or quantile)."""
    return rule.value.replace(".", "").lstrip("-").isdigit()


def sensitivity_table(claims, ctx, source: str, evaluate) -> pd.DataFrame:
    """One row per claim, definition variant and SSI source (observed and computed where possible).

    Parameters
    ----------
    claims : sequence of ClaimSpec
    ctx : Context
    source : str
        The main SSI source; the other one is added when the data allow it.
    evaluate : callable
        ``evaluate(claim, ctx, source, adjust=False) -> ClaimResult``.
    """
    sources = [source] + [s for s in ("observed", "computed") if s != source]
    rows = []
    for claim in claims:
        for name, variant in _variants(claim):
            for src in (sources if claim.claim_type.reads_ssi else [""]):
                if src and src != source and not _available(ctx, src):
                    continue
                res = evaluate(variant, ctx, src or source, adjust=False)
                rows.append({"claim_id": claim.claim_id, "variant": name, "ssi_source": src or "n/a",
                             "n": res.n, "estimate": res.estimate, "ci_low": res.ci_low,
                             "ci_high": res.ci_high, "p_value": res.p_value, "verdict": res.verdict,
                             "reason": res.reason})
    return pd.DataFrame(rows)


def _available(ctx, source: str) -> bool:
    try:
        ctx.readings(source)
    except Untestable:
        return False
    return True
