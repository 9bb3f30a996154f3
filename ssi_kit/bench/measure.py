"""Time a step and its peak memory in a fresh child process; fit growth exponents.

:func:`measure` runs ``fn(*args)`` in a child started with the ``spawn`` context, so
the peak resident set size the child reports from inside it (``VmHWM`` on Linux,
``resource.getrusage(RUSAGE_SELF).ru_maxrss`` elsewhere, see :func:`_peak_rss`)
belongs to that step alone plus the interpreter and its imports, never to what
the parent holds.  The parent watches the child's resident memory
and stops it when it passes a cap, so a step too big for the machine fails on its
own instead of waking the kernel's out-of-memory killer.
"""
from __future__ import annotations

import functools
import math
import multiprocessing
import os
import resource
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["Measurement", "StepFailed", "measure", "growth_exponent", "memory_cap", "available_bytes",
           "cpu_count", "attempt", "extrapolate", "REPEAT_BUDGET"]

_POLL = 0.2
#: Seconds of measured runs after which :func:`measure` stops repeating.
REPEAT_BUDGET = 30.0


@dataclass(frozen=True)
class Measurement:
    """What :func:`measure` saw.

    Attributes
    ----------
    seconds : float
        Best wall time of ``fn`` over the repeats (the child's start-up and
        imports excluded).
    peak_bytes : int
        Peak resident set size of the child process.
    value : object
        ``reduce(result)`` of the last repeat (``None`` without ``reduce``).
    """

    seconds: float
    peak_bytes: int
    value: object = None


class StepFailed(RuntimeError):
    """The measured step raised, crashed or passed the memory cap."""


def available_bytes() -> int:
    """Memory available to new processes now (``MemAvailable``), or 8 GiB where unknown."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 8 << 30


def memory_cap(share: float = 0.7, ceiling: float = 16e9) -> int:
    """A cap for one measured step: ``share`` of the available memory, at most ``ceiling`` bytes."""
    return int(min(share * available_bytes(), ceiling))


def _peak_rss() -> int:
    """Peak resident memory of this process since it started its program.

    ``getrusage(RUSAGE_SELF).ru_maxrss`` where it is the child's own; on Linux it is
    not: the kernel carries the parent's high-water mark over ``fork`` and ``exec``,
    so a child spawned by a parent that once held 2 GB reports at least 2 GB.  There
    ``VmHWM`` of ``/proc/self/status`` (the high-water mark of the process's own
    memory map, new at ``exec``) is reported instead.
    """
    hwm = _status_kb("self", "VmHWM:")
    if hwm:
        return hwm
    scale = 1 if sys.platform == "darwin" else 1024  # Linux reports kilobytes
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def _status_kb(pid, field: str) -> int:
    """A ``kB`` field of ``/proc/<pid>/status`` in bytes (0 where unavailable)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _child(conn, fn, args, setup, reduce, repeat) -> None:
    try:
        call = (lambda: fn(*args)) if setup is None else functools.partial(fn, setup(*args))
        best, result, spent = math.inf, None, 0.0
        for _ in range(repeat):
            result = None  # free the previous result before the next run
            t0 = time.perf_counter()
            result = call()
            best = min(best, time.perf_counter() - t0)
            spent += time.perf_counter() - t0
            if spent > REPEAT_BUDGET:
                break
        value = reduce(result) if reduce is not None else None
        conn.send(("ok", best, _peak_rss(), value))
    except BaseException as err:  # report any failure to the parent, then exit
        conn.send(("error", f"{type(err).__name__}: {err}", _peak_rss(), traceback.format_exc()))
    finally:
        conn.close()


