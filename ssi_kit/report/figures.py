"""Report figures (seaborn); each takes tidy data and returns a matplotlib Figure.

Every text of a figure is plain text: team names, industries, member ids and claim ids
come from data, and a ``$`` in them must be drawn as a dollar sign, not start
matplotlib's mathtext (where ``$x^2$`` is a formula and ``$\\frac{1}{0}$`` or ``$$``
fail to render).  The figures are drawn, and saved, with the documented
``text.parse_math`` and ``text.usetex`` settings off.
"""
from __future__ import annotations

import functools
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import seaborn as sns
from matplotlib.text import Text

from ..io.schemas import PILLARS
from .readings import SOURCES
from .summaries import latest_scores

__all__ = ["plot_ssi_distribution", "plot_pillars_by", "plot_history", "plot_claims_forest",
           "plot_reference_distribution", "plot_seller_history", "save_figure"]

_BAND_EDGES = (40, 70)
#: Settings under which figures are drawn and saved: text is never mathtext or LaTeX.
_PLAIN_TEXT = {"text.parse_math": False, "text.usetex": False}


def _plain_text(draw):
    """Decorate a figure function so every text it draws (ticks, titles, legends) is literal."""
    @functools.wraps(draw)
    def plain(*args, **kwargs):
        with plt.rc_context(_PLAIN_TEXT):
            fig = draw(*args, **kwargs)
            interactive = matplotlib.is_interactive()
        # Jupyter's inline backend turns interactive mode on when the first figure loads it;
        # leaving the context must not turn it off again, or no later figure is shown.
        matplotlib.interactive(interactive)
        for text in fig.findobj(Text):
            text.set_parse_math(False)
            text.set_usetex(False)
        return fig
    return plain


@_plain_text
def plot_ssi_distribution(scores, *, x: str = "ssi", source: str = "computed"):
    """Histogram of each seller's latest SSI with the article's band edges (40, 70).

    ``source`` (``"computed"`` or ``"observed"``) names what the SSI is in the title.
    """
    last = latest_scores(scores)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    sns.histplot(data=last, x=x, hue="tier", hue_order=["laggard", "middle", "leader"],
                 bins=range(0, 105, 5), multiple="stack", ax=ax)
    for edge in _BAND_EDGES:
        ax.axvline(edge, color="grey", linestyle="--", linewidth=1)
    ax.set(xlim=(0, 100), xlabel="SSI (0-100)", ylabel="sellers",
           title=f"SSI distribution, {SOURCES[source]} (dashed: poor | average | good)")
    fig.tight_layout()
    return fig


@_plain_text
def plot_pillars_by(table, *, by: str = "team", source: str = "computed"):
    """Stacked bars of mean pillars per group (a :func:`pillars_by` table) of ``source``."""
    long = table.melt(id_vars=[by], value_vars=list(PILLARS), var_name="pillar", value_name="points")
    fig, ax = plt.subplots(figsize=(7, 0.4 * max(len(table), 3) + 1.5))
    sns.barplot(data=long, y=by, x="points", hue="pillar", ax=ax, orient="h")
    ax.set(xlabel="mean points (0-25 each)", ylabel=by, title=f"Pillars by {by}, {SOURCES[source]}")
    fig.tight_layout()
    return fig


@_plain_text
def plot_history(hist, *, source: str = "computed"):
    """Median SSI and pillars over time (a :func:`history` table) of ``source``."""
    fig, ax = plt.subplots(figsize=(7, 3.5))
    sns.lineplot(data=hist, x="date", y="value", hue="measure", ax=ax)
    ax.set(xlabel="", ylabel="median points", title=f"Median SSI and pillars over time, {SOURCES[source]}")
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


@_plain_text
def plot_claims_forest(claims: dict):
    """One panel per testable claim: estimate and 95% CI against the published and null values."""
    rows = [c for c in claims["claims"] if c["verdict"] != "untestable"]
    fig, axes = plt.subplots(max(len(rows), 1), 1, figsize=(7, 0.9 * max(len(rows), 1) + 0.6), squeeze=False)
    for ax, c in zip(axes[:, 0], rows):
        ax.hlines(0, c["ci_low"], c["ci_high"], color="tab:blue", linewidth=3)
        ax.plot(c["estimate"], 0, "o", color="tab:blue", label="estimate (95% CI)")
        ax.plot(c["published"], 0, "D", color="tab:red", label="published")
        ax.axvline(c["null_value"], color="grey", linestyle="--", linewidth=1, label="no effect")
        values = [c["ci_low"], c["ci_high"], c["published"], c["null_value"]]
        pad = 0.1 * (max(values) - min(values) or 1.0)
        ax.set(xlim=(min(values) - pad, max(values) + pad), yticks=[])
        ax.set_ylabel(c["claim_id"], rotation=0, ha="right", va="center", fontsize=8)
        ax.set_title(f"{c['verdict']}", fontsize=8, loc="right", pad=2)
    if not rows:
        axes[0, 0].text(0.5, 0.5, "no testable claims", ha="center", va="center")
        axes[0, 0].set_axis_off()
    else:
        handles, labels = axes[0, 0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="upper center", ncol=3, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    return fig


@_plain_text
def plot_reference_distribution(table, *, source: str = "computed"):
    """Bars of the organisation's share against LinkedIn's published shares (a distribution table)."""
    ref = table[table["reference"] == "LinkedIn 2015"]
    long = ref.melt(id_vars=["range"], value_vars=["share", "reference_share"], var_name="who",
                    value_name="share of sellers")
    long["who"] = long["who"].map({"share": "this organisation", "reference_share": "LinkedIn 2015"})
    fig, ax = plt.subplots(figsize=(6, 3))
    sns.barplot(data=long, x="range", y="share of sellers", hue="who", ax=ax)
    ax.set(xlabel="SSI (as shown, rounded)", title=f"This organisation ({SOURCES[source]}) against LinkedIn 2015")
    fig.tight_layout()
    return fig


@_plain_text
def plot_seller_history(scores, member_id: str, *, source: str = "computed"):
    """One seller's pillars stacked over time, with the tier edges (30, 70), of ``source``."""
    one = scores[scores["member_id"].astype(str) == str(member_id)].sort_values("date")
    fig, ax = plt.subplots(figsize=(7, 3.5))
    if one.empty:
        ax.text(0.5, 0.5, f"no scores for {member_id}", ha="center", va="center")
        return fig
    if one[list(PILLARS)].notna().any().any():
        ax.stackplot(one["date"], *[one[p].fillna(0) for p in PILLARS], labels=list(PILLARS), alpha=0.8)
    else:  # readings without pillars
        ax.plot(one["date"], one["ssi"], label="SSI")
    for edge in (30, 70):
        ax.axhline(edge, color="grey", linestyle="--", linewidth=1)
    ax.set(ylim=(0, 100), ylabel=f"SSI points, {SOURCES[source]}", title=f"Seller {member_id}: pillars over time")
    ax.legend(loc="upper left", fontsize=8)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def save_figure(fig, path) -> Path:
    """Save a figure as a PNG with no timestamp metadata (byte-stable)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with plt.rc_context(_PLAIN_TEXT):
        fig.savefig(path, dpi=110, metadata={"Software": None})
    return path
