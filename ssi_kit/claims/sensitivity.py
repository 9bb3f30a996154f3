"""How the estimates move under reasonable alternative definitions."""
from __future__ import annotations

import dataclasses

import pandas as pd

from .estimators import Untestable
from .registry import GroupRule

__all__ = ["sensitivity_table", "GROUP_VARIANTS"]

#: Alternative leader / laggard definitions for group comparisons.
GROUP_VARIANTS = (
    ("top vs bottom quartile", ">=q75", "<=q25"),
    ("article bands: 70+ vs below 40", ">=70", "<40"),
)
_SSI_TYPES = ("ratio_of_means", "risk_ratio", "slope", "paired_median_shift")


def _variants(claim):
    yield "as defined", claim
    fixed = "high" in claim.params and claim.params["high"].value.replace(".", "").lstrip("-").isdigit()
    if fixed and claim.type in ("ratio_of_means", "risk_ratio"):  # leaders vs laggards
        for name, high, low in GROUP_VARIANTS:
            params = {**claim.params, "high": GroupRule.parse(high), "low": GroupRule.parse(low)}
            yield name, dataclasses.replace(claim, params=params)


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
            for src in (sources if claim.type in _SSI_TYPES else [""]):
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
