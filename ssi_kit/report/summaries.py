"""Report statistics as tidy tables (drawing lives in :mod:`ssi_kit.report.figures`)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..io.schemas import PILLARS
from ..scoring.tiers import BAND_CUTS, BANDS, TIER_CUTS
from .changes import explain_change, largest_pillar
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
ARTICLE_BANDS = pd.DataFrame({"band": list(BANDS), "low": [0, *BAND_CUTS], "high": [*BAND_CUTS, 100]})


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
        ("Latest day", str(pd.Timestamp(last["date"].max()).date())),
        ("Sellers", int(len(last))),
        (f"Median SSI ({label})", round(float(last["ssi"].median()), 1)),
        (f"Mean SSI ({label})", round(float(last["ssi"].mean()), 1)),
        (f"Leaders (SSI > {TIER_CUTS[1]})", f"{(last['tier'] == 'leader').mean():.1%}"),
        (f"Laggards (SSI < {TIER_CUTS[0]})", f"{(last['tier'] == 'laggard').mean():.1%}"),
        ("Median change over 7 days (points)", round(float(change.median()), 2) if len(change) else ""),
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
    """Per group, each seller's latest row: sellers, mean SSI, median industry and network "Top N%".

    Pass LinkedIn's readings when they carry the ranks, else the kit's computed scores
    (whose ranks are among the dataset's own sellers: label them with ``source="computed"``).
    """
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


def movers(scores: pd.DataFrame, *, n: int = 5, computed: pd.DataFrame | None = None,
           source: str = "computed") -> pd.DataFrame:
    """The biggest risers and fallers over four weeks, with the pillar that moved most.

    The change of each seller's SSI between the latest day and 28 days before
    (:func:`ssi_kit.report.changes.explain_change`); sellers without a value on both
    days are left out.

    Returns
    -------
    pandas.DataFrame
        ``direction`` ("up", "down"), ``member_id``, ``team``, ``ssi``, ``ssi_change_28d``,
        ``pillar_moved_most``, ``pillar_change``.
    """
    cols = ["direction", "member_id", "team", "ssi", "ssi_change_28d", "pillar_moved_most", "pillar_change"]
    change = explain_change(scores, by="member_id", computed=computed, source=source)
    total = change[change["level"] == "ssi"] if len(change) else change
    if total.empty:
        return pd.DataFrame(columns=cols)
    last = latest_scores(scores).astype({"member_id": str})[["member_id", "team"]]
    table = total[["member_id", "after", "change"]].rename(columns={"after": "ssi", "change": "ssi_change_28d"})
    table = table.merge(last, on="member_id", how="left").merge(largest_pillar(change), on="member_id", how="left")
    ordered = table.sort_values(["ssi_change_28d", "member_id"], ascending=[False, True], kind="mergesort")
    up = ordered[ordered["ssi_change_28d"] > 0].head(n).assign(direction="up")
    down = ordered[ordered["ssi_change_28d"] < 0].iloc[::-1].head(n).assign(direction="down")
    out = pd.concat([up, down])[cols].round({"ssi": 1, "ssi_change_28d": 2, "pillar_change": 2})
    out.attrs.update(change.attrs)
    return out.reset_index(drop=True)
