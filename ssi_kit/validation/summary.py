"""The study's per-claim summary: coverage, type-I error, power, bias, with Monte-Carlo errors.

Each rate comes with its Monte-Carlo standard error ``sqrt(r (1 - r) / n)``; rates are over
the datasets where the claim was testable (and, for coverage, the truth defined).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .design import ALPHA, ARMS, CLUSTERED, COVERAGE_TARGET, TYPE1_TARGET

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
        The output of :func:`validation_records`; without an ``errors`` column every
        record counts as ``clustered``.

    Returns
    -------
    pandas.DataFrame
        One row per claim and variant of the errors: first every claim with the errors
        as shipped (``errors`` = ``clustered``, registry order), then the claims whose
        estimators cluster, with clustering switched off (``not clustered``).  Columns
        ``n_published, n_null`` (testable datasets), ``coverage_published, coverage_null,
        type1_error, power`` and their ``*_se``, ``mean_truth, mean_estimate, bias,
        bias_se, untestable`` and the booleans ``coverage_met`` and ``type1_met``.
    """
    if "errors" not in records.columns:
        records = records.assign(errors=CLUSTERED)
    rows = []
    for (errors, claim_id), rec in records.groupby(["errors", "claim_id"], sort=False):
        row = {"claim_id": claim_id, "type": rec["type"].iloc[0], "errors": errors}
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
    key = table["claim_id"].map(order) + len(order) * (table["errors"] != CLUSTERED)
    table = table.iloc[np.argsort(key.to_numpy(), kind="stable")].reset_index(drop=True)
    if "seconds" in records.columns:  # one time per simulated dataset (both evaluations)
        per_dataset = records.drop_duplicates(["arm", "dataset"])["seconds"]
        table.attrs["seconds_per_dataset"] = float(per_dataset.mean())
    return table


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
