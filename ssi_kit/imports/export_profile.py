"""The profile of a LinkedIn data export, reconstructed over the export's history.

An export holds one profile, but many of its facts are dated, so ``profiles`` gets one
snapshot per day a dated fact changes, up to the export date:

* ``positions`` on a day: positions started on or before it (Positions.csv ``Started
  On``; month-only dates read as the 1st); a finished position stays on the profile,
  as past positions do on LinkedIn (profile completeness counts every listed position);
* ``education``: schools started on or before it (Education.csv ``Start Date``, else
  ``End Date``); a finished degree stays on the profile;
* ``recommendations``: VISIBLE recommendations received created on or before it
  (Recommendations_Received.csv ``Creation Date``).

Snapshots start on the export's first day: the account's registration date
(Registration.csv ``Registered At``) when the export has it, else the first day of
activity in the export (else the export date); earlier facts are folded into that first
snapshot, so a profile does not reach back decades before anything else is known.
Undatable facts (headline, summary, skills, and items whose date is blank or
unreadable) are assumed present from that first day; with ``from_export_date`` they are
applied only from the export date (unknown before).  Facts dated after the export date
are ignored.  ``has_photo`` and
``featured_items`` are not in the export and stay empty.
"""
from __future__ import annotations

import pandas as pd

from .export_dates import parse_export_dates
from .export_events import column, name_key

__all__ = ["profile_snapshots"]

_DAY = pd.Timedelta(days=1)


def _days(frame: pd.DataFrame | None, col: str) -> pd.Series:
    """Dates (to the day) of ``frame[col]``; NaT where blank or unreadable."""
    if frame is None:
        return pd.Series([], dtype="datetime64[ns]")
    return parse_export_dates(column(frame, col).tolist()).dt.normalize().set_axis(frame.index)


def _registered(frames: dict) -> pd.Timestamp | None:
    """The account's registration day (Registration.csv), or None."""
    days = _days(frames.get("registration"), "Registered At").dropna()
    return days.min() if len(days) else None


def _facts(frames: dict) -> dict[str, tuple[pd.Series, pd.Series] | None]:
    """Per dated count: (from day, until day) of each item; None when its file is absent."""
    positions, education = frames.get("positions"), frames.get("education")
    recs = frames.get("recommendations_received")
    facts = {"positions": None, "education": None, "recommendations": None}
    if positions is not None:
        listed = pd.concat([column(positions, c).str.strip().ne("") for c in ("Company Name", "Title")],
                           axis=1).any(axis=1)
        start = _days(positions, "Started On")[listed]
        facts["positions"] = (start, pd.Series(pd.NaT, index=start.index, dtype="datetime64[ns]"))
    if education is not None:
        listed = pd.concat([column(education, c).str.strip().ne("") for c in ("School Name", "Degree Name")],
                           axis=1).any(axis=1)
        start = _days(education, "Start Date").fillna(_days(education, "End Date"))[listed]
        facts["education"] = (start, pd.Series(pd.NaT, index=start.index, dtype="datetime64[ns]"))
    if recs is not None:
        visible = column(recs, "Status").str.strip().str.upper().eq("VISIBLE")
        start = _days(recs, "Creation Date")[visible]
        facts["recommendations"] = (start, pd.Series(pd.NaT, index=start.index, dtype="datetime64[ns]"))
    return facts


def _count_on(day: pd.Timestamp, fact, anchor: pd.Timestamp):
    """Items present on ``day``: from their day (undated: the anchor), until finished before it."""
    if fact is None:
        return pd.NA
    start, until = fact
    begun = start.fillna(anchor) <= day
    return int((begun & ~(until < day)).sum())


def profile_snapshots(frames: dict, person: dict, member: str, export_date: pd.Timestamp, *,
                      first_event: pd.Timestamp | None = None, from_export_date: bool = False) -> pd.DataFrame:
    """One ``profiles`` row per day the export's dated profile facts change (see module docstring).

    Parameters
    ----------
    frames : dict of str to pandas.DataFrame
        The export's files by canonical name.
    person : dict
        ``has_headline`` and ``has_summary`` from Profile.csv.
    member : str
        The seller's id.
    export_date : pandas.Timestamp
        The day of the export: the last snapshot.
    first_event : pandas.Timestamp, optional
        The first day of activity in the export (the first snapshot without a registration date).
    from_export_date : bool
        Apply undatable facts only from the export date.

    Returns
    -------
    pandas.DataFrame
    """
    export_date = export_date.normalize()
    facts = _facts(frames)
    registered = _registered(frames)
    changes = []
    for fact in facts.values():
        if fact is not None:
            changes.extend(fact[0].dropna())
            changes.extend(fact[1].dropna() + _DAY)
    changes = [d for d in changes if d <= export_date]
    if registered is not None and registered <= export_date:
        first = registered
    else:
        first = min(first_event.normalize(), export_date) if first_event is not None else export_date
    anchor = export_date if from_export_date else first
    days = sorted({first, export_date, anchor, *(d for d in changes if d >= first)})
    skills = frames.get("skills")
    n_skills = pd.NA if skills is None else int(column(skills, "Name").map(name_key).replace("", pd.NA).nunique())
    rows = [{"member_id": member, "date": day, "has_photo": pd.NA,
             "has_headline": person["has_headline"] if day >= anchor else pd.NA,
             "has_summary": person["has_summary"] if day >= anchor else pd.NA,
             **{name: _count_on(day, fact, anchor) for name, fact in facts.items()},
             "skills": n_skills if day >= anchor else pd.NA, "featured_items": pd.NA} for day in days]
    return _typed(pd.DataFrame(rows))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Profile columns in contract types."""
    for col in ("has_photo", "has_headline", "has_summary"):
        frame[col] = frame[col].astype("boolean")
    for col in ("positions", "education", "skills", "recommendations", "featured_items"):
        frame[col] = frame[col].astype("Int64")
    frame["date"] = frame["date"].astype("datetime64[ns]")
    return frame[["member_id", "date", "has_photo", "has_headline", "has_summary", "positions", "education",
                  "skills", "recommendations", "featured_items"]]
