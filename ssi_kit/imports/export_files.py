"""File-level readers for LinkedIn's data export: safe ZIP access, CSV quirks, dates.

The export ("Get a copy of your data") is a ZIP, or the folder it unpacks to, of CSV
files whose layout drifts between vintages.  This module hides that drift:

* :func:`open_export` lists the export's files without trusting a ZIP's member
  names and reads the wanted ones **in memory** (nothing is ever extracted), under
  limits on per-file and total uncompressed size and on the compression ratio.
* :func:`read_export_csv` decodes (byte-order marks, UTF-8 or Windows-1252), finds
  the header row by its column names (Connections.csv has a preamble), drops
  trailing empty columns and merges duplicate column names.
* dates are read by :mod:`ssi_kit.imports.export_dates`.
* :func:`repair_mojibake` undoes UTF-8 text that was decoded as Latin-1 (``Ã©``).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pandas as pd

from ..exceptions import ImportFormatError

__all__ = [
    "ZipLimits", "ExportContents", "open_export", "canonical_name", "decode_text",
    "repair_mojibake", "read_export_csv", "export_date_from_name",
]

_MIB = 1024 * 1024
#: How many rows may precede the header row (Connections.csv has a short preamble).
_HEADER_SEARCH_ROWS = 50
#: Deepest folder level searched for the export's files (``x/Basic_.../Profile.csv``).
_MAX_DEPTH = 3
#: What a damaged or unsupported ZIP may raise while being listed or read.
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, struct.error, OSError, EOFError,
               ValueError, NotImplementedError, RuntimeError, OverflowError)
_EXPECTED_SOURCE = "the ZIP LinkedIn sends ('Get a copy of your data') or the folder it unpacks to"


@dataclass(frozen=True)
class ZipLimits:
    """Limits on what an export may make the importer read (zip-bomb guard).

    Attributes
    ----------
    max_file_bytes : int
        Largest uncompressed size of one file.
    max_total_bytes : int
        Largest sum of uncompressed sizes over all members of a ZIP.
    max_ratio : float
        Largest uncompressed / compressed ratio of one member ...
    ratio_min_bytes : int
        ... checked for members larger than this (tiny files compress well).
    max_members : int
        Most members a ZIP may hold.
    """

    max_file_bytes: int = 256 * _MIB
    max_total_bytes: int = 1024 * _MIB
    max_ratio: float = 100.0
    ratio_min_bytes: int = 1 * _MIB
    max_members: int = 20_000


@dataclass(frozen=True)
class ExportContents:
    """The wanted files of one export, read into memory.

    Attributes
    ----------
    source : str
        The path given, for messages.
    root : str
        The export folder inside the ZIP or folder (``""`` at top level).
    folder_date : datetime.date or None
        The export date from a ``..._LinkedInDataExport_MM-DD-YYYY`` name.
    files : dict of str to list of (str, bytes)
        Per canonical name (see :func:`canonical_name`), the parts found: a display
        name for messages and the raw bytes.
    """

    source: str
    root: str
    folder_date: dt.date | None
    files: dict = field(default_factory=dict)


def canonical_name(file_name: str) -> str:
    """Lower-case stem without a member-id suffix: ``Shares_155814142.csv`` -> ``shares``."""
    stem = PurePosixPath(file_name).name
    stem = stem[:-4] if stem.lower().endswith(".csv") else stem
    return re.sub(r"_\d{4,}$", "", stem).strip().lower()


def export_date_from_name(*names: str) -> dt.date | None:
    """The date of the first ``..._LinkedInDataExport_MM-DD-YYYY`` name among ``names``."""
    for name in names:
        match = re.search(r"LinkedInDataExport_(\d{1,2})-(\d{1,2})-(\d{4})", name or "", re.I)
        if match:
            month, day, year = (int(g) for g in match.groups())
            try:
                return dt.date(year, month, day)
            except ValueError:
                continue
    return None


def open_export(path, wanted, *, limits: ZipLimits | None = None) -> ExportContents:
    """Find and read the wanted files of an export (ZIP or folder), safely.

    Parameters
    ----------
    path : path-like
        The ZIP, the export folder, or a folder holding one export folder.
    wanted : iterable of str
        Canonical names (``"connections"``, ``"shares"``, ...) to read.
    limits : ZipLimits, optional

    Returns
    -------
    ExportContents

    Raises
    ------
    ImportFormatError
        Not a ZIP or folder, an unsafe or oversized ZIP, no export files, or
        several exports in one place.
    """
    path, limits, wanted = Path(path), limits or ZipLimits(), set(wanted)
    if path.is_dir():
        return _open_dir(path, wanted, limits)
    if path.is_file():
        return _open_zip(path, wanted, limits)
    raise ImportFormatError(str(path), "no such file or folder", _EXPECTED_SOURCE)


def _open_dir(path: Path, wanted: set, limits: ZipLimits) -> ExportContents:
    """Read the wanted files of an unpacked export folder."""
    root, chosen = _choose_files(str(path), _dir_listing(path), wanted)
    files = {name: [(f"{path}/{rel}", _read_dir_file(path, rel, limits)) for rel in rels]
             for name, rels in chosen.items()}
    return ExportContents(str(path), root, export_date_from_name(root, path.name), files)


def _open_zip(path: Path, wanted: set, limits: ZipLimits) -> ExportContents:
    """Check every member of a ZIP, then read the wanted ones in memory."""
    try:
        with zipfile.ZipFile(path) as archive:
            sizes = _zip_listing(path, archive, limits)
            root, chosen = _choose_files(str(path), sizes, wanted)
            files = {name: [(f"{path}/{rel}", _read_member(path, archive, rel, limits)) for rel in rels]
                     for name, rels in chosen.items()}
    except _ZIP_ERRORS as err:
        raise ImportFormatError(str(path), f"cannot be read as a ZIP archive ({_reason(err)})",
                                _EXPECTED_SOURCE) from None
    return ExportContents(str(path), root, export_date_from_name(root, path.name), files)


def _reason(err: BaseException) -> str:
    """The first line of an error, short."""
    return (str(err).splitlines() or [type(err).__name__])[0][:120] or type(err).__name__


def _unsafe_member(info: zipfile.ZipInfo) -> str | None:
    """Why a member name or type cannot be trusted, or None."""
    name = info.filename
    parts = re.split(r"[\\/]", name)
    if "\x00" in name or name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return "an absolute path"
    if ".." in parts:
        return "a path that climbs out of the archive ('..')"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "a symbolic link"
    return None


def _zip_listing(path: Path, archive: zipfile.ZipFile, limits: ZipLimits) -> dict[str, int]:
    """Regular members by name with their sizes, after every safety check."""
    infos = archive.infolist()
    if len(infos) > limits.max_members:
        raise ImportFormatError(str(path), f"holds {len(infos)} members (more than {limits.max_members})",
                                "a LinkedIn export of at most a few hundred files")
    total, sizes = 0, {}
    for info in infos:
        why = _unsafe_member(info)
        if why:
            raise ImportFormatError(str(path), f"member {info.filename!r} has {why}",
                                    "relative paths inside the export folder (the archive is refused unread)")
        _check_size(path, info, limits)
        total += info.file_size
        if total > limits.max_total_bytes:
            raise ImportFormatError(str(path), f"unpacks to more than {limits.max_total_bytes} bytes",
                                    f"an export of at most {limits.max_total_bytes // _MIB} MiB uncompressed")
        if not info.is_dir():
            sizes[info.filename] = info.file_size
    return sizes


def _check_size(path: Path, info: zipfile.ZipInfo, limits: ZipLimits) -> None:
    """Refuse an encrypted member, or one too large or too compressed (declared sizes)."""
    where = f"{path}/{info.filename}"
    if info.flag_bits & 0x1:
        raise ImportFormatError(where, "is encrypted", "the unencrypted ZIP LinkedIn sends")
    if info.file_size > limits.max_file_bytes:
        raise ImportFormatError(where, f"unpacks to {info.file_size} bytes",
                                f"files of at most {limits.max_file_bytes // _MIB} MiB")
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > limits.ratio_min_bytes and ratio > limits.max_ratio:
        raise ImportFormatError(where, f"has a compression ratio of {ratio:.0f}:1 (a zip bomb?)",
                                f"a ratio of at most {limits.max_ratio:.0f}:1")


def _read_member(path: Path, archive: zipfile.ZipFile, name: str, limits: ZipLimits) -> bytes:
    """Read one member in memory, never more than its declared size or the limit."""
    info = archive.getinfo(name)
    cap = min(info.file_size, limits.max_file_bytes)
    try:
        with archive.open(info) as stream:
            data = _read_capped(stream, cap)
    except _ZIP_ERRORS as err:
        raise ImportFormatError(f"{path}/{name}", f"cannot be unpacked ({_reason(err)})",
                                "an intact member of the ZIP LinkedIn sends") from None
    if data is None:
        raise ImportFormatError(f"{path}/{name}", "unpacks to more than its declared size",
                                "a member whose size matches the archive's directory")
    return data


def _read_capped(stream, cap: int) -> bytes | None:
    """Read ``stream`` in chunks; None when it holds more than ``cap`` bytes."""
    chunks, total = [], 0
    while True:
        chunk = stream.read(min(_MIB, cap - total + 1))
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > cap:
            return None
        chunks.append(chunk)


def _dir_listing(path: Path) -> dict[str, int]:
    """Regular files (no symbolic links) up to :data:`_MAX_DEPTH` levels down, by relative path."""
    sizes = {}
    for here, dirs, names in os.walk(path, followlinks=False):
        rel = Path(here).relative_to(path)
        depth = len(rel.parts)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and depth < _MAX_DEPTH)
        for name in names:
            full = Path(here) / name
            if name.lower().endswith(".csv") and not full.is_symlink() and full.is_file():
                sizes[(rel / name).as_posix()] = full.stat().st_size
    return sizes


def _read_dir_file(path: Path, rel: str, limits: ZipLimits) -> bytes:
    """Read one file of an export folder, at most the per-file limit."""
    where = f"{path}/{rel}"
    try:
        with open(path / rel, "rb") as stream:
            data = _read_capped(stream, limits.max_file_bytes)
    except OSError as err:
        raise ImportFormatError(where, f"cannot be read ({err.strerror or err})", "a readable file") from None
    if data is None:
        raise ImportFormatError(where, f"is larger than {limits.max_file_bytes} bytes",
                                f"files of at most {limits.max_file_bytes // _MIB} MiB")
    return data


def _choose_files(source: str, sizes: dict[str, int], wanted: set) -> tuple[str, dict[str, list[str]]]:
    """The export root (shallowest folder with wanted files) and its wanted files."""
    found: dict[str, dict[str, list[str]]] = {}
    for rel in sizes:
        p = PurePosixPath(rel)
        if len(p.parts) - 1 <= _MAX_DEPTH and p.suffix.lower() == ".csv" and canonical_name(rel) in wanted:
            found.setdefault(str(p.parent) if str(p.parent) != "." else "", {}).setdefault(
                canonical_name(rel), []).append(rel)
    if not found:
        raise ImportFormatError(source, "holds none of the export's files (Profile.csv, Connections.csv, "
                                "Shares.csv, messages.csv, ...)", _EXPECTED_SOURCE)
    depth = min(len(PurePosixPath(r).parts) if r else 0 for r in found)
    roots = sorted(r for r in found if (len(PurePosixPath(r).parts) if r else 0) == depth)
    if len(roots) > 1:
        raise ImportFormatError(source, f"holds several exports ({', '.join(roots)})",
                                "one export at a time")
    return roots[0], {name: _prefer_exact(rels) for name, rels in found[roots[0]].items()}


def _prefer_exact(rels: list[str]) -> list[str]:
    """``Shares.csv`` alone when present, else every ``Shares_<id>.csv`` part."""
    exact = [r for r in rels if not re.search(r"_\d{4,}\.csv$", r, re.I)]
    return sorted(exact[:1] or rels)


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
    """A header cell as compared: repaired, no BOM, single-spaced, case-folded."""
    return " ".join(repair_mojibake(name).replace("\ufeff", "").split()).casefold()


def _rows(text: str, file: str):
    """Yield ``(first line number, cells)`` of each CSV record (quoted newlines allowed)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    try:
        for cells in reader:
            yield start, cells
            start = reader.line_num + 1
    except csv.Error as err:
        raise ImportFormatError(file, f"is not valid CSV near line {reader.line_num} ({err})",
                                "comma-separated values as LinkedIn writes them") from None


