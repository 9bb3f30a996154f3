"""Shared, cached inputs for the claims-engine tests (test_claims_*.py).

The simulated datasets and their reports are cached per process so the five test
modules share them; nothing here is a test.  Hand computations (``hand_*``) are
written from the contract's definitions (docs/contract.md) with plain pandas/numpy,
independently of ``ssi_kit.claims.prepare``, so the engine's numbers can be pinned
against them.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ssi_kit.claims import evaluate_claims
from ssi_kit.io import Dataset, validate_tables
from ssi_kit.simulate import SimulationConfig, simulate_dataset
from ssi_kit.simulate.config import NULL_EFFECTS

#: The seven claims of docs/contract.md: claim_id -> (published, null).
DESIGN_CLAIMS = {
    "leaders_opportunities": (1.45, 1.0),
    "leaders_quota": (1.51, 1.0),
    "social_outsell": (0.78, 0.5),
    "training_median_shift": (8.0, 0.0),
    "higher_ssi_opportunities": (1.37, 1.0),
    "opportunities_per_10_points": (4.3, 0.0),
    "conversation_growth": (1.43, 1.0),
}

#: The claims.csv columns docs/contract.md fixes, in order.
DESIGN_CSV_COLUMNS = ["claim_id", "n", "published", "estimate", "ci_low", "ci_high", "null_value",
                      "p_value", "p_adjusted", "power", "verdict"]

MEMBERS = 120
SEED = 3
RESAMPLES = 500


@lru_cache(maxsize=None)
def simulated(members: int = MEMBERS, seed: int = SEED, null: bool = False):
    """(Simulation, validated Dataset) for a simulated dataset; published or null effects."""
    effects = dict(NULL_EFFECTS) if null else {}
    # without the persistent seller effects on the outcomes (docs/simulator.md): the claims tests
    # check the estimators by hand and want clear verdicts at 120 sellers; the validation study
    # checks the intervals with the effects on
    sim = simulate_dataset(SimulationConfig(members=members, seed=seed, effects=effects,
                                            opportunity_seller_sd=0.0, quota_seller_sd=0.0))
    return sim, Dataset(tables=validate_tables(sim.tables))


def without(dataset: Dataset, *tables: str) -> Dataset:
    """The dataset without some tables (the DataFrames are shared, not copied)."""
    return Dataset(tables={k: v for k, v in dataset.tables.items() if k not in tables})


@lru_cache(maxsize=None)
def report(members: int = MEMBERS, seed: int = SEED, null: bool = False, ssi_source: str = "auto",
           specifications: bool = True):
    """The claims report of :func:`simulated` (shipped registry, RESAMPLES resamples, seed 0)."""
    _, ds = simulated(members, seed, null)
    return evaluate_claims(ds, ssi_source=ssi_source, n_resamples=RESAMPLES, specifications=specifications)


# ----------------------------------------------------------------------------- hand computations

def hand_period_ssi(dataset: Dataset, lookback: int = 90) -> pd.DataFrame:
    """Outcome rows with ``ssi`` = mean observed reading in [period_start - lookback, period_start)."""
    out = dataset["outcomes"].reset_index(drop=True).reset_index(names="row")
    ssi = dataset["ssi"][["member_id", "date", "ssi"]]
    joined = out[["row", "member_id", "period_start"]].merge(ssi, on="member_id")
    inside = (joined["date"] >= joined["period_start"] - pd.Timedelta(days=lookback)) & \
             (joined["date"] < joined["period_start"])
    means = joined[inside].groupby("row")["ssi"].mean().astype(float)
    out["ssi"] = out["row"].map(means)
    return out[out["ssi"].notna()].reset_index(drop=True)


def hand_training_diffs(dataset: Dataset, window: int = 90, event: str = "training") -> np.ndarray:
    """After-minus-before mean observed SSI around each seller's first ``event``."""
    ev = dataset["events"]
    first = ev[ev["event"] == event].groupby("member_id")["date"].min()
    ssi = dataset["ssi"]
    diffs = []
    for member, day in first.items():
        r = ssi[ssi["member_id"] == member]
        before = r.loc[(r["date"] >= day - pd.Timedelta(days=window)) & (r["date"] < day), "ssi"]
        after = r.loc[(r["date"] >= day) & (r["date"] < day + pd.Timedelta(days=window)), "ssi"]
        if len(before) and len(after):
            diffs.append(float(after.mean()) - float(before.mean()))
    return np.array(diffs)


def hand_quarter_sums(dataset: Dataset, column: str = "messages_sent"):
    """(earlier, later) per-seller sums over the latest complete quarter and a year before."""
    act = dataset["activity"]
    last = act["date"].max()
    q = pd.Period(last, freq="Q")
    if q.end_time.normalize() != last.normalize():
        q -= 1
    earlier, later = q - 4, q
    quarter = act["date"].dt.to_period("Q")
    vals = act[column].astype("Float64").fillna(0).astype(float)
    e = vals[quarter == earlier].groupby(act.loc[quarter == earlier, "member_id"]).sum()
    l_ = vals[quarter == later].groupby(act.loc[quarter == later, "member_id"]).sum()
    both = e.index.intersection(l_.index)
    return e[both].to_numpy(), l_[both].to_numpy()


# ----------------------------------------------------------------------------- registries

def claim_entry(claim_id: str, type_: str, params: dict, published: float, null_value: float,
                **extra) -> dict:
    """A registry entry with every documented field."""
    entry = {"claim_id": claim_id, "type": type_, "statement": f"Test statement for {claim_id}.",
             "source": "unit test", "year": 2024, "primary_source": False,
             "definition": "A user-written claim.", "published": published, "null_value": null_value,
             "margin": 0.1, "params": params}
    entry.update(extra)
    return entry


#: One user-written claim of each of the six types, on columns the simulator writes.
USER_CLAIMS = [
    claim_entry("user_quartile_opps", "ratio_of_means",
                {"outcome": "opportunities", "high": ">=q75", "low": "<=q25"}, 1.5, 1.0),
    claim_entry("user_median_quota", "risk_ratio",
                {"outcome": "quota_attained", "high": ">median", "low": "<=median"}, 1.2, 1.0),
    claim_entry("user_navigator_opps", "share_exceeding",
                {"outcome": "opportunities", "group": "sales_navigator"}, 0.6, 0.5),
    claim_entry("user_training_60", "paired_median_shift",
                {"event": "training", "window_days": 60}, 8.0, 0.0, margin=2.0),
    claim_entry("user_revenue_slope", "slope", {"outcome": "revenue", "per": 1}, 1000.0, 0.0,
                margin=100.0),
    claim_entry("user_posts_growth", "growth_ratio", {"column": "posts"}, 1.2, 1.0),
]


def write_registry(path: Path, entries) -> Path:
    """Write ``{"claims": entries}`` as YAML to ``path``."""
    path = Path(path)
    path.write_text(yaml.safe_dump({"claims": list(entries)}, sort_keys=False), encoding="utf-8")
    return path
