"""The roster: one row per seller with what to coach them on.

Each seller's latest SSI (LinkedIn's reading when the dataset has readings, else the
kit's computed score), its change over four weeks, tier, weakest pillar (most of its 25
points missing), the inputs with the most points still available -- the spec's weight
minus the points earned on the latest computed day -- and a next action in words.
Sorted by points within reach (100 minus the SSI), largest first.

With a coaching plan (:func:`ssi_kit.report.coaching.coach_plan`, when the kit's score can be
computed) the inputs and the next action are replaced by the plan's top three actions in
words with their gains (``top_actions``, best gain per minute first) and the sum of those
gains (``top_actions_gain``: what the three actions would add; "points within reach" stays
100 minus the SSI).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..io.schemas import PILLARS
from .changes import PERIOD_DAYS, value_on
from .coaching import coaching_columns
from .labels import PILLAR_NAMES, value_label
from .summaries import latest_scores

__all__ = ["build_roster", "points_available", "next_action", "input_name", "PILLAR_GOALS",
           "ACTIONS", "TOP_INPUTS"]

#: LinkedIn's name for each pillar (what it asks a seller to do).
PILLAR_GOALS = PILLAR_NAMES
#: What a seller does to earn an input's points (inputs of the shipped spec); other inputs
#: get "Raise <input> (<columns>)".
ACTIONS = {
    "photo": "Add a profile photo", "cover": "Add a cover photo", "headline": "Write a headline",
    "summary": "Write an About summary", "positions": "List current and past positions",
    "education": "Add education", "skills": "Add skills", "recommendations": "Ask for recommendations",
    "featured": "Feature posts or media on the profile", "posts": "Post more often",
    "engagement_earned": "Write posts that draw reactions and comments",
    "post_views": "Reach more readers with posts", "followers": "Earn more followers",
    "searches": "Search for more prospects", "profile_views_made": "View more prospects' profiles",
    "profile_views_received": "Draw more profile views", "leads_accounts_saved": "Save more leads and accounts",
    "days_active": "Use LinkedIn on more days", "shares": "Share more relevant content",
    "comments_made": "Comment on others' posts", "reactions_made": "React to others' posts",
    "messages_sent": "Send more messages", "messages_replied": "Write messages that get replies",
    "connections_built": "Build more connections", "decision_makers": "Connect with more decision makers",
    "internal": "Connect with colleagues", "invitations_accepted": "Send invitations that get accepted",
    "inmails_replied": "Write InMails that get replies", "peers": "Connect with colleagues",
}
#: How many inputs the roster lists per seller.
TOP_INPUTS = 3
_RANKS = ("industry_top_pct", "network_top_pct")


def input_name(name: str) -> str:
    """An input's name for readers (``leads_accounts_saved`` -> "Leads and accounts saved")."""
    return str(value_label("input", str(name))).replace("_", " ")


def next_action(pillar: str, name: str | None, available: float, weight: float, columns=()) -> str:
    """The next action in words, e.g. "Save more leads and accounts: 4.2 of 6.0 points still
    available (Find the right people)"; pillar-level when ``name`` is None."""
    goal = PILLAR_GOALS.get(pillar, input_name(pillar))
    if name is None:
        return f"Work on {goal}: {available:.1f} of {weight:.1f} points still available"
    cols = f" ({', '.join(str(c).replace('_', ' ') for c in columns)})" if columns else ""
    verb = ACTIONS.get(name, f"Raise {input_name(name).lower()}{cols}")
    return f"{verb}: {available:.1f} of {weight:.1f} points still available ({goal})"