def _find_header(rows, required: tuple[str, ...], file: str) -> list[str]:
    """Consume rows up to and including the header: the first row naming every required column."""
    need = {_norm_column(c) for c in required}
    for index, (_, cells) in enumerate(rows):
        if need <= {_norm_column(c) for c in cells}:
            return cells
        if index >= _HEADER_SEARCH_ROWS:
            break
    raise ImportFormatError(file, "has no header row naming the columns " + ", ".join(required),
                            "LinkedIn's header row (the file may be truncated, or not this export file)")


def read_export_csv(data: bytes, file: str, required: tuple[str, ...]) -> pd.DataFrame:
    """Read one export CSV into text columns, whatever its quirks.

    Parameters
    ----------
    data : bytes
        The file's content.
    file : str
        Its name, for messages.
    required : tuple of str
        Columns the header row must name (matched ignoring case and spacing).

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
        When the header is missing or the file is not CSV.
    """
    text = decode_text(data)
    if not text.strip():
        return pd.DataFrame({**{c: pd.Series([], dtype="str") for c in required}, "_line": []})
    rows = _rows(text, file)
    header = _find_header(rows, required, file)
    canon = {_norm_column(c): c for c in required}
    names = [canon.get(_norm_column(c), " ".join(repair_mojibake(c).replace("\ufeff", "").split()))
             for c in header]
    lines, records = [], []
    for line, cells in rows:
        if any(c.strip() for c in cells):
            lines.append(line)
            records.append((cells + [""] * len(names))[:len(names)])
    return _merge_duplicates(names, records, lines)


def _merge_duplicates(names: list[str], records: list[list[str]], lines: list[int]) -> pd.DataFrame:
    """One column per distinct non-empty name; duplicates coalesced left to right."""
    columns: dict[str, list[str]] = {}
    for i, name in enumerate(names):
        if not name:
            continue
        values = [r[i] for r in records]
        if name in columns:
            columns[name] = [old if old.strip() else new for old, new in zip(columns[name], values)]
        else:
            columns[name] = values
    frame = pd.DataFrame({n: pd.Series(v, dtype="str") for n, v in columns.items()})
    frame["_line"] = pd.Series(lines, dtype="int64")
    return frame


# --------------------------------------------------------------------------- dates
