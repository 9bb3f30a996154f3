"""The few plain sentences at the top of the report.

Where the team stands and how that changed over four weeks, who is rising and falling,
what to do first (from the coaching plan when there is one: the action that would lift the
sellers' mean SSI most; else the input with the most points still available summed over the
sellers), and what the published claims say.  Every string that comes from data or
parameters goes through :func:`ssi_kit.report.display.md_text`.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .changes import PERIOD_DAYS, value_on
from .display import md_text
from .readings import SOURCES
from .roster import ACTIONS, PILLAR_GOALS, input_name
from .summaries import latest_scores

__all__ = ["summary_sentences", "is_synthetic", "standing_sentence", "movers_sentence",
           "first_step_sentence", "claims_sentence", "SIMULATOR_TRUTH"]

#: File the kit's simulator writes into every dataset it makes.
SIMULATOR_TRUTH = "truth.json"


def is_synthetic(dataset_dir) -> bool:
    """Whether ``dataset_dir`` was made by the kit's simulator (it holds ``truth.json``)."""
    return (Path(dataset_dir) / SIMULATOR_TRUTH).is_file()


def _whom(team: str) -> str:
    return f"Team {md_text(team)}" if team else "The organisation"


def standing_sentence(shown: pd.DataFrame, *, source: str = "computed", team: str = "") -> str:
    """Median SSI and share of leaders on the latest day, and the median 28 days before."""
    last = latest_scores(shown)
    if last.empty:
        return f"{_whom(team)} has no SSI to show."
    day = pd.Timestamp(last["date"].max())
    median = float(last["ssi"].median())
    text = (f"{_whom(team)}'s median SSI ({SOURCES[source]}) is {median:.1f} on {day.date()}, and "
            f"{(last['tier'] == 'leader').mean():.0%} of its {len(last)} sellers are leaders (SSI above 70).")
    before = value_on(shown, day - pd.Timedelta(days=PERIOD_DAYS), ["ssi"])
    if len(before):
        then = float(before["ssi"].median())
        text += (f" Four weeks earlier ({(day - pd.Timedelta(days=PERIOD_DAYS)).date()}) the median was "
                 f"{then:.1f} ({median - then:+.1f} points).")
    return text


def movers_sentence(movers: pd.DataFrame, *, k: int = 3) -> str:
    """Who rose and fell most (member ids), each with the pillar that moved most."""
    def names(direction):
        rows = movers[movers["direction"] == direction].head(k)
        return ", ".join(f"{md_text(r.member_id)} ({r.ssi_change_28d:+.1f}, mostly in "
                         f"{md_text(PILLAR_GOALS.get(r.pillar_moved_most, r.pillar_moved_most))})"
                         for r in rows.itertuples())
    up, down = names("up"), names("down")
    if not (up or down):
        return "Nobody's SSI can be compared with four weeks earlier."
    parts = ([f"Rising most over four weeks: {up}."] if up else []) + \
            ([f"Falling most: {down}."] if down else [])
    return " ".join(parts)


def first_step_sentence(available: pd.DataFrame | None, roster: pd.DataFrame | None = None,
                        step: dict | None = None) -> str:
    """What to do first: the plan's action that lifts the sellers most, else the input with most points.

    Parameters
    ----------
    step : dict, optional
        :func:`ssi_kit.report.coaching.lift_action` (the plan's action lifting the sellers'
        mean SSI most); used first when given.
    available : pandas.DataFrame or None
        :func:`ssi_kit.report.roster.points_available`; None or empty without computed scores.
    roster : pandas.DataFrame, optional
        :func:`ssi_kit.report.roster.build_roster`, for the pillar-level step without inputs.
    """
    if step:
        spec = md_text(step.get("spec", "the report's spec"))
        return (f"What to do first: {md_text(step['action'])}. Had each of the {step['sellers']} sellers done "
                f"their own step of it in the {step['weeks']} weeks up to {step['day'].date()}, their mean SSI "
                f"would be {step['mean_gain']:.1f} points higher ({step['gainers']} of them gain; "
                f"{step['minutes'] / 60:.0f} hours in all; from the coaching plan, under {spec}).")
    if available is not None and len(available):
        total = available.groupby(["pillar", "input"], sort=True)["available"].sum()
        (pillar, name), points = total.idxmax(), float(total.max())
        sellers = available["member_id"].nunique()
        verb = ACTIONS.get(name, f"Raise {input_name(name)}")
        return (f"What to do first: {verb.lower()} ({md_text(input_name(name))}, "
                f"{md_text(PILLAR_GOALS.get(pillar, pillar))}): {points:.0f} points still available over "
                f"{sellers} sellers, {points / sellers:.1f} each on average.")
    if roster is not None and len(roster) and roster["weakest_pillar"].notna().any():
        pillar = roster["weakest_pillar"].value_counts().idxmax()
        n = int((roster["weakest_pillar"] == pillar).sum())
        return (f"What to do first: {md_text(PILLAR_GOALS.get(pillar, pillar))} is the weakest pillar of "
                f"{n} of {len(roster)} sellers (the data has no activity to name the inputs).")
    return ""


def claims_sentence(claims: dict | None, *, team: str = "") -> str:
    """Counts of the claims' verdicts in words; org-wide in a team run, and said so."""
    if not claims or not claims.get("claims"):
        return ""
    items = claims["claims"]
    counts = pd.Series([str(c.get("verdict", "")) for c in items]).value_counts()
    words = ", ".join(f"{n} {md_text(v.replace('_', ' '))}" for v, n in counts.sort_index().items())
    text = f"The {len(items)} published claims tested on this data: {words}."
    if team:
        sellers = max((int(c.get("n_sellers") or 0) for c in items), default=0)
        text += (f" They are tested on the whole organisation ({sellers} sellers), not on team "
                 f"{md_text(team)} alone.")
    return text


def summary_sentences(shown: pd.DataFrame, *, source: str = "computed", movers: pd.DataFrame | None = None,
                      available: pd.DataFrame | None = None, roster: pd.DataFrame | None = None,
                      claims: dict | None = None, team: str = "", dataset_dir=None,
                      step: dict | None = None) -> list[str]:
    """The report's opening sentences (Markdown, data strings escaped).

    Parameters
    ----------
    shown : pandas.DataFrame
        The scores shown (one team's in a team run).
    source : {"computed", "observed"}
    movers : pandas.DataFrame, optional
        :func:`ssi_kit.report.summaries.movers`.
    available, roster : pandas.DataFrame, optional
        :func:`ssi_kit.report.roster.points_available` and :func:`~ssi_kit.report.roster.build_roster`.
    claims : dict, optional
        notebook 02's ``claims.json``.
    team : str
        The team of a team run ("" for the organisation).
    dataset_dir : path-like, optional
        Said to be the kit's synthetic sample when it holds the simulator's ``truth.json``.
    step : dict, optional
        :func:`ssi_kit.report.coaching.lift_action`: what to do first, from the coaching plan.

    Returns
    -------
    list of str
        Non-empty sentences, in reading order.
    """
    sentences = []
    if dataset_dir is not None and is_synthetic(dataset_dir):
        sentences.append("This is synthetic data made by the kit's simulator, not real sellers.")
    sentences.append(standing_sentence(shown, source=source, team=team))
    if movers is not None:
        sentences.append(movers_sentence(movers))
    sentences += [first_step_sentence(available, roster, step), claims_sentence(claims, team=team)]
    return [s for s in sentences if s]
