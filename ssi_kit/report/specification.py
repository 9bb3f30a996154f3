"""The report's specification curve and the consistency of the published figures.

Views read ``claims.json`` (its ``specifications`` rows and its ``consistency`` record, see
:mod:`ssi_kit.claims.specifications` and :mod:`ssi_kit.claims.consistency`): sentences first
(:func:`specification_sentences`, :func:`consistency_sentences`), then a figure per claim
(:func:`plot_specification_curve`, the two-panel curve of Simonsohn, Simmons and Nelson
2020: estimates sorted with their 95% intervals above, the choices as a dot matrix below)
with its alternative text (:func:`alt_specification_curve`), then compact tables
(:func:`specification_table`, :func:`consistency_table`).  Figures are drawn with
matplotlib's mathtext and LaTeX off, as in :mod:`ssi_kit.report.figures`.
"""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..claims.specifications import CHOICE_COLUMNS
from . import claims_tables
from .figures import plain_text
from .labels import SOURCES, value_label

__all__ = ["specification_sentences", "specification_table", "curve_claims", "plot_specification_curve",
           "alt_specification_curve", "consistency_sentences", "consistency_table"]

#: The choices in words, top to bottom in the dot matrix.
_CHOICE_NAMES = {"leader_cutoff": "Leader cut-off", "ssi_window": "SSI window", "ssi_source": "SSI",
                 "covariates": "Covariates", "outcome_period": "Outcome periods"}
_CHOICE_WORDS = {"leader_cutoff": "leader cut-off", "ssi_window": "SSI window", "ssi_source": "SSI source",
                 "covariates": "covariates", "outcome_period": "outcome periods"}
_IN, _OUT, _DEFINED = "#1b7837", "#b2182b", "#000000"


def _pct(value: float) -> str:
    return "n/a" if not math.isfinite(value) else f"{value:.0%}"


def curve_claims(claims: dict) -> list[str]:
    """Claims with more than one testable specification (those that get a curve)."""
    summary = claims_tables.specification_summary(claims)
    return summary.loc[summary["testable"] > 1, "claim_id"].tolist()


def specification_sentences(claims: dict) -> list[str]:
    """One sentence overall, then one per claim with several specifications."""
    num = claims_tables.specification_numbers(claims)
    summary = claims_tables.specification_summary(claims)
    multi = summary[summary["specifications"] > 1]
    if multi.empty:
        return ["No claim could be re-estimated under other definitions on this dataset."]
    ok = num[num["claim_id"].isin(multi["claim_id"]) & (num["verdict"] != "untestable")]
    out = [f"Of {len(ok)} ways to define the {len(multi)} claims that read SSI, {ok['includes_published'].mean():.0%} "
           f"give an interval that includes the published value and {ok['consistent'].mean():.0%} are "
           "consistent with it (an effect, and the published value inside the interval)."]
    for row in multi.itertuples():
        name = value_label("claim_id", row.claim_id)
        if row.testable == 0:
            out.append(f"{name}: none of its {row.specifications} specifications could be tested.")
            continue
        out.append(f"{name}: of {row.testable} testable specifications, {_pct(row.share_includes_published)} "
                   f"include the published value ({row.published:.3g}) and {_pct(row.share_consistent)} are "
                   f"consistent; the median estimate is {row.median_estimate:.3g} against {row.as_defined_estimate:.3g} "
                   "as defined.")
    return out


def specification_table(claims: dict) -> pd.DataFrame:
    """For reading: per claim, specifications, the two shares (%), the median and as-defined estimates."""
    s = claims_tables.specification_summary(claims)
    return pd.DataFrame({
        "Claim": [value_label("claim_id", c) for c in s["claim_id"]],
        "Specifications": s["specifications"], "Testable": s["testable"],
        "Interval includes the published value (%)": s["share_includes_published"].map(_pct),
        "Verdict consistent (%)": s["share_consistent"].map(_pct),
        "Median estimate": s["median_estimate"].map(lambda v: "" if not math.isfinite(v) else f"{v:.3g}"),
        "Estimate as defined": s["as_defined_estimate"].map(lambda v: "" if not math.isfinite(v) else f"{v:.3g}"),
        "Published value": s["published"].map(lambda v: f"{v:.3g}")})


def _curve(claims: dict, claim_id: str) -> pd.DataFrame:
    num = claims_tables.specification_numbers(claims)
    rows = num[(num["claim_id"] == claim_id) & (num["verdict"] != "untestable")]
    return rows.sort_values(["estimate", "spec"], kind="stable").reset_index(drop=True)


def _choice_rows(rows: pd.DataFrame) -> list[tuple[str, str, str]]:
    """(column, value, label) for every choice that varies, in the documented order."""
    out = []
    ordered = rows.sort_values("spec")
    for col in CHOICE_COLUMNS:
        values = [v for v in pd.unique(ordered[col]) if v != "n/a"]
        if len(values) > 1:
            for value in values:
                shown = SOURCES.get(value, value) if col == "ssi_source" else value
                out.append((col, value, f"{_CHOICE_NAMES[col]}: {shown}"))
    return out


