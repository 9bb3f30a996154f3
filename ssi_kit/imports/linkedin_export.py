"""LinkedIn's data export ("Get a copy of your data") -> ``members``, ``profiles``, ``activity``.

One export describes one member.  What the importer takes from it:

* ``members``: ``member_id`` (``--member``, else a slug of the profile name, else
  ``me``) and ``industry`` (Profile.csv ``Industry``, else ``--industry``, else
  ``unknown``).
* ``profiles``: one snapshot dated the export date (from the
  ``..._LinkedInDataExport_MM-DD-YYYY`` name, else the latest event date in the
  files; never today): ``has_headline``, ``has_summary``, ``positions``,
  ``education``, ``skills``, ``recommendations`` (VISIBLE ones received);
  ``has_photo`` and ``featured_items`` are not in the export and stay empty.
* ``activity``, per day: ``posts`` (Shares.csv), ``comments_made`` (Comments.csv),
  ``reactions_made`` (Reactions.csv), ``invitations_sent`` (Invitations.csv,
  OUTGOING), ``invitations_accepted`` (Connections.csv ``Connected On``: connections
  made), ``messages_sent`` (messages.csv from the member, drafts excluded) and
  ``messages_replied`` (messages the member received in a conversation after the
  member had written in it).  A count whose file is absent is left out (unknown),
  not zero; so are the message counts when the member cannot be told apart in
  messages.csv (no profile name or own profile URL matches a sender).

Only counts and dates leave the importer: message texts, e-mail addresses, phone
numbers, birth dates and addresses are read by no code path that writes.
"""
from __future__ import annotations

import unicodedata

import pandas as pd

from ..exceptions import ImportFormatError, UsageError
from .export_dates import date_column, parse_export_dates
from .export_files import ZipLimits, open_export, repair_mojibake
from .merge import ImportSummary, merge_into_dir
from .privacy import pseudonymize_tables, refuse_contact_option

__all__ = ["import_linkedin_export", "read_linkedin_export", "EXPORT_FILES"]

#: Canonical file name -> (file name as LinkedIn writes it, columns its header must name).
EXPORT_FILES = {
    "profile": ("Profile.csv", ("First Name", "Last Name", "Headline")),
    "positions": ("Positions.csv", ("Company Name", "Title")),
    "education": ("Education.csv", ("School Name",)),
    "skills": ("Skills.csv", ("Name",)),
    "recommendations_received": ("Recommendations_Received.csv", ("First Name", "Last Name", "Status")),
    "endorsement_received_info": ("Endorsement_Received_Info.csv", ("Endorsement Date", "Skill Name")),
    "connections": ("Connections.csv", ("First Name", "Last Name", "Connected On")),
    "invitations": ("Invitations.csv", ("From", "To", "Sent At", "Direction")),
    "messages": ("messages.csv", ("CONVERSATION ID", "FROM", "DATE")),
    "shares": ("Shares.csv", ("Date", "ShareLink")),
    "comments": ("Comments.csv", ("Date", "Link", "Message")),
    "reactions": ("Reactions.csv", ("Date", "Type", "Link")),
    "company follows": ("Company Follows.csv", ("Organization", "Followed On")),
}

#: Canonical file name -> the columns the importer reads (the only ones kept in memory).
_USED = {
    "profile": ("First Name", "Last Name", "Headline", "Summary", "Industry"),
    "positions": ("Company Name", "Title"),
    "education": ("School Name", "Degree Name"),
    "skills": ("Name",),
    "recommendations_received": ("Status", "Creation Date"),
    "endorsement_received_info": ("Endorsement Date",),
    "connections": ("Connected On",),
    "invitations": ("Direction", "Sent At", "inviterProfileUrl", "inviteeProfileUrl"),
    "messages": ("CONVERSATION ID", "FROM", "DATE", "SENDER PROFILE URL", "IS MESSAGE DRAFT", "FOLDER"),
    "shares": ("Date",),
    "comments": ("Date",),
    "reactions": ("Date",),
    "company follows": ("Followed On",),
}

