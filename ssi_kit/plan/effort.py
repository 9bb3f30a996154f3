"""The effort table: minutes per unit of each action, and which columns a seller can change.

The shipped table is ``effort.yaml`` beside this module; ``--effort FILE.yaml``
replaces it whole (:func:`load_effort`).  :data:`NOT_ACTIONABLE` lists the
columns no single seller changes directly (what others do: views, replies,
acceptances, followers), which are never planned.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..exceptions import InputError
from ..io.safe_yaml import describe_key, describe_value, load_yaml, parse_yaml
from ..io.schemas import ACTIVITY_COUNTS, PROFILE_FIELDS, columns_of

__all__ = ["Effort", "load_effort", "NOT_ACTIONABLE", "ACTIONABLE_ACTIVITY", "PROFILE_FLAGS", "PROFILE_COUNTS",
           "MAX_MINUTES"]

#: Activity counts that record what others do (received views, reactions, replies, acceptances,
#: followers, new connections made when others accept): no seller raises them directly.
#: Sources ``peers`` (the connections table) and ``active_days`` are never planned either.
NOT_ACTIONABLE = ("post_views", "post_reactions", "post_comments", "followers_gained", "profile_views_received",
                  "invitations_accepted", "decision_maker_connections", "internal_connections",
                  "inmails_replied", "messages_replied")
#: Activity counts a seller raises by doing more of them.
ACTIONABLE_ACTIVITY = tuple(c for c in ACTIVITY_COUNTS if c not in NOT_ACTIONABLE)
#: Profile flags (an action sets one true) and counts (an action adds one).
PROFILE_FLAGS = columns_of("profiles", "flag")
PROFILE_COUNTS = columns_of("profiles", "count")
#: Largest ``minutes`` per unit an effort table may give (a working week).
MAX_MINUTES = 2400.0
_MAX_PER_WEEK = 10_000
_KEYS = {"minutes", "max_per_week", "why"}


@dataclass(frozen=True)
class Effort:
    """The effort of one column's action.

    Attributes
    ----------
    column : str
        The activity column or profile field.
    minutes : float
        Minutes per unit (per extra activity count, per profile change).
    max_per_week : int or None
        Activity: at most this many extra units a week (the cap of a step); None for profile fields.
    why : str
        One line: what the unit of work is.
    """

    column: str
    minutes: float
    max_per_week: int | None
    why: str


def load_effort(path=None) -> dict[str, Effort]:
    """Read and validate an effort table.

    Parameters
    ----------
    path : path-like, optional
        A YAML effort table (format: the shipped ``ssi_kit/plan/effort.yaml``);
        default the shipped one.

    Returns
    -------
    dict of str to Effort
        By column, in the file's order.

    Raises
    ------
    InputError
        Naming the file and every bad entry (unknown column, minutes not a number above 0,
        ``max_per_week`` missing or not a whole number for an activity column, no ``why``).
    """
    if path is None:
        text = resources.files("ssi_kit.plan").joinpath("effort.yaml").read_text("utf-8")
        data, where = parse_yaml(text, what="the shipped effort table"), "the shipped effort table"
    else:
        data, where = load_yaml(path, what="effort table"), f"the effort table {Path(path)}"
    columns = data.get("columns") if isinstance(data, dict) else None
    if not isinstance(columns, dict) or not columns:
        raise InputError(f"{where}: expected a mapping with a non-empty 'columns' mapping of column: "
                         "{minutes, max_per_week, why}.")
    problems: list[str] = []
    table = {}
    for column, entry in columns.items():
        parsed = _entry(column, entry, problems)
        if parsed is not None:
            table[parsed.column] = parsed
    if problems:
        raise InputError(f"{where} is not valid: " + " ".join(problems[:20]))
    return table


def _entry(column, entry, problems: list[str]) -> Effort | None:
    name = describe_key(column)
    if column not in ACTIONABLE_ACTIVITY and column not in PROFILE_FIELDS:
        problems.append(f"columns.{name}: not a column a seller can change; expected one of "
                        f"{', '.join(ACTIONABLE_ACTIVITY + PROFILE_FIELDS)}.")
        return None
    if not isinstance(entry, dict):
        problems.append(f"columns.{name}: expected a mapping with minutes and why.")
        return None
    before = len(problems)
    extra = sorted(describe_key(k) for k in entry if k not in _KEYS)
    if extra:
        problems.append(f"columns.{name}: unknown key(s) {', '.join(extra)}; expected minutes, max_per_week, why.")
    minutes = entry.get("minutes")
    if not (isinstance(minutes, (int, float)) and not isinstance(minutes, bool) and 0 < minutes <= MAX_MINUTES):
        problems.append(f"columns.{name}.minutes: expected a number above 0 and at most {MAX_MINUTES:g}, "
                        f"got {describe_value(minutes)}.")
    cap = entry.get("max_per_week")
    activity = column in ACTIONABLE_ACTIVITY
    if activity and not (isinstance(cap, int) and not isinstance(cap, bool) and 1 <= cap <= _MAX_PER_WEEK):
        problems.append(f"columns.{name}.max_per_week: expected a whole number from 1 to {_MAX_PER_WEEK}, "
                        f"got {describe_value(cap)}.")
    if not activity and cap is not None:
        problems.append(f"columns.{name}: max_per_week applies to activity columns only.")
    why = entry.get("why")
    if not isinstance(why, str) or not why.strip():
        problems.append(f"columns.{name}.why: expected one line of text saying what a unit of work is.")
    if len(problems) > before:
        return None
    return Effort(column, float(minutes), cap if activity else None, why.strip())
