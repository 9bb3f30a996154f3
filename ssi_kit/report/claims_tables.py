"""Report tables of the claims results (from ``claims.json``): verdicts in words, power, sensitivity."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from ..claims.verdicts import describe_verdict
from .readings import SOURCES

__all__ = ["read_claims", "no_claims_reason", "verdict_table", "power_table", "sensitivity_view", "claim_notes"]


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


def _fmt(value, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    return f"{value:.{digits}g}"


def verdict_table(claims: dict) -> pd.DataFrame:
    """One row per claim: statement, estimate and interval, published value, SSI tested, verdict."""
    rows = []
    for c in claims["claims"]:
        ci = "" if c["ci_low"] is None else f"{_fmt(c['ci_low'])} to {_fmt(c['ci_high'])}"
        words = describe_verdict(c["verdict"])
        if c["verdict"] == "untestable":
            words = f"{words} ({c['reason']})"
        rows.append({"claim": c["claim_id"], "published statement": c["statement"],
                     "published": _fmt(c["published"]), "estimate": _fmt(c["estimate"]),
                     "95% CI": ci, "n": c["n"], "Holm p": _fmt(c["p_adjusted"], 2),
                     "SSI tested": SOURCES.get(c.get("ssi_source") or "", ""),
                     "verdict": c["verdict"], "in words": words})
    return pd.DataFrame(rows)


def power_table(claims: dict) -> pd.DataFrame:
    """Power to detect the published effect at the observed n, and the n for 80% power."""
    rows = []
    for c in claims["claims"]:
        power = c["power"]
        rows.append({"claim": c["claim_id"], "n": c["n"],
                     "power": "" if power is None else f"{power:.0%}",
                     "n for 80% power": "" if c["n_for_80_power"] is None else int(c["n_for_80_power"]),
                     "equivalent to published (TOST)": {True: "yes", False: "no"}.get(c["equivalent"], ""),
                     "adjusted estimate": _fmt(c["adjusted_estimate"])})
    return pd.DataFrame(rows)


def sensitivity_view(claims: dict) -> pd.DataFrame:
    """The sensitivity rows, rounded for reading, the SSI of each named for what it is."""
    table = pd.DataFrame(claims.get("sensitivity", []))
    if table.empty:
        return table
    for col in ("estimate", "ci_low", "ci_high"):
        table[col] = table[col].map(_fmt)
    table["ssi_source"] = table["ssi_source"].map(lambda s: SOURCES.get(s, s))
    return table[["claim_id", "variant", "ssi_source", "n", "estimate", "ci_low", "ci_high", "verdict"]]


def claim_notes(claims: dict) -> list[tuple[str, str]]:
    """(claim id, note) pairs: the caveats attached to individual claims."""
    return [(c["claim_id"], note) for c in claims["claims"] for note in c.get("notes") or ()]
