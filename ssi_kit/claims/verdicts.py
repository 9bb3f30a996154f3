"""Verdicts from a 95% confidence interval, exactly as the contract defines them (docs/contract.md)."""
from __future__ import annotations

import math

__all__ = ["VERDICTS", "verdict_of", "describe_verdict"]

VERDICTS = ("consistent", "weaker", "stronger", "not_supported", "inconclusive", "opposite", "untestable")

_WORDS = {
    "consistent": "The data support the claim: the interval excludes no effect and includes the published value.",
    "weaker": "There is an effect, but smaller than published: the interval excludes both no effect and the published value.",
    "stronger": "There is an effect, larger than published: the interval excludes both no effect and the published value.",
    "not_supported": "No effect can be shown and the published value is ruled out.",
    "inconclusive": "Too uncertain to tell: the interval includes both no effect and the published value.",
    "opposite": "The data show an effect in the opposite direction to the claim.",
    "untestable": "The dataset cannot test this claim.",
}


def verdict_of(ci_low: float, ci_high: float, estimate: float, published: float, null: float) -> str:
    """The verdict of one claim.

    Parameters
    ----------
    ci_low, ci_high : float
        The 95% confidence interval of the estimate.
    estimate : float
        The point estimate.
    published, null : float
        The published value and the null value.

    Returns
    -------
    str
        One of :data:`VERDICTS`; ``untestable`` when the interval is not finite.
    """
    if not all(math.isfinite(v) for v in (ci_low, ci_high, estimate)):
        return "untestable"
    has_null = ci_low <= null <= ci_high
    has_published = ci_low <= published <= ci_high
    if not has_null:
        claimed_up = published >= null
        if (estimate > null) != claimed_up:
            return "opposite"
        if has_published:
            return "consistent"
        # weaker: an effect smaller than published (closer to the null); for the published
        # claims (all above their null) this is "estimate below the published value"
        closer = estimate < published if claimed_up else estimate > published
        return "weaker" if closer else "stronger"
    return "inconclusive" if has_published else "not_supported"


def describe_verdict(verdict: str) -> str:
    """The verdict in words, for reports."""
    return _WORDS[verdict]
