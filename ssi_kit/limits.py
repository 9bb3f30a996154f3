"""Bounds of the numeric options, shared by the command line, the library and the report.

Each limit lives here once: the ``ssi-kit`` options (:mod:`ssi_kit.cli`), the
library entry points (:mod:`ssi_kit.jobs`, :class:`ssi_kit.simulate.SimulationConfig`)
and the report parameters (:data:`ssi_kit.report.parameters.DOMAINS`) all read
them, so an option and the matching report parameter always accept the same
values.  The dates a dataset can hold are :data:`ssi_kit.io.parse.MIN_DATE` and
:data:`ssi_kit.io.parse.MAX_DATE`.
"""
from __future__ import annotations

from numbers import Integral

from .exceptions import UsageError

__all__ = ["MAX_SEED", "MAX_RESAMPLES", "MAX_EVERY", "MIN_MEMBERS", "MAX_MEMBERS", "MIN_MONTHS",
           "MAX_MONTHS", "MAX_WORKERS", "check_whole"]

#: Largest random seed (seeds are unsigned 32-bit numbers).
MAX_SEED = 2**32 - 1
#: Most bootstrap resamples of the claims battery.
MAX_RESAMPLES = 100_000
#: Longest step in days between scored days (ten years).
MAX_EVERY = 3660
#: Fewest and most sellers the simulator makes.
MIN_MEMBERS, MAX_MEMBERS = 10, 1_000_000
#: Fewest and most months the simulator makes (five quarters; a century).
MIN_MONTHS, MAX_MONTHS = 15, 1200
#: Most workers of a local Dask cluster.
MAX_WORKERS = 64


def check_whole(value, low: int, high: int, name: str) -> int:
    """Return ``value`` when it is a whole number from ``low`` to ``high``.

    Parameters
    ----------
    value : object
        The value to check (``bool`` is not a whole number).
    low, high : int
        Smallest and largest values allowed.
    name : str
        The option or parameter, as the message names it (``--seed``, ``seed``).

    Returns
    -------
    int

    Raises
    ------
    UsageError
        When ``value`` is not a whole number in ``[low, high]`` (exit 2).
    """
    if isinstance(value, bool) or not isinstance(value, Integral) or not low <= value <= high:
        raise UsageError(f"{name} must be a whole number from {low} to {high} (got {str(value)[:40]}).")
    return int(value)
