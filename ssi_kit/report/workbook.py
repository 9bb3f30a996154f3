"""The Excel workbook of a report: one sheet per table."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from ..io import atomic_file
from . import claims_tables, readings, summaries

__all__ = ["write_workbook", "workbook_sheets"]

_FIXED_TIME = dt.datetime(2000, 1, 1)
_SCORE_COLUMNS = ("member_id", "date", "industry", "team", "brand", "people", "insights", "relationships",
                  "ssi", "tier", "band", "industry_top_pct", "network_top_pct", "team_top_pct",
                  "ssi_change_7d")


def workbook_sheets(scores: pd.DataFrame, claims: dict | None, *, source: str = "computed",
                    computed: pd.DataFrame | None = None,
                    tracking: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """The report's tables by sheet name, every SSI column named for what it is.

    Parameters
    ----------
    scores : pandas.DataFrame
        The headline's numbers: the kit's computed scores, or LinkedIn's readings
        (:func:`ssi_kit.report.readings.observed_scores`) when ``source`` is ``"observed"``.
    claims : dict or None
        The ``claims.json`` content.
    source : {"computed", "observed"}
    computed : pandas.DataFrame, optional
        With readings, the kit's computed scores that explain them.
    tracking : pandas.DataFrame, optional
        :func:`ssi_kit.report.readings.tracking`.
    """
    def named(table, what=source):
        return readings.labelled(table, what)

    shown = scores[[c for c in _SCORE_COLUMNS if c in scores.columns]]
    sheets = {
        "about": pd.DataFrame({"numbers": [f"Headline sheets: {readings.SOURCES[source]}, as labelled "
                                           "in each column."]}),
        "headline": summaries.headline(scores, source),
        "readings" if source == "observed" else "scores": named(shown),
        "pillars_by_team": named(summaries.pillars_by(scores, by="team")),
        "ranks_by_industry": named(summaries.ranks_by(scores, by="industry")),
        "distribution": summaries.distribution_table(scores),
        "movers": named(summaries.movers(scores)),
    }
    explained = computed if source == "observed" else scores
    if explained is not None and not explained.empty:
        if source == "observed":
            sheets["scores"] = named(explained[[c for c in _SCORE_COLUMNS if c in explained.columns]],
                                     "computed")
        sheets["drivers"] = named(readings.drivers(explained), "computed")
    if tracking is not None:
        sheets["tracking"] = tracking
    if claims is not None:
        sheets["claims"] = claims_tables.verdict_table(claims)
        sheets["power"] = claims_tables.power_table(claims)
        sheets["sensitivity"] = claims_tables.sensitivity_view(claims)
    return sheets


def write_workbook(path, scores: pd.DataFrame, claims: dict | None = None, **views) -> Path:
    """Write the report workbook atomically (openpyxl).

    Parameters
    ----------
    path : path-like
        The ``.xlsx`` file.
    scores : pandas.DataFrame
        The headline's numbers (computed scores or LinkedIn's readings).
    claims : dict, optional
        The ``claims.json`` content.
    **views
        ``source``, ``computed``, ``tracking``: as for :func:`workbook_sheets`.
    """
    path = Path(path)
    with atomic_file(path) as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            for name, table in workbook_sheets(scores, claims, **views).items():
                out = table.copy()
                for col in out.columns:
                    if isinstance(out[col].dtype, pd.CategoricalDtype):
                        out[col] = out[col].astype(str)
                out.to_excel(writer, sheet_name=name, index=False)
            writer.book.properties.created = _FIXED_TIME
            writer.book.properties.modified = _FIXED_TIME
    return path
