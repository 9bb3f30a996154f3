"""Reading one file of LinkedIn's data export: decoding, mojibake, header search, streaming.

:func:`read_export_csv` decodes (byte-order marks, UTF-8 or Windows-1252), finds the
header row by its column names (Connections.csv has a preamble), drops trailing
empty columns and merges duplicate column names.  It streams the file: records are
parsed as the bytes arrive and only the columns asked for are kept, packed into
compact text arrays chunk by chunk, so memory follows the useful data, not the
file's size.  :func:`repair_mojibake` undoes UTF-8 text decoded as Latin-1 (``Ã©``).
Which files are read, and how safely, is :mod:`ssi_kit.imports.export_files`.
"""
from __future__ import annotations

import array
import csv
import io
import itertools
import re

import numpy as np
import pandas as pd

from ..exceptions import ImportFormatError
from ..io.raw import MAX_COLUMNS

__all__ = ["read_export_csv", "decode_text", "repair_mojibake"]

#: How many rows may precede the header row (Connections.csv has a short preamble).
_HEADER_SEARCH_ROWS = 50


# --------------------------------------------------------------------------- text

def _mojibake_pattern() -> re.Pattern:
    """A UTF-8 lead byte then its continuation bytes, each as Latin-1 or Windows-1252 shows it."""
    def chars(lo, hi):
        """A character class of the bytes ``lo``..``hi`` as either code page decodes them."""
        out = set()
        for b in range(lo, hi + 1):
            out.add(chr(b))  # as Latin-1 reads it
            try:
                out.add(bytes([b]).decode("cp1252"))  # as Windows-1252 reads it
            except UnicodeDecodeError:
                pass
        return "[" + "".join(re.escape(c) for c in sorted(out)) + "]"

    cont = chars(0x80, 0xBF)
    return re.compile(f"{chars(0xC2, 0xDF)}{cont}|{chars(0xE0, 0xEF)}{cont}{{2}}|{chars(0xF0, 0xF4)}{cont}{{3}}")


_MOJIBAKE = _mojibake_pattern()


def _unmangle(match: re.Match) -> str:
    """The UTF-8 character a mojibake sequence stands for (unchanged when it is none)."""
    text = match.group(0)
    for encoding in ("cp1252", "latin-1"):
        try:
            return text.encode(encoding).decode("utf-8")
        except UnicodeError:
            continue
    return text


def repair_mojibake(text):
    """Undo UTF-8 read as Latin-1/Windows-1252 (``JosÃ©`` -> ``José``); other text unchanged.

    Only byte sequences that form valid UTF-8 are repaired, so genuine accented
    text is left alone.  Non-strings are returned as they are.
    """
    if not isinstance(text, str) or text.isascii():
        return text
    for _ in range(2):  # text mangled twice is repaired twice
        fixed = _MOJIBAKE.sub(_unmangle, text)
        if fixed == text:
            break
        text = fixed
    return text.lstrip("\ufeff")


