"""File-level readers for LinkedIn's data export: safe ZIP access, CSV quirks, dates.

The export ("Get a copy of your data") is a ZIP, or the folder it unpacks to, of CSV
files whose layout drifts between vintages.  This module hides that drift:

* :func:`open_export` lists the export's files without trusting a ZIP's member
  names and reads the wanted ones (nothing is ever extracted), under limits on
  per-file and total uncompressed size, on the compression ratio and on rows.
* each file is streamed through :func:`~ssi_kit.imports.export_csv.read_export_csv`
  (re-exported here) as its bytes are unpacked, keeping only the columns the
  importer uses, so memory follows the useful data (a few dates and ids per row),
  not the size of the file (message texts are never held whole).
* ``.xlsx`` files beside the CSV files (creator analytics workbooks) are read whole,
  under the same limits, for :mod:`ssi_kit.imports.export_analytics`.
* dates are read by :mod:`ssi_kit.imports.export_dates`.
* :func:`repair_mojibake` (re-exported) undoes UTF-8 text decoded as Latin-1 (``Ã©``).
"""
from __future__ import annotations

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
from ..io.raw import not_regular
from .export_csv import decode_text, read_export_csv, repair_mojibake

__all__ = [
    "ZipLimits", "ExportContents", "open_export", "canonical_name", "decode_text",
    "repair_mojibake", "read_export_csv", "export_date_from_name",
]

_MIB = 1024 * 1024
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
    max_rows : int
        Most records one file may hold (each kept record costs memory).
    """

    max_file_bytes: int = 256 * _MIB
    max_total_bytes: int = 1024 * _MIB
    max_ratio: float = 100.0
    ratio_min_bytes: int = 1 * _MIB
    max_members: int = 20_000
    max_rows: int = 2_000_000


@dataclass(frozen=True)
class ExportContents:
    """The wanted files of one export, read.

    Attributes
    ----------
    source : str
        The path given, for messages.
    root : str
        The export folder inside the ZIP or folder (``""`` at top level).
    folder_date : datetime.date or None
        The export date from a ``..._LinkedInDataExport_MM-DD-YYYY`` name.
    files : dict of str to list of (str, pandas.DataFrame)
        Per canonical name (see :func:`canonical_name`), the parts found: a display
        name for messages and the part as :func:`read_export_csv` reads it.
    workbooks : list of (str, bytes)
        The ``.xlsx`` files beside the export's CSV files (creator analytics), read
        whole under the per-file limit, with their display names.
    """

    source: str
    root: str
    folder_date: dt.date | None
    files: dict = field(default_factory=dict)
    workbooks: list = field(default_factory=list)


#: Names one file has had across vintages (canonical name as written by later ones -> name used).
_ALIASES = {"searchqueries": "search queries"}


def canonical_name(file_name: str) -> str:
    """Lower-case stem without a member-id suffix: ``Shares_155814142.csv`` -> ``shares``."""
    stem = PurePosixPath(file_name).name
    stem = stem[:-4] if stem.lower().endswith(".csv") else stem
    stem = re.sub(r"_\d{4,}$", "", stem).strip().lower()
    return _ALIASES.get(stem, stem)


def _read_csv(opener, where: str, spec: tuple, limits: "ZipLimits") -> pd.DataFrame:
    """:func:`read_export_csv` with a wanted file's ``(required, keep[, free_text column])``."""
    return read_export_csv(opener, where, spec[0], spec[1], max_rows=limits.max_rows,
                           free_text=spec[2] if len(spec) > 2 else None)


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
    wanted : mapping of str to (tuple, collection of str or None[, str])
        Canonical names (``"connections"``, ``"shares"``, ...) to read, each with the
        columns its header must name (or alternative sets of them), the columns to
        keep (None: all) and, for loosely written free text, the column starting
        each record; see :func:`read_export_csv`.
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
    path, limits, wanted = Path(path), limits or ZipLimits(), dict(wanted)
    if path.is_dir():
        return _open_dir(path, wanted, limits)
    why = not_regular(path)
    if why is None:
        return _open_zip(path, wanted, limits)
    raise ImportFormatError(str(path), "no such file or folder" if why == "missing" else f"is {why}",
                            _EXPECTED_SOURCE)


def _open_dir(path: Path, wanted: dict, limits: ZipLimits) -> ExportContents:
    """Read the wanted files of an unpacked export folder."""
    sizes = _dir_listing(path)
    root, chosen = _choose_files(str(path), sizes, wanted)
    files = {name: [(f"{path}/{rel}", _read_csv(lambda rel=rel: _open_dir_file(path, rel, limits),
                                                f"{path}/{rel}", wanted[name], limits))
                    for rel in rels]
             for name, rels in chosen.items()}
    workbooks = []
    for rel in _root_workbooks(sizes, root):
        with _open_dir_file(path, rel, limits) as stream:
            workbooks.append((f"{path}/{rel}", stream.read()))
    return ExportContents(str(path), root, export_date_from_name(root, path.name), files, workbooks)


