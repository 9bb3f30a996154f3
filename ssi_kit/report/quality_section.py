"""The report's data-quality section: :func:`ssi_kit.quality.check_dataset` for people.

Runs the same checks as ``ssi-kit check`` on the dataset the report reads, keeps the
findings of the sellers the report shows (one team, or all), and turns them into a
sentence and a table with readable labels.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..io import load_dataset
from ..quality import check_dataset

__all__ = ["quality_findings", "quality_sentence", "quality_table"]

#: Column labels of the findings table shown in the report.
_LABELS = {"check": "Check", "severity": "Severity", "member_id": "Seller", "first_date": "From",
           "last_date": "To", "count": "Rows", "detail": "What was found"}


def quality_findings(dataset_dir, *, team: str = "", trusted=None) -> pd.DataFrame:
    """The data-quality findings of the sellers a report shows.

    Parameters
    ----------
    dataset_dir : path-like
        The dataset the report reads.
    team : str
        Keep only this team's sellers ("" keeps every seller).
    trusted : path-like or mapping, optional
        Checksums of files validated before the run (see :func:`ssi_kit.io.load_dataset`):
        those are not validated again.

    Returns
    -------
    pandas.DataFrame
        Columns ``check, severity, member_id, first_date, last_date, count, detail``.
    """
    present = [t for t in ("ssi", "activity") if any(Path(dataset_dir, f"{t}.{ext}").is_file()
                                                     for ext in ("csv", "parquet"))]
    dataset = load_dataset(dataset_dir, tables=present, trusted=trusted)
    findings = check_dataset(dataset).to_frame()
    if team:
        members = dataset["members"]
        chosen = members.loc[members.get("team", pd.Series(dtype=object)).astype(str) == team, "member_id"]
        findings = findings[findings["member_id"].isin(set(chosen.astype(str)))]
    return findings.reset_index(drop=True)


def quality_sentence(findings: pd.DataFrame) -> str:
    """One or two plain sentences on what the checks found."""
    if findings.empty:
        return "The data-quality checks found nothing: no failed captures, stale or jumping readings, or gaps."
    by = findings.groupby("severity").size()
    parts = [f"{by.get(s, 0)} {s}{'s' if by.get(s, 0) != 1 else ''}" for s in ("error", "warning", "info")
             if by.get(s, 0)]
    sellers = findings["member_id"].nunique()
    return (f"The data-quality checks found {len(findings)} finding(s) ({', '.join(parts)}) for "
            f"{sellers} seller(s). Errors mean a reading is wrong (fix or drop it); warnings are worth a "
            "look before acting on a seller's numbers. `ssi-kit check` lists them all.")


def quality_table(findings: pd.DataFrame, limit: int = 20) -> pd.DataFrame:
    """The first ``limit`` findings (errors first) with readable labels and dates as text."""
    order = {"error": 0, "warning": 1, "info": 2}
    shown = findings.sort_values("severity", key=lambda s: s.map(order), kind="stable").head(limit).copy()
    for col in ("first_date", "last_date"):
        shown[col] = pd.to_datetime(shown[col]).dt.strftime("%Y-%m-%d")
    shown["check"] = shown["check"].str.replace("_", " ").str.capitalize()
    return shown.rename(columns=_LABELS)
