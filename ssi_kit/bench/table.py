"""Rows of the scale benchmark, their growth exponents, the printed table and ``scale.csv``."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .measure import growth_exponent

__all__ = ["Row", "BenchMismatch", "check_identical", "scale_table", "print_table", "write_table",
           "COLUMNS"]


class BenchMismatch(AssertionError):
    """A peer computed different values from ours: the comparison is void."""


@dataclass
class Row:
    """One measurement of the scale benchmark.

    Attributes
    ----------
    what : str
        The series (the same text at every size, so exponents are fitted per series).
    size : float
        Size of the data (see ``unit``).
    unit : str
        What ``size`` counts: seller-days, directed edges, sellers.
    seconds : float
        Our time (NaN when not measured).
    peer : str
        What we are compared with ("" when nothing).
    peer_seconds : float
        The peer's time on the same data in the same run (NaN when not run).
    limit : float
        Target on ``ratio = seconds / peer_seconds`` (on peak GB when
        ``target_on`` is "peak", on our seconds when it is "seconds"); NaN when
        the row has no target.
    target : str
        The target in words.
    target_on : {"ratio", "peak", "seconds"}
    peak_gb, peer_peak_gb : float
        Peak resident memory of the step's child process (NaN when not measured).
    check : str
        What equality check ran and its outcome.
    note : str
        Anything a reader should know (a peer not run, a failure).
    status : str
        Empty to derive met / MISSED / n/a; set for "not run", "failed" or "TODO".
    """

    what: str
    size: float
    unit: str
    seconds: float = math.nan
    peer: str = ""
    peer_seconds: float = math.nan
    limit: float = math.nan
    target: str = ""
    target_on: str = "ratio"
    peak_gb: float = math.nan
    peer_peak_gb: float = math.nan
    check: str = ""
    note: str = ""
    status: str = ""

    @property
    def ratio(self) -> float:
        """``seconds / peer_seconds`` (NaN when either is missing)."""
        if math.isfinite(self.seconds) and math.isfinite(self.peer_seconds) and self.peer_seconds > 0:
            return self.seconds / self.peer_seconds
        return math.nan

    def verdict(self) -> str:
        """``met``, ``MISSED``, ``n/a`` (no target or nothing to compare) or the preset status."""
        if self.status:
            return self.status
        value = {"peak": self.peak_gb, "seconds": self.seconds}.get(self.target_on, self.ratio)
        if not math.isfinite(self.limit) or not math.isfinite(value):
            return "n/a"
        return "met" if value <= self.limit else "MISSED"


COLUMNS = ("what", "size", "unit", "seconds", "peer", "peer_seconds", "ratio", "target", "status",
           "exponent", "peer_exponent", "peak_gb", "peer_peak_gb", "check", "note")


def check_identical(ours: np.ndarray, peer: np.ndarray, peer_name: str, names=None) -> None:
    """Raise :class:`BenchMismatch` unless ``ours`` and ``peer`` are equal element by element.

    Parameters
    ----------
    ours, peer : numpy.ndarray
        Same shape: (cells,) or (cells, inputs).
    peer_name : str
    names : sequence of str, optional
        Column names (inputs) for the message.
    """
    a, b = np.asarray(ours, dtype=float), np.asarray(peer, dtype=float)
    if a.shape != b.shape:
        raise BenchMismatch(f"{peer_name} returned shape {b.shape}, ours {a.shape}")
    bad = np.argwhere(a != b)
    if len(bad):
        where = tuple(bad[0])
        column = f" input {names[where[1]]}" if names is not None and len(where) > 1 else ""
        raise BenchMismatch(f"{peer_name} disagrees with ours on {len(bad):,} of {a.size:,} values; "
                            f"first at cell {where[0]}{column}: ours {a[where]}, {peer_name} {b[where]}")


def scale_table(rows) -> pd.DataFrame:
    """The rows as a table with ratios, verdicts and per-series growth exponents (slope of log time on log size)."""
    frame = pd.DataFrame([{**asdict(r), "ratio": r.ratio, "status": r.verdict()} for r in rows])
    if frame.empty:
        return pd.DataFrame(columns=list(COLUMNS))
    for col, src in (("exponent", "seconds"), ("peer_exponent", "peer_seconds")):
        slopes = {what: growth_exponent(g["size"], g[src]) for what, g in frame.groupby("what", sort=False)}
        frame[col] = frame["what"].map(slopes).astype(float)
    return frame[list(COLUMNS)]


def _fmt(value, spec: str) -> str:
    return "-" if isinstance(value, float) and not math.isfinite(value) else format(value, spec)


def print_table(table: pd.DataFrame) -> None:
    """Print the table (one line per row), then its checks and notes as numbered footnotes."""
    shown = pd.DataFrame({
        "what": table["what"], "size": [f"{s:,.0f} {u}" for s, u in zip(table["size"], table["unit"])],
        "seconds": [_fmt(v, ",.3f") for v in table["seconds"]],
        "peer seconds": [_fmt(v, ",.3f") for v in table["peer_seconds"]],
        "ratio": [_fmt(v, ".3f") for v in table["ratio"]], "target": table["target"],
        "status": table["status"], "exponent": [_fmt(v, ".2f") for v in table["exponent"]],
        "peer exp.": [_fmt(v, ".2f") for v in table["peer_exponent"]],
        "peak GB": [_fmt(v, ".2f") for v in table["peak_gb"]],
        "peer peak GB": [_fmt(v, ".2f") for v in table["peer_peak_gb"]],
        "#": [str(i + 1) for i in range(len(table))],
    })
    with pd.option_context("display.width", 250, "display.max_colwidth", 60):
        print(shown.to_string(index=False))
    print("\nratio = seconds / peer seconds; exponent = slope of log(seconds) on log(size) per series "
          "(1.0 = linear); peak GB = peak resident memory of the step's own process.")
    for i, row in table.iterrows():
        text = "; ".join(t for t in (f"peer: {row['peer']}" if row["peer"] else "", row["check"], row["note"]) if t)
        if text:
            print(f"  [{i + 1}] {text}")


def write_table(table: pd.DataFrame, out) -> Path:
    """Write ``scale.csv`` into ``out`` and return its path."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "scale.csv"
    table.to_csv(path, index=False)
    return path
