"""Report statistics as tidy tables (drawing lives in :mod:`ssi_kit.report.figures`)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..io.schemas import PILLARS
from .readings import SOURCES

__all__ = [
    "latest_scores", "headline", "distribution_table", "pillars_by", "history", "ranks_by", "movers",
    "LINKEDIN_DISTRIBUTION", "ARTICLE_BANDS",
]

#: LinkedIn's published distribution of sales professionals' SSI (2015), by rounded SSI.
LINKEDIN_DISTRIBUTION = pd.DataFrame({
    "range": ["0-20", "21-69", "70+"], "low": [0, 21, 70], "high": [20, 69, 100],
    "linkedin_share": [0.467, 0.519, 0.014],
})

#: The article's score bands.
ARTICLE_BANDS = pd.DataFrame({"band": ["poor", "average", "good"], "low": [0, 40, 70],
                              "high": [40, 70, 100]})


def latest_scores(scores: pd.DataFrame) -> pd.DataFrame:
    """Each seller's latest row: the last scored day, or each seller's latest reading.

    The kit scores every seller on the same days, so for computed scores these are the
    rows of the last day; LinkedIn's readings come on each seller's own days.
    """
    if scores.empty:
        return scores.reset_index(drop=True)
    last = scores.groupby("member_id", sort=False, observed=True)["date"].transform("max")
    return scores[scores["date"] == last].reset_index(drop=True)


def headline(scores: pd.DataFrame, source: str = "computed") -> pd.DataFrame:
    """Headline figures of each seller's latest row, one row per measure.

    Parameters
    ----------
    scores : pandas.DataFrame
        The kit's computed scores or LinkedIn's readings
        (:func:`ssi_kit.report.readings.observed_scores`).
    source : {"computed", "observed"}
        Which they are: every measure is named with it.

    Returns
    -------
    pandas.DataFrame
        Columns ``measure`` and ``value``.
    """
    last = latest_scores(scores)
    label = SOURCES[source]
    change = last["ssi_change_7d"].dropna()
    rows = [
        ("latest day", str(pd.Timestamp(last["date"].max()).date())),
        ("sellers", int(len(last))),
        (f"median SSI ({label})", round(float(last["ssi"].median()), 1)),
        (f"mean SSI ({label})", round(float(last["ssi"].mean()), 1)),
        ("leaders (SSI > 70)", f"{(last['tier'] == 'leader').mean():.1%}"),
        ("laggards (SSI < 30)", f"{(last['tier'] == 'laggard').mean():.1%}"),
        ("median change over 7 days", round(float(change.median()), 2) if len(change) else ""),
    ]
    return pd.DataFrame(rows, columns=["measure", "value"]).astype({"value": str})


def distribution_table(scores: pd.DataFrame) -> pd.DataFrame:
    """Share of sellers (latest rows) per LinkedIn range and per article band.

    LinkedIn's ranges are read on the SSI rounded to a whole number, as shown.

    Returns
    -------
    pandas.DataFrame
        Columns ``reference``, ``range``, ``sellers``, ``share``, ``reference_share``.
    """
    last = latest_scores(scores)
    shown = np.round(last["ssi"].to_numpy())
    rows = []
    for r in LINKEDIN_DISTRIBUTION.itertuples():
        n = int(((shown >= r.low) & (shown <= r.high)).sum())
        rows.append(("LinkedIn 2015", r.range, n, n / len(last), r.linkedin_share))
    for b in ("poor", "average", "good"):
        n = int((last["band"] == b).sum())
        rows.append(("article bands", b, n, n / len(last), np.nan))
    return pd.DataFrame(rows, columns=["reference", "range", "sellers", "share", "reference_share"])


def pillars_by(scores: pd.DataFrame, *, by: str = "team") -> pd.DataFrame:
    """Mean pillars and SSI per group on each seller's latest row, sorted by SSI."""
    last = latest_scores(scores)
    if by not in last or last[by].isna().all():
        return pd.DataFrame(columns=[by, "sellers", *PILLARS, "ssi"])
    grouped = last.groupby(by, sort=True, observed=True)
    out = grouped[[*PILLARS, "ssi"]].mean().round(2)
    out.insert(0, "sellers", grouped.size())
    return out.sort_values("ssi", ascending=False, kind="mergesort").reset_index()


def history(scores: pd.DataFrame) -> pd.DataFrame:
    """Median SSI and pillars per scored day (tidy: ``date``, ``measure``, ``value``).

    Measures with no value (readings without pillars) are left out.
    """
    med = scores.groupby("date", sort=True)[[*PILLARS, "ssi"]].median()
    med = med.loc[:, med.notna().any()].reset_index()
    return med.melt(id_vars="date", var_name="measure", value_name="value").dropna(subset=["value"])


def ranks_by(scores: pd.DataFrame, *, by: str = "industry") -> pd.DataFrame:
    """Per group, each seller's latest row: sellers, mean SSI, median industry and network "Top N%"."""
    last = latest_scores(scores)
    if by not in last or last[by].isna().all():
        return pd.DataFrame(columns=[by, "sellers", "mean_ssi", "median_industry_top_pct",
                                     "median_network_top_pct"])
    grouped = last.groupby(by, sort=True, observed=True)
    out = pd.DataFrame({
        "sellers": grouped.size(),
        "mean_ssi": grouped["ssi"].mean().round(1),
        "median_industry_top_pct": grouped["industry_top_pct"].median().round(1),
        "median_network_top_pct": grouped["network_top_pct"].median().round(1),
    })
    return out.reset_index()


def movers(scores: pd.DataFrame, *, n: int = 5) -> pd.DataFrame:
    """The week's biggest risers and fallers (``ssi_change_7d`` of each seller's latest row).

    Sellers without a change (no reading a week before) are left out.
    """
    last = latest_scores(scores).dropna(subset=["ssi_change_7d"])
    cols = ["member_id", "team", "ssi", "ssi_change_7d"]
    ordered = last.sort_values(["ssi_change_7d", "member_id"], ascending=[False, True], kind="mergesort")
    up = ordered.head(n).assign(direction="up")
    down = ordered.tail(n).iloc[::-1].assign(direction="down")
    out = pd.concat([up, down])[["direction", *cols]]
    out["ssi"] = out["ssi"].round(1)
    out["ssi_change_7d"] = out["ssi_change_7d"].round(2)
    return out.reset_index(drop=True)
