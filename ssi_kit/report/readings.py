"""What a dataset supports in a report, and LinkedIn's readings as report tables.

A report's numbers are either **observed** -- LinkedIn's readings, the ``ssi`` table --
or **computed** -- the kit's score from the ``activity`` and ``profiles`` tables.
:func:`report_plan` decides once what a dataset supports: the headline shows LinkedIn's
readings whenever there are any, the kit's computed score otherwise; with both, the
computed score explains the readings (its inputs) and :func:`tracking` measures how
closely it follows them.  Every notebook asks the plan instead of testing tables itself,
and a section the plan cannot build is replaced by one sentence saying why
(:meth:`ReportPlan.why_not`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import InputError
from ..io.schemas import PILLARS
from ..scoring import SCORE_COLUMNS, band_of, tier_of
from ..scoring.tiers import BAND_CUTS
from .labels import SOURCES

__all__ = ["SOURCES", "SCORED_FROM", "PLAN_FILE", "READINGS_FILE", "TRACKING_FILE", "ReportPlan",
           "report_plan", "read_plan", "observed_scores", "empty_scores", "tracking", "drivers",
           "section_text", "coverage"]

_PLURAL = {"observed": "LinkedIn's readings", "computed": "the kit's computed scores"}
#: Tables the kit's score is computed from (either is enough).
SCORED_FROM = ("activity", "profiles")
#: Files notebook 01 writes for the others, besides ``scores.parquet``.
PLAN_FILE, READINGS_FILE, TRACKING_FILE = "plan.json", "readings.parquet", "tracking.csv"
_RANKS = ("industry_top_pct", "network_top_pct")
#: A reading's 7-day change is taken against the seller's reading 7 to 13 days earlier.
_CHANGE_TOLERANCE = pd.Timedelta(days=6)


@dataclass(frozen=True)
class ReportPlan:
    """What a dataset supports: the headline's source and the sections that can be built.

    Attributes
    ----------
    tables : tuple of str
        The dataset's tables.
    pillars, ranks : bool
        Whether LinkedIn's readings carry the four pillars / the industry and network ranks
        (only read when there are readings).
    """

    tables: tuple[str, ...]
    pillars: bool = False
    ranks: bool = False

    @property
    def observed(self) -> bool:
        """Whether the dataset holds LinkedIn's readings (an ``ssi`` table)."""
        return "ssi" in self.tables

    @property
    def computed(self) -> bool:
        """Whether the kit's score can be computed (an ``activity`` or ``profiles`` table)."""
        return any(t in self.tables for t in SCORED_FROM)

    @property
    def headline(self) -> str:
        """``"observed"`` when there are readings, else ``"computed"``."""
        return "observed" if self.observed else "computed"

    @property
    def linkedin_ranks(self) -> bool:
        """Whether the ranks shown are LinkedIn's (else the kit's, within this organisation)."""
        return self.observed and self.ranks

    @property
    def label(self) -> str:
        """What the headline numbers are, e.g. ``"LinkedIn's reading"``."""
        return SOURCES[self.headline]

    def why_not(self, section: str) -> str | None:
        """One sentence saying why ``section`` cannot be built, or None when it can.

        Sections: ``summary``, ``roster``, ``changes``, ``headline``, ``distribution``,
        ``history``, ``movers``, ``pillars``, ``ranks``, ``drivers``, ``tracking`` (the claims say for themselves:
        :func:`ssi_kit.report.claims_tables.no_claims_reason`).
        """
        if not (self.observed or self.computed):
            return ("No SSI can be shown: the dataset has no ssi table (LinkedIn's readings) and no "
                    "activity or profiles table to compute the kit's score from.")
        if section == "pillars" and self.observed and not self.pillars:
            return "No pillars can be shown: LinkedIn's readings in the ssi table have no pillar columns."
        if section == "ranks" and self.observed and not self.ranks and not self.computed:
            return ("No ranks can be shown: LinkedIn's readings in the ssi table have no "
                    "industry_top_pct or network_top_pct column, and the kit's score cannot be computed.")
        if section in ("drivers", "tracking") and not self.computed:
            return ("The kit's score cannot be computed, so nothing explains the readings: the dataset "
                    "has no activity or profiles table.")
        if section == "tracking" and not self.observed:
            return "The kit's score cannot be compared with LinkedIn's: the dataset has no ssi table."
        return None

    def require(self) -> None:
        """Raise :class:`~ssi_kit.exceptions.InputError` when there is no SSI of either kind."""
        if not (self.observed or self.computed):
            raise InputError(f"The report has nothing to show. {self.why_not('headline')}")

    def write(self, folder) -> Path:
        """Write the plan as ``plan.json`` into ``folder`` (for the notebooks that follow)."""
        path = Path(folder) / PLAN_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"tables": list(self.tables), "pillars": self.pillars, "ranks": self.ranks})
        path.write_text(text + "\n", encoding="utf-8")
        return path


