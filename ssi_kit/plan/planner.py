"""Each seller's best next actions under a scoring spec: :func:`plan_actions`.

An action is a data change (:mod:`ssi_kit.plan.changes`); its ``gain`` is the
seller's SSI on ``day`` after the change minus before it, both computed by
:func:`ssi_kit.scoring.score_dataset`.  Every seller's change of one action is
applied to one copy of the dataset, scored once on ``day``: sellers' pillars
and SSI do not depend on each other (only ranks do, and the plan uses SSI only).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..calibration.results import read_calibration
from ..exceptions import UsageError
from ..io.dataset import Dataset
from ..io.schemas import PILLARS
from ..limits import check_whole
from ..scoring import ScoringSpec, load_spec, score_dataset
from .changes import add_activity, latest_profiles, set_profile, window_totals
from .effort import ACTIONABLE_ACTIVITY, PROFILE_FIELDS, PROFILE_FLAGS, load_effort
from .results import CANDIDATE_COLUMNS, PlanResult
from .words import action_words

__all__ = ["plan_actions", "PEER_QUANTILE", "MAX_WEEKS", "MAX_TOP"]

#: The step of an activity action reaches this quantile of the sellers' totals (the most active peers).
PEER_QUANTILE = 75
#: Longest span (weeks) an activity step may be spread over.
MAX_WEEKS = 52
#: Most actions kept per seller.
MAX_TOP = 100


def plan_actions(dataset: Dataset, *, spec=None, day=None, weeks: int = 4, member: str | None = None,
                 top: int = 5, effort=None) -> PlanResult:
    """Rank each seller's next actions by SSI gain per minute of effort.

    Parameters
    ----------
    dataset : Dataset
        A validated dataset with ``members`` and ``activity`` (``profiles`` for profile
        actions, ``connections`` as the spec reads it).
    spec : ScoringSpec or path-like, optional
        The scoring spec gains are computed under; default the shipped spec.
    day : date-like, optional
        The day the gain is measured on; default the last activity date.  Must lie
        within the activity table's dates.
    weeks : int
        Activity steps are spread over the ``weeks`` weeks up to ``day`` (1 to 52).
    member : str, optional
        Plan this seller only.
    top : int
        Actions kept per seller (1 to 100), the best gain per minute first.
    effort : mapping or path-like, optional
        The effort table (:func:`ssi_kit.plan.effort.load_effort`); default the shipped one.

    Returns
    -------
    PlanResult

    Raises
    ------
    MissingTableError
        Without an activity table.
    UsageError
        For an unknown ``member``, a ``day`` outside the data, ``weeks`` or ``top`` out of range.
    """
    check_whole(weeks, 1, MAX_WEEKS, "weeks")
    check_whole(top, 1, MAX_TOP, "top")
    spec = spec if isinstance(spec, ScoringSpec) else load_spec(spec)
    table = effort if isinstance(effort, dict) else load_effort(effort)
    activity = dataset.require("activity", "ssi-kit plan (activity actions and the default day)")
    day = _check_day(activity, day)
    ids = pd.Index(dataset["members"]["member_id"], name="member_id")
    targets = _targets(ids, member)
    before = _scores(dataset, spec, day, {})
    columns, notes = _columns(spec, table, dataset)
    frames = [_candidates(dataset, spec, day, weeks, column, table[column], targets, before) for column in columns]
    frames = [f for f in frames if len(f)]
    candidates = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=CANDIDATE_COLUMNS)
    teams = dataset["members"].set_index("member_id")["team"] if "team" in dataset["members"] else None
    return PlanResult.from_candidates(candidates, day=day, weeks=weeks, top=top, spec=spec.source,
                                      notes=tuple(notes), teams=teams, members=targets,
                                      calibration=read_calibration(spec.source))


def _check_day(activity: pd.DataFrame, day) -> pd.Timestamp:
    if not len(activity):
        raise UsageError("The activity table has no rows: there is no day to plan from.")
    first, last = pd.Timestamp(activity["date"].min()), pd.Timestamp(activity["date"].max())
    if day is None:
        return last
    try:
        when = pd.Timestamp(day)
    except (TypeError, ValueError):
        raise UsageError(f"--day {str(day)[:40]!r} is not a date YYYY-MM-DD.") from None
    if not first <= when <= last:
        raise UsageError(f"--day {when.date()} is outside the activity table's dates ({first.date()} to "
                         f"{last.date()}); choose a day within them.")
    return when.normalize()


def _targets(ids: pd.Index, member) -> pd.Index:
    if member is None:
        return ids
    if member not in ids:
        raise UsageError(f"--member {str(member)[:80]!r} is not a seller of the members table "
                         f"({len(ids)} sellers, e.g. {', '.join(map(str, ids[:3]))}).")
    return pd.Index([member], name="member_id")


def _columns(spec: ScoringSpec, table: dict, dataset: Dataset) -> tuple[list[str], list[str]]:
    """The columns to plan (read by a spec input, changeable, in the effort table) and notes on the others."""
    read = []
    for item in spec.inputs:
        allowed = ACTIONABLE_ACTIVITY if item.source == "activity" else \
            PROFILE_FIELDS if item.source == "profile" else ()
        read += [c for c in item.columns if c in allowed and c not in read]
    notes = []
    missing = [c for c in read if c not in table]
    if missing:
        notes.append(f"not planned, the effort table lists no minutes for: {', '.join(missing)}")
    if "profiles" not in dataset and any(c in PROFILE_FIELDS for c in read):
        notes.append("no profiles table: profile actions are not planned")
    keep = [c for c in read if c in table and (c in ACTIONABLE_ACTIVITY or "profiles" in dataset)]
    return keep, notes


def _scores(dataset: Dataset, spec: ScoringSpec, day, changed: dict) -> pd.DataFrame:
    """SSI and pillars of every seller on ``day``, with the ``changed`` tables in place of the dataset's."""
    data = Dataset(tables={**dataset.tables, **changed}) if changed else dataset
    scores = score_dataset(data, spec=spec, days=np.array([np.datetime64(day.date(), "D")]))
    return scores.set_index("member_id")[["ssi", *PILLARS]]


