"""LinkedIn's data export ("Get a copy of your data") -> ``members``, ``profiles``, ``activity``.

One export describes one member; every vintage from 2018 on is read (Basic or
Complete, ZIP or folder).  What the importer takes from it:

* ``members``: ``member_id`` (``--member``, else a slug of the profile name; an export
  without a profile name needs ``--member``) and ``industry`` (Profile.csv
  ``Industry``, else ``--industry``, else ``unknown``).
* ``profiles``: snapshots reconstructed over the export's history from its dated
  facts (:mod:`ssi_kit.imports.export_profile`), the last one on the export date
  (from the ``..._LinkedInDataExport_MM-DD-YYYY`` name, else the latest event date in
  the files; never today).
* ``activity``, per day (:mod:`ssi_kit.imports.export_events`): posts, comments,
  reactions, invitations sent, connections made, searches, messages sent and replied;
  with creator analytics workbooks (:mod:`ssi_kit.imports.export_analytics`) also
  ``post_views``, ``post_reactions`` and ``followers_gained``.  A count whose file is
  absent is left out (unknown), not zero.

Rows that cannot be read are skipped and reported (``--strict`` refuses instead).
Each export's identity is fingerprinted (:mod:`ssi_kit.imports.export_identity`) so two
people's exports never merge silently.  Only counts and dates leave the importer:
message texts, e-mail addresses, phone numbers, birth dates and addresses are read by
no code path that writes.
"""
from __future__ import annotations

import unicodedata

import pandas as pd

from ..exceptions import ImportFormatError, UsageError
from .export_analytics import read_analytics
from .export_dates import parse_export_dates
from .export_events import DAILY, clean, collect_events, name_key
from .export_files import ZipLimits, open_export
from .export_identity import check_identity, fingerprint, identity_note
from .export_profile import profile_snapshots
from .merge import ImportSummary, merge_into_dir
from .privacy import pseudonymize_tables, refuse_contact_option

__all__ = ["import_linkedin_export", "read_linkedin_export", "EXPORT_FILES"]

#: Canonical file name -> (file name as LinkedIn writes it, columns its header must name, or
#: alternative sets of them for older vintages).
EXPORT_FILES = {
    "profile": ("Profile.csv", ("First Name", "Last Name", "Headline")),
    "registration": ("Registration.csv", ("Registered At",)),
    "positions": ("Positions.csv", ("Company Name", "Title")),
    "education": ("Education.csv", ("School Name",)),
    "skills": ("Skills.csv", ("Name",)),
    "recommendations_received": ("Recommendations_Received.csv", ("First Name", "Last Name", "Status")),
    "endorsement_received_info": ("Endorsement_Received_Info.csv", ("Endorsement Date", "Skill Name")),
    "connections": ("Connections.csv", ("First Name", "Last Name", "Connected On")),
    "invitations": ("Invitations.csv", ("From", "To", "Sent At", "Direction")),
    "messages": ("messages.csv", (("CONVERSATION ID", "FROM", "DATE"), ("FROM", "TO", "DATE", "DIRECTION"))),
    "shares": ("Shares.csv", ("Date", "ShareLink")),
    "comments": ("Comments.csv", ("Date", "Link", "Message")),
    "reactions": ("Reactions.csv", ("Date", "Type", "Link")),
    "company follows": ("Company Follows.csv", ("Organization", "Followed On")),
    "search queries": ("SearchQueries.csv", (("Time", "Search Query"), ("Date", "Search Query"))),
}

#: Canonical file name -> the columns the importer reads (the only ones kept in memory).
_USED = {
    "profile": ("First Name", "Last Name", "Headline", "Summary", "Industry"),
    "registration": ("Registered At",),
    "positions": ("Company Name", "Title", "Started On", "Finished On"),
    "education": ("School Name", "Degree Name", "Start Date", "End Date"),
    "skills": ("Name",),
    "recommendations_received": ("Status", "Creation Date"),
    "endorsement_received_info": ("Endorsement Date",),
    "connections": ("Connected On",),
    "invitations": ("Direction", "Sent At", "inviterProfileUrl", "inviteeProfileUrl"),
    "messages": ("CONVERSATION ID", "FROM", "TO", "DATE", "DIRECTION", "SENDER PROFILE URL",
                 "IS MESSAGE DRAFT", "FOLDER"),
    "shares": ("Date",),
    "comments": ("Date",),
    "reactions": ("Date",),
    "company follows": ("Followed On",),
    "search queries": ("Time", "Date"),
}

#: Files of free text LinkedIn writes loosely (unquoted multi-line text, ``\"``): the column starting a record.
_FREE_TEXT = {"comments": "Date", "shares": "Date"}

#: Other dated files, read leniently, only to date the profile when the name carries no date.
#: (Positions and education are left out: their dates may lie in the future.)
_OTHER_DATES = {
    "recommendations_received": "Creation Date",
    "endorsement_received_info": "Endorsement Date",
    "company follows": "Followed On",
}


