"""Pseudonyms for seller ids: salted hashes, the same across tables and imports."""
from __future__ import annotations

import hashlib
import os

import pandas as pd

from ..exceptions import UsageError

__all__ = ["pseudonym", "pseudonymize_tables", "salt_from"]

#: Columns that hold seller ids.
ID_COLUMNS = ("member_id", "connection_id")


def salt_from(salt: str | None) -> str:
    """The salt given, else ``$SSI_KIT_SALT``; refuse an empty one (it would not protect)."""
    value = salt if salt is not None else os.environ.get("SSI_KIT_SALT", "")
    if len(value) < 8:
        raise UsageError("--pseudonymize needs a salt of at least 8 characters: pass --salt or set "
                         "SSI_KIT_SALT (keep it secret and reuse it so pseudonyms match across imports).")
    return value


def pseudonym(value: str, salt: str) -> str:
    """``p`` and the first 16 hex digits of SHA-256(salt, value)."""
    digest = hashlib.sha256(f"{salt}\x00{value}".encode("utf-8")).hexdigest()
    return "p" + digest[:16]


def pseudonymize_tables(tables: dict[str, pd.DataFrame], salt: str) -> dict[str, pd.DataFrame]:
    """Replace every seller id in every table by its pseudonym (consistently)."""
    out = {}
    for name, table in tables.items():
        table = table.copy()
        for col in ID_COLUMNS:
            if col in table.columns:
                table[col] = table[col].map(lambda v: v if pd.isna(v) else pseudonym(str(v), salt))
        out[name] = table
    return out
