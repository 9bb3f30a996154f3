"""The column names of real CRM opportunity exports, so the common cases need no mapping.

Presets (``--preset``, or recognised from the header):

* ``salesforce``: an opportunity report exported as CSV or XLSX ("Opportunity Owner",
  "Created Date", "Close Date", "Amount", "Stage", "Won", ...; in a German-locale org
  "Opportunity-Inhaber", "Erstelldatum", "Schlusstermin", "Betrag", "Phase",
  "Gewonnen"), or the Opportunity object of a data export (``OwnerId``, ``CreatedDate``,
  ``CloseDate``, ``Amount``, ``StageName``, ``IsWon``).
* ``hubspot``: a deals export ("Deal owner", "Create Date", "Close Date", "Amount",
  "Deal Stage", "Pipeline").

Headers are compared ignoring case, spaces and punctuation.
"""
from __future__ import annotations

import re

__all__ = ["PRESETS", "STAGE_WON", "normalize_header", "preset_columns", "detect_preset"]

#: Per preset, per target, the headers that hold it (first match wins).
PRESETS = {
    "salesforce": {
        "member_id": ("Opportunity Owner", "Opportunity-Inhaber", "Opportunityinhaber", "OwnerId",
                      "Owner Name", "Owner.Name"),
        "created": ("Created Date", "CreatedDate", "Erstelldatum", "Erstellt am"),
        "closed": ("Close Date", "CloseDate", "Schlusstermin", "Abschlussdatum"),
        "amount": ("Amount", "Betrag", "Opportunity-Betrag"),
        "won": ("Won", "IsWon", "Gewonnen"),
        "stage": ("Stage", "StageName", "Phase"),
    },
    "hubspot": {
        "member_id": ("Deal owner", "Deal Owner", "HubSpot Owner"),
        "created": ("Create Date", "Created Date"),
        "closed": ("Close Date",),
        "amount": ("Amount",),
        "won": ("Is Closed Won",),
        "stage": ("Deal Stage",),
    },
}

#: Per preset, the stage labels meaning won (used when no won column is present).
STAGE_WON = {
    "salesforce": ("Closed Won", "Won", "Geschlossen und gewonnen", "Geschlossen/Gewonnen", "Gewonnen"),
    "hubspot": ("Closed Won", "closedwon", "Won"),
}


def normalize_header(header) -> str:
    """``"Opportunity-Inhaber"`` -> ``"opportunity inhaber"``: lower case, words only."""
    return " ".join(re.sub(r"[^0-9a-zäöüß]+", " ", str(header).lower()).split())


def preset_columns(preset: str, headers) -> dict[str, str]:
    """The ``{header: target}`` mapping ``preset`` finds among ``headers``."""
    found = {normalize_header(h): h for h in reversed(list(headers))}
    columns = {}
    for target, names in PRESETS[preset].items():
        header = next((found[normalize_header(n)] for n in names if normalize_header(n) in found), None)
        if header is not None and header not in columns:
            columns[header] = target
    return columns


def detect_preset(headers) -> str | None:
    """The preset whose owner and created-date columns ``headers`` hold (the fuller match), or None."""
    best, score = None, 0
    for name in PRESETS:
        targets = set(preset_columns(name, headers).values())
        if {"member_id", "created"} <= targets and len(targets) > score:
            best, score = name, len(targets)
    return best
