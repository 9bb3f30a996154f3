"""Progress for long work: a live bar on a terminal, plain log lines otherwise."""
from __future__ import annotations

import logging
import sys
import time

__all__ = ["Progress"]

log = logging.getLogger("ssi_kit")


class Progress:
    """Report the phases of a long job.

    Use as a context manager and call the instance with each phase's name.  On a
    terminal (stderr is a TTY) it shows a rich status line; otherwise it logs one
    line per phase with the elapsed time, which suits scheduled runs.

    Parameters
    ----------
    title : str
        What the job is, e.g. ``"scoring"``.
    enabled : bool, optional
        Force on/off; default on.
    """

    def __init__(self, title: str, enabled: bool = True):
        self.title = title
        self.enabled = enabled
        self._status = None
        self._start = 0.0

    def __enter__(self) -> "Progress":
        self._start = time.perf_counter()
        if self.enabled and sys.stderr.isatty():
            from rich.console import Console

            self._status = Console(stderr=True).status(f"{self.title}...")
            self._status.__enter__()
        return self

    def __call__(self, phase: str) -> None:
        if not self.enabled:
            return
        if self._status is not None:
            self._status.update(f"{self.title}: {phase}...")
        else:
            log.info("%s: %s (%.1f s)", self.title, phase, time.perf_counter() - self._start)

    def __exit__(self, *exc) -> None:
        if self._status is not None:
            self._status.__exit__(*exc)
            self._status = None