def report_plan(dataset) -> ReportPlan:
    """Decide what a report can show for ``dataset`` (a :class:`~ssi_kit.io.Dataset`)."""
    tables = tuple(sorted(dataset.tables))
    ssi_columns = set(dataset["ssi"].columns) if "ssi" in tables else set()
    return ReportPlan(tables, pillars=set(PILLARS) <= ssi_columns,
                      ranks=bool(ssi_columns.intersection(_RANKS)))


def read_plan(folder) -> ReportPlan:
    """The plan notebook 01 wrote into ``folder``."""
    raw = json.loads((Path(folder) / PLAN_FILE).read_text(encoding="utf-8"))
    return ReportPlan(tuple(raw["tables"]), pillars=bool(raw["pillars"]), ranks=bool(raw["ranks"]))


def _pandas(table: pd.DataFrame) -> pd.DataFrame:
    return table.compute() if hasattr(table, "compute") else table


def empty_scores() -> pd.DataFrame:
    """A score table with the score columns and no rows (written when nothing is computed)."""
    frame = pd.DataFrame({c: pd.Series(dtype=float) for c in SCORE_COLUMNS})
    frame = frame.astype({"member_id": str, "industry": str, "team": str, "tier": str, "band": str})
    return frame.astype({"date": "datetime64[ns]"})


def observed_scores(dataset) -> pd.DataFrame:
    """LinkedIn's readings shaped like the kit's score table, one row per reading.

    The pillars and ``industry_top_pct``/``network_top_pct`` are LinkedIn's own (missing
    columns are left empty), ``industry`` and ``team`` come from ``members``, ``tier``
    and ``band`` are cut from the read SSI as for the computed score, and
    ``ssi_change_7d`` is the change since the seller's reading 7 to 13 days earlier
    (empty without one).
    """
    ssi, members = _pandas(dataset["ssi"]), _pandas(dataset["members"])
    frame = pd.DataFrame({"member_id": ssi["member_id"].astype(str).to_numpy(),
                          "date": pd.to_datetime(ssi["date"]).to_numpy()})
    for col in (*PILLARS, "ssi", *_RANKS):
        frame[col] = (ssi[col].to_numpy(dtype=float, na_value=np.nan) if col in ssi.columns
                      else np.nan)
    info = pd.DataFrame({"member_id": members["member_id"].astype(str).to_numpy()})
    for col in ("industry", "team"):
        info[col] = members[col].astype(str).where(members[col].notna()).to_numpy() \
            if col in members.columns else None
    frame = frame.merge(info, on="member_id", how="left")
    frame["tier"] = pd.Categorical(tier_of(frame["ssi"]), categories=["laggard", "middle", "leader"])
    frame["band"] = pd.Categorical(band_of(frame["ssi"]), categories=["poor", "average", "good"])
    frame["ssi_change_7d"] = _change_7d(frame)
    order = ["member_id", "date", "industry", "team", *PILLARS, "ssi", "tier", "band", *_RANKS,
             "ssi_change_7d"]
    return frame[order].sort_values(["member_id", "date"], kind="mergesort").reset_index(drop=True)


def _change_7d(frame: pd.DataFrame) -> np.ndarray:
    """Each reading's change since the same seller's reading 7 to 13 days earlier."""
    left = frame[["member_id", "date"]].assign(key=frame["date"] - pd.Timedelta(days=7),
                                               row=np.arange(len(frame)))
    right = frame[["member_id", "date", "ssi"]].rename(columns={"date": "key", "ssi": "before"})
    merged = pd.merge_asof(left.sort_values("key"), right.sort_values("key"), on="key",
                           by="member_id", direction="backward", tolerance=_CHANGE_TOLERANCE)
    before = merged.sort_values("row")["before"].to_numpy(dtype=float)
    return np.round(frame["ssi"].to_numpy(dtype=float) - before, 2)


def tracking(computed: pd.DataFrame, observed: pd.DataFrame) -> pd.DataFrame:
    """How closely the kit's computed score tracks LinkedIn's readings, per pillar and in total.

    Parameters
    ----------
    computed : pandas.DataFrame
        The kit's scores on (some of) the days of the readings.
    observed : pandas.DataFrame
        :func:`observed_scores`.

    Returns
    -------
    pandas.DataFrame
        One row per measure read by LinkedIn: ``measure``, ``pairs`` (seller-days both
        exist), ``sellers``, ``mean_observed``, ``mean_computed``, ``mean_abs_error``,
        ``correlation`` (Pearson; empty below 3 pairs or without variation).
    """
    keys = ["member_id", "date"]
    left = computed[[*keys, *PILLARS, "ssi"]].astype({"member_id": str})
    right = observed[[*keys, *PILLARS, "ssi"]].astype({"member_id": str})
    both = left.merge(right, on=keys, suffixes=("_computed", "_observed"))
    rows = []
    for measure in (*PILLARS, "ssi"):
        pair = both[[f"{measure}_computed", f"{measure}_observed", "member_id"]].dropna()
        comp, obs = (pair[f"{measure}_{s}"].to_numpy(dtype=float) for s in ("computed", "observed"))
        varied = len(pair) >= 3 and comp.std() > 0 and obs.std() > 0
        rows.append({"measure": measure, "pairs": len(pair), "sellers": pair["member_id"].nunique(),
                     "mean_observed": obs.mean() if len(pair) else np.nan,
                     "mean_computed": comp.mean() if len(pair) else np.nan,
                     "mean_abs_error": np.abs(comp - obs).mean() if len(pair) else np.nan,
                     "correlation": np.corrcoef(comp, obs)[0, 1] if varied else np.nan})
    return pd.DataFrame(rows).round(3)