def _candidates(dataset, spec, day, weeks, column, effort, targets, before) -> pd.DataFrame:
    """Every target seller's action on ``column``: amount, minutes, gain and the pillar it lifts most."""
    if column in ACTIONABLE_ACTIVITY:
        amounts, changed = _activity_change(dataset, column, day, weeks, effort, targets)
        words = [action_words(column, int(a), weeks) for a in amounts]
    else:
        amounts, changed = _profile_change(dataset, column, day, targets)
        words = [action_words(column, int(a), None) for a in amounts]
    if not len(amounts):
        return pd.DataFrame(columns=CANDIDATE_COLUMNS)
    after = _scores(dataset, spec, day, changed).loc[amounts.index]
    base = before.loc[amounts.index]
    lift = after[list(PILLARS)].to_numpy() - base[list(PILLARS)].to_numpy()
    direct = np.isin(PILLARS, [i.pillar for i in spec.inputs if column in i.columns])
    lift = np.where(direct, lift, -np.inf)  # the pillar of the inputs reading the column (the one lifted most)
    return pd.DataFrame({
        "member_id": amounts.index.to_numpy(), "action": words,
        "pillar": np.asarray(PILLARS)[np.argmax(lift, axis=1)], "column": column,
        "amount": amounts.to_numpy(dtype=np.int64), "minutes": np.round(amounts.to_numpy() * effort.minutes, 2),
        "gain": np.round(after["ssi"].to_numpy() - base["ssi"].to_numpy(), 6),
    })


def _activity_change(dataset, column, day, weeks, effort, targets) -> tuple[pd.Series, dict]:
    """Amounts (the step to the active peers' total, capped) and the activity table with them done."""
    activity = dataset["activity"]
    ids = pd.Index(dataset["members"]["member_id"])
    totals = window_totals(activity, column, day, weeks, ids)
    peers = float(np.percentile(totals.to_numpy(dtype=float), PEER_QUANTILE)) if len(totals) else 0.0
    own = totals.reindex(targets).to_numpy(dtype=float)
    amounts = np.clip(np.ceil(peers - own - 1e-9), 1, effort.max_per_week * weeks).astype(np.int64)
    base, extra = np.divmod(amounts, weeks)
    k = np.tile(np.arange(weeks), len(targets))
    changes = pd.DataFrame({
        "member_id": np.repeat(targets.to_numpy(dtype=object), weeks),
        "date": pd.Timestamp(day) - pd.to_timedelta(7 * k, unit="D"),
        "units": np.repeat(base, weeks) + (k < np.repeat(extra, weeks)),
    })
    return pd.Series(amounts, index=targets), {"activity": add_activity(activity, column, changes)}


def _profile_change(dataset, column, day, targets) -> tuple[pd.Series, dict]:
    """Profile flags set true (sellers without it) or counts + 1, on a new row dated ``day``."""
    profiles = dataset["profiles"]
    if column not in profiles:  # an absent optional field counts 0: the action adds it
        kind = "boolean" if column in PROFILE_FLAGS else "Int64"
        profiles = profiles.assign(**{column: pd.array([pd.NA] * len(profiles), dtype=kind)})
    latest = latest_profiles(profiles, day, targets)
    own = latest[column]
    if column in PROFILE_FLAGS:
        who = ~own.fillna(False).astype(bool)
        values = pd.Series(True, index=targets[who.to_numpy()])
    else:
        values = own.fillna(0).astype(np.int64) + 1
    if not len(values):
        return pd.Series(dtype=np.int64), {}
    amounts = pd.Series(1, index=values.index, dtype=np.int64)
    return amounts, {"profiles": set_profile(profiles, column, values, day)}