def import_linkedin_export(path, out, *, member_id: str | None = None, industry: str | None = None,
                           salt: str | None = None, limits: ZipLimits | None = None, analytics=(),
                           strict: bool = False, same_person: bool = False,
                           profile_from_export_date: bool = False) -> ImportSummary:
    """Import a LinkedIn data export into the dataset at ``out`` (created or added to).

    Parameters
    ----------
    path : path-like
        The export ZIP or folder.
    out : path-like
        Dataset directory; written atomically only after the whole export was read.
    member_id, industry, salt, limits, analytics, profile_from_export_date
        See :func:`read_linkedin_export`.
    strict : bool
        Refuse the import when any row cannot be read (default: skip and report it).
    same_person : bool
        Allow adding this export to a seller the dataset holds from another export.

    Returns
    -------
    ImportSummary

    Raises
    ------
    InputError
        (:class:`~ssi_kit.exceptions.ImportFormatError` for a bad export); nothing is
        written then.  :class:`~ssi_kit.exceptions.UsageError` when ``member_id`` is an e-mail
        address or a phone number and no ``salt`` is given, when the export has no
        profile name and no ``member_id`` is given, or when ``out`` holds the seller from
        another person's export and ``same_person`` is false.
    """
    if salt is None:
        refuse_contact_option(member_id)
    skipped, info = [], {}
    tables = read_linkedin_export(path, member_id=member_id, industry=industry, salt=salt, limits=limits,
                                  analytics=analytics, skipped=skipped, info=info,
                                  profile_from_export_date=profile_from_export_date)
    member = tables["members"]["member_id"].iloc[0]
    check_identity(out, member, info["fingerprint"], same_person=same_person)
    notes = info["notes"] + ([identity_note(member, info["fingerprint"])] if info["fingerprint"] else [])
    return merge_into_dir(out, tables, source=f"LinkedIn export {path}", skipped=skipped, notes=notes,
                          strict=strict)


def read_linkedin_export(path, *, member_id: str | None = None, industry: str | None = None,
                         salt: str | None = None, limits: ZipLimits | None = None, analytics=(),
                         skipped: list | None = None, info: dict | None = None,
                         profile_from_export_date: bool = False) -> dict[str, pd.DataFrame]:
    """Read a LinkedIn data export into dataset tables, writing nothing.

    Parameters
    ----------
    path : path-like
        The export ZIP (read in memory, never extracted) or its folder.
    member_id : str, optional
        The seller's id; default a slug of the profile name (``jane-doe``).  Required
        when the export has no profile name.
    industry : str, optional
        Industry when Profile.csv names none (default ``unknown``).
    salt : str, optional
        When given, every seller id is replaced by its salted pseudonym.
    limits : ZipLimits, optional
        Size and compression-ratio limits of the ZIP (defaults: :class:`ZipLimits`).
    analytics : sequence of path-like
        LinkedIn creator analytics workbooks (XLSX) of the same member; ``.xlsx`` files
        beside the export's CSV files are read too (ignored, with a note, when they are
        not analytics workbooks).
    skipped : list, optional
        Receives the :class:`~ssi_kit.imports.merge.Skipped` records of unreadable rows.
    info : dict, optional
        Receives ``fingerprint`` (the export's identity hash; None without a profile name)
        and ``notes`` (for the import summary).
    profile_from_export_date : bool
        Apply the undatable profile facts (headline, summary, skills) only from the export date.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``members``, ``profiles`` and (when the export holds dated activity) ``activity``.

    Raises
    ------
    ImportFormatError
        For an unsafe or unreadable ZIP, a file without its header, a date column that
        cannot be read at all.
    UsageError
        When the export has no profile name and no ``member_id`` is given.
    """
    skipped = [] if skipped is None else skipped
    wanted = {name: (required, frozenset(_USED[name]), *((_FREE_TEXT[name],) if name in _FREE_TEXT else ()))
              for name, (_, required) in EXPORT_FILES.items()}
    contents = open_export(path, wanted, limits=limits)
    frames = _read_frames(contents.files)
    person = _person(frames.get("profile"))
    me = _member_id(member_id, person["name"], contents.source)
    events, skips = collect_events(frames, person["name"])
    skipped.extend(skips)
    date = pd.Timestamp(contents.folder_date) if contents.folder_date else _latest_date(events, frames)
    if date is None:
        raise ImportFormatError(contents.source, "carries no date to date the profile snapshot (no dated "
                                "activity and no export date in its name)",
                                "the folder or ZIP named as LinkedIn names it: Basic_LinkedInDataExport_MM-DD-YYYY")
    tables = {"members": pd.DataFrame({"member_id": [me], "industry": [person["industry"] or
                                                                      clean(industry) or "unknown"]}),
              "profiles": profile_snapshots(frames, person, me, date, first_event=_first_date(events),
                                            from_export_date=profile_from_export_date)}
    notes = []
    sources = [(str(book), None, True) for book in analytics] + [(n, d, False) for n, d in contents.workbooks]
    activity = _with_analytics(_activity(events, me), sources, me, skipped, notes)
    if len(activity):
        tables["activity"] = activity
    if info is not None:
        info.update(fingerprint=fingerprint(name_key(person["name"]), salt), notes=notes)
    return pseudonymize_tables(tables, salt) if salt is not None else tables


