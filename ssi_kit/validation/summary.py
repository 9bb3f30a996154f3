"""The study's per-claim summary: coverage, type-I error, power, bias, with Monte-Carlo errors.

Each rate comes with its Monte-Carlo standard error ``sqrt(r (1 - r) / n)``; rates are over
the datasets where the claim was testable (and, for coverage, the truth defined).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .design import ALPHA, ARMS, COVERAGE_TARGET, TYPE1_TARGET

__all__ = ["summarize", "with_settings"]


def _rate(hits: np.ndarray) -> tuple[float, float, int]:
    n = int(hits.size)
    if n == 0:
        return math.nan, math.nan, 0
    r = float(hits.mean())
    return r, math.sqrt(r * (1 - r) / n), n


def summarize(records: pd.DataFrame) -> pd.DataFrame:
    """Per claim: coverage, type-I error, power, bias, untestable share, Monte-Carlo SEs.

    Parameters
    ----------
    records : pandas.DataFrame
        The output of :func:`validation_records`.

    Returns
    -------
    pandas.DataFrame
        One row per claim (registry order) with ``n_published, n_null`` (testable
        datasets), ``coverage_published, coverage_null, type1_error, power`` and their
        ``*_se``, ``mean_truth, mean_estimate, bias, bias_se, untestable`` and the
        booleans ``coverage_met`` and ``type1_met``.
    """
    rows = []
    for claim_id, rec in records.groupby("claim_id", sort=False):
        row = {"claim_id": claim_id, "type": rec["type"].iloc[0]}
        testable = rec["verdict"] != "untestable"
        for arm in ARMS:
            arm_rec = rec[(rec["arm"] == arm) & testable]
            row[f"n_{arm}"] = len(arm_rec)
            has_truth = arm_rec[arm_rec["truth"].notna()]
            covered = ((has_truth["ci_low"] <= has_truth["truth"])
                       & (has_truth["truth"] <= has_truth["ci_high"])).to_numpy()
            row[f"coverage_{arm}"], row[f"coverage_{arm}_se"], _ = _rate(covered)
            key = "power" if arm == "published" else "type1_error"
            row[key], row[f"{key}_se"], _ = _rate((arm_rec["p_value"] < ALPHA).to_numpy())
        pub = rec[(rec["arm"] == "published") & testable & rec["truth"].notna()]
        err = (pub["estimate"] - pub["truth"]).to_numpy()
        row["mean_truth"] = float(pub["truth"].mean()) if len(pub) else math.nan
        row["mean_estimate"] = float(pub["estimate"].mean()) if len(pub) else math.nan
        row["bias"] = float(err.mean()) if err.size else math.nan
        row["bias_se"] = float(err.std(ddof=1) / math.sqrt(err.size)) if err.size > 1 else math.nan
        row["untestable"] = float((~testable).mean())
        lo, hi = COVERAGE_TARGET
        row["coverage_met"] = bool(all(lo <= row[f"coverage_{a}"] <= hi for a in ARMS))
        row["type1_met"] = bool(row["type1_error"] <= TYPE1_TARGET)
        rows.append(row)
    order = {c: i for i, c in enumerate(dict.fromkeys(records["claim_id"]))}
    table = pd.DataFrame(rows)
    return table.sort_values("claim_id", key=lambda s: s.map(order), ignore_index=True)


def with_settings(table: pd.DataFrame, **settings) -> pd.DataFrame:
    """Record the study's settings in ``table.attrs`` (what :func:`ssi_kit.validation.to_markdown` reads).

    Parameters
    ----------
    table : pandas.DataFrame
        The output of :func:`summarize`.
    **settings
        ``n_datasets, members, seed, workers, n_resamples, seconds``.

    Returns
    -------
    pandas.DataFrame
        ``table`` itself.
    """
    table.attrs.update(settings)
    return table