#: Activity count -> (file, date column): one event per row.
_DAILY = {
    "posts": ("shares", "Date"),
    "comments_made": ("comments", "Date"),
    "reactions_made": ("reactions", "Date"),
    "invitations_sent": ("invitations", "Sent At"),
    "invitations_accepted": ("connections", "Connected On"),
}

#: Other dated files, read leniently, only to date the profile when the name carries no date.
#: (Positions and education are left out: their dates may lie in the future.)
_OTHER_DATES = {
    "recommendations_received": "Creation Date",
    "endorsement_received_info": "Endorsement Date",
    "company follows": "Followed On",
}


def import_linkedin_export(path, out, *, member_id: str | None = None, industry: str | None = None,
                           salt: str | None = None, limits: ZipLimits | None = None) -> ImportSummary:
    """Import a LinkedIn data export into the dataset at ``out`` (created or added to).

    Parameters
    ----------
    path : path-like
        The export ZIP or folder.
    out : path-like
        Dataset directory; written atomically only after the whole export was read.
    member_id, industry, salt, limits
        See :func:`read_linkedin_export`.

    Returns
    -------
    ImportSummary

    Raises
    ------
    InputError
        (:class:`~ssi_kit.exceptions.ImportFormatError` for a bad export); nothing is
        written then.  :class:`~ssi_kit.exceptions.UsageError` when ``member_id`` is an e-mail
        address or a phone number and no ``salt`` is given.
    """
    if salt is None:
        refuse_contact_option(member_id)
    tables = read_linkedin_export(path, member_id=member_id, industry=industry, salt=salt, limits=limits)
    return merge_into_dir(out, tables, source=f"LinkedIn export {path}")


def read_linkedin_export(path, *, member_id: str | None = None, industry: str | None = None,
                         salt: str | None = None, limits: ZipLimits | None = None) -> dict[str, pd.DataFrame]:
    """Read a LinkedIn data export into dataset tables, writing nothing.

    Parameters
    ----------
    path : path-like
        The export ZIP (read in memory, never extracted) or its folder.
    member_id : str, optional
        The seller's id; default a slug of the profile name (``jane-doe``), else ``me``.
    industry : str, optional
        Industry when Profile.csv names none (default ``unknown``).
    salt : str, optional
        When given, every seller id is replaced by its salted pseudonym.
    limits : ZipLimits, optional
        Size and compression-ratio limits of the ZIP (defaults: :class:`ZipLimits`).

    Returns
    -------
    dict of str to pandas.DataFrame
        ``members``, ``profiles`` and (when the export holds dated activity) ``activity``.

    Raises
    ------
    ImportFormatError
        For an unsafe or unreadable ZIP, a file without its header, an unreadable date.
    """
    wanted = {name: (required, frozenset(_USED[name])) for name, (_, required) in EXPORT_FILES.items()}
    contents = open_export(path, wanted, limits=limits)
    frames = _read_frames(contents.files)
    person = _person(frames.get("profile"))
    me = _member_id(member_id, person["name"])
    events = _events(frames, person["name"])
    date = pd.Timestamp(contents.folder_date) if contents.folder_date else _latest_date(events, frames)
    if date is None:
        raise ImportFormatError(contents.source, "carries no date to date the profile snapshot (no dated "
                                "activity and no export date in its name)",
                                "the folder or ZIP named as LinkedIn names it: Basic_LinkedInDataExport_MM-DD-YYYY")
    tables = {"members": pd.DataFrame({"member_id": [me], "industry": [person["industry"] or
                                                                      _clean(industry) or "unknown"]}),
              "profiles": _profile(frames, person, me, date)}
    activity = _activity(events, me)
    if len(activity):
        tables["activity"] = activity
    return pseudonymize_tables(tables, salt) if salt is not None else tables