def points_available(computed: pd.DataFrame, spec) -> pd.DataFrame:
    """Per seller and input, on the latest computed day: weight, points earned, points still available.

    Parameters
    ----------
    computed : pandas.DataFrame
        The kit's computed scores (``pillar__input`` contribution columns).
    spec : ScoringSpec

    Returns
    -------
    pandas.DataFrame
        ``member_id``, ``pillar``, ``input``, ``weight``, ``points``, ``available``; sorted by seller,
        then points available (largest first).
    """
    inputs = [i for i in spec.inputs if i.column_name in computed.columns]
    if computed.empty or not inputs:
        return pd.DataFrame(columns=["member_id", "pillar", "input", "weight", "points", "available"])
    last = latest_scores(computed)
    frames = [pd.DataFrame({"member_id": last["member_id"].astype(str).to_numpy(), "pillar": i.pillar,
                            "input": i.name, "weight": i.weight,
                            "points": last[i.column_name].to_numpy(dtype=float)}) for i in inputs]
    table = pd.concat(frames, ignore_index=True)
    table["available"] = (table["weight"] - table["points"]).clip(lower=0.0)
    return table.sort_values(["member_id", "available", "pillar", "input"], ascending=[True, False, True, True],
                             kind="mergesort").reset_index(drop=True)


def _weakest(pillars: pd.DataFrame) -> pd.DataFrame:
    """Per seller (rows of ``member_id`` and the four pillars): weakest pillar and its points missing."""
    values = pillars[list(PILLARS)].to_numpy(dtype=float)
    ok = ~np.isnan(values).all(axis=1)
    idx = np.nanargmin(np.where(np.isnan(values), np.inf, values), axis=1)
    missing = 25.0 - values[np.arange(len(values)), idx]
    return pd.DataFrame({"member_id": pillars["member_id"].astype(str).to_numpy(),
                         "weakest_pillar": np.where(ok, np.asarray(PILLARS, dtype=object)[idx], None),
                         "weakest_pillar_missing": np.where(ok, missing, np.nan)})


def _inputs_text(available: pd.DataFrame, spec) -> pd.DataFrame:
    """Per seller: the top inputs (name and points available) and the action for the first one."""
    by_name = {(i.pillar, i.name): i for i in spec.inputs}
    rows = []
    for member, group in available.groupby("member_id", sort=True):
        top = group[group["available"] > 0].head(TOP_INPUTS)
        first = by_name[(top["pillar"].iloc[0], top["input"].iloc[0])] if len(top) else None
        rows.append({"member_id": member,
                     "top_inputs": "; ".join(f"{input_name(r.input)} ({r.available:.1f})"
                                             for r in top.itertuples()),
                     "next_action": "" if first is None else next_action(
                         first.pillar, first.name, float(top["available"].iloc[0]), first.weight,
                         first.columns)})
    return pd.DataFrame(rows, columns=["member_id", "top_inputs", "next_action"])


def _change(shown: pd.DataFrame, roster: pd.DataFrame) -> np.ndarray:
    """Each roster row's SSI minus the seller's value :data:`PERIOD_DAYS` days before its date."""
    before = [value_on(shown, d - pd.Timedelta(days=PERIOD_DAYS), ["ssi"]).assign(date=d)
              for d in roster["date"].unique()]
    if not before:
        return np.full(len(roster), np.nan)
    then = pd.concat(before, ignore_index=True).rename(columns={"ssi": "before"})
    merged = roster[["member_id", "date", "ssi"]].merge(then, on=["member_id", "date"], how="left")
    return (merged["ssi"] - merged["before"]).to_numpy(dtype=float)


def _ranks(last: pd.DataFrame, computed, source: str) -> tuple[pd.DataFrame, bool]:
    """The ranks shown and whether they are LinkedIn's (else the kit's, within this organisation)."""
    linkedin = source == "observed" and all(c in last for c in _RANKS) and last[list(_RANKS)].notna().any().any()
    if linkedin:
        return last[["member_id", *_RANKS]], True
    if computed is None or computed.empty or not all(c in computed for c in _RANKS):
        return pd.DataFrame(columns=["member_id", *_RANKS]), False
    return latest_scores(computed)[["member_id", *_RANKS]].astype({"member_id": str}), False


def _with_plan(roster: pd.DataFrame, plan) -> pd.DataFrame:
    """``roster`` with the plan's columns in place of ``top_inputs`` and ``next_action``."""
    coach = coaching_columns(plan, roster["member_id"]).set_index("member_id")
    actions = roster["member_id"].map(coach["top_actions"]).fillna("")
    at = roster.columns.get_loc("top_inputs")
    gain = roster["member_id"].map(coach["top_actions_gain"]).astype(float)
    fallback = roster["next_action"]  # sellers no action lifts keep the points-based action
    roster = roster.drop(columns=["top_inputs", "next_action"])
    roster.insert(at, "top_actions", actions.where(actions != "", fallback))
    roster.insert(at + 1, "top_actions_gain", gain)
    return roster