def drivers(scores: pd.DataFrame) -> pd.DataFrame:
    """What drives the kit's computed score: mean points per input on the last scored day.

    Returns
    -------
    pandas.DataFrame
        ``pillar``, ``input``, ``mean_points``, sorted by pillar then points (largest first).
    """
    inputs = [c for c in scores.columns if "__" in c]
    if scores.empty or not inputs:
        return pd.DataFrame(columns=["pillar", "input", "mean_points"])
    last = scores[scores["date"] == scores["date"].max()]
    means = last[inputs].mean()
    table = pd.DataFrame({"pillar": [c.split("__", 1)[0] for c in inputs],
                          "input": [c.split("__", 1)[1] for c in inputs],
                          "mean_points": means.to_numpy(dtype=float).round(2)})
    return table.sort_values(["pillar", "mean_points"], ascending=[True, False],
                             kind="mergesort").reset_index(drop=True)


def coverage(plan: ReportPlan, shown: pd.DataFrame) -> str:
    """One line on what the headline numbers are: sellers, source and last day."""
    day = "no day" if shown.empty else str(pd.Timestamp(shown["date"].max()).date())
    return f"{shown['member_id'].nunique()} sellers; {_PLURAL[plan.headline]} up to {day}."


_SECTIONS = {
    "summary": ("Summary", ""),
    "roster": ("Roster",
               "One row per seller, most points within reach (100 minus the SSI) first: the latest SSI "
               "({singular}), its change over four weeks, the weakest pillar (most of its 25 points "
               "missing) and, where the kit's score can be computed, the three actions that would add most "
               "SSI points per minute of effort (re-scored under the spec; else the inputs with most points "
               "still available and a next action). Click a column to sort. "
               "{ranks}"),
    "changes": ("What changed",
                "The change of the SSI over four weeks (the latest day against 28 days before), split "
                "into its pillars and, for the kit's computed score, into the inputs of each pillar: the "
                "inputs add up to their pillar and the pillars to the SSI. Means over the sellers "
                "scored on both days."),
    "headline": ("Headline: {plural}", "{about}"),
    "distribution": ("{Plural} against the published references",
                     f"The article's bands (poor below {BAND_CUTS[0]}, average {BAND_CUTS[0]}-{BAND_CUTS[1]}, "
                     f"good {BAND_CUTS[1]} and up) and "
                     "LinkedIn's 2015 distribution of sales professionals (0-20: 46.7%, 21-69: 51.9%, "
                     "70+: 1.4%)."),
    "pillars": ("Pillars by team ({plural})", ""),
    "ranks": ("Industry and network ranks ({rank_source})",
              "\"Top N%\": the share of the group, the seller included, scoring at least "
              "as high (lower is better). {ranks}"),
    "history": ("Over time ({plural})", ""),
    "movers": ("Biggest movers over four weeks ({plural})",
               "The sellers whose SSI rose or fell most since 28 days before the latest day, with the "
               "pillar that moved most."),
    "drivers": ("What drives the kit's computed score",
                "Mean points each input adds to the kit's computed score on its last scored day "
                "(docs/scoring.md)."),
    "tracking": ("How closely the kit's computed score tracks LinkedIn's readings",
                 "Over the seller-days that have both: mean absolute error and correlation per "
                 "pillar and for the total."),
}


def section_text(plan: ReportPlan, section: str, level: int = 2) -> str:
    """Markdown heading and introduction of a report section, or the reason it is missing."""
    title, intro = _SECTIONS[section]
    plural = _PLURAL[plan.headline]
    about = ("Each seller's latest reading from LinkedIn." if plan.observed else
             "The kit's computed score on the last scored day (LinkedIn's formula is secret; "
             "docs/scoring.md).")
    if plan.observed and plan.computed:
        about += " The kit's computed score explains them: see what drives it, further down."
    ranks = ("Industry and network ranks as LinkedIn gave them." if plan.linkedin_ranks else
             "Industry and network ranks computed by the kit within this organisation (among the "
             "dataset's own sellers, not LinkedIn's members); the network is a seller and their "
             "1st-degree connections.")
    fill = {"plural": plural, "Plural": plural[0].upper() + plural[1:], "about": about, "ranks": ranks,
            "singular": SOURCES[plan.headline],
            "rank_source": plural if plan.linkedin_ranks or not plan.observed
            else "the kit's computed scores, within this organisation"}
    text = "#" * level + " " + title.format(**fill)
    body = plan.why_not(section) or intro.format(**fill)
    return f"{text}\n\n{body}" if body else text
