"""Argument types and the parser class of the ``ssi-kit`` command line: usage errors exit 2, before any work."""
from __future__ import annotations

import argparse
import re

from ..exceptions import UsageError

__all__ = ["Parser", "positive_int", "whole", "iso_date", "positive_number", "with_quiet"]

_WHOLE = re.compile(r"[+-]?[0-9]{1,30}")  # digits 0-9 only: int() would also read other scripts' digits


class Parser(argparse.ArgumentParser):
    """ArgumentParser whose usage errors become :class:`UsageError` (exit 2, one paragraph)."""

    def error(self, message):
        raise UsageError(f"{self.prog}: {message}. See '{self.prog} --help'.")


def positive_int(text: str) -> int:
    if not _WHOLE.fullmatch(text.strip()):
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text[:40]!r}")
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {value}")
    return value


def whole(low: int, high: int):
    """An argparse type: a whole number from ``low`` to ``high`` (digits 0-9), checked before any work."""
    def parse(text: str) -> int:
        value = int(text) if _WHOLE.fullmatch(text.strip()) else None
        if value is None or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected a whole number from {low} to {high}, "
                                             f"got {text.strip()[:40]!r}")
        return value
    return parse


def iso_date(text: str) -> str:
    import datetime as dt

    try:
        return dt.date.fromisoformat(text).isoformat() if len(text) == 10 else _bad_date(text)
    except ValueError:
        return _bad_date(text)


def _bad_date(text: str):
    raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD that exists, got {text!r}")


def positive_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number above 0, got {text!r}")
    return value


def with_quiet(add_parser):
    def add(*args, **kwargs):
        p = add_parser(*args, **kwargs)
        p.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                       help="no progress output")
        return p
    return add