def _read_frames(files: dict) -> dict[str, pd.DataFrame]:
    """Each export file (its parts concatenated, each marked with its ``_file``), by canonical name."""
    frames = {}
    for name, parts in files.items():
        read = [frame.assign(_file=display) for display, frame in parts]
        frames[name] = pd.concat(read, ignore_index=True) if len(read) > 1 else read[0]
    return frames


def _clean(text) -> str:
    """Text repaired (mojibake), normalized and single-spaced; ``""`` for none."""
    if not isinstance(text, str):
        return ""
    return " ".join(unicodedata.normalize("NFC", repair_mojibake(text)).split())


def _key(text) -> str:
    """A comparison key for names: cleaned and case-folded."""
    return _clean(text).casefold()


def _url_key(text) -> str:
    """A comparison key for profile URLs: no scheme, ``www.``, trailing slash or case."""
    url = _clean(text).lower()
    for prefix in ("https://", "http://", "www."):
        url = url[len(prefix):] if url.startswith(prefix) else url
    return url.rstrip("/")


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """``frame[name]`` as text, or blanks when the export's vintage lacks the column."""
    if name in frame:
        return frame[name].fillna("").astype("str")
    return pd.Series([""] * len(frame), index=frame.index, dtype="str")


def _person(profile: pd.DataFrame | None) -> dict:
    """Name, industry and headline/summary presence from Profile.csv (first row)."""
    if profile is None or profile.empty:
        return {"name": "", "industry": "", "has_headline": pd.NA, "has_summary": pd.NA}
    row = profile.iloc[0]
    text = {c: _clean(row.get(c, "")) for c in ("First Name", "Last Name", "Headline", "Summary", "Industry")}
    return {"name": f"{text['First Name']} {text['Last Name']}".strip(), "industry": text["Industry"],
            "has_headline": bool(text["Headline"]), "has_summary": bool(text["Summary"])}


def _member_id(given: str | None, name: str) -> str:
    """``--member`` when given, else a slug of the profile name, else ``me``."""
    if given is not None:
        if not given.strip():
            raise UsageError("--member must not be blank.")
        return given.strip()
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    slug = "-".join("".join(c if c.isalnum() else " " for c in ascii_name).split())
    return slug or "me"


def _count_rows(frame: pd.DataFrame | None, columns) -> object:
    """Rows with any of ``columns`` non-blank; NA when the file is absent."""
    if frame is None:
        return pd.NA
    filled = pd.concat([_column(frame, c).str.strip().ne("") for c in columns], axis=1).any(axis=1)
    return int(filled.sum())


def _profile(frames: dict, person: dict, member: str, date: pd.Timestamp) -> pd.DataFrame:
    """The one profile snapshot of the export."""
    skills = frames.get("skills")
    recs = frames.get("recommendations_received")
    row = {
        "member_id": member, "date": date.normalize(), "has_photo": pd.NA,
        "has_headline": person["has_headline"], "has_summary": person["has_summary"],
        "positions": _count_rows(frames.get("positions"), ("Company Name", "Title")),
        "education": _count_rows(frames.get("education"), ("School Name", "Degree Name")),
        "skills": pd.NA if skills is None else int(_column(skills, "Name").map(_key).replace("", pd.NA).nunique()),
        "recommendations": pd.NA if recs is None else
        int(_column(recs, "Status").str.strip().str.upper().eq("VISIBLE").sum()),
        "featured_items": pd.NA,
    }
    frame = pd.DataFrame([row])
    for col in ("has_photo", "has_headline", "has_summary"):
        frame[col] = frame[col].astype("boolean")
    for col in ("positions", "education", "skills", "recommendations", "featured_items"):
        frame[col] = frame[col].astype("Int64")
    frame["date"] = frame["date"].astype("datetime64[ns]")
    return frame


def _rows_file(frame: pd.DataFrame, name: str) -> str:
    """The display name of the (first) file a frame was read from."""
    return str(frame["_file"].iloc[0]) if "_file" in frame and len(frame) else EXPORT_FILES[name][0]


