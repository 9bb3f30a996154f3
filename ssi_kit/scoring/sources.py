"""The registry of scoring input sources: what each ``source`` of a spec input reads.

Every spec input names a ``source``; the record here says which dataset table it
reads, which columns an input may name, whether it reads every count of its
table instead, how a row becomes a number, and which function of
:mod:`ssi_kit.scoring.features` computes it.  Everything else is derived from
these records: the sources a spec may name and their columns
(:mod:`ssi_kit.scoring.spec`), the tables and columns a spec loads
(:meth:`~ssi_kit.scoring.spec.ScoringSpec.tables_used`,
:meth:`~ssi_kit.scoring.spec.ScoringSpec.columns_used`), the reader each input is
computed by (:func:`ssi_kit.scoring.features.compute_inputs`) and the columns the
benchmarks read (:mod:`ssi_kit.bench`).

Adding a source is one record in :data:`SOURCES` plus, when no existing reader
fits, its reader function in :mod:`ssi_kit.scoring.features` (same signature as
the others: ``(frame, ids, grid, inputs, context)``); describe it for users in
``docs/scoring.md``.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..io.schemas import ACTIVITY_COUNTS, PROFILE_FIELDS, columns_of

__all__ = ["Source", "SOURCES", "PER_ROW", "columns_read", "windowed_sources", "counts_days"]

#: How a source turns rows into a number (see :attr:`Source.per_row`): ``sum`` and
#: ``any`` over a trailing window of rows, ``latest`` row, distinct ``ties``.
PER_ROW = ("sum", "any", "latest", "ties")


@dataclass(frozen=True)
class Source:
    """One input source of the scoring spec.

    Attributes
    ----------
    name : str
        The ``source`` a spec input names.
    table : str
        The dataset table it reads (a key of :data:`ssi_kit.io.schemas.MODELS`).
    columns_allowed : tuple of str
        Columns of ``table`` an input may name in ``columns``; empty: it takes none.
    reads_all_counts : bool
        Whether it reads every count column of ``table`` (whatever ``columns`` says).
    per_row : str
        One of :data:`PER_ROW`: ``sum`` (columns summed over a trailing window of
        days), ``any`` (days with any count above 0 in the window), ``latest``
        (columns summed on the latest row on or before the day) or ``ties`` (the
        seller's distinct ties).
    reader : str
        Name of the function of :mod:`ssi_kit.scoring.features` that computes it.
    description : str
        What it reads, in words (for docs and messages).
    """

    name: str
    table: str
    columns_allowed: tuple[str, ...]
    reads_all_counts: bool
    per_row: str
    reader: str
    description: str

    @property
    def windowed(self) -> bool:
        """Whether inputs of this source sum rows over a trailing window of days."""
        return self.per_row in ("sum", "any")


SOURCES: dict[str, Source] = {s.name: s for s in (
    Source("activity", "activity", ACTIVITY_COUNTS, False, "sum", "_activity_inputs",
           "the sum of the named activity counts over the input's trailing window"),
    Source("active_days", "activity", (), True, "any", "_activity_inputs",
           "days with any activity count above 0 in the input's trailing window"),
    Source("profile", "profiles", PROFILE_FIELDS, False, "latest", "_profile_inputs",
           "the sum of the named profile fields on the latest profile on or before the day"),
    Source("peers", "connections", (), False, "ties", "_peer_inputs",
           "the seller's distinct ties in the connections table"),
)}


def columns_read(item) -> tuple[str, ...]:
    """The columns of its table an input reads (besides the table's key).

    Parameters
    ----------
    item : ssi_kit.scoring.spec.InputSpec
        A spec input (anything with ``source`` and ``columns``).

    Returns
    -------
    tuple of str
        Every count column of the table when its source reads all counts
        (``active_days``: :data:`~ssi_kit.io.schemas.ACTIVITY_COUNTS`), else
        the input's own ``columns``.
    """
    source = SOURCES[item.source]
    if source.reads_all_counts:
        return columns_of(source.table, "count")
    return tuple(item.columns)


def windowed_sources() -> tuple[str, ...]:
    """Names of the sources summed over a trailing window of activity rows, in registry order."""
    return tuple(name for name, source in SOURCES.items() if source.windowed)


def counts_days(item) -> bool:
    """Whether an input counts days with any count above 0 (rather than summing counts)."""
    return SOURCES[item.source].per_row == "any"
