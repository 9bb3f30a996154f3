"""Progress for long work: live bars on a terminal, plain log lines otherwise.

A job reports through one callable, ``progress(phase)`` for a step without a
count and ``progress(phase, done, total)`` for countable work (blocks of
sellers, report runs).  :class:`Progress` draws that with rich on a terminal;
when stderr is not a terminal (cron, Airflow, CI) it logs one line per phase and,
for counted work, a line every tenth of the way and at the end, so scheduled
runs leave a readable trail without carriage-return noise.
"""
from __future__ import annotations

import logging
import sys
import time

__all__ = ["Progress"]

log = logging.getLogger("ssi_kit")

#: Counted work logs a line each time it passes another tenth of the total.
_LOG_STEPS = 10


class Progress:
    """Report the phases of a long job.

    Use as a context manager and call the instance with each phase's name, and
    with ``done`` and ``total`` for countable work.

    Parameters
    ----------
    title : str
        What the job is, e.g. ``"scoring"``.
    enabled : bool, optional
        Force on/off; default on.
    live : bool, optional
        Draw live bars; default: when stderr is a terminal.
    """

    def __init__(self, title: str, enabled: bool = True, live: bool | None = None):
        self.title = title
        self.enabled = enabled
        self.live = live
        self._bars = None
        self._tasks: dict = {}
        self._logged: dict = {}
        self._start = 0.0

    def __enter__(self) -> "Progress":
        self._start = time.perf_counter()
        live = sys.stderr.isatty() if self.live is None else self.live
        if self.enabled and live:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bars
            from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

            self._bars = Bars(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                              MofNCompleteColumn(), TimeElapsedColumn(),
                              console=Console(stderr=True), transient=False)
            self._bars.__enter__()
        return self

    def __call__(self, phase: str, done: int | None = None, total: int | None = None) -> None:
        if not self.enabled:
            return
        if self._bars is not None:
            self._draw(phase, done, total)
        elif total is None:
            log.info("%s: %s (%.1f s since the start)", self.title, phase, self._elapsed())
        else:
            self._log_count(phase, done or 0, total)

    def _draw(self, phase: str, done, total) -> None:
        task = self._tasks.get(phase)
        if task is None:
            task = self._tasks[phase] = self._bars.add_task(f"{self.title}: {phase}", total=total)
        self._bars.update(task, completed=done if done is not None else 0, total=total)

    def _log_count(self, phase: str, done: int, total: int) -> None:
        tenth = _LOG_STEPS * done // max(total, 1)
        if done != total and tenth <= self._logged.get(phase, -1):
            return
        self._logged[phase] = tenth
        pct = 100.0 * done / total if total else 100.0
        log.info("%s: %s %d/%d (%.0f%%, %.1f s)", self.title, phase, done, total, pct, self._elapsed())

    def _elapsed(self) -> float:
        return time.perf_counter() - self._start

    def __exit__(self, *exc) -> None:
        if self._bars is not None:
            self._bars.__exit__(*exc)
            self._bars = None
