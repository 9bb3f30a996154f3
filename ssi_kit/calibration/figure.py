"""The calibration figure: held-out predicted against observed readings."""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["plot_calibration"]

_LABELS = {"brand": "Professional brand", "people": "Find the right people", "insights": "Engage with insights",
           "relationships": "Build relationships", "ssi": "SSI (total)"}


def plot_calibration(readings: pd.DataFrame):
    """One panel per pillar (and the total): observed readings against predictions.

    Parameters
    ----------
    readings : pandas.DataFrame
        ``pillar, observed, calibrated, default`` (see :attr:`CalibrationResult.readings`).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    names = list(dict.fromkeys(readings["pillar"]))
    fig = Figure(figsize=(3.2 * len(names) + 1.8, 3.6), layout="constrained")
    axes = fig.subplots(1, len(names), squeeze=False)[0]
    for ax, name in zip(axes, names):
        part = readings[readings["pillar"] == name]
        top = 100.0 if name == "ssi" else 25.0
        ax.plot([0, top], [0, top], color="0.6", lw=1, label="perfect agreement")
        ax.scatter(part["observed"], part["default"], s=4, alpha=0.35, color="tab:gray", label="start spec")
        ax.scatter(part["observed"], part["calibrated"], s=4, alpha=0.5, color="tab:blue",
                   label="calibrated (held-out sellers)")
        mae = float(np.mean(np.abs(part["calibrated"] - part["observed"])))
        ax.set(title=f"{_LABELS.get(name, name)}\nheld-out MAE {mae:.2f}", xlabel="Observed reading (points)",
               ylabel="Predicted (points)", xlim=(0, top), ylim=(0, top))
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside right center", markerscale=3, frameon=False)
    return fig
