"""Coaching in the report: the plan's actions per seller and team, and what moves LinkedIn's score.

* :func:`coach_plan` plans every seller's next actions on the report's last scored day
  (:func:`ssi_kit.plan.plan_actions`, gains exact under the report's spec);
* :func:`coaching_columns` turns the plan into the roster's columns: each seller's top three
  actions in words, their summed gain and the first action;
* :func:`team_actions` and :func:`lift_action`: the action that would lift a team's (or the
  sellers shown) mean SSI most, each seller doing their own step;
* :func:`fit_report_drivers`, :func:`drivers_sentences` and :func:`drivers_view`: the
  within-seller panel model of LinkedIn's readings (:func:`ssi_kit.drivers.fit_drivers`) in
  plain words and as a readable table;
* :func:`rank_changes`: a seller's industry and network rank changes split into their own
  SSI change and the group's drift (:func:`ssi_kit.drivers.explain_rank_change`).
"""
from __future__ import annotations

from pathlib import PurePath

import numpy as np
import pandas as pd

from ..drivers import RANKS, explain_rank_change, fit_drivers
from ..exceptions import UsageError
from ..io import Dataset
from ..plan import plan_actions
from .display import md_text
from .labels import PILLAR_NAMES, humanize

__all__ = ["coach_plan", "coaching_columns", "team_actions", "lift_action", "plan_note", "fit_report_drivers",
           "drivers_sentences", "drivers_view", "rank_changes", "column_words", "spec_name", "TOP_ACTIONS",
           "COACH_WEEKS"]

#: Actions per seller shown in the roster.
TOP_ACTIONS = 3
#: Weeks an activity step is spread over (the plan's and the drivers' window).
COACH_WEEKS = 4
_OUTCOMES = {"ssi": "SSI (total)", **PILLAR_NAMES}
_COLUMN_WORDS = {"leads_saved": "saved leads", "accounts_saved": "saved accounts",
                 "searches": "people searches", "profile_views_made": "profile views made",
                 "decision_maker_connections": "connections to decision makers",
                 "internal_connections": "connections to colleagues", "inmails_replied": "InMail replies",
                 "group_posts": "group posts", "post_views": "post views"}


def spec_name(source: str) -> str:
    """A spec's source as shown in the report: its file name only (no local folders), or as given."""
    text = str(source)
    return PurePath(text).name if ("/" in text or "\\" in text) else text


def column_words(column: str) -> str:
    """An activity column in words, lower case (``leads_saved`` -> "saved leads")."""
    return _COLUMN_WORDS.get(column, humanize(column).lower().replace("inmail", "InMail"))


def coach_plan(dataset: Dataset, *, spec=None, day=None, weeks: int = COACH_WEEKS):
    """Each seller's best next actions on ``day``, or None when the plan cannot be made.

    Parameters
    ----------
    dataset : Dataset
        The whole organisation (a team run keeps its sellers' rows afterwards: the plan's
        peer step is over the organisation).
    spec : ScoringSpec or path-like, optional
        The report's spec; default the shipped spec.
    day : date-like, optional
        The report's last scored day; None (nothing scored) gives None.
    weeks : int

    Returns
    -------
    ssi_kit.plan.PlanResult or None
        None without an ``activity`` table or without a day.
    """
    if day is None or pd.isna(day) or "activity" not in dataset.tables:
        return None
    return plan_actions(dataset, spec=spec, day=day, weeks=weeks, top=TOP_ACTIONS)


def coaching_columns(plan, members) -> pd.DataFrame:
    """Per seller of ``members``: the plan's top actions in words, their summed gain, the first action.

    Returns
    -------
    pandas.DataFrame
        ``member_id``, ``top_actions`` ("save 6 more leads over 4 weeks: +4.1 points; ..."),
        ``top_actions_gain`` (sum of those actions' gains, SSI points; 0 for a seller no action
        lifts) and ``first_action`` (the best action per minute in words, "" without one).
    """
    members = pd.Index(pd.Series(members, dtype=str).unique())
    table = plan.table[plan.table["member_id"].isin(members) & (plan.table["rank"] <= TOP_ACTIONS)]
    words = table.assign(text=[f"{a}: +{g:.1f} points" for a, g in zip(table["action"], table["gain"])])
    grouped = words.groupby("member_id", sort=True)
    out = pd.DataFrame({"member_id": members})
    out["top_actions"] = out["member_id"].map(grouped["text"].agg("; ".join)).fillna("")
    out["top_actions_gain"] = out["member_id"].map(grouped["gain"].sum()).fillna(0.0).astype(float)
    out["first_action"] = out["member_id"].map(grouped["text"].first()).fillna("")
    return out


