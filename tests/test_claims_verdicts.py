"""Verdicts from a 95% interval: every branch of the rules of docs/contract.md, with concrete intervals."""
from __future__ import annotations

import math

import pytest

from ssi_kit.claims import VERDICTS, describe_verdict, verdict_of

# (ci_low, ci_high, estimate, published, null) -> verdict
UPWARD = [
    # consistent: excludes the null, includes the published value
    ((1.20, 1.70, 1.45, 1.45, 1.0), "consistent"),
    ((1.01, 1.46, 1.20, 1.45, 1.0), "consistent"),
    # weaker / stronger: excludes both, estimate below / above the published value
    ((1.05, 1.30, 1.15, 1.45, 1.0), "weaker"),
    ((1.60, 2.10, 1.85, 1.45, 1.0), "stronger"),
    # not_supported: includes the null, excludes the published value
    ((0.90, 1.30, 1.08, 1.45, 1.0), "not_supported"),
    # inconclusive: includes both
    ((0.80, 1.90, 1.25, 1.45, 1.0), "inconclusive"),
    # opposite: excludes the null on the other side from the published value
    ((0.60, 0.90, 0.75, 1.45, 1.0), "opposite"),
    # additive quantities
    ((6.9, 9.2, 8.4, 8.0, 0.0), "consistent"),
    ((2.0, 5.0, 3.5, 8.0, 0.0), "weaker"),
    ((-1.0, 5.0, 2.0, 8.0, 0.0), "not_supported"),
    ((-3.0, -1.0, -2.0, 8.0, 0.0), "opposite"),
    ((0.46, 0.87, 0.66, 0.78, 0.5), "inconclusive"),
    ((0.30, 0.45, 0.38, 0.78, 0.5), "opposite"),
]

DOWNWARD = [  # a published value below the null: published 0.8, null 1
    ((0.70, 0.90, 0.80, 0.8, 1.0), "consistent"),
    ((1.10, 1.40, 1.25, 0.8, 1.0), "opposite"),
    ((0.90, 1.10, 0.98, 0.8, 1.0), "not_supported"),
    ((0.60, 1.20, 0.85, 0.8, 1.0), "inconclusive"),
    ((-4.0, -1.0, -2.5, -3.0, 0.0), "consistent"),
    ((1.0, 4.0, 2.5, -3.0, 0.0), "opposite"),
]

BOUNDARIES = [
    # an endpoint equal to the null counts as including it
    ((1.00, 1.60, 1.30, 1.45, 1.0), "inconclusive"),
    ((1.00, 1.30, 1.15, 1.45, 1.0), "not_supported"),
    ((0.70, 1.00, 0.85, 1.45, 1.0), "not_supported"),
    ((0.0, 10.0, 5.0, 8.0, 0.0), "inconclusive"),
    # an endpoint equal to the published value counts as including it
    ((1.10, 1.45, 1.30, 1.45, 1.0), "consistent"),
    ((1.45, 1.80, 1.60, 1.45, 1.0), "consistent"),
    ((0.80, 0.95, 0.87, 0.8, 1.0), "consistent"),
    # both endpoints on the values
    ((1.00, 1.45, 1.20, 1.45, 1.0), "inconclusive"),
    # a point interval
    ((1.45, 1.45, 1.45, 1.45, 1.0), "consistent"),
]


@pytest.mark.parametrize("args,expected", UPWARD + DOWNWARD + BOUNDARIES)
def test_verdict_rules(args, expected):
    assert verdict_of(*args) == expected


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("position", [0, 1, 2])
def test_non_finite_is_untestable(bad, position):
    args = [1.2, 1.7, 1.45]
    args[position] = bad
    assert verdict_of(*args, 1.45, 1.0) == "untestable"


def test_every_verdict_is_reachable_and_described():
    reached = {verdict_of(*args) for args, _ in UPWARD + DOWNWARD + BOUNDARIES}
    reached.add(verdict_of(math.nan, math.nan, math.nan, 1.45, 1.0))
    assert reached == set(VERDICTS)
    for v in VERDICTS:
        assert describe_verdict(v).strip()


def _weaker_stronger(published, null, ci, expected):
    estimate = sum(ci) / 2
    verdict = verdict_of(*ci, estimate, published, null)
    assert verdict == expected
    words = {"weaker": "smaller than published", "stronger": "larger than published"}
    assert words[verdict] in describe_verdict(verdict)


@pytest.mark.parametrize("published,null,ci,expected", [
    (1.45, 1.0, (1.05, 1.30), "weaker"),    # an effect closer to the null than published
    (1.45, 1.0, (1.60, 2.10), "stronger"),  # an effect further from the null than published
    (4.3, 0.0, (1.0, 3.0), "weaker"),
    (4.3, 0.0, (5.0, 7.0), "stronger"),
])
def test_weaker_stronger_follow_the_size_of_the_effect(published, null, ci, expected):
    """describe_verdict: weaker = 'smaller than published', stronger = 'larger than published'."""
    _weaker_stronger(published, null, ci, expected)


@pytest.mark.parametrize("published,null,ci,expected", [
    (0.8, 1.0, (0.85, 0.95), "weaker"),     # a 10% drop where a 20% drop was published
    (0.8, 1.0, (0.50, 0.60), "stronger"),   # a 45% drop where a 20% drop was published
    (-3.0, 0.0, (-2.0, -1.0), "weaker"),
])
def test_weaker_stronger_for_a_published_decrease(published, null, ci, expected):
    _weaker_stronger(published, null, ci, expected)
