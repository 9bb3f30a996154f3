"""SSI readings drawn from any scoring spec: LinkedIn-like readings of a known formula.

:func:`readings_from_spec` scores a dataset's activity, profiles and connections
with a given spec and adds Gaussian noise per pillar, the way LinkedIn's page
shows a score that moves a little from one reading to the next.  The calibrator's
tests use it to make readings from a formula the kit is not given.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ssi_kit.exceptions import UsageError
from ssi_kit.io.dataset import Dataset
from ssi_kit.io.schemas import PILLARS
from ssi_kit.limits import MAX_EVERY, MAX_SEED, check_whole
from ssi_kit.scoring import ScoringSpec, score_dataset
from ssi_kit.scoring.days import choose_days

__all__ = ["readings_from_spec"]

_SCORED_TABLES = ("members", "activity", "profiles", "connections")


def readings_from_spec(tables, spec: ScoringSpec, *, every: int = 7, noise: float = 0.6,
                       seed: int = 0) -> pd.DataFrame:
    """An ``ssi`` table of readings made by scoring the data with ``spec`` plus noise.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        Dataset tables in contract types (``members`` and any of ``activity``,
        ``profiles``, ``connections``), e.g. :attr:`ssi_kit.simulate.Simulation.tables`.
    spec : ScoringSpec
        The formula the readings follow.
    every : int
        Days between readings, counted back from the last day of the data; the
        spec's first trailing window (``window_days``) is skipped.
    noise : float
        Standard deviation of the Gaussian noise added to each pillar (points).
    seed : int
        Seed of the noise.

    Returns
    -------
    pandas.DataFrame
        ``member_id, date, brand, people, insights, relationships, ssi``: pillars
        clipped to 0-25 and rounded to 2 decimals (as LinkedIn's page shows them),
        ``ssi`` their sum.
    """
    check_whole(every, 1, MAX_EVERY, "every")
    check_whole(seed, 0, MAX_SEED, "seed")
    if not isinstance(noise, (int, float)) or not 0 <= noise <= 25:
        raise UsageError(f"noise must be a number of points from 0 to 25, got {noise!r}.")
    dataset = Dataset(tables={t: tables[t] for t in _SCORED_TABLES if t in tables})
    days = choose_days(dataset, spec, every=every, warmup=True)
    scores = score_dataset(dataset, spec=spec, days=days)
    rng = np.random.default_rng(seed)
    out = pd.DataFrame({"member_id": scores["member_id"].astype(str).to_numpy(),
                        "date": pd.to_datetime(scores["date"]).to_numpy()})
    for pillar in PILLARS:
        value = scores[pillar].to_numpy(dtype=float) + rng.normal(0.0, noise, len(scores))
        out[pillar] = np.round(np.clip(value, 0.0, 25.0), 2)
    out["ssi"] = np.round(out[list(PILLARS)].sum(axis=1), 2)
    for col in (*PILLARS, "ssi"):
        out[col] = out[col].astype("Float64")
    return out
