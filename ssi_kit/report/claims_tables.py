"""Report tables of the claims results (from ``claims.json``): verdicts, power, specifications, methods.

Each table comes twice: as numbers (``*_numbers``: the kit's column names, floats,
for the workbook and for anyone computing on them) and for reading in the HTML
report (:func:`verdict_table`, :func:`power_table`: numbers rounded to three significant
digits, readable labels from :mod:`ssi_kit.report.labels`; the specification curve's views
are in :mod:`ssi_kit.report.specification`).  :func:`method_table` says how each claim was tested
and where it comes from.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from ..claims.specifications import CHOICE_COLUMNS, summarize_specifications
from ..claims.verdicts import describe_verdict
from .labels import humanize, readable, value_label

__all__ = ["read_claims", "no_claims_reason", "claims_numbers", "power_numbers", "specification_numbers",
           "specification_summary", "consistency_numbers", "verdict_table", "power_table", "method_table",
           "claim_notes"]

_CLAIM_COLUMNS = ["claim_id", "statement", "published", "null_value", "estimate", "ci_low", "ci_high",
                  "n", "n_sellers", "p_value", "p_adjusted", "ssi_source", "verdict", "verdict_words"]
_POWER_COLUMNS = ["claim_id", "n", "power", "n_for_80_power", "tost_p", "equivalent",
                  "adjusted_estimate", "adjusted_ci_low", "adjusted_ci_high"]
_SPEC_COLUMNS = ["claim_id", "spec", *CHOICE_COLUMNS, "n", "estimate", "ci_low", "ci_high", "p_value",
                 "published", "verdict", "includes_published", "consistent"]
_CONSISTENCY_COLUMNS = ["comparison", "published_ratio", "mean_ssi_high", "mean_ssi_low", "implied_low_mean",
                        "implied_high_mean", "zero_ssi", "zero_ssi_low", "zero_ssi_high", "observed_low_mean",
                        "observed_high_mean"]
_YES_NO = {True: "yes", False: "no"}


def read_claims(path) -> dict:
    """The ``claims.json`` written by ``ssi-kit claims`` (or the report's claims notebook)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def no_claims_reason(claims: dict | None) -> str | None:
    """One sentence saying why no claim could be tested, or None when some were.

    Parameters
    ----------
    claims : dict or None
        The ``claims.json`` content; None when the claims notebook did not run.
    """
    if claims is None:
        return "No claims results: the claims notebook did not run."
    reasons = sorted({c.get("reason") or "" for c in claims["claims"] if c["verdict"] == "untestable"})
    if any(c["verdict"] != "untestable" for c in claims["claims"]):
        return None
    if "no outcomes table" in reasons:
        return "No claims can be tested: the dataset has no outcomes table."
    return f"No claims can be tested on this dataset ({'; '.join(r for r in reasons if r) or 'no data'})."


def _number(value) -> float:
    """A JSON number as a float; NaN for null (JSON has no NaN)."""
    return np.nan if value is None else float(value)


def _words(claim: dict) -> str:
    words = describe_verdict(claim["verdict"])
    return f"{words} ({claim['reason']})" if claim["verdict"] == "untestable" and claim.get("reason") else words


def claims_numbers(claims: dict) -> pd.DataFrame:
    """One row per claim, as numbers: estimate, interval, published value, p-values, verdict.

    Returns
    -------
    pandas.DataFrame
        Columns ``claim_id, statement, published, null_value, estimate, ci_low, ci_high, n,
        n_sellers, p_value, p_adjusted, ssi_source, verdict, verdict_words``; missing
        numbers are NaN; ``ssi_source`` is "observed", "computed" or "".
    """
    rows = [{"claim_id": c["claim_id"], "statement": c["statement"],
             **{k: _number(c.get(k)) for k in ("published", "null_value", "estimate", "ci_low", "ci_high")},
             "n": int(c.get("n") or 0), "n_sellers": int(c.get("n_sellers") or 0),
             "p_value": _number(c.get("p_value")), "p_adjusted": _number(c.get("p_adjusted")),
             "ssi_source": c.get("ssi_source") or "", "verdict": c["verdict"], "verdict_words": _words(c)}
            for c in claims["claims"]]
    return pd.DataFrame(rows, columns=_CLAIM_COLUMNS)


def power_numbers(claims: dict) -> pd.DataFrame:
    """Power to detect the published effect at the observed n (a fraction), n for 80% power, TOST.

    Returns
    -------
    pandas.DataFrame
        Columns ``claim_id, n, power, n_for_80_power, tost_p, equivalent (yes/no/""),
        adjusted_estimate, adjusted_ci_low, adjusted_ci_high``.
    """
    rows = [{"claim_id": c["claim_id"], "n": int(c.get("n") or 0), "power": _number(c.get("power")),
             "n_for_80_power": _number(c.get("n_for_80_power")), "tost_p": _number(c.get("tost_p")),
             "equivalent": _YES_NO.get(c.get("equivalent"), ""),
             **{k: _number(c.get(k)) for k in ("adjusted_estimate", "adjusted_ci_low", "adjusted_ci_high")}}
            for c in claims["claims"]]
    return pd.DataFrame(rows, columns=_POWER_COLUMNS)


def specification_numbers(claims: dict) -> pd.DataFrame:
    """The specification curve's rows (one per claim and specification) as numbers.

    ``includes_published`` and ``consistent`` stay booleans; ``spec`` 0 is the claim as defined.
    """
    table = pd.DataFrame(claims.get("specifications") or [])
    if table.empty:
        return pd.DataFrame(columns=_SPEC_COLUMNS)
    for col in ("estimate", "ci_low", "ci_high", "p_value", "published"):
        table[col] = table[col].map(_number) if col in table else np.nan
    for col in ("includes_published", "consistent", "as_defined"):
        table[col] = table[col].fillna(False).astype(bool) if col in table else False
    table["n"] = table["n"].fillna(0).astype(int)
    return table[_SPEC_COLUMNS + ["as_defined"]].reset_index(drop=True)


def specification_summary(claims: dict) -> pd.DataFrame:
    """Per claim: specifications, testable ones, shares including the published value and consistent.

    See :func:`ssi_kit.claims.specifications.summarize_specifications`; shares are fractions.
    """
    return summarize_specifications(specification_numbers(claims))


def consistency_numbers(claims: dict) -> pd.DataFrame:
    """The consistency check's rows (one per published ratio) as numbers; empty when not made."""
    rows = ((claims.get("consistency") or {}).get("rows")) or []
    table = pd.DataFrame(rows, columns=_CONSISTENCY_COLUMNS)
    for col in _CONSISTENCY_COLUMNS[1:]:
        table[col] = table[col].map(_number)
    return table


def _fmt(value, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    return f"{value:.{digits}g}"


def _interval(low, high) -> str:
    return "" if not (math.isfinite(low) and math.isfinite(high)) else f"{_fmt(low)} to {_fmt(high)}"


def verdict_table(claims: dict) -> pd.DataFrame:
    """For reading: one row per claim, statement, estimate and 95% CI, published value, verdict.

    Numbers are text rounded to three significant digits; labels are readable.
    """
    num = claims_numbers(claims)
    shown = pd.DataFrame({
        "claim_id": num["claim_id"], "statement": num["statement"], "published": num["published"].map(_fmt),
        "estimate": num["estimate"].map(_fmt),
        "ci": [_interval(lo, hi) for lo, hi in zip(num["ci_low"], num["ci_high"])],
        "n": num["n"], "p_adjusted": num["p_adjusted"].map(lambda p: _fmt(p, 2)),
        "ssi_source": num["ssi_source"], "verdict": num["verdict"], "verdict_words": num["verdict_words"]})
    return readable(shown)


def power_table(claims: dict) -> pd.DataFrame:
    """For reading: power (percent), n for 80% power, equivalence (TOST), adjusted estimate."""
    num = power_numbers(claims)
    shown = pd.DataFrame({
        "claim_id": num["claim_id"], "n": num["n"],
        "power": num["power"].map(lambda p: "" if not math.isfinite(p) else f"{p:.0%}"),
        "n_for_80_power": num["n_for_80_power"].map(lambda v: "" if not math.isfinite(v) else f"{v:.0f}"),
        "equivalent": num["equivalent"], "adjusted_estimate": num["adjusted_estimate"].map(_fmt)})
    return readable(shown)


def method_table(claims: dict, *, raw: bool = False) -> pd.DataFrame:
    """One row per claim: how it was tested, its operational definition and its source.

    Parameters
    ----------
    claims : dict
        The ``claims.json`` content.
    raw : bool
        Keep the kit's column names (``claim_id, type, method, power_method, definition,
        published_by, primary_source``) instead of readable labels.

    Returns
    -------
    pandas.DataFrame
        The claim; the type of test; the method (estimator and error type, as the claims
        engine names it; empty when the claim could not be tested); how its power at the
        published effect was computed (a formula or a simulation); the definition the kit
        uses; who published it; whether the figure could be traced to a primary source.
    """
    rows = [{"claim_id": c["claim_id"], "type": humanize(c.get("type") or ""),
             "method": c.get("method") or "", "power_method": c.get("power_method") or "",
             "definition": c.get("definition") or "",
             "published_by": c.get("source") or "",
             "primary_source": "yes" if c.get("primary_source") else "no (not traced)"}
            for c in claims["claims"]]
    table = pd.DataFrame(rows, columns=["claim_id", "type", "method", "power_method", "definition",
                                        "published_by", "primary_source"])
    return table if raw else readable(table)


def claim_notes(claims: dict) -> list[tuple[str, str]]:
    """(claim, note) pairs: the caveats attached to individual claims, the claim in words."""
    return [(value_label("claim_id", c["claim_id"]), note) for c in claims["claims"]
            for note in c.get("notes") or ()]