def build_roster(shown: pd.DataFrame, *, computed: pd.DataFrame | None = None, spec=None,
                 source: str = "computed", plan=None) -> pd.DataFrame:
    """One row per seller in ``shown``: where they stand and what to work on next.

    Parameters
    ----------
    shown : pandas.DataFrame
        The scores shown (LinkedIn's readings when the dataset has them, else the kit's computed
        scores), for the sellers listed (a team run passes one team).
    computed : pandas.DataFrame, optional
        The kit's computed scores (the inputs' points); default ``shown`` when ``source`` is
        "computed".  Without them (readings only) the action is pillar-level.
    spec : ScoringSpec, optional
        The weights; default the shipped spec.
    source : {"computed", "observed"}
        What ``shown`` is.
    plan : ssi_kit.plan.PlanResult, optional
        The coaching plan (:func:`ssi_kit.report.coaching.coach_plan`): ``top_actions`` (the
        plan's top three in words with their gains; a seller no action lifts keeps the
        points-based next action) and ``top_actions_gain`` (their gains summed, SSI points)
        replace ``top_inputs`` and ``next_action``.

    Returns
    -------
    pandas.DataFrame
        ``member_id``, ``team``, ``date``, ``ssi``, ``ssi_change_28d`` (vs the seller's value
        :data:`~ssi_kit.report.changes.PERIOD_DAYS` days earlier, within
        :data:`~ssi_kit.report.changes.TOLERANCE_DAYS` days; empty without one), ``tier``,
        ``points_within_reach`` (100 - SSI), ``weakest_pillar``, ``weakest_pillar_missing``,
        ``top_inputs``, ``next_action``, and the ranks ``industry_top_pct``, ``network_top_pct``:
        LinkedIn's when the readings carry them, else the kit's, within this organisation
        (:func:`ssi_kit.report.labels.readable` with ``source="computed"`` says so); when LinkedIn's
        readings are shown with the kit's ranks, the rank columns end in ``_org``.  Sorted by
        points within reach, largest first.
    """
    from ..scoring import load_spec

    spec = spec or load_spec()
    computed = shown if computed is None and source == "computed" else computed
    last = latest_scores(shown).astype({"member_id": str})
    roster = last[["member_id", "team", "date", "ssi", "tier"]].copy()
    roster["team"] = roster["team"].astype(str).where(roster["team"].notna(), "")
    roster["tier"] = roster["tier"].astype(str)
    roster["ssi_change_28d"] = _change(shown, roster)
    roster["points_within_reach"] = 100.0 - roster["ssi"]
    has_pillars = last[list(PILLARS)].notna().any(axis=1).all()
    pillar_rows = last if has_pillars or computed is None else latest_scores(computed)
    roster = roster.merge(_weakest(pillar_rows), on="member_id", how="left")
    available = points_available(computed, spec) if computed is not None else None
    if available is not None and len(available):
        roster = roster.merge(_inputs_text(available, spec), on="member_id", how="left")
    else:
        roster["top_inputs"] = ""
        roster["next_action"] = [next_action(p, None, a, 25.0) if isinstance(p, str) else ""
                                 for p, a in zip(roster["weakest_pillar"], roster["weakest_pillar_missing"])]
    ranks, linkedin = _ranks(last, computed, source)
    suffix = "" if linkedin or source == "computed" else "_org"
    if len(ranks):
        roster = roster.merge(ranks.rename(columns={c: c + suffix for c in _RANKS}), on="member_id", how="left")
    roster[["top_inputs", "next_action"]] = roster[["top_inputs", "next_action"]].fillna("")
    if plan is not None:
        roster = _with_plan(roster, plan)
    roster = roster.sort_values(["points_within_reach", "member_id"], ascending=[False, True], kind="mergesort")
    return roster.reset_index(drop=True)
