"""Dated events of a LinkedIn data export: what each file adds to daily ``activity``.

One event per row: ``posts`` (Shares.csv), ``comments_made`` (Comments.csv),
``reactions_made`` (Reactions.csv), ``invitations_sent`` (Invitations.csv, OUTGOING),
``invitations_accepted`` (Connections.csv ``Connected On``), ``searches`` (Search
Queries.csv / SearchQueries.csv), ``messages_sent`` and ``messages_replied``
(messages.csv; the 2018 ``Messages.csv`` marks the member's messages ``OUTGOING``).

A row whose date is blank or unreadable is left out and reported as a
:class:`~ssi_kit.imports.merge.Skipped` record (file, count, lines, what was lost);
a file whose date column cannot be read at all is refused.
"""
from __future__ import annotations

import html
import unicodedata

import pandas as pd

from .export_dates import unreadable_dates
from .export_files import repair_mojibake
from .merge import Skipped

__all__ = ["DAILY", "collect_events", "clean", "name_key", "column"]

#: Activity count -> (file, date column or alternatives, what one row is, for "lost: 2 comments").
DAILY = {
    "posts": ("shares", ("Date",), "posts"),
    "comments_made": ("comments", ("Date",), "comments"),
    "reactions_made": ("reactions", ("Date",), "reactions"),
    "invitations_sent": ("invitations", ("Sent At",), "invitations"),
    "invitations_accepted": ("connections", ("Connected On",), "connections"),
    "searches": ("search queries", ("Time", "Date"), "searches"),
}


def clean(text) -> str:
    """Text repaired (mojibake, HTML entities of 2018 files), normalized and single-spaced; ``""`` for none."""
    if not isinstance(text, str):
        return ""
    return " ".join(unicodedata.normalize("NFC", html.unescape(repair_mojibake(text))).split())


def name_key(text) -> str:
    """A comparison key for names: cleaned and case-folded."""
    return clean(text).casefold()


def _url_key(text) -> str:
    """A comparison key for profile URLs: no scheme, ``www.``, trailing slash or case."""
    url = clean(text).lower()
    for prefix in ("https://", "http://", "www."):
        url = url[len(prefix):] if url.startswith(prefix) else url
    return url.rstrip("/")


def column(frame: pd.DataFrame, name: str) -> pd.Series:
    """``frame[name]`` as text, or blanks when the export's vintage lacks the column."""
    if name in frame:
        return frame[name].fillna("").astype("str")
    return pd.Series([""] * len(frame), index=frame.index, dtype="str")


def collect_events(frames: dict, name: str) -> tuple[dict[str, pd.Series], list[Skipped]]:
    """Per activity count, the timestamps of its events, and the rows skipped.

    Counts whose file is absent are left out (unknown, not zero).
    """
    events, skipped = {}, []
    for count, (file, date_cols, unit) in DAILY.items():
        frame = frames.get(file)
        if frame is None:
            continue
        if count == "invitations_sent":
            frame = frame[column(frame, "Direction").str.strip().str.upper().eq("OUTGOING")]
        date_col = next((c for c in date_cols if c in frame), date_cols[0])
        events[count] = _dated(frame, date_col, f"{unit} ({count})", skipped).dropna()
    if "messages" in frames:
        events.update(_message_events(frames["messages"], name, _own_urls(frames.get("invitations")), skipped))
    return events, skipped


def _dated(frame: pd.DataFrame, date_col: str, lost: str, skipped: list) -> pd.Series:
    """Dates of ``frame[date_col]`` (NaT where unreadable), each file part's bad rows added to ``skipped``."""
    if "_file" not in frame or frame.empty:
        return pd.Series([], dtype="datetime64[ns]")
    parts = []
    for file, part in frame.groupby("_file", sort=False):
        parsed, bad = unreadable_dates(part, date_col, str(file))
        if bad.any():
            lines = tuple(int(n) for n in part.loc[bad, "_line"].head(5))
            count = int(bad.sum())
            skipped.append(Skipped(str(file), f"no readable date in column '{date_col}'", count, lines,
                                   f"{count} {lost}"))
        parts.append(parsed)
    return pd.concat(parts).reindex(frame.index)


def _own_urls(invitations: pd.DataFrame | None) -> set[str]:
    """The member's profile URLs: inviter of outgoing, invitee of incoming invitations."""
    if invitations is None:
        return set()
    direction = column(invitations, "Direction").str.strip().str.upper()
    urls = pd.concat([column(invitations, "inviterProfileUrl")[direction.eq("OUTGOING")],
                      column(invitations, "inviteeProfileUrl")[direction.eq("INCOMING")]])
    return {u for u in urls.map(_url_key) if u}


def _message_events(frame: pd.DataFrame, name: str, urls: set[str], skipped: list) -> dict[str, pd.Series]:
    """``messages_sent`` and ``messages_replied`` timestamps; none when the member is not found."""
    when = _dated(frame, "DATE", "messages (messages_sent, messages_replied)", skipped)
    draft = (column(frame, "IS MESSAGE DRAFT").str.strip().str.lower().isin({"yes", "true", "1"})
             | column(frame, "FOLDER").str.strip().str.upper().isin({"DRAFT", "DRAFTS"}))
    direction = column(frame, "DIRECTION").str.strip().str.upper()
    if "CONVERSATION ID" not in frame and direction.isin({"OUTGOING", "INCOMING"}).any():
        mine = direction.eq("OUTGOING")  # 2018: From,To,Date,Subject,Content,Direction,Folder
        conversation = column(frame, "TO").map(name_key).where(mine, column(frame, "FROM").map(name_key))
    else:
        sender_url = column(frame, "SENDER PROFILE URL").map(_url_key)
        by_name = column(frame, "FROM").map(name_key).eq(name_key(name)) if name else \
            pd.Series(False, index=frame.index)
        urls = urls | {u for u in sender_url[by_name] if u}
        if not name and not urls:
            return {}
        mine = by_name | (sender_url.isin(urls) & sender_url.ne(""))
        conversation = column(frame, "CONVERSATION ID")
    keep = ~draft & when.notna()
    since = when.where(keep & mine).groupby(conversation).transform("min")  # member's first message
    return {"messages_sent": when[keep & mine], "messages_replied": when[keep & ~mine & (when > since)]}
