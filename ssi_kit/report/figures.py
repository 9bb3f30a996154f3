"""Report figures (seaborn); each takes tidy data and returns a matplotlib Figure.

Every text of a figure is plain text: team names, industries, member ids and claim ids
come from data, and a ``$`` in them must be drawn as a dollar sign, not start
matplotlib's mathtext (where ``$x^2$`` is a formula and ``$\\frac{1}{0}$`` or ``$$``
fail to render).  The figures are drawn, and saved, with the documented
``text.parse_math`` and ``text.usetex`` settings off.

Figures speak the reader's words: pillars, tiers and measures by their names
(:mod:`ssi_kit.report.labels`), units on the axes, legends outside the data.  In a
notebook, :func:`show_figure` saves a figure and embeds it in the output with its
alternative text, whatever matplotlib's backend; the ``alt_*`` functions write that
text, with the figure's key numbers.
"""
from __future__ import annotations

import functools
import io
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator, PercentFormatter

from ..io.schemas import PILLARS
from ..scoring.tiers import BAND_CUTS, TIER_CUTS, TIERS
from .labels import PILLAR_NAMES, SOURCES, VALUE_LABELS, label, value_label
from .summaries import latest_scores

__all__ = ["plain_text", "plot_ssi_distribution", "plot_pillars_by", "plot_history", "plot_claims_forest",
           "plot_reference_distribution", "plot_seller_history", "save_figure", "show_figure",
           "alt_ssi_distribution", "alt_pillars_by", "alt_history", "alt_claims_forest",
           "alt_reference_distribution", "alt_seller_history"]

#: Settings under which figures are drawn and saved: text is never mathtext or LaTeX.
_PLAIN_TEXT = {"text.parse_math": False, "text.usetex": False}
_DPI = 110


def plain_text(draw):
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


def _legend_below(fig, ax, *, ncol: int = 2, title: str | None = None) -> None:
    """Move ``ax``'s legend under the figure, outside the data (constrained layout)."""
    handles, labels = ax.get_legend_handles_labels()
    legend = ax.get_legend()
    if legend is not None:
        if not handles:  # seaborn's own legends (histplot) hold unlabelled artists: take them as drawn
            handles, labels = list(legend.legend_handles), [t.get_text() for t in legend.get_texts()]
        legend.remove()
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncol=ncol, frameon=False,
                   title=title, fontsize=8, title_fontsize=8)


def _categories(values: pd.Series) -> list[str]:
    """The groups present in ``values`` as text, in order of first appearance (no empty categories)."""
    return list(dict.fromkeys(values.dropna().astype(str)))


@plain_text
def plot_ssi_distribution(scores, *, x: str = "ssi", source: str = "computed"):
    """Histogram of each seller's latest SSI with the article's band edges (40, 70: ``BAND_CUTS``).

    ``source`` (``"computed"`` or ``"observed"``) names what the SSI is in the title.
    """
    last = latest_scores(scores).copy()
    last["Tier"] = last["tier"].map(VALUE_LABELS["tier"])
    fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    sns.histplot(data=last, x=x, hue="Tier", hue_order=[VALUE_LABELS["tier"][t] for t in TIERS],
                 bins=range(0, 105, 5), multiple="stack", ax=ax)
    for edge in BAND_CUTS:
        ax.axvline(edge, color="grey", linestyle="--", linewidth=1)
        ax.annotate(str(edge), (edge, 1), xycoords=("data", "axes fraction"), xytext=(2, -10),
                    textcoords="offset points", fontsize=8, color="grey")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(xlim=(0, 100), xlabel=f"Latest SSI, {SOURCES[source]} (0-100 points)", ylabel="Sellers (count)",
           title="Latest SSI of each seller (dashed: the article's band edges {} and {})".format(*BAND_CUTS))
    _legend_below(fig, ax, ncol=3, title="Tier (LinkedIn's 2014 cut-offs)")
    return fig


@plain_text
def plot_pillars_by(table, *, by: str = "team", source: str = "computed"):
    """Bars of mean pillar points per group (a :func:`pillars_by` table) of ``source``.

    Only the groups in ``table`` are drawn (a categorical column's unused categories are not).
    """
    table = table.assign(**{by: table[by].astype(str)}) if len(table) else table
    long = table.melt(id_vars=[by], value_vars=list(PILLARS), var_name="pillar", value_name="points")
    long["Pillar"] = long["pillar"].map(PILLAR_NAMES)
    groups = _categories(table[by]) if len(table) else []
    fig, ax = plt.subplots(figsize=(7, 0.5 * max(len(groups), 3) + 2.2), layout="constrained")
    sns.barplot(data=long, y=by, x="points", hue="Pillar", order=groups or None,
                hue_order=[PILLAR_NAMES[p] for p in PILLARS], ax=ax, orient="h")
    ax.set(xlim=(0, 25), xlabel=f"Mean points per pillar, {SOURCES[source]} (0-25 points each)",
           ylabel=label(by), title=f"The four pillars by {label(by).lower()}")
    _legend_below(fig, ax, ncol=2, title="Pillar")
    return fig