def lift_action(plan, members) -> dict | None:
    """The action that lifts the mean SSI of ``members`` most on the plan's day.

    Each seller does their own step of the action (the plan's candidates); the mean is over
    all of ``members`` planned, those no action lifts counting 0.  The same rule as
    :meth:`ssi_kit.plan.PlanResult.group_action`, with the plan's day, weeks and spec.

    Returns
    -------
    dict or None
        ``column``, ``action`` (in words), ``mean_gain``, ``sellers``, ``gainers`` (sellers
        the action lifts), ``minutes`` (their total), ``weeks``, ``day`` and ``spec`` (the plan's,
        the spec by :func:`spec_name`); None when no action lifts anyone.
    """
    best = plan.group_action(members)
    if best is None:
        return None
    return {**best, "weeks": plan.weeks, "day": pd.Timestamp(plan.day), "spec": spec_name(plan.spec)}


def team_actions(plan, roster: pd.DataFrame) -> pd.DataFrame:
    """Per team of ``roster``: the action that would lift the team's mean SSI most.

    Returns
    -------
    pandas.DataFrame
        ``team``, ``action``, ``mean_gain`` (points of the team's mean SSI), ``sellers``,
        ``gainers``, ``minutes`` (total over the sellers it lifts); sorted by team.
    """
    rows = []
    for team, group in roster.groupby("team", sort=True):
        best = lift_action(plan, group["member_id"])
        if best is not None:
            rows.append({"team": team or "(no team)", "action": best["action"], "mean_gain": best["mean_gain"],
                         "sellers": best["sellers"], "gainers": best["gainers"], "minutes": best["minutes"]})
    return pd.DataFrame(rows, columns=["team", "action", "mean_gain", "sellers", "gainers", "minutes"])


def plan_note(plan, teams: pd.DataFrame, *, team: str = "") -> str:
    """How the roster's actions were found, and in a team run the action that lifts the team most.

    Parameters
    ----------
    plan : ssi_kit.plan.PlanResult or None
    teams : pandas.DataFrame
        :func:`team_actions`.
    team : str
        The team of a team run ("" for the organisation: the table of teams follows).
    """
    if plan is None:
        return ("_No coaching plan: the kit's score cannot be computed from this dataset's activity, so the "
                "next action is the input (or pillar) with the most points still available._")
    text = (f"Each seller's actions come from the coaching plan (docs/plan.md): the SSI points each would "
            f"add on {plan.day.date()} under {md_text(spec_name(plan.spec))}, had the seller done it in the "
            f"{plan.weeks} weeks before, re-scored exactly; ranked by points per minute of effort. "
            "\"Points the top three actions would add\" sums those three (they overlap a little); "
            "\"Points within reach\" stays 100 minus the SSI.")
    accuracy = plan.spec_accuracy()
    text += (f" The spec was {md_text(accuracy)}, so the gains predict LinkedIn's own score within about that "
             "error." if accuracy else " The spec is the kit's open guess at LinkedIn's formula, not calibrated to "
             "this team's readings (`ssi-kit calibrate` fits one, docs/calibration.md).")
    mine = teams[teams["team"] == team] if team else teams.iloc[:0]
    if len(mine):
        r = mine.iloc[0]
        text += (f"\n\nThe action that would lift team {md_text(team)} most: **{md_text(r['action'])}**, "
                 f"+{r['mean_gain']:.1f} points of the team's mean SSI ({r['gainers']} of its {r['sellers']} "
                 f"sellers gain, {r['minutes'] / 60:.0f} hours in all).")
    elif len(teams) and not team:
        text += "\n\nPer team, the action that would lift the team's mean SSI most (each seller doing their own step):"
    return text


def _keep_members(dataset: Dataset, members) -> Dataset:
    """The readings, activity and members of ``members`` only."""
    keep = set(map(str, members))
    tables = {name: dataset[name][dataset[name]["member_id"].astype(str).isin(keep)]
              for name in ("members", "ssi", "activity") if name in dataset.tables}
    return Dataset(tables=tables)


def fit_report_drivers(dataset: Dataset, *, spec=None, members=None):
    """:func:`ssi_kit.drivers.fit_drivers` over ``members`` (default all), or the reason it cannot fit.

    Returns
    -------
    tuple
        ``(DriversResult, None)``, or ``(None, reason)`` with the
        :class:`~ssi_kit.exceptions.UsageError`'s message.
    """
    data = dataset if members is None else _keep_members(dataset, members)
    try:
        return fit_drivers(data, spec=spec, weeks=COACH_WEEKS), None
    except UsageError as err:
        return None, str(err)


def _listed(rows: pd.DataFrame, k: int = 3) -> str:
    return ", ".join(f"{md_text(column_words(r.column))} ({r.estimate:+.2f})" for r in rows.head(k).itertuples())


def _names(columns, k: int = 3) -> str:
    return ", ".join(md_text(column_words(c)) for c in list(columns)[:k])


