"""The results of the data-quality checks: findings table, counts, summary and display."""
from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from .findings import CHECKS, FINDING_COLUMNS, SEVERITIES, day

__all__ = ["QualityResult", "sort_findings"]

#: Findings shown on screen before the rest is only counted.
_SHOWN = 50


def sort_findings(rows: list[dict]) -> pd.DataFrame:
    """The findings table: registry order of checks, then seller, dates and detail."""
    frame = pd.DataFrame(rows, columns=list(FINDING_COLUMNS))
    frame["first_date"] = pd.to_datetime(frame["first_date"])
    frame["last_date"] = pd.to_datetime(frame["last_date"])
    frame["count"] = frame["count"].astype("int64")
    order = {c.name: k for k, c in enumerate(CHECKS)}
    frame["_order"] = frame["check"].map(order)
    frame = frame.sort_values(["_order", "member_id", "first_date", "last_date", "detail"],
                              kind="stable")
    return frame.drop(columns="_order").reset_index(drop=True)


@dataclass(frozen=True)
class QualityResult:
    """Data-quality findings on one dataset.

    Attributes
    ----------
    findings : pandas.DataFrame
        One row per finding: ``check, severity, member_id, first_date, last_date,
        count, detail`` (see docs/quality.md), sorted by check, seller and date.
    parameters : mapping
        The thresholds used.
    skipped : mapping of str to str
        Checks that could not run, with the reason (e.g. no ``ssi`` table).
    """

    findings: pd.DataFrame
    parameters: Mapping = field(default_factory=dict)
    skipped: Mapping[str, str] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """A copy of :attr:`findings`."""
        return self.findings.copy()

    def counts(self) -> pd.DataFrame:
        """Per check: severity, findings, sellers, rows (the sum of ``count``), why not run, what it flags."""
        f = self.findings
        rows = []
        for check in CHECKS:
            mine = f[f["check"] == check.name]
            rows.append({"check": check.name, "severity": check.severity, "findings": len(mine),
                         "sellers": mine["member_id"].nunique(), "rows": int(mine["count"].sum()),
                         "skipped": self.skipped.get(check.name, ""), "table": check.table,
                         "flags": check.flags})
        return pd.DataFrame(rows)

    def to_dict(self) -> dict:
        """JSON-ready summary: totals, per-severity and per-check counts, thresholds."""
        counts = self.counts()
        by_severity = {s: int((self.findings["severity"] == s).sum()) for s in SEVERITIES}
        return {"findings": len(self.findings), "by_severity": by_severity,
                "checks": {r.pop("check"): r for r in counts.to_dict("records")},
                "parameters": dict(self.parameters)}

    def summary(self) -> str:
        """A few lines of text: the totals, then each check with findings or skipped."""
        n = len(self.findings)
        sev = self.to_dict()["by_severity"]
        lines = [f"{n} data-quality finding(s): " + ", ".join(f"{v} {k}" for k, v in sev.items()) + "."]
        for r in self.counts().itertuples(index=False):
            if r.findings:
                lines.append(f"  {r.check} ({r.severity}): {r.findings} finding(s), "
                             f"{r.sellers} seller(s), {r.rows} row(s)")
            elif r.skipped:
                lines.append(f"  {r.check}: not run ({r.skipped})")
        return "\n".join(lines)

    def to_text(self, limit: int = _SHOWN) -> str:
        """The summary and the first ``limit`` findings as a plain-text table."""
        shown = _for_display(self.findings.head(limit))
        text = self.summary()
        if len(shown):
            text += "\n\n" + _plain_table(shown)
        if len(self.findings) > limit:
            text += f"\n... and {len(self.findings) - limit} more (write them all with --out)."
        return text

    def show(self, file=None, limit: int = _SHOWN) -> None:
        """Print the findings: a rich table on a terminal, plain text otherwise."""
        import sys

        file = file or sys.stdout
        if not (hasattr(file, "isatty") and file.isatty()) or self.findings.empty:
            print(self.to_text(limit), file=file)
            return
        from rich.console import Console
        from rich.table import Table

        table = Table(box=None, header_style="bold", pad_edge=False)
        for column in FINDING_COLUMNS:
            table.add_column(column, overflow="fold", no_wrap=column != "detail",
                             justify="right" if column == "count" else "left")
        for row in _for_display(self.findings.head(limit)).itertuples(index=False):
            table.add_row(*(str(v) for v in row))
        console = Console(file=file)
        console.print(self.summary(), highlight=False)
        console.print(table)
        if len(self.findings) > limit:
            console.print(f"... and {len(self.findings) - limit} more (write them all with --out).",
                          highlight=False)

    def _repr_html_(self) -> str:
        return ("<pre>" + html.escape(self.summary()) + "</pre>"
                + _for_display(self.findings).to_html(index=False))


def _for_display(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in ("first_date", "last_date"):
        out[column] = out[column].map(day)
    return out


def _plain_table(frame: pd.DataFrame) -> str:
    """Left-aligned columns (count right-aligned), two spaces apart, no index."""
    cells = {c: [c] + [str(v) for v in frame[c]] for c in frame.columns}
    widths = {c: max(len(v) for v in values) for c, values in cells.items()}
    lines = []
    for k in range(len(frame) + 1):
        parts = [cells[c][k].rjust(widths[c]) if c == "count" else cells[c][k].ljust(widths[c])
                 for c in frame.columns]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)