@plain_text
def plot_history(hist, *, source: str = "computed"):
    """Median SSI and pillars over time (a :func:`history` table) of ``source``."""
    hist = hist.assign(Measure=hist["measure"].map(lambda m: value_label("measure", m)))
    order = [value_label("measure", m) for m in ("ssi", *PILLARS) if m in set(hist["measure"])]
    fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    sns.lineplot(data=hist, x="date", y="value", hue="Measure", hue_order=order or None, ax=ax)
    ax.set(xlabel="Date", ylabel="Median points (SSI 0-100, pillars 0-25)",
           title=f"Median SSI and pillars over time, {SOURCES[source]}")
    _legend_below(fig, ax, ncol=3)
    fig.autofmt_xdate()
    return fig


@plain_text
def plot_claims_forest(claims: dict):
    """One panel per testable claim: estimate and 95% CI against the published and null values."""
    rows = [c for c in claims["claims"] if c["verdict"] != "untestable"]
    fig, axes = plt.subplots(max(len(rows), 1), 1, figsize=(7, 0.9 * max(len(rows), 1) + 1.2),
                             squeeze=False, layout="constrained")
    for ax, c in zip(axes[:, 0], rows):
        ax.hlines(0, c["ci_low"], c["ci_high"], color="tab:blue", linewidth=3)
        ax.plot(c["estimate"], 0, "o", color="tab:blue", label="Estimate and 95% CI")
        ax.plot(c["published"], 0, "D", color="tab:red", label="Published value")
        ax.axvline(c["null_value"], color="grey", linestyle="--", linewidth=1, label="No effect")
        values = [c["ci_low"], c["ci_high"], c["published"], c["null_value"]]
        pad = 0.1 * (max(values) - min(values) or 1.0)
        ax.set(xlim=(min(values) - pad, max(values) + pad), yticks=[])
        ax.set_ylabel(value_label("claim_id", c["claim_id"]), rotation=0, ha="right", va="center", fontsize=8)
        ax.set_title(str(value_label("verdict", c["verdict"])), fontsize=8, loc="right", pad=2)
    if not rows:
        axes[0, 0].text(0.5, 0.5, "No testable claims", ha="center", va="center")
        axes[0, 0].set_axis_off()
    else:
        axes[-1, 0].set_xlabel("Effect, in each claim's own unit (see the claims table)", fontsize=8)
        _legend_below(fig, axes[0, 0], ncol=3)
    return fig


@plain_text
def plot_reference_distribution(table, *, source: str = "computed"):
    """Bars of the organisation's share against LinkedIn's published shares (a distribution table)."""
    ref = table[table["reference"] == "LinkedIn 2015"]
    long = ref.melt(id_vars=["range"], value_vars=["share", "reference_share"], var_name="who",
                    value_name="share of sellers")
    long["who"] = long["who"].map({"share": f"This organisation ({SOURCES[source]})",
                                   "reference_share": "LinkedIn 2015"})
    fig, ax = plt.subplots(figsize=(7, 3.8), layout="constrained")
    sns.barplot(data=long, x="range", y="share of sellers", hue="who", ax=ax)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set(xlabel="SSI range (points, as shown, rounded)", ylabel="Share of sellers (%)",
           title="This organisation against LinkedIn's 2015 distribution")
    _legend_below(fig, ax, ncol=2)
    return fig


@plain_text
def plot_seller_history(scores, member_id: str, *, source: str = "computed"):
    """One seller's pillars stacked over time, with the tier edges (30, 70: ``TIER_CUTS``), of ``source``."""
    one = scores[scores["member_id"].astype(str) == str(member_id)].sort_values("date")
    fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    if one.empty:
        ax.text(0.5, 0.5, f"No scores for {member_id}", ha="center", va="center")
        ax.set_axis_off()
        return fig
    if one[list(PILLARS)].notna().any().any():
        ax.stackplot(one["date"], *[one[p].fillna(0) for p in PILLARS],
                     labels=[PILLAR_NAMES[p] for p in PILLARS], alpha=0.8)
    else:  # readings without pillars
        ax.plot(one["date"], one["ssi"], label="SSI")
    for edge in TIER_CUTS:
        ax.axhline(edge, color="grey", linestyle="--", linewidth=1)
        ax.annotate(f"tier edge {edge}", (0, edge), xycoords=("axes fraction", "data"), xytext=(2, 2),
                    textcoords="offset points", fontsize=8, color="grey")
    ax.set(ylim=(0, 100), xlabel="Date", ylabel=f"SSI, {SOURCES[source]} (0-100 points)",
           title=f"Seller {member_id}: pillars over time")
    _legend_below(fig, ax, ncol=2)
    fig.autofmt_xdate()
    return fig


def _num(value, digits: int = 1) -> str:
    return "no value" if pd.isna(value) else f"{float(value):.{digits}f}"