def drivers_sentences(result) -> list[str]:
    """What moves the SSI within a seller, where the spec disagrees, and how to read it.

    Parameters
    ----------
    result : ssi_kit.drivers.DriversResult
    """
    t = result.table[result.table["outcome"] == "ssi"]
    per, weeks = f"{result.per:g}", result.weeks
    up = t[t["ci_low"] > 0].sort_values("estimate", ascending=False, kind="mergesort")
    down = t[t["ci_high"] < 0].sort_values("estimate", kind="mergesort")
    lead = (f"Within a seller, LinkedIn's SSI rises most with more {_listed(up)} (points per {per} more "
            f"over the {weeks} weeks before a reading)." if len(up) else
            "No activity column goes with a clearly higher SSI within a seller (every 95% interval "
            "includes 0 or lies below it).")
    if len(down):
        lead += f" It falls with more {_listed(down, 2)}."
    over = t[t["disagrees"] & (t["spec_view"] > t["ci_high"])].sort_values("spec_view", ascending=False)
    under = t[t["disagrees"] & (t["spec_view"] < t["ci_low"])].sort_values("estimate", ascending=False)
    spec = (f"The data and the spec disagree on {int(t['disagrees'].sum())} of {len(t)} columns for the SSI")
    parts = ([f"the spec expects more than the data show from {_names(over['column'])}"] if len(over) else []) + \
            ([f"the data show more than the spec expects from {_names(under['column'])}"] if len(under) else [])
    spec += (": " + "; ".join(parts) + ".") if parts else "."
    n = t.iloc[0] if len(t) else None
    how = ("This is association within sellers (seller fixed effects: each seller compared with "
           "themselves), not a controlled experiment; standard errors are clustered by seller"
           + (f"; {int(n['n_readings'])} readings of {int(n['n_sellers'])} sellers." if n is not None else "."))
    return [lead, spec, how]


def _p_text(p: float) -> str:
    """A p-value for readers: three decimals, "<0.001" below."""
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def drivers_view(result, *, all_outcomes: bool = False) -> pd.DataFrame:
    """The drivers table with readable labels: the SSI's rows and each pillar's columns it reads.

    Parameters
    ----------
    result : ssi_kit.drivers.DriversResult
    all_outcomes : bool
        Keep every pillar's every column (default: a pillar's rows only where the spec reads
        the column or the data's interval excludes 0).
    """
    t = result.table
    keep = (t["outcome"] == "ssi") | all_outcomes | (t["spec_view"] != 0) | (t["ci_low"] > 0) | (t["ci_high"] < 0)
    t = t[keep]
    per = f"{result.per:g}"
    return pd.DataFrame({
        "Score": t["outcome"].map(lambda o: _OUTCOMES.get(o, humanize(o))).to_numpy(),
        f"Activity ({per} more over {result.weeks} weeks)": t["column"].map(
            lambda c: column_words(c)[:1].upper() + column_words(c)[1:]).to_numpy(),
        "Estimate (points)": t["estimate"].to_numpy(dtype=float),
        "95% CI, low": t["ci_low"].to_numpy(dtype=float), "95% CI, high": t["ci_high"].to_numpy(dtype=float),
        "p-value": [_p_text(p) for p in t["p_value"].to_numpy(dtype=float)],
        "Spec's view (points)": t["spec_view"].to_numpy(dtype=float),
        "Data and spec disagree": np.where(t["disagrees"].to_numpy(dtype=bool), "yes", "no"),
    })


def rank_changes(readings: pd.DataFrame, member_id: str, start, end) -> tuple[pd.DataFrame, list[str]]:
    """The seller's industry and network "Top N%" changes, own part and group drift, readable.

    Parameters
    ----------
    readings : pandas.DataFrame
        LinkedIn's readings of the whole organisation (the group's spread is taken from them).
    member_id : str
    start, end : date-like

    Returns
    -------
    tuple
        A table (one row per rank the readings carry: ``Rank``, the readings' days, Top N% on
        each, the change, its own part and the drift, in percentage points; lower is better)
        and the reasons a rank could not be split (the UsageError's message).
    """
    rows, reasons = [], []
    for rank, column in RANKS.items():
        if column not in readings or readings[column].isna().all():
            continue
        try:
            c = explain_rank_change(readings, member_id, start, end, rank=rank)
        except UsageError as err:
            reasons.append(f"{rank} rank: {err}")
            continue
        rows.append({"Rank": f"{rank.capitalize()} (Top %)", "From": c.start.date(), "To": c.end.date(),
                     "Top % before": c.top_pct_start, "Top % after": c.top_pct_end,
                     "Change (points)": c.top_pct_end - c.top_pct_start, "Own SSI change's part": c.own,
                     "Group drift's part": c.drift, "Group mean moved (SSI points)": c.group_shift})
    return pd.DataFrame(rows), reasons
