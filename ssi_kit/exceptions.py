"""The one exception root of ssi-kit and its structured children.

Every error the kit raises on purpose derives from :class:`SsiKitError`.  Errors
caused by what the user gave (a dataset, a spec, a command line) derive from
:class:`InputError`; the command line prints them as one paragraph and exits 2.
"""
from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "SsiKitError",
    "InputError",
    "UsageError",
    "Problem",
    "DatasetError",
    "MissingTableError",
    "SpecError",
    "ImportFormatError",
    "describe_os_error",
]

#: How many example rows a problem quotes before it only counts.
MAX_EXAMPLES = 5


class SsiKitError(Exception):
    """Root of every error ssi-kit raises on purpose."""

    exit_code = 1


class InputError(SsiKitError):
    """The user's input (data, spec, command line) is not what the kit expects."""

    exit_code = 2


class UsageError(InputError):
    """A command was called with arguments that do not fit together."""


@dataclass(frozen=True)
class Problem:
    """One failed expectation about one column of one table.

    Attributes
    ----------
    table : str
        Table name (``members``, ``activity``, ...).
    column : str or None
        Column name, or None for a problem with the whole table or file.
    expected : str
        What was expected, in words.
    rows : tuple of int
        Up to :data:`MAX_EXAMPLES` row locations (file line numbers for CSV,
        1-based row numbers for Parquet).
    count : int
        How many rows fail in all.
    examples : tuple of str
        The offending values of the quoted rows.
    file : str or None
        The file the table was read from.
    row_unit : str
        ``"line"`` (CSV) or ``"row"`` (Parquet).
    """

    table: str
    column: str | None
    expected: str
    rows: tuple[int, ...] = ()
    count: int = 0
    examples: tuple[str, ...] = ()
    file: str | None = None
    row_unit: str = "line"

    def describe(self) -> str:
        """Return the problem as one sentence."""
        where = self.file or self.table
        head = f"{where}" + (f", column '{self.column}'" if self.column else "")
        if not self.count:
            return f"{head}: {self.expected}."
        unit = self.row_unit + ("s" if len(self.rows) > 1 else "")
        shown = ", ".join(
            f"{r} ({e!r})" if e != "" else str(r) for r, e in zip(self.rows, self.examples)
        )
        more = f" and {self.count - len(self.rows)} more" if self.count > len(self.rows) else ""
        noun = "row fails" if self.count == 1 else "rows fail"
        return f"{head}: {self.count} {noun}, {unit} {shown}{more}; expected {self.expected}."


class DatasetError(InputError):
    """A dataset breaks the input contract; carries every problem found.

    Parameters
    ----------
    problems : sequence of Problem
        All problems found in one validation pass.
    """

    def __init__(self, problems):
        self.problems = tuple(problems)
        tables = sorted({p.table for p in self.problems})
        lines = " ".join(p.describe() for p in self.problems)
        n = len(self.problems)
        super().__init__(
            f"Invalid dataset ({n} problem{'s' if n != 1 else ''} in {', '.join(tables)}): {lines}"
        )


@dataclass
class _Missing:
    table: str
    needed_by: str
    columns: tuple[str, ...] = field(default_factory=tuple)


class MissingTableError(InputError):
    """A computation needs a table (or columns) the dataset does not have.

    Parameters
    ----------
    table : str
        The missing table.
    needed_by : str
        The computation that needs it.
    columns : tuple of str, optional
        Missing columns, when the table exists but lacks them.
    """

    def __init__(self, table: str, needed_by: str, columns: tuple[str, ...] = ()):
        self.table = table
        self.needed_by = needed_by
        self.columns = tuple(columns)
        what = (
            f"columns {', '.join(self.columns)} of table '{table}'"
            if self.columns
            else f"table '{table}' ({table}.csv or {table}.parquet)"
        )
        super().__init__(f"{needed_by} needs {what}, which the dataset does not have.")


class SpecError(InputError):
    """A scoring spec is malformed; carries every problem found.

    Parameters
    ----------
    source : str
        Where the spec came from (a path or ``"default spec"``).
    problems : sequence of str
        One sentence per problem, each naming its place in the spec.
    """

    def __init__(self, source: str, problems):
        self.source = source
        self.problems = tuple(problems)
        super().__init__(f"Invalid scoring spec {source}: " + " ".join(self.problems))


class ImportFormatError(InputError):
    """A file given to an importer is not in the expected format.

    Parameters
    ----------
    file : str
        The file (or the member of a ZIP) at fault.
    problem : str
        What is wrong, naming the field, column or row.
    expected : str
        What was expected.
    """

    def __init__(self, file: str, problem: str, expected: str):
        self.file, self.problem, self.expected = str(file), problem, expected
        super().__init__(f"{self.file}: {problem}; expected {expected}.")


def describe_os_error(err: OSError) -> str:
    """One sentence for an operating-system error: what failed, on which file, and why.

    Parameters
    ----------
    err : OSError
        E.g. ``ENOSPC`` (disk full), ``EACCES`` (permission denied), ``EROFS``.

    Returns
    -------
    str
    """
    import errno

    reason = err.strerror or str(err) or type(err).__name__
    where = " and ".join(str(f) for f in (err.filename, err.filename2) if f)
    hint = {errno.ENOSPC: " Free some space and run the command again; earlier outputs are untouched.",
            errno.EDQUOT: " Free some space and run the command again; earlier outputs are untouched.",
            errno.EACCES: " Check the permissions of the folder, or choose another --out.",
            errno.EROFS: " The file system is read-only; choose another --out."}.get(err.errno, "")
    return f"{reason}{': ' + where if where else ''}.{hint}"
