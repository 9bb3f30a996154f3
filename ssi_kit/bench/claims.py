"""The claims battery at scale: seconds and peak memory of :func:`ssi_kit.claims.evaluate_claims`.

The dataset is simulated (in pieces for large sizes, see :mod:`ssi_kit.bench.data`),
loaded and validated before the clock starts; the clock covers
``evaluate_claims(dataset)`` with its defaults (2,000 bootstrap resamples, the
specification curve, which also scores every seller-day with the kit's engine to
compare observed with computed SSI).  A second, diagnostic series times the same
call with ``specifications=False``: observed SSI only, no scoring.

The share bootstrap (:func:`ssi_kit.claims.estimators.estimate_share_exceeding`)
is vectorised: ``scipy.stats.bootstrap(..., vectorized=True)`` draws every resample
at once and ``_share_stat`` takes medians along the last axis, so no Python loop
runs per resample.  With scipy's default ``batch=None`` all resamples are one
batch: ``n_resamples x sellers`` floats (and as many int64 indices) per group.
"""
from __future__ import annotations

from pathlib import Path

from ..claims import evaluate_claims  # imported with this module: children load it off the clock
from ..io import load_dataset
from .table import Row

__all__ = ["load_claims_dataset", "run_claims", "run_claims_observed", "claims_summary", "claims_rows",
           "SERIES"]


def load_claims_dataset(data_dir):
    """The validated dataset of ``data_dir`` (the untimed set-up of the claims steps)."""
    return load_dataset(Path(data_dir))


def run_claims(dataset):
    """``evaluate_claims(dataset)`` with its defaults (the timed step)."""
    return evaluate_claims(dataset)


def run_claims_observed(dataset):
    """``evaluate_claims(dataset, specifications=False)``: observed SSI only, nothing scored (the timed step)."""
    return evaluate_claims(dataset, specifications=False)


def claims_summary(report) -> dict:
    """Claims tested, how many were testable, and the specification rows (sent back from the child)."""
    verdicts = [r.verdict for r in report.results]
    return {"claims": len(verdicts), "testable": sum(v != "untestable" for v in verdicts),
            "specification_rows": len(report.specifications), "source": report.ssi_source}


#: The two claims series: (label, timed function).
SERIES = (
    ("claims battery: evaluate_claims() defaults (incl. specification curve, computed SSI)", run_claims),
    ("claims battery: evaluate_claims(specifications=False) (observed SSI, nothing scored)", run_claims_observed),
)


def claims_rows(cache, sellers, *, months: int = 15, cap_bytes=None, log=print) -> list:
    """Measure both claims series at each number of sellers and return the table rows.

    A size is not run when the sizes measured before predict a peak memory above
    1.25 x the cap; a run that passes the cap is stopped and reported as failed.

    Parameters
    ----------
    cache : path-like
        Folder of the cached simulated datasets.
    sellers : sequence of float
    months : int
    cap_bytes : int, optional
        Memory cap (default :func:`ssi_kit.bench.measure.memory_cap`).
    log : callable

    Returns
    -------
    list of Row
    """
    from .data import claims_dataset
    from .measure import attempt, extrapolate, memory_cap

    cap = memory_cap() if cap_bytes is None else int(cap_bytes)
    points: dict = {label: [] for label, _ in SERIES}
    rows = []
    for n in sorted(int(s) for s in sellers):
        path = claims_dataset(cache, n, months)
        for label, fn in SERIES:
            row = Row(what=label, size=n, unit="sellers", target="none set")
            predicted = extrapolate(points[label], n)
            if predicted > 1.25 * cap:
                row.status = "not run"
                row.note = (f"not run: the sizes measured predict a peak of {predicted / 1e9:.0f} GB, "
                            f"over the {cap / 1e9:.1f} GB memory cap")
                rows.append(row)
                continue
            log(f"{label.split(':')[0]}, {n:,} sellers: {fn.__name__}")
            m, why = attempt(fn, path, setup=load_claims_dataset, reduce=claims_summary, cap_bytes=cap)
            if m is None:
                row.status, row.note = "failed", why
            else:
                points[label].append((n, m.peak_bytes))
                row.seconds, row.peak_gb = m.seconds, m.peak_bytes / 1e9
                row.check = (f"{m.value['testable']} of {m.value['claims']} claims testable, "
                             f"{m.value['specification_rows']} specification rows, {m.value['source']} SSI")
            rows.append(row)
    return rows
