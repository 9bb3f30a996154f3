"""Privacy of seller ids and messages: pseudonyms, contact-detail checks and redaction.

Seller ids are what a dataset keeps of a person.  Every importer refuses ids that look
like contact details (an e-mail address or a phone number) unless they are pseudonymized,
and no message of an importer quotes contact details found in the data: :func:`redact`
replaces them by ``<e-mail address>`` / ``<phone number>``.

What counts as a phone number: a run of digits with the usual separators (spaces,
``-``, ``.``, ``()``) holding 7 to 15 digits that starts with ``+`` (``+1 555 0142``), or
that is grouped like a national number (``(555) 010-4477``, ``020 7946 0958``,
``555-0142``), with an optional extension (``x12``, ``ext. 12``).  Dates (``2026-01-10``,
``10.01.2026``), decimals and bare digit runs (employee numbers such as ``100234``) are not
phone numbers.  An e-mail address is ``local@domain``, the local part possibly quoted
(``"jane"@example.com``).

Text is folded before matching (:func:`_fold`): Unicode NFKC (full-width ``＠`` and digits
become ASCII), every Unicode space (no-break, thin, narrow no-break) a plain space, every
dash (non-breaking hyphen, en dash, minus sign) ``-``, invisible format characters
dropped; a ``tel:`` / ``mailto:`` prefix does not hide what follows.  :func:`redact`
replaces the matching spans of the original text and leaves the rest as it was.
"""
from __future__ import annotations

import hashlib
import os
import re
import unicodedata

import pandas as pd

from ..exceptions import ImportFormatError, UsageError

__all__ = ["pseudonym", "pseudonymize_tables", "salt_from", "contact_kind", "redact",
           "refuse_contact_ids", "refuse_contact_option", "ID_COLUMNS"]

#: Columns that hold seller ids.
ID_COLUMNS = ("member_id", "connection_id")

_NOT_EMAIL = r"\s@'\"<>(),;:\[\]{}"
_EMAIL = re.compile(rf'(?:"[^"\n]{{1,64}}"|[^{_NOT_EMAIL}]+)@[^{_NOT_EMAIL}]+')
#: Candidates for phone numbers (international, national), with an optional extension;
#: :func:`_is_phone` decides on the number (group ``num``).
_PHONE = re.compile(r"(?<![\w.,+/-])(?P<num>\+\d{1,3}(?:[ .-]{0,2}\(?\d{1,5}\)?){1,6}"
                    r"|\(?\d{2,5}\)?(?:[ .-]{1,2}\d{2,5}){1,4})"
                    r"(?:[ ]{0,2}(?:x|ext\.?|extension)[ ]{0,2}\d{1,6})?(?![\w/]|[.,-]\d)", re.IGNORECASE)
#: A URI scheme in front of a contact detail (``tel:+15550142``).
_SCHEME = re.compile(r"(?:tel|callto|sms|mailto):[ ]*", re.IGNORECASE)
_NOT_PHONE = re.compile(r"\d{1,4}([./-])\d{1,2}\1\d{1,4}"  # a date
                        r"|\d+\.\d+"  # a decimal
                        r"|\d{1,3}(?:([ .,])\d{3})+(?:[.,]\d+)?")  # thousands
_EMAIL_LABEL, _PHONE_LABEL = "<e-mail address>", "<phone number>"
_HOW_TO_FIX = ("seller ids that are not e-mail addresses or phone numbers: pass --pseudonymize "
               "(with --salt or $SSI_KIT_SALT) to store salted hashes instead")


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


def _fold_char(char: str) -> str:
    """One character folded for matching: NFKC, spaces to ``' '``, dashes to ``'-'``, format characters dropped."""
    out = []
    for c in unicodedata.normalize("NFKC", char):
        kind = unicodedata.category(c)
        out.append(" " if kind == "Zs" else "-" if kind == "Pd" or c == "\u2212" else "" if kind == "Cf" else c)
    return "".join(out)