@plain_text
def plot_specification_curve(claims: dict, claim_id: str):
    """The specification curve of one claim: sorted estimates with 95% intervals, choices beneath."""
    rows = _curve(claims, claim_id)
    choices = _choice_rows(rows)
    x = np.arange(len(rows))
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(10, 3.6 + 0.26 * len(choices)),
                                      gridspec_kw={"height_ratios": [3, max(len(choices), 1) * 0.45]})
    colour = np.where(rows["includes_published"], _IN, _OUT)
    top.vlines(x, rows["ci_low"], rows["ci_high"], colors=colour, alpha=0.5, linewidth=1.2)
    top.scatter(x, rows["estimate"], c=colour, s=14, zorder=3)
    first = rows.index[rows["as_defined"]]
    if len(first):
        top.scatter(x[first], rows.loc[first, "estimate"], marker="D", s=60, facecolor="none",
                    edgecolor=_DEFINED, linewidth=1.5, zorder=4, label="As defined")
    published, null = float(rows["published"].iloc[0]), _null(claims, claim_id)
    top.axhline(published, color=_IN, linestyle="--", linewidth=1, label=f"Published value ({published:.3g})")
    if null is not None:
        top.axhline(null, color="grey", linestyle=":", linewidth=1, label=f"No effect ({null:.3g})")
    top.set_ylabel("Estimate (95% interval)")
    fig.suptitle(f"{value_label('claim_id', claim_id)}: {len(rows)} specifications, sorted by estimate",
                 x=0.01, ha="left", fontsize=11)
    top.scatter([], [], c=_IN, s=14, label="Interval includes the published value")
    top.scatter([], [], c=_OUT, s=14, label="Interval excludes it")
    top.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=3, fontsize=8, frameon=False)
    for i, (col, value, _) in enumerate(choices):
        on = (rows[col] == value).to_numpy()
        bottom.scatter(x[on], np.full(on.sum(), i), s=50, color="#333333", marker="|", linewidths=1.4)
    bottom.set_yticks(range(len(choices)), [c[2] for c in choices], fontsize=8)
    bottom.set_ylim(len(choices) - 0.5, -0.5)
    bottom.set_xlabel("Specifications, sorted by estimate")
    bottom.grid(axis="y", color="#eeeeee")
    fig.tight_layout()
    return fig


def _null(claims: dict, claim_id: str):
    for c in claims.get("claims", []):
        if c["claim_id"] == claim_id:
            return c.get("null_value")
    return None


def alt_specification_curve(claims: dict, claim_id: str) -> str:
    """Alternative text of :func:`plot_specification_curve`, with the curve's key numbers."""
    rows = _curve(claims, claim_id)
    if rows.empty:
        return f"Specification curve of {value_label('claim_id', claim_id)}: no testable specification."
    defined = rows[rows["as_defined"]]
    where = (f" The claim as defined ({defined['estimate'].iloc[0]:.3g}) ranks {int(defined.index[0]) + 1} "
             f"of {len(rows)}." if len(defined) else "")
    varied = ", ".join(_CHOICE_WORDS[c] for c in CHOICE_COLUMNS
                       if rows[c].replace("n/a", np.nan).nunique() > 1)
    return (f"Specification curve of {value_label('claim_id', claim_id)}: {len(rows)} estimates from "
            f"{rows['estimate'].min():.3g} to {rows['estimate'].max():.3g}, sorted, each with its 95% interval; "
            f"{rows['includes_published'].mean():.0%} of the intervals include the published value "
            f"{rows['published'].iloc[0]:.3g}.{where} The dot matrix beneath marks the choices of each "
            f"specification ({varied}).")


def consistency_sentences(claims: dict) -> list[str]:
    """What the consistency check found, in sentences (first the question, then the answer)."""
    record = claims.get("consistency")
    if not record:
        return ["The consistency of the published figures was not checked."]
    return ["Three published figures relate opportunities to SSI: leaders create 45% more than laggards, "
            "sellers above the median SSI 37% more than the rest, and every 10 points bring 4.3 more. "
            "If mean opportunities rise in a straight line with SSI (the third figure's own assumption), "
            "each ratio fixes where that line would reach zero opportunities; both ratios must agree.",
            record["summary"]]


def consistency_table(claims: dict) -> pd.DataFrame:
    """For reading: per published ratio, the groups' mean SSI, implied mean opportunities, the zero point."""
    num = claims_tables.consistency_numbers(claims)

    def fmt(v, d=1):
        return "" if not math.isfinite(v) else f"{v:.{d}f}"
    return pd.DataFrame({
        "Comparison": num["comparison"], "Published ratio": num["published_ratio"].map(lambda v: fmt(v, 2)),
        "Mean SSI, higher group (0-100)": num["mean_ssi_high"].map(fmt),
        "Mean SSI, lower group (0-100)": num["mean_ssi_low"].map(fmt),
        "Implied opportunities, lower group (per period)": num["implied_low_mean"].map(fmt),
        "Implied opportunities, higher group (per period)": num["implied_high_mean"].map(fmt),
        "Observed opportunities, lower group (per period)": num["observed_low_mean"].map(fmt),
        "Observed opportunities, higher group (per period)": num["observed_high_mean"].map(fmt),
        "SSI where the line reaches zero opportunities": num["zero_ssi"].map(lambda v: fmt(v, 0)),
        "Range allowing for rounding": [f"{fmt(a, 0)} to {fmt(b, 0)}" for a, b in
                                        zip(num["zero_ssi_low"], num["zero_ssi_high"])]})
