"""The spec's view of a driver: marginal points per unit of an activity column.

Under a scoring spec an activity column ``c`` moves a pillar through every input
of that pillar whose source is ``activity`` and whose ``columns`` include ``c``:
one more unit of ``c`` in the input's window adds
``weight * d/dx transform(x; target)`` points, where ``x`` is what the input
reads.  :func:`spec_marginals` evaluates that derivative numerically (central
difference of :func:`ssi_kit.scoring.chunks.apply_transform`) at the median of
``x`` over the readings, and sums it over the pillar's inputs (over all four
pillars for the SSI).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..io.schemas import PILLARS
from ..scoring.chunks import apply_transform
from ..scoring.spec import ScoringSpec
from .panel import window_sums

__all__ = ["spec_marginals", "activity_columns"]


def activity_columns(spec: ScoringSpec) -> tuple[str, ...]:
    """The activity columns the spec's ``activity`` inputs read, in spec order, each once."""
    seen: dict[str, None] = {}
    for item in spec.inputs:
        if item.source == "activity":
            seen.update(dict.fromkeys(item.columns))
    return tuple(seen)


def spec_marginals(spec: ScoringSpec, activity: pd.DataFrame, member_id, day, columns,
                   outcomes) -> pd.DataFrame:
    """Points per unit of each activity column under the spec, at the median reading.

    Parameters
    ----------
    spec : ScoringSpec
    activity : pandas.DataFrame
        The ``activity`` table.
    member_id, day : array-like
        The readings (seller, day number) whose median activity is used.
    columns : sequence of str
        Activity columns.
    outcomes : sequence of str
        ``ssi`` and/or pillar names.

    Returns
    -------
    pandas.DataFrame
        Index ``columns``, one column per outcome: d points / d unit (0 where the
        outcome reads no input of that column).
    """
    out = pd.DataFrame(0.0, index=pd.Index(list(columns), name="column"), columns=list(outcomes))
    for item in spec.inputs:
        present = [c for c in item.columns if c in activity.columns]
        if item.source != "activity" or not set(present) & set(columns):
            continue
        x = window_sums(activity, member_id, day, present, item.window).sum(axis=1)
        slope = item.weight * _derivative(float(np.median(x)), item.transform, item.target)
        for column in set(present) & set(columns):
            for outcome in outcomes:
                if outcome == "ssi" or (outcome in PILLARS and outcome == item.pillar):
                    out.loc[column, outcome] += slope
    return out


def _derivative(x: float, transform: str, target: float) -> float:
    """Slope of the transform at ``x`` (one-sided at 0; central elsewhere)."""
    h = 1e-6 * max(target, 1.0)
    lo = max(x - h, 0.0)
    hi = x + h
    values = apply_transform(np.array([lo, hi]), transform, target)
    return float((values[1] - values[0]) / (hi - lo))
