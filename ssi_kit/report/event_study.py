"""The training event study in the report: figure, alternative text, table and sentence.

Each function takes the ``event_study`` entry of ``claims.json`` (a dict with ``att``,
``ci``, ``pretrend_p``, ``period_days`` and ``rows``; see
:meth:`ssi_kit.claims.staggered.StaggeredDiDResult.to_dict`) or the event-study table
itself (``event_study.csv``).  The statistics are computed in
:mod:`ssi_kit.claims.staggered`; this module only draws and words them.
"""
from __future__ import annotations

import math

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd

from .figures import plain_text

__all__ = ["plot_event_study", "alt_event_study", "describe_event_study", "table_event_study"]

_PRE, _POST = "tab:grey", "tab:blue"
_COLUMNS = {"event_time": "Periods since training", "estimate": "Effect (SSI points)",
            "ci_low": "95% CI low", "ci_high": "95% CI high", "se": "Standard error",
            "n_cohorts": "Training cohorts", "n_sellers": "Trained sellers", "n_controls": "Control sellers"}


def _rows(event_study) -> pd.DataFrame:
    """The event-study rows as a frame sorted by event time (empty when there is none)."""
    if isinstance(event_study, pd.DataFrame):
        rows = event_study
    elif isinstance(event_study, dict) and event_study.get("rows"):
        rows = pd.DataFrame(event_study["rows"])
    else:
        return pd.DataFrame(columns=list(_COLUMNS))
    return rows.astype({"event_time": int}).sort_values("event_time").reset_index(drop=True)


def _period_days(event_study) -> int:
    return int(event_study.get("period_days", 28)) if isinstance(event_study, dict) else 28


def _num(value, digits: int = 2) -> str:
    return "no value" if value is None or pd.isna(value) else f"{float(value):.{digits}f}"


@plain_text
def plot_event_study(event_study):
    """Effect of training on SSI by periods since training, with 95% intervals.

    Pre-training periods (a test of parallel trends) and post-training periods are
    coloured apart; the period before training is the reference (0 by construction).

    Returns
    -------
    matplotlib.figure.Figure
    """
    rows, days = _rows(event_study), _period_days(event_study)
    fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    if rows.empty:
        reason = event_study.get("reason", "") if isinstance(event_study, dict) else ""
        ax.text(0.5, 0.5, f"No event study: {reason}" if reason else "No event study", ha="center",
                va="center", wrap=True)
        ax.set_axis_off()
        return fig
    _draw(ax, rows)
    ax.set_xlabel(f"Periods of {days} days since the training period (0 = the period of the training)")
    ax.set_ylabel("Effect on SSI (points)")
    ax.set_title("Training event study: trained against not-yet-trained sellers", fontsize=10)
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncol=2, frameon=False, fontsize=8)
    return fig


def _draw(ax, rows: pd.DataFrame) -> None:
    for part, colour, name in ((rows["event_time"] < 0, _PRE, "Before training (parallel-trends check)"),
                               (rows["event_time"] >= 0, _POST, "After training")):
        r = rows[part & rows["se"].notna()] if "se" in rows else rows[part]
        err = [r["estimate"] - r["ci_low"], r["ci_high"] - r["estimate"]]
        ax.errorbar(r["event_time"], r["estimate"], yerr=err, fmt="o", color=colour, capsize=3, label=name)
    ref = rows[rows["event_time"] == -1]
    if not ref.empty:
        ax.plot(ref["event_time"], ref["estimate"], "s", color="black", label="Reference period (0 by definition)")
    ax.axhline(0, color="grey", linewidth=1)
    ax.axvline(-0.5, color="tab:red", linestyle="--", linewidth=1, label="Training")
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))


def alt_event_study(event_study) -> str:
    """Alternative text of :func:`plot_event_study`, with its key numbers."""
    rows = _rows(event_study)
    if rows.empty:
        return "Event-study chart of the training: no estimates to show."
    pre, post = rows[(rows["event_time"] <= -2)], rows[rows["event_time"] >= 0]
    text = (f"Event-study chart of the training: the effect on SSI with 95% intervals for "
            f"{len(pre)} periods before and {len(post)} periods after the training period.")
    if len(pre):
        text += (f" Before training the estimates range from {_num(pre['estimate'].min())} to "
                 f"{_num(pre['estimate'].max())} points.")
    if len(post):
        text += (f" After training they range from {_num(post['estimate'].min())} to "
                 f"{_num(post['estimate'].max())} points.")
    return text


def describe_event_study(event_study: dict) -> str:
    """One sentence for the report: the overall effect, its interval and the pre-trend test."""
    if not isinstance(event_study, dict) or event_study.get("att") is None:
        reason = event_study.get("reason") if isinstance(event_study, dict) else None
        return f"The training effect could not be estimated{': ' + reason if reason else ''}."
    lo, hi = event_study["ci"]
    att, p = event_study["att"], event_study.get("pretrend_p")
    verb = "raised" if att >= 0 else "lowered"
    sentence = (f"Training {verb} SSI by {_num(abs(att), 1)} points (95% CI {_num(lo, 1)} to {_num(hi, 1)}), "
                f"averaged over the training period and the {int(_rows(event_study)['event_time'].max())} "
                f"periods after it, against sellers not yet trained")
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return sentence + "; no pre-trend test (no periods before training)."
    check = ("no sign of diverging trends before training" if p >= 0.05
             else "trained and untrained sellers already diverged before training, so read the effect with care")
    return sentence + f"; pre-trend test p = {p:.2g} ({check})."


def table_event_study(event_study) -> pd.DataFrame:
    """The event-study rows with readable column names, rounded for display.

    The reference period (0 by construction, estimated from no one) shows no counts.
    """
    rows = _rows(event_study)
    cols = [c for c in _COLUMNS if c in rows.columns]
    counts = [c for c in cols if c.startswith("n_")]
    table = rows[cols].astype({c: "Int64" for c in counts})
    if "se" in table:
        table.loc[table["se"].isna(), counts] = pd.NA
    return table.rename(columns=_COLUMNS).round(2)