def _read_frames(files: dict) -> dict[str, pd.DataFrame]:
    """Each export file (its parts concatenated, each marked with its ``_file``), by canonical name."""
    frames = {}
    for name, parts in files.items():
        read = [frame.assign(_file=display) for display, frame in parts]
        frames[name] = pd.concat(read, ignore_index=True) if len(read) > 1 else read[0]
    return frames


def _person(profile: pd.DataFrame | None) -> dict:
    """Name, industry and headline/summary presence from Profile.csv (first row)."""
    if profile is None or profile.empty:
        return {"name": "", "industry": "", "has_headline": pd.NA, "has_summary": pd.NA}
    row = profile.iloc[0]
    text = {c: clean(row.get(c, "")) for c in ("First Name", "Last Name", "Headline", "Summary", "Industry")}
    return {"name": f"{text['First Name']} {text['Last Name']}".strip(), "industry": text["Industry"],
            "has_headline": bool(text["Headline"]), "has_summary": bool(text["Summary"])}


def _member_id(given: str | None, name: str, source: str) -> str:
    """``--member`` when given, else a slug of the profile name; no invented id."""
    if given is not None:
        if not given.strip():
            raise UsageError("--member must not be blank.")
        return given.strip()
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    slug = "-".join("".join(c if c.isalnum() else " " for c in ascii_name).split())
    if not slug:
        raise UsageError(f"the export {source} has no profile name (no Profile.csv, or no name in it), so "
                         "the seller cannot be told apart from others: pass --member ID.")
    return slug


def _latest_date(events: dict, frames: dict) -> pd.Timestamp | None:
    """The latest event date in the files (activity, recommendations, endorsements, follows)."""
    seen = [s.max() for s in events.values() if len(s)]
    for name, column in _OTHER_DATES.items():
        if name in frames and column in frames[name]:
            seen.append(parse_export_dates(frames[name][column].tolist()).max())
    seen = [s for s in seen if not pd.isna(s)]
    return max(seen).normalize() if seen else None


def _first_date(events: dict) -> pd.Timestamp | None:
    """The first day of activity in the export, or None."""
    seen = [s.min() for s in events.values() if len(s)]
    seen = [s for s in seen if not pd.isna(s)]
    return min(seen).normalize() if seen else None


def _activity(events: dict, member: str) -> pd.DataFrame:
    """One row per day with any event; one count column per known source."""
    counts = {col: stamps.dt.normalize().value_counts() for col, stamps in events.items()}
    days = sorted(set().union(*(c.index for c in counts.values()))) if counts else []
    frame = pd.DataFrame({"member_id": pd.Series([member] * len(days), dtype="str"),
                          "date": pd.Series(days, dtype="datetime64[ns]")})
    for column in (*DAILY, "messages_sent", "messages_replied"):
        if column in counts:
            frame[column] = counts[column].reindex(days, fill_value=0).to_numpy(dtype="int64")
            frame[column] = frame[column].astype("Int64")
    return frame


def _with_analytics(activity: pd.DataFrame, sources, member: str, skipped: list, notes: list) -> pd.DataFrame:
    """``activity`` joined (by day) with the counts of creator analytics workbooks.

    ``sources`` are ``(name, bytes or None, given)``: a workbook given by the user must be
    one; one found in the export folder that is not is ignored, with a note.
    """
    for name, data, given in sources:
        try:
            frame, skips = read_analytics(name, data)
        except ImportFormatError:
            if given:
                raise
            notes.append(f"{name}: not a LinkedIn analytics workbook (no ENGAGEMENT or FOLLOWERS sheet), ignored")
            continue
        skipped.extend(skips)
        if frame.empty:
            continue
        frame = frame.assign(member_id=member)
        merged = activity.merge(frame, on=["member_id", "date"], how="outer", suffixes=("", "_new"))
        for col in [c for c in merged.columns if c.endswith("_new")]:
            merged[col[:-4]] = merged[col[:-4]].fillna(merged.pop(col))
        activity = merged.sort_values("date", ignore_index=True)
        export_cols = [c for c in activity.columns if c in DAILY or c.startswith("messages_")]
        activity[export_cols] = activity[export_cols].fillna(0)  # a day without export events: none
    return activity
