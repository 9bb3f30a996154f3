"""Report figures (seaborn); each takes tidy data and returns a matplotlib Figure."""
from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import seaborn as sns

from ..io.schemas import PILLARS
from .summaries import latest_scores

__all__ = ["plot_ssi_distribution", "plot_pillars_by", "plot_history", "save_figure"]

_BAND_EDGES = (40, 70)


def plot_ssi_distribution(scores, *, x: str = "ssi"):
    """Histogram of the last day's SSI with the article's band edges (40, 70)."""
    last = latest_scores(scores)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    sns.histplot(data=last, x=x, hue="tier", hue_order=["laggard", "middle", "leader"],
                 bins=range(0, 105, 5), multiple="stack", ax=ax)
    for edge in _BAND_EDGES:
        ax.axvline(edge, color="grey", linestyle="--", linewidth=1)
    ax.set(xlim=(0, 100), xlabel="SSI (0-100)", ylabel="sellers",
           title="SSI distribution (dashed: poor | average | good)")
    fig.tight_layout()
    return fig


def plot_pillars_by(table, *, by: str = "team"):
    """Stacked bars of mean pillars per group (a :func:`pillars_by` table)."""
    long = table.melt(id_vars=[by], value_vars=list(PILLARS), var_name="pillar", value_name="points")
    fig, ax = plt.subplots(figsize=(7, 0.4 * max(len(table), 3) + 1.5))
    sns.barplot(data=long, y=by, x="points", hue="pillar", ax=ax, orient="h")
    ax.set(xlabel="mean points (0-25 each)", ylabel=by, title=f"Pillars by {by}")
    fig.tight_layout()
    return fig


def plot_history(hist):
    """Median SSI and pillars over time (a :func:`history` table)."""
    fig, ax = plt.subplots(figsize=(7, 3.5))
    sns.lineplot(data=hist, x="date", y="value", hue="measure", ax=ax)
    ax.set(xlabel="", ylabel="median points", title="Median SSI and pillars over time")
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def save_figure(fig, path) -> Path:
    """Save a figure as a PNG with no timestamp metadata (byte-stable)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, metadata={"Software": None})
    return path