def measure(fn, *args, setup=None, reduce=None, repeat: int = 1,
            cap_bytes: int | None = None) -> Measurement:
    """Run ``fn(*args)`` in a spawned child; return its time, its peak memory and ``reduce(result)``.

    Parameters
    ----------
    fn : callable
        A module-level function (it is pickled by reference into the child).
    *args
        Picklable arguments of ``fn`` (of ``setup`` when given).
    setup : callable, optional
        Module-level function run first, off the clock: the child then times
        ``fn(setup(*args))`` (loading data, creating tables).
    reduce : callable, optional
        Module-level function applied to the result in the child, after the clock
        stops; what it returns is sent back (keep it small: a sample, a checksum).
    repeat : int
        Runs of ``fn``; the best time is kept (the first run pays warm-up costs).
        Repeats stop once the runs took :data:`REPEAT_BUDGET` seconds in all.
    cap_bytes : int, optional
        Resident memory at which the child is stopped; default :func:`memory_cap`.

    Returns
    -------
    Measurement

    Raises
    ------
    StepFailed
        When ``fn`` raises, the child dies, or it passes ``cap_bytes``.
    """
    cap = memory_cap() if cap_bytes is None else int(cap_bytes)
    ctx = multiprocessing.get_context("spawn")
    recv, send = ctx.Pipe(duplex=False)
    # not a daemon: the step may start worker processes (the Dask engine); killed below if left
    proc = ctx.Process(target=_child, args=(send, fn, args, setup, reduce, max(1, int(repeat))), daemon=False)
    proc.start()
    send.close()
    try:
        message = _wait(proc, recv, cap)
    finally:
        recv.close()
        proc.join(timeout=30)
        if proc.is_alive():
            proc.kill()
            proc.join()
    if message[0] != "ok":
        raise StepFailed(f"{getattr(fn, '__name__', fn)}: {message[1]}")
    return Measurement(seconds=float(message[1]), peak_bytes=int(message[2]), value=message[3])


def _wait(proc, recv, cap: int):
    peak = 0
    while True:
        if recv.poll(_POLL):
            try:
                return recv.recv()
            except EOFError:
                proc.join(timeout=5)
                return ("error", f"the child process died (exit code {proc.exitcode})", peak, "")
        rss = _status_kb(proc.pid, "VmRSS:")
        peak = max(peak, rss)
        if rss > cap:
            proc.kill()
            return ("error", f"stopped at {rss / 1e9:.1f} GB resident, over the cap of {cap / 1e9:.1f} GB",
                    peak, "")
        if not proc.is_alive() and not recv.poll(0):
            proc.join(timeout=5)
            return ("error", f"the child process died (exit code {proc.exitcode})", peak, "")


def growth_exponent(sizes, seconds) -> float:
    """Slope of ``log(seconds)`` on ``log(size)`` (1.0 = linear); NaN with fewer than two sizes.

    Parameters
    ----------
    sizes, seconds : sequence of float
        Pairs with a missing (NaN) or non-positive time are left out.
    """
    x = np.asarray(sizes, dtype=float)
    y = np.asarray(seconds, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0)
    if len(np.unique(x[ok])) < 2:
        return math.nan
    return float(np.polyfit(np.log(x[ok]), np.log(y[ok]), 1)[0])


def cpu_count() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def attempt(fn, *args, **kwargs) -> tuple[Measurement | None, str]:
    """:func:`measure`, returning ``(None, reason)`` instead of raising :class:`StepFailed`."""
    try:
        return measure(fn, *args, **kwargs), ""
    except StepFailed as err:
        return None, str(err)


def extrapolate(points, size: float) -> float:
    """A measured quantity at ``size`` from ``(size, value)`` points, never growing slower than linearly.

    The value at the largest measured size is scaled by ``(size / that size) ** k``,
    ``k`` the slope of log value on log size over the points, at least 1 (with one
    point, or a flatter fit, linear: a fixed start-up cost must not make a step look
    cheaper than it will be).  With no points it is 0 (nothing known).
    """
    pts = sorted((float(x), float(y)) for x, y in points if x > 0 and y > 0)
    if not pts:
        return 0.0
    slope = growth_exponent(*zip(*pts)) if len(pts) > 1 else 1.0
    x_last, y_last = pts[-1]
    return float(y_last * (size / x_last) ** max(1.0, slope if math.isfinite(slope) else 1.0))
