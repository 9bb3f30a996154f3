"""The Excel workbook of a report: one sheet per table."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from ..io import atomic_file
from . import claims_tables, summaries

__all__ = ["write_workbook", "workbook_sheets"]

_FIXED_TIME = dt.datetime(2000, 1, 1)
_SCORE_COLUMNS = ("member_id", "date", "industry", "team", "brand", "people", "insights", "relationships",
                  "ssi", "tier", "band", "industry_top_pct", "network_top_pct", "team_top_pct",
                  "ssi_change_7d")


def workbook_sheets(scores: pd.DataFrame, claims: dict | None) -> dict[str, pd.DataFrame]:
    """The report's tables by sheet name (scores, pillars by team, ranks, claims, power, sensitivity...)."""
    sheets = {
        "scores": scores[[c for c in _SCORE_COLUMNS if c in scores.columns]],
        "pillars_by_team": summaries.pillars_by(scores, by="team"),
        "ranks_by_industry": summaries.ranks_by(scores, by="industry"),
        "distribution": summaries.distribution_table(scores),
        "movers": summaries.movers(scores),
    }
    if claims is not None:
        sheets["claims"] = claims_tables.verdict_table(claims)
        sheets["power"] = claims_tables.power_table(claims)
        sheets["sensitivity"] = claims_tables.sensitivity_view(claims)
    return sheets


def write_workbook(path, scores: pd.DataFrame, claims: dict | None = None) -> Path:
    """Write the report workbook atomically (openpyxl).

    Parameters
    ----------
    path : path-like
        The ``.xlsx`` file.
    scores : pandas.DataFrame
        Scores as from :func:`ssi_kit.scoring.score_dataset`.
    claims : dict, optional
        The ``claims.json`` content.
    """
    path = Path(path)
    with atomic_file(path) as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            for name, table in workbook_sheets(scores, claims).items():
                out = table.copy()
                for col in out.columns:
                    if isinstance(out[col].dtype, pd.CategoricalDtype):
                        out[col] = out[col].astype(str)
                out.to_excel(writer, sheet_name=name, index=False)
            writer.book.properties.created = _FIXED_TIME
            writer.book.properties.modified = _FIXED_TIME
    return path