def _events(frames: dict, name: str) -> dict[str, pd.Series]:
    """Per activity count, the timestamps of its events (counts whose source is absent are left out)."""
    events = {}
    for column, (file, date_col) in _DAILY.items():
        frame = frames.get(file)
        if frame is None:
            continue
        if column == "invitations_sent":
            frame = frame[_column(frame, "Direction").str.strip().str.upper().eq("OUTGOING")]
        events[column] = _dates_by_file(frame, date_col, file)
    if "messages" in frames:
        events.update(_message_events(frames["messages"], name, _own_urls(frames.get("invitations"))))
    return events


def _dates_by_file(frame: pd.DataFrame, column: str, name: str) -> pd.Series:
    """Strictly parsed dates of ``frame[column]`` (each part reported under its own file), blanks dropped."""
    if "_file" not in frame or frame.empty:
        return pd.Series([], dtype="datetime64[ns]")
    parts = [date_column(part, column, str(file)) for file, part in frame.groupby("_file", sort=False)]
    return pd.concat(parts).reindex(frame.index).dropna()


def _own_urls(invitations: pd.DataFrame | None) -> set[str]:
    """The member's profile URLs: inviter of outgoing, invitee of incoming invitations."""
    if invitations is None:
        return set()
    direction = _column(invitations, "Direction").str.strip().str.upper()
    urls = pd.concat([_column(invitations, "inviterProfileUrl")[direction.eq("OUTGOING")],
                      _column(invitations, "inviteeProfileUrl")[direction.eq("INCOMING")]])
    return {u for u in urls.map(_url_key) if u}


def _message_events(frame: pd.DataFrame, name: str, urls: set[str]) -> dict[str, pd.Series]:
    """``messages_sent`` and ``messages_replied`` timestamps; none when the member is not found."""
    when = _dates_by_file(frame, "DATE", "messages").reindex(frame.index)
    draft = (_column(frame, "IS MESSAGE DRAFT").str.strip().str.lower().isin({"yes", "true", "1"})
             | _column(frame, "FOLDER").str.strip().str.upper().isin({"DRAFT", "DRAFTS"}))
    sender_url = _column(frame, "SENDER PROFILE URL").map(_url_key)
    by_name = _column(frame, "FROM").map(_key).eq(_key(name)) if name else pd.Series(False, index=frame.index)
    urls = urls | {u for u in sender_url[by_name] if u}
    mine = by_name | (sender_url.isin(urls) & sender_url.ne(""))
    if not name and not urls:
        return {}
    keep = ~draft & when.notna()
    conversation = _column(frame, "CONVERSATION ID")
    since = when.where(keep & mine).groupby(conversation).transform("min")  # member's first message
    return {"messages_sent": when[keep & mine], "messages_replied": when[keep & ~mine & (when > since)]}


def _latest_date(events: dict, frames: dict) -> pd.Timestamp | None:
    """The latest event date in the files (activity, recommendations, endorsements, follows)."""
    seen = [s.max() for s in events.values() if len(s)]
    for name, column in _OTHER_DATES.items():
        if name in frames and column in frames[name]:
            seen.append(parse_export_dates(frames[name][column].tolist()).max())
    seen = [s for s in seen if not pd.isna(s)]
    return max(seen).normalize() if seen else None


def _activity(events: dict, member: str) -> pd.DataFrame:
    """One row per day with any event; one count column per known source."""
    counts = {col: stamps.dt.normalize().value_counts() for col, stamps in events.items()}
    days = sorted(set().union(*(c.index for c in counts.values()))) if counts else []
    frame = pd.DataFrame({"member_id": pd.Series([member] * len(days), dtype="str"),
                          "date": pd.Series(days, dtype="datetime64[ns]")})
    for column in (*_DAILY, "messages_sent", "messages_replied"):
        if column in counts:
            frame[column] = counts[column].reindex(days, fill_value=0).to_numpy(dtype="int64")
            frame[column] = frame[column].astype("Int64")
    return frame