def alt_ssi_distribution(scores, *, x: str = "ssi", source: str = "computed") -> str:
    """Alternative text of :func:`plot_ssi_distribution`: sellers, median and the band counts."""
    last = latest_scores(scores)[x].dropna()
    low, high = BAND_CUTS
    return (f"Histogram of the latest SSI of {len(last)} sellers, {SOURCES[source]}: median "
            f"{_num(last.median())} points; {int((last < low).sum())} below {low}, "
            f"{int(((last >= low) & (last < high)).sum())} from {low} to {high} and {int((last >= high).sum())} "
            f"at {high} or above.")


def alt_pillars_by(table, *, by: str = "team", source: str = "computed") -> str:
    """Alternative text of :func:`plot_pillars_by`: groups and the highest and lowest mean SSI."""
    if not len(table):
        return f"Bar chart of the four pillars by {label(by).lower()}: no groups to show."
    top, low = table.loc[table["ssi"].idxmax()], table.loc[table["ssi"].idxmin()]
    return (f"Bar chart of the mean points of the four pillars, {SOURCES[source]}, for "
            f"{len(table)} groups by {label(by).lower()}; highest mean SSI {top[by]} "
            f"({_num(top['ssi'])}), lowest {low[by]} ({_num(low['ssi'])}).")


def alt_history(hist, *, source: str = "computed") -> str:
    """Alternative text of :func:`plot_history`: the span and the median SSI at both ends."""
    ssi = hist[hist["measure"] == "ssi"].sort_values("date")
    if ssi.empty:
        return f"Line chart of the median SSI over time, {SOURCES[source]}: no days to show."
    first, last = ssi.iloc[0], ssi.iloc[-1]
    return (f"Line chart of the median SSI and pillars, {SOURCES[source]}, from "
            f"{pd.Timestamp(first['date']).date()} to {pd.Timestamp(last['date']).date()}: the "
            f"median SSI went from {_num(first['value'])} to {_num(last['value'])} points.")


def alt_claims_forest(claims: dict) -> str:
    """Alternative text of :func:`plot_claims_forest`: how many claims and their verdicts."""
    rows = [c for c in claims["claims"] if c["verdict"] != "untestable"]
    if not rows:
        return "Forest plot of the published claims: no claim could be tested."
    counts = pd.Series([str(value_label("verdict", c["verdict"])) for c in rows]).value_counts(sort=False)
    verdicts = ", ".join(f"{n} {v.lower()}" for v, n in sorted(counts.items()))
    return (f"Forest plot of {len(rows)} tested claims: each estimate with its 95% confidence "
            f"interval against the published value and no effect; verdicts: {verdicts}.")


def alt_reference_distribution(table, *, source: str = "computed") -> str:
    """Alternative text of :func:`plot_reference_distribution`: each range's two shares."""
    ref = table[table["reference"] == "LinkedIn 2015"]
    parts = "; ".join(f"{r['range']}: {_num(100 * r['share'])}% here against "
                      f"{_num(100 * r['reference_share'])}%" for _, r in ref.iterrows())
    return (f"Bar chart of the share of sellers in each SSI range, {SOURCES[source]}, against "
            f"LinkedIn's 2015 distribution: {parts or 'no ranges'}.")


def alt_seller_history(scores, member_id: str, *, source: str = "computed") -> str:
    """Alternative text of :func:`plot_seller_history`: the seller's first and last SSI."""
    one = scores[scores["member_id"].astype(str) == str(member_id)].sort_values("date")
    if one.empty:
        return f"Chart of seller {member_id}'s SSI over time: no scores."
    first, last = one.iloc[0], one.iloc[-1]
    return (f"Stacked area chart of seller {member_id}'s four pillars over time, {SOURCES[source]}: "
            f"SSI {_num(first['ssi'])} on {pd.Timestamp(first['date']).date()} and "
            f"{_num(last['ssi'])} on {pd.Timestamp(last['date']).date()}.")


def _png_bytes(fig) -> bytes:
    """The figure as PNG bytes with no timestamp or software metadata (byte-stable)."""
    buffer = io.BytesIO()
    with plt.rc_context(_PLAIN_TEXT):
        fig.savefig(buffer, format="png", dpi=_DPI, metadata={"Software": None})
    return buffer.getvalue()


def save_figure(fig, path) -> Path:
    """Save a figure as a PNG with no timestamp metadata (byte-stable), outside notebooks.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : path-like

    Returns
    -------
    pathlib.Path
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_png_bytes(fig))
    return path


def show_figure(fig, path, *, alt: str) -> Path:
    """Save a figure as a byte-stable PNG, close it, and embed it in the notebook's output.

    The PNG is displayed as ``image/png`` with its alternative text in the output's
    metadata, so an exported report holds every figure whatever matplotlib's backend
    (``MPLBACKEND=Agg`` on servers draws nothing by itself); closing the figure keeps
    Jupyter's inline backend from showing it a second time.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : path-like
        The PNG file to write (its folder is created).
    alt : str
        What the figure shows, in words (plain text; line breaks become spaces).

    Returns
    -------
    pathlib.Path
    """
    from IPython.display import Image, display

    text = " ".join(str(alt).split())
    if not text:
        raise ValueError("show_figure needs a non-empty alt text describing the figure.")
    png = _png_bytes(fig)
    plt.close(fig)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png)
    display(Image(data=png, format="png", alt=text))
    return path