def _open_zip(path: Path, wanted: dict, limits: ZipLimits) -> ExportContents:
    """Check every member of a ZIP, then read (stream) the wanted ones."""
    try:
        with zipfile.ZipFile(path) as archive:
            sizes = _zip_listing(path, archive, limits)
            root, chosen = _choose_files(str(path), sizes, wanted)
            files = {name: [(f"{path}/{rel}", _read_member(path, archive, rel, limits, wanted[name]))
                            for rel in rels]
                     for name, rels in chosen.items()}
            workbooks = [(f"{path}/{rel}", _member_bytes(path, archive, rel, limits))
                         for rel in _root_workbooks(sizes, root)]
    except _ZIP_ERRORS as err:
        raise ImportFormatError(str(path), f"cannot be read as a ZIP archive ({_reason(err)})",
                                _EXPECTED_SOURCE) from None
    return ExportContents(str(path), root, export_date_from_name(root, path.name), files, workbooks)


def _root_workbooks(sizes: dict[str, int], root: str) -> list[str]:
    """The ``.xlsx`` files in the export's root folder (creator analytics workbooks)."""
    return sorted(rel for rel in sizes if rel.lower().endswith(".xlsx")
                  and (str(PurePosixPath(rel).parent) if str(PurePosixPath(rel).parent) != "." else "") == root)


def _member_bytes(path: Path, archive: zipfile.ZipFile, name: str, limits: ZipLimits) -> bytes:
    """One member read whole, never past its declared size or the per-file limit."""
    info = archive.getinfo(name)
    with _Capped(archive.open(info), min(info.file_size, limits.max_file_bytes), f"{path}/{name}",
                 "unpacks to more than its declared size", "a member whose size matches the archive's directory") \
            as stream:
        return stream.read()


def _reason(err: BaseException) -> str:
    """The first line of an error, short."""
    return (str(err).splitlines() or [type(err).__name__])[0][:120] or type(err).__name__


def _unsafe_member(info: zipfile.ZipInfo) -> str | None:
    """Why a member name or type cannot be trusted, or None."""
    name = info.filename
    if not name:
        return "no name (a damaged archive)"
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


def _read_member(path: Path, archive: zipfile.ZipFile, name: str, limits: ZipLimits,
                 columns: tuple) -> pd.DataFrame:
    """Stream one member through :func:`read_export_csv`, never past its declared size or the limit."""
    info, where = archive.getinfo(name), f"{path}/{name}"
    cap = min(info.file_size, limits.max_file_bytes)

    def opener():
        return _Capped(archive.open(info), cap, where, "unpacks to more than its declared size",
                       "a member whose size matches the archive's directory")

    try:
        return _read_csv(opener, where, columns, limits)
    except _ZIP_ERRORS as err:
        raise ImportFormatError(where, f"cannot be unpacked ({_reason(err)})",
                                "an intact member of the ZIP LinkedIn sends") from None


class _Capped(io.RawIOBase):
    """A binary stream that refuses (:class:`ImportFormatError`) to yield more than ``cap`` bytes."""

    def __init__(self, stream, cap: int, where: str, problem: str, expected: str):
        super().__init__()
        self._stream, self._left = stream, cap
        self._error = (where, problem, expected)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._stream.read(min(len(buffer), self._left + 1))
        if len(data) > self._left:
            raise ImportFormatError(*self._error)
        self._left -= len(data)
        buffer[:len(data)] = data
        return len(data)

    def close(self) -> None:
        self._stream.close()
        super().close()


def _dir_listing(path: Path) -> dict[str, int]:
    """Regular files (no symbolic links) up to :data:`_MAX_DEPTH` levels down, by relative path."""
    sizes = {}
    for here, dirs, names in os.walk(path, followlinks=False):
        rel = Path(here).relative_to(path)
        depth = len(rel.parts)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and depth < _MAX_DEPTH)
        for name in names:
            full = Path(here) / name
            if name.lower().endswith((".csv", ".xlsx")) and not full.is_symlink():  # FIFOs etc. refused when read
                sizes[(rel / name).as_posix()] = full.stat().st_size if full.is_file() else 0
    return sizes


def _open_dir_file(path: Path, rel: str, limits: ZipLimits) -> _Capped:
    """Open one regular file of an export folder, to be read up to the per-file limit."""
    where = f"{path}/{rel}"
    why = not_regular(path / rel)
    if why:
        raise ImportFormatError(where, f"is {why}", "a regular file")
    try:
        stream = open(path / rel, "rb")
    except OSError as err:
        raise ImportFormatError(where, f"cannot be read ({err.strerror or err})", "a readable file") from None
    return _Capped(stream, limits.max_file_bytes, where, f"is larger than {limits.max_file_bytes} bytes",
                   f"files of at most {limits.max_file_bytes // _MIB} MiB")


def _choose_files(source: str, sizes: dict[str, int], wanted) -> tuple[str, dict[str, list[str]]]:
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
