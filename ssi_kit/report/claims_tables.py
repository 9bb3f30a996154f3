"""Report tables of the claims results (from ``claims.json``): verdicts in words, power, sensitivity."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from ..claims.verdicts import describe_verdict

__all__ = ["read_claims", "verdict_table", "power_table", "sensitivity_view", "claim_notes"]


def read_claims(path) -> dict:
    """The ``claims.json`` written by ``ssi-kit claims`` (or the report's claims notebook)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _fmt(value, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    return f"{value:.{digits}g}"


def verdict_table(claims: dict) -> pd.DataFrame:
    """One row per claim: statement, estimate with its interval, published value, verdict in words."""
    rows = []
    for c in claims["claims"]:
        ci = "" if c["ci_low"] is None else f"{_fmt(c['ci_low'])} to {_fmt(c['ci_high'])}"
        words = describe_verdict(c["verdict"])
        if c["verdict"] == "untestable":
            words = f"{words} ({c['reason']})"
        rows.append({"claim": c["claim_id"], "published statement": c["statement"],
                     "published": _fmt(c["published"]), "estimate": _fmt(c["estimate"]),
                     "95% CI": ci, "n": c["n"], "Holm p": _fmt(c["p_adjusted"], 2),
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
    """The sensitivity rows, rounded for reading."""
    table = pd.DataFrame(claims.get("sensitivity", []))
    if table.empty:
        return table
    for col in ("estimate", "ci_low", "ci_high"):
        table[col] = table[col].map(_fmt)
    return table[["claim_id", "variant", "ssi_source", "n", "estimate", "ci_low", "ci_high", "verdict"]]


def claim_notes(claims: dict) -> list[tuple[str, str]]:
    """(claim id, note) pairs: the caveats attached to individual claims."""
    return [(c["claim_id"], note) for c in claims["claims"] for note in c.get("notes") or ()]
