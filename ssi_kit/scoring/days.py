"""Which days to score: the defaults, the span allowed and the memory check, before any work."""
from __future__ import annotations

import os

import numpy as np
import pandas as pd

from ..exceptions import MissingTableError, UsageError
from ..io.dataset import Dataset
from .results import SCORE_COLUMNS
from .spec import ScoringSpec, load_spec

__all__ = ["score_days", "choose_days", "check_score_size", "CELL_BYTES"]

#: Bytes of memory one seller-day takes per score table column (a float64), the
#: estimate :func:`check_score_size` holds against the memory available.
CELL_BYTES = 8


def choose_days(dataset: Dataset, spec: ScoringSpec, *, start=None, end=None, every: int = 1,
                warmup: bool = False) -> np.ndarray:
    """:func:`score_days` with the warm-up as a switch: the days every scoring job scores.

    ``warmup=True`` skips the spec's first trailing window (``spec.window_days``)
    when the first day is chosen by default, where scores are still building up.
    The defaults (every day, no warm-up) are those of ``ssi-kit score``; the
    report's notebooks pass ``every=7, warmup=True``.
    """
    return score_days(dataset, start=start, end=end, every=every,
                      warmup_days=spec.window_days if warmup else 0, spec=spec)


def score_days(dataset: Dataset, *, start=None, end=None, every: int = 1, warmup_days: int = 0,
               spec: ScoringSpec | None = None) -> np.ndarray:
    """The days to score: ``start`` to ``end`` every ``every`` days, as datetime64[D].

    Defaults span the dates seen in ``activity`` and ``profiles``.  ``warmup_days``
    moves the default start that many days past the first date, where trailing
    windows are still incomplete (never past ``end``).  An ``every`` longer than
    the span gives the one day ``end``.

    Days must lie within the data's span widened by the spec's ``window_days`` on
    each side (earlier, every window is empty; later, every window has emptied),
    and the score table (sellers x days) must fit in the memory available: both
    are checked before any work (see :func:`check_score_size`).

    Raises
    ------
    UsageError
        When ``start`` is after ``end``, a day lies outside the span allowed or
        the table would not fit in memory.
    MissingTableError
        Without ``activity`` or ``profiles`` when ``start`` or ``end`` is not given.
    """
    spec = spec or load_spec()
    spans = [_date_span(dataset, t) for t in ("activity", "profiles") if t in dataset]
    if (start is None or end is None) and not spans:
        raise MissingTableError("activity", "Scoring (to choose the days to score; or give start and end)")
    if spans:
        span = (_day(min(f for f, _ in spans)), _day(max(last for _, last in spans)))
    hi = _day(end) if end is not None else span[1]
    lo = _day(start) if start is not None else min(span[0] + warmup_days, hi)
    if every < 1 or hi < lo:
        raise UsageError(f"No days to score: start {_iso(lo)}, end {_iso(hi)}, every {every}"
                         f"{' (start is after end)' if hi < lo else ''}.")
    if spans:
        _check_within(lo, hi, span, spec.window_days)
    every = min(int(every), hi - lo + 1)  # longer than the span: the one day `end`
    n_days = (hi - lo) // every + 1
    check_score_size(len(dataset.require("members", "Scoring")), n_days, spec, every=every)
    days = np.arange(hi, hi - n_days * every, -every, dtype=np.int64)[::-1]  # counted back from the end
    return days.astype("datetime64[D]")


def _day(value) -> int:
    """Whole days since 1970-01-01 of a date (text, date or timestamp)."""
    return int(np.datetime64(pd.Timestamp(value), "D").astype(np.int64))


def _iso(day: int) -> str:
    return str(np.datetime64(int(day), "D"))


def _check_within(lo: int, hi: int, span: tuple, window: int) -> None:
    """Refuse days to score more than the scoring window outside the data's span."""
    first, last = span[0] - window, span[1] + window
    if lo < first or hi > last:
        which = [f"start {_iso(lo)}"] * (lo < first) + [f"end {_iso(hi)}"] * (hi > last)
        raise UsageError(f"Days to score: {' and '.join(which)} outside the data's dates ({_iso(span[0])} to "
                         f"{_iso(span[1])}) by more than the scoring window of {window} days; "
                         f"days to score must lie from {_iso(first)} to {_iso(last)}.")


def check_score_size(n_sellers: int, n_days: int, spec: ScoringSpec, *, every: int = 1) -> None:
    """Refuse a score table (sellers x days) larger than the memory available.

    The table holds :data:`~ssi_kit.scoring.results.SCORE_COLUMNS` and one column
    per spec input, about :data:`CELL_BYTES` bytes each per seller-day.

    Raises
    ------
    UsageError
        Naming the sellers, days and memory, and suggesting a larger ``every``
        or a shorter span.
    """
    need = n_sellers * n_days * (len(SCORE_COLUMNS) + len(spec.inputs)) * CELL_BYTES
    have = _available_memory()
    if need > have:
        fits = max(1, have // max(1, n_sellers * (len(SCORE_COLUMNS) + len(spec.inputs)) * CELL_BYTES))
        raise UsageError(f"Too many days to score: {n_sellers} sellers x {n_days} days (every {every}) "
                         f"need about {need / 2**30:.1f} GiB of memory, {have / 2**30:.1f} GiB are available; "
                         f"score at most {fits} days: a larger every or a shorter span from start to end.")


def _available_memory() -> int:
    """Bytes of memory available to this process now (physical memory when unknown)."""
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except (ImportError, OSError):
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def _date_span(dataset: Dataset, table: str) -> tuple:
    """First and last date of a table (from the load's stats for a lazy table)."""
    stats = dataset.stats.get(table, {})
    if stats.get("first") is not None:
        return pd.Timestamp(stats["first"]), pd.Timestamp(stats["last"])
    dates = dataset[table]["date"]
    first, last = dates.min(), dates.max()
    if hasattr(first, "compute"):  # a Dask table loaded some other way
        first, last = first.compute(), last.compute()
    return first, last
