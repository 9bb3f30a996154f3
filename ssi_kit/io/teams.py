"""The teams of a dataset's ``members`` table, and the check that a team asked for is one of them."""
from __future__ import annotations

import pandas as pd

from ..exceptions import UsageError
from .safe_yaml import describe_value

__all__ = ["teams_of", "check_team"]

#: Teams listed by name in an error before the rest are counted.
_LISTED = 50


def teams_of(members: pd.DataFrame) -> list[str]:
    """The distinct teams of ``members``, sorted as text (none without a ``team`` column)."""
    if "team" not in members.columns:
        return []
    return sorted(members["team"].dropna().astype(str).unique())


def check_team(members: pd.DataFrame, team: str, *, label: str = "Team") -> None:
    """Refuse a ``team`` the members table does not have, listing the valid ones.

    Parameters
    ----------
    members : pandas.DataFrame
        The ``members`` table.
    team : str
        The team asked for ("" or None: the whole organisation, always fine).
    label : str
        How the error names what was given (``"Parameter team"``, ``"--team"``).

    Raises
    ------
    UsageError
    """
    if not team:
        return
    teams = teams_of(members)
    if team in teams:
        return
    listed = ", ".join(teams[:_LISTED]) + (f" and {len(teams) - _LISTED} more" if len(teams) > _LISTED else "")
    have = f"one of the dataset's teams: {listed}" if teams else "empty (the members table has no teams)"
    shown = describe_value(team) + (" (quote it to pass text)" if isinstance(team, bool) else "")
    raise UsageError(f"{label}: expected {have}; got {shown}.")
