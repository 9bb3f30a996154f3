"""Checksums of dataset files, and the digests of tables validated before (``trusted``).

A report validates its dataset once and records each table file's sha256
(:func:`input_checksums`, the ``inputs`` of its manifest); the notebooks it runs
pass that record to :func:`ssi_kit.io.load_dataset` as ``trusted``, which then
types a table whose file still has that digest without checking it again.
"""
from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path

from ..exceptions import InputError, UsageError
from .schemas import MODELS

__all__ = ["file_sha256", "input_checksums", "trusted_digests", "MAX_TRUSTED_BYTES"]

#: Largest JSON file of trusted digests read (a report's manifest.json fits).
MAX_TRUSTED_BYTES = 8 << 20


def file_sha256(path) -> str:
    """The sha256 hex digest of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def input_checksums(files: Mapping[str, Path]) -> dict[str, dict[str, str]]:
    """Table name -> ``{"file": file name, "sha256": digest}``, sorted by name.

    The record of a dataset's files kept in a report's manifest (``inputs``), and
    accepted by :func:`ssi_kit.io.load_dataset` as ``trusted``.

    Parameters
    ----------
    files : mapping of str to path-like
        The file of each table (:attr:`ssi_kit.io.Dataset.files`).
    """
    return {name: {"file": Path(path).name, "sha256": file_sha256(path)} for name, path in sorted(files.items())}


def trusted_digests(trusted) -> dict[str, tuple[str | None, str]]:
    """Read ``trusted`` (see :func:`ssi_kit.io.load_dataset`) as name -> (file name or None, digest).

    Parameters
    ----------
    trusted : mapping, path-like or None
        Table name -> sha256 hex digest, or -> ``{"file": name, "sha256": digest}``
        (:func:`input_checksums`); a mapping with such an ``inputs`` entry (a
        report's manifest); or the path of a JSON file holding either.  None or
        ``""``: nothing is trusted.

    Returns
    -------
    dict
        Digests in lower case; the file name is None when not given.

    Raises
    ------
    InputError
        When the JSON file cannot be read.
    UsageError
        When ``trusted`` is of another shape or names an unknown table.
    """
    if trusted is None or isinstance(trusted, str) and not trusted:
        return {}
    if isinstance(trusted, (str, os.PathLike)):
        trusted = _read_json(Path(trusted))
    if not isinstance(trusted, Mapping):
        raise UsageError("trusted must map table names to sha256 digests, or name a JSON file that does.")
    if isinstance(trusted.get("inputs"), Mapping):
        trusted = trusted["inputs"]  # a report's manifest.json
    unknown = sorted(str(name) for name in trusted if name not in MODELS)
    if unknown:
        raise UsageError(f"Unknown table(s) {', '.join(unknown)[:200]} in trusted; "
                         f"the tables are {', '.join(MODELS)}.")
    return {name: _entry(name, entry) for name, entry in trusted.items()}


def _entry(name: str, entry) -> tuple[str | None, str]:
    file, digest = (entry.get("file"), entry.get("sha256")) if isinstance(entry, Mapping) else (None, entry)
    hexadecimal = isinstance(digest, str) and len(digest) == 64 and all(c in "0123456789abcdefABCDEF" for c in digest)
    if not hexadecimal or not isinstance(file, (str, type(None))):
        raise UsageError(f"trusted[{name!r}] must be a sha256 hex digest (64 hex digits) or "
                         "{'file': name, 'sha256': digest}.")
    return file, digest.lower()


def _read_json(path: Path):
    try:
        if path.stat().st_size > MAX_TRUSTED_BYTES:
            raise InputError(f"{path}: a file of trusted digests of at most {MAX_TRUSTED_BYTES >> 20} MiB "
                             "is read (this one is larger).")
        return json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError) as err:
        raise InputError(f"{path}: cannot read the trusted digests (a JSON object of table name -> "
                         f"sha256 is expected): {str(err)[:200]}.") from None
