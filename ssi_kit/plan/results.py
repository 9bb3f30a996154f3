"""What a plan holds: :class:`PlanResult` (the ranked actions, their candidates, summaries in words)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..calibration.results import describe_calibration
from ..exceptions import UsageError
from .words import action_words

__all__ = ["PlanResult", "PLAN_COLUMNS", "CANDIDATE_COLUMNS"]

#: Columns of ``plan.csv``, in order (the contract's first nine, then the kit's additions).
PLAN_COLUMNS = ("member_id", "day", "rank", "action", "pillar", "column", "amount", "minutes", "gain",
                "gain_per_minute", "spec")
#: Columns of :attr:`PlanResult.candidates` (every seller's every action with a gain above 0).
CANDIDATE_COLUMNS = ("member_id", "action", "pillar", "column", "amount", "minutes", "gain")


@dataclass(frozen=True)
class PlanResult:
    """Each seller's best next actions, ranked by SSI gain per minute.

    Attributes
    ----------
    table : pandas.DataFrame
        :data:`PLAN_COLUMNS`: one row per seller and kept action, by ``member_id`` then ``rank``.
    candidates : pandas.DataFrame
        Every planned seller's every action with a gain above 0 (:data:`CANDIDATE_COLUMNS`
        plus ``gain_per_minute``), before the top ``top`` are kept.
    day : pandas.Timestamp
    weeks, top : int
    spec : str
        The scoring spec's source (a path, or ``default spec``).
    notes : tuple of str
        What was not planned and why.
    teams : pandas.Series or None
        Each seller's team (by ``member_id``), for :meth:`team_action`.
    members : pandas.Index
        The sellers planned.
    calibration : dict or None
        What the spec file says of its calibration (:func:`ssi_kit.calibration.read_calibration`);
        None for an uncalibrated spec.
    """

    table: pd.DataFrame
    candidates: pd.DataFrame
    day: pd.Timestamp
    weeks: int
    top: int
    spec: str
    notes: tuple = ()
    teams: pd.Series | None = None
    members: pd.Index = field(default_factory=pd.Index)
    calibration: dict | None = None

    @classmethod
    def from_candidates(cls, candidates: pd.DataFrame, *, day, weeks, top, spec, notes, teams, members,
                        calibration=None):
        """Drop gains <= 0, rank each seller's actions by gain per minute and keep the best ``top``."""
        kept = candidates[candidates["gain"] > 0].copy()
        kept["gain_per_minute"] = (kept["gain"] / kept["minutes"]).astype(float)
        kept = kept.sort_values(["member_id", "gain_per_minute", "gain", "column"],
                                ascending=[True, False, False, True], kind="mergesort").reset_index(drop=True)
        kept["rank"] = kept.groupby("member_id", sort=False).cumcount() + 1
        table = kept[kept["rank"] <= top].copy()
        table["day"] = pd.Timestamp(day).date().isoformat()
        table["spec"] = spec
        table["gain_per_minute"] = table["gain_per_minute"].round(6)
        table = table.astype({"rank": np.int64, "amount": np.int64, "minutes": float, "gain": float})
        return cls(table=table[list(PLAN_COLUMNS)].reset_index(drop=True), candidates=kept.drop(columns="rank"),
                   day=pd.Timestamp(day), weeks=weeks, top=top, spec=spec, notes=notes, teams=teams,
                   members=members, calibration=calibration)

    def to_frame(self) -> pd.DataFrame:
        """The plan table (:data:`PLAN_COLUMNS`), a copy."""
        return self.table.copy()

    def describe(self, member: str) -> list[str]:
        """The seller's top three actions in words, e.g. ``"save 6 more leads over 4 weeks: +4.1 points"``."""
        if member not in self.members:
            raise UsageError(f"{str(member)[:80]!r} is not a seller of this plan.")
        rows = self.table[self.table["member_id"] == member].head(3)
        return [f"{r.action}: +{r.gain:.1f} points" for r in rows.itertuples()]

    def team_action(self, team: str) -> dict | None:
        """The action that lifts the team's mean SSI on ``day`` most (each seller doing their own step).

        Returns
        -------
        dict or None
            ``team``, ``column``, ``action`` (in words), ``mean_gain`` (points of the team's mean SSI),
            ``sellers`` (of the team, planned), ``minutes`` (total of those who gain); None when no
            action lifts any of its sellers.
        """
        if self.teams is None or team not in set(self.teams.dropna()):
            raise UsageError(f"Team {str(team)[:80]!r} is not a team of the members table.")
        best = self.group_action([m for m in self.members if self.teams.get(m) == team])
        if best is None:
            return None
        return {"team": team, "column": best["column"], "action": best["action"],
                "mean_gain": round(best["mean_gain"], 6), "sellers": best["sellers"],
                "minutes": round(best["minutes"], 2)}

    def group_action(self, members) -> dict | None:
        """The action that lifts the mean SSI of ``members`` most on ``day`` (each doing their own step).

        The mean is over the ``members`` planned, those no action lifts counting 0.

        Returns
        -------
        dict or None
            ``column``, ``action`` (in words), ``mean_gain``, ``sellers`` (planned), ``gainers``
            (sellers the action lifts) and ``minutes`` (their total); None when no action lifts anyone.
        """
        wanted = set(map(str, members))
        sellers = [m for m in self.members if m in wanted]
        mine = self.candidates[self.candidates["member_id"].isin(sellers)]
        if mine.empty:
            return None
        per = mine.groupby("column", sort=True).agg(total=("gain", "sum"), minutes=("minutes", "sum"),
                                                    gainers=("member_id", "nunique"))
        best = per.sort_values("total", ascending=False, kind="mergesort").index[0]
        return {"column": best, "action": action_words(best, None, self.weeks),
                "mean_gain": float(per.loc[best, "total"]) / len(sellers), "sellers": len(sellers),
                "gainers": int(per.loc[best, "gainers"]), "minutes": float(per.loc[best, "minutes"])}

    def summary(self) -> str:
        """A few lines: the day, the spec, how many sellers and actions, the most common first action."""
        firsts = self.table[self.table["rank"] == 1]
        lines = [f"Plan on {self.day.date()} under {self.spec}: {len(self.members)} seller(s), "
                 f"{self.table['member_id'].nunique()} with an action that raises their SSI, "
                 f"{len(self.table)} action(s) kept (top {self.top}, steps over {self.weeks} weeks)."]
        accuracy = self.spec_accuracy()
        lines.append(f"The spec was {accuracy}: the gains predict LinkedIn's score within about that error."
                     if accuracy else "The spec is not calibrated to this team's readings: the gains are under "
                     "the kit's open guess at LinkedIn's formula (ssi-kit calibrate fits one).")
        if len(firsts):
            common = firsts["column"].value_counts().sort_index().sort_values(ascending=False, kind="mergesort")
            lines.append(f"Most common first action: {action_words(common.index[0], None, self.weeks)} "
                         f"({common.iloc[0]} seller(s)); median first-action gain {firsts['gain'].median():.2f} "
                         f"points for {firsts['minutes'].median():g} minutes.")
        lines += [f"Note: {n}." for n in self.notes]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """The plan's settings, notes and the spec's calibration (plan.json without the effort table)."""
        return {"day": self.day.date().isoformat(), "weeks": self.weeks, "top": self.top, "spec": self.spec,
                "sellers": len(self.members), "rows": len(self.table), "notes": list(self.notes),
                "calibration": self.calibration}

    def spec_accuracy(self) -> str | None:
        """The calibrated spec's cross-validated error in words; None for an uncalibrated spec."""
        return describe_calibration(self.calibration)