def _fold(text: str) -> tuple[str, list[int] | None]:
    """``text`` folded for matching, and for each folded character the index of its original one.

    ASCII text is its own folding (the map is None then: indices are the same).
    """
    if text.isascii():
        return text, None
    pieces, origin = [], []
    for i, char in enumerate(text):
        folded = char if char.isascii() else _fold_char(char)
        pieces.append(folded)
        origin.extend([i] * len(folded))
    return "".join(pieces), origin


def _is_phone(match: re.Match) -> bool:
    run = match.group("num")
    digits = sum(c.isdigit() for c in run)
    if not 7 <= digits <= 15 or run.count("(") != run.count(")"):
        return False
    return run.startswith("+") or not _NOT_PHONE.fullmatch(run)


def contact_kind(value) -> str | None:
    """``"an e-mail address"``, ``"a phone number"`` or None: what contact detail ``value`` holds.

    Parameters
    ----------
    value : object
        An id (or any cell); missing values and numbers hold none.

    Returns
    -------
    str or None
    """
    if not isinstance(value, str):
        return None
    text = _fold(value)[0].strip()
    if _EMAIL.search(text):
        return "an e-mail address"
    scheme = _SCHEME.match(text)
    match = _PHONE.fullmatch(text, scheme.end() if scheme else 0)
    return "a phone number" if match and _is_phone(match) else None


def redact(text) -> str:
    """``text`` with e-mail addresses and phone numbers replaced by ``<e-mail address>`` / ``<phone number>``.

    Parameters
    ----------
    text : object
        A message or a value to quote in one (converted with ``str``).

    Returns
    -------
    str
    """
    text = str(text)
    folded, origin = _fold(text)
    spans = [(*m.span(), _EMAIL_LABEL) for m in _EMAIL.finditer(folded)]
    spans += [(*m.span(), _PHONE_LABEL) for m in _PHONE.finditer(folded)
              if _is_phone(m) and not any(a < m.end() and m.start() < b for a, b, _ in spans)]
    out, last = [], 0
    for start, end, label in sorted(spans):
        if origin is not None:  # back to the indices of the original text
            start, end = origin[start], origin[end - 1] + 1
        out += [text[last:start], label]
        last = end
    return "".join(out) + text[last:]


def refuse_contact_ids(ids: pd.Series, *, file, where: str, unit: str | None = "line") -> None:
    """Refuse seller ids that hold e-mail addresses or phone numbers, naming where, never quoting them.

    Parameters
    ----------
    ids : pandas.Series
        The ids as read; the index locates them (file lines when ``unit`` is ``"line"``).
    file : path-like or str
        The file the ids come from (or the option or mapping that gave them).
    where : str
        The column or field, e.g. ``"column 'Owner'"``.
    unit : str or None
        What the index counts (``"line"``, ``"row"``); None when it locates nothing.

    Raises
    ------
    ImportFormatError
        When any id holds a contact detail.
    """
    kinds = ids.map(contact_kind)
    bad = kinds[kinds.notna()]
    if bad.empty:
        return
    if unit is None and len(ids) == 1:
        problem = f"{where} holds {bad.iloc[0]}"
    elif unit is None:
        shown = " and ".join(f"{n} hold{'s' if n == 1 else ''} {kind}" for kind, n in bad.value_counts().items())
        problem = f"{where}: {len(bad)} seller id(s) look like contact details ({shown})"
    else:
        shown = ", ".join(f"{unit} {loc} holds {kind}" for loc, kind in bad.iloc[:5].items())
        more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
        problem = f"{where}: {len(bad)} seller id(s) look like contact details ({shown}{more})"
    raise ImportFormatError(file, problem + ", which a dataset never stores in clear",
                            _HOW_TO_FIX + ", or map another id column (or field)")


def refuse_contact_option(value, option: str = "--member") -> None:
    """Refuse a seller id given as an option (``--member``) that holds a contact detail.

    Raises
    ------
    ImportFormatError
        Naming the option and the kind of detail, never the value.
    """
    kind = contact_kind(value)
    if kind:
        raise ImportFormatError(option, f"holds {kind}, which a dataset never stores in clear as a seller id",
                                f"{_HOW_TO_FIX}, or give another {option}")