def decode_text(data: bytes) -> str:
    """Decode a file: byte-order marks honoured, UTF-8, else Windows-1252, else Latin-1 (never fails)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    data = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


# --------------------------------------------------------------------------- CSV

def _norm_column(name: str) -> str:
    """A header cell as compared: repaired, no BOM, case-folded, without spaces or underscores.

    ``Share Link`` (2018) and ``ShareLink`` (later vintages) compare equal.
    """
    return re.sub(r"[\s_]+", "", repair_mojibake(name).replace("\ufeff", "")).casefold()


#: How a record that continues the previous one's unquoted text starts: not with a date.
_DATE_START = re.compile(r"\s*(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}/\d{1,2}/\d{2,4}|\d{1,2}[ -][A-Za-z]{3}"
                         r"|(?:[A-Za-z]{3},? )?[A-Za-z]{3,9}\.? \d{1,4})", re.ASCII)


def _continues(cells: list[str], key: int, width: int) -> bool:
    """Whether a record is the unquoted continuation of the previous one's text.

    It is when its key cell does not begin like a date, unless it has the header's
    width and a link (a record whose date is unreadable: skipped and reported later).
    """
    if _DATE_START.match(cells[key] if key < len(cells) else ""):
        return False
    return not (len(cells) == width and any(c.strip().startswith("http") for c in cells))


def _delimiter(lines) -> tuple[str, list[str]]:
    """The delimiter (tab when the first non-blank line holds more tabs than commas) and the lines peeked."""
    peeked = []
    for line in lines:
        peeked.append(line)
        if line.strip() or len(peeked) > _HEADER_SEARCH_ROWS:
            break
    first = peeked[-1] if peeked else ""
    return ("\t" if first.count("\t") > first.count(",") else ","), peeked


def _rows(stream, file: str, *, escapes: bool = False):
    """Yield ``(first line number, cells)`` of each CSV record of a text stream (quoted newlines allowed).

    Comma- or tab-separated (UTF-16 files of 2018 exports); with ``escapes``, ``\\"``
    inside quoted text is a quote (Comments.csv).
    """
    lines = iter(stream)
    delimiter, peeked = _delimiter(lines)
    reader = csv.reader(itertools.chain(peeked, lines), delimiter=delimiter,
                        escapechar="\\" if escapes else None)
    start = 1
    try:
        for cells in reader:
            yield start, cells
            start = reader.line_num + 1
    except csv.Error as err:
        raise ImportFormatError(file, f"is not valid CSV near line {reader.line_num} ({err})",
                                "comma-separated values as LinkedIn writes them") from None


def _alternatives(required) -> list[tuple[str, ...]]:
    """``required`` as a list of alternative column sets (one tuple of names, or several)."""
    if required and not isinstance(required[0], str):
        return [tuple(r) for r in required]
    return [tuple(required)]


def _find_header(rows, required, file: str) -> list[str] | None:
    """Consume rows up to and including the header: the first row naming every column of one alternative.

    None when the file holds no text at all (an empty export file).
    """
    needs, seen = [{_norm_column(c) for c in alt} for alt in _alternatives(required)], False
    for index, (_, cells) in enumerate(rows):
        if len(cells) > MAX_COLUMNS:
            raise ImportFormatError(file, f"has a row of {len(cells):,} columns before its header",
                                    f"LinkedIn's header row of at most {MAX_COLUMNS:,} columns")
        seen = seen or any(c.strip() for c in cells)
        names = {_norm_column(c) for c in cells}
        if any(need <= names for need in needs):
            return cells
        if index >= _HEADER_SEARCH_ROWS:
            break
    if not seen:
        return None
    raise ImportFormatError(file, "has no header row naming the columns " + " or ".join(
        ", ".join(alt) for alt in _alternatives(required)),
                            "LinkedIn's header row (the file may be truncated, or not this export file)")


def _encodings(opener) -> list[tuple[str, int]]:
    """(encoding, bytes to skip) to try in turn, as :func:`decode_text` tries them."""
    with opener() as stream:
        start = stream.read(3)
    utf16 = [("utf-16", 0)] if start.startswith((b"\xff\xfe", b"\xfe\xff")) else []
    skip = 3 if start == b"\xef\xbb\xbf" else 0
    return utf16 + [("utf-8", skip), ("cp1252", skip), ("latin-1", skip)]


def read_export_csv(data, file: str, required: tuple, keep=None, *,
                    max_rows: int | None = None, free_text: str | None = None) -> pd.DataFrame:
    """Read one export CSV into text columns, whatever its quirks, streaming it.

    Parameters
    ----------
    data : bytes or callable
        The file's content, or a function opening it as a binary stream (called
        again when the encoding has to be guessed anew).
    file : str
        Its name, for messages.
    required : tuple of str, or tuple of tuples of str
        Columns the header row must name (matched ignoring case, spaces and
        underscores), or several alternative sets (vintages), one of which it must name.
    keep : collection of str, optional
        The only columns to return (as named in the result); default all.  Only
        these are held in memory.
    max_rows : int, optional
        Most records accepted; more are refused.
    free_text : str, optional
        For files of free text LinkedIn writes loosely (Comments.csv): the column
        that starts every record (its date).  ``\\"`` in quoted text is then a quote,
        and a record whose cell in that column does not begin like a date is the
        unquoted continuation of the previous record's text, not a record -- unless
        it has the header's width and a link (then it is a record with a bad date).

    Returns
    -------
    pandas.DataFrame
        One text column per header name (as written in ``required`` where they
        match; duplicates merged: the first non-blank value wins; unnamed trailing
        columns dropped) plus ``_line``, the file line each record starts on.
        Blank records are skipped; an empty file gives no rows.

    Raises
    ------
    ImportFormatError
        When the header is missing, the file is not CSV or holds too many rows.
    """
    opener = data if callable(data) else (lambda: io.BytesIO(data))
    for encoding, skip in _encodings(opener):
        try:
            with opener() as raw:
                raw.read(skip)
                text = io.TextIOWrapper(io.BufferedReader(raw) if isinstance(raw, io.RawIOBase) else raw,
                                        encoding=encoding, newline="")
                return _read_records(text, file, required, keep, max_rows, free_text)
        except UnicodeError:
            continue
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


#: Records gathered as Python strings before they are packed into compact text arrays.
_CHUNK_ROWS = 65_536


def _canonical_names(header: list[str], required, keep) -> list[str]:
    """Each header cell named as ``required`` (then ``keep``) spells it, else as written."""
    canon = {}
    for name in [c for alt in _alternatives(required) for c in alt] + list(keep or ()):
        canon.setdefault(_norm_column(name), name)
    return [canon.get(_norm_column(c), " ".join(repair_mojibake(c).replace("\ufeff", "").split()))
            for c in header]


def _read_records(stream, file: str, required, keep, max_rows, free_text=None) -> pd.DataFrame:
    """The records of a decoded CSV stream: the kept columns, packed chunk by chunk."""
    rows = _rows(stream, file, escapes=free_text is not None)
    header = _find_header(rows, required, file)
    if header is None:
        return pd.DataFrame({**{c: pd.Series([], dtype="str") for c in _alternatives(required)[0]}, "_line": []})
    names = _canonical_names(header, required, keep)
    key = names.index(free_text) if free_text in names else None
    wanted = [i for i, n in enumerate(names) if n and (keep is None or n in keep)]
    packed, lines, chunk, count = [], array.array("q"), [[] for _ in wanted], 0
    for line, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        if key is not None and count and _continues(cells, key, len(header)):
            continue  # the unquoted continuation of the previous record's text
        count += 1
        if max_rows is not None and count > max_rows:
            raise ImportFormatError(file, f"holds more than {max_rows:,} records",
                                    f"export files of at most {max_rows:,} records (ZipLimits.max_rows)")
        lines.append(line)
        for values, i in zip(chunk, wanted):
            values.append(cells[i] if i < len(cells) else "")
        if len(chunk[0] if chunk else ()) >= _CHUNK_ROWS:
            packed.append([pd.array(v, dtype="str") for v in chunk])
            chunk = [[] for _ in wanted]
    packed.append([pd.array(v, dtype="str") for v in chunk])
    columns = [pd.Series(pd.concat([pd.Series(p[j]) for p in packed], ignore_index=True), dtype="str")
               for j in range(len(wanted))]
    return _merge_duplicates([names[i] for i in wanted], columns, lines)


def _merge_duplicates(names: list[str], columns: list[pd.Series], lines) -> pd.DataFrame:
    """One column per distinct name; duplicates coalesced left to right (first non-blank wins)."""
    merged: dict[str, pd.Series] = {}
    for name, values in zip(names, columns):
        if name in merged:
            old = merged[name]
            merged[name] = old.where(old.str.strip().ne(""), values)
        else:
            merged[name] = values
    frame = pd.DataFrame(merged) if merged else pd.DataFrame(index=pd.RangeIndex(len(lines)))
    frame["_line"] = pd.Series(np.frombuffer(lines, dtype=np.int64) if len(lines) else [], dtype="int64")
    return frame
