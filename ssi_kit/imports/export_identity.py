"""Whose export is it: a non-identifying fingerprint per export, kept in the dataset's import log.

Two people's exports must not merge silently under one seller id.  Each import of an
export with a profile notes ``export identity: member <id> fingerprint <hash>`` in the
dataset's import log (:data:`~ssi_kit.imports.merge.IMPORT_LOG`): the hash is a
SHA-256 of the profile's name as Profile.csv writes it, normalized (the one identity
every vintage carries; salted with the pseudonymization salt when there is one), cut to
16 hex digits; the name itself is never written.
Importing into a seller whose recorded fingerprints all differ is refused unless the
user says it is the same person (``same_person``); re-importing the same export matches.
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from ..exceptions import UsageError
from .merge import IMPORT_LOG

__all__ = ["fingerprint", "identity_note", "check_identity"]

_NOTE = re.compile(r"^export identity: member (.+) fingerprint ([0-9a-f]{16})$")


def fingerprint(name_key: str, salt: str | None = None) -> str | None:
    """The export's fingerprint (16 hex digits) from its normalized profile name; None without one."""
    if not name_key:
        return None
    text = "\x1f".join(("ssi-kit export identity v1", salt or "", name_key))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def identity_note(member: str, print_: str) -> str:
    """The import-log note recording that ``member`` came from the export ``print_``."""
    return f"export identity: member {member} fingerprint {print_}"


def _recorded(out: Path) -> dict[str, set[str]]:
    """Fingerprints per member recorded in the import log of ``out``."""
    log, found = Path(out) / IMPORT_LOG, {}
    if not log.is_file():
        return found
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            notes = json.loads(line).get("notes", [])
        except (ValueError, AttributeError):
            continue
        for note in notes if isinstance(notes, list) else []:
            match = _NOTE.match(note) if isinstance(note, str) else None
            if match:
                found.setdefault(match.group(1), set()).add(match.group(2))
    return found


def check_identity(out, member: str, print_: str | None, *, same_person: bool) -> None:
    """Refuse to add an export to a seller the dataset holds from another person's export.

    Raises
    ------
    UsageError
        When ``out`` records other export fingerprints for ``member`` and not this one (or
        this export has none: no profile name), and ``same_person`` is false.
    """
    if same_person:
        return
    seen = _recorded(Path(out)).get(member)
    if seen and print_ is None:
        raise UsageError(
            f"--out {out} already holds seller '{member}' from a LinkedIn export, and this export has no "
            "profile name to tell whether it is the same person. Give this export its own --member id, or "
            "pass --same-person if it is the same person.")
    if seen and print_ not in seen:
        raise UsageError(
            f"--out {out} already holds seller '{member}' from another LinkedIn export (a different "
            "profile name); importing this export would merge two people. "
            "Give this export its own --member id, or pass --same-person if both exports are the same person.")
