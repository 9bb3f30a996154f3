"""Readable labels, with units, for every column and code a reader sees in the report.

One table, :data:`LABELS`, names each column the report or the workbook shows
(``industry_top_pct`` -> "Industry rank (Top %)"); :func:`readable` renames a table's
columns with it and turns coded values (tiers, bands, pillars, inputs, verdicts) into
words.  With a ``source`` the SSI-valued columns also say what they are -- LinkedIn's
reading or the kit's computed score -- and the ranks whose they are (LinkedIn's own, or
the kit's, computed within this organisation).  A column missing from the table is
never shown as code: ``some_new_column`` becomes "Some new column", and a contribution
column ``pillar__input`` becomes "Brand: Posts (points)".
"""
from __future__ import annotations

import re

import pandas as pd

from ..scoring.tiers import BAND_CUTS, TIER_CUTS

__all__ = ["LABELS", "SOURCES", "PILLAR_NAMES", "PILLAR_SHORT", "INPUT_NAMES", "VALUE_LABELS", "SOURCED",
           "label", "readable", "readable_values", "value_label", "humanize"]

#: LinkedIn's names of the four pillars (each worth 25 points).
PILLAR_NAMES = {"brand": "Establish your professional brand", "people": "Find the right people",
                "insights": "Engage with insights", "relationships": "Build relationships"}
#: Short forms of the pillars, for legends and tight axes.
PILLAR_SHORT = {"brand": "Brand", "people": "People", "insights": "Insights",
                "relationships": "Relationships"}

#: The scoring spec's inputs (``ssi_kit/scoring/default_spec.yaml``) in words.
INPUT_NAMES = {
    "photo": "Profile photo", "cover": "Cover photo", "headline": "Profile headline",
    "summary": "About summary", "positions": "Positions listed", "education": "Education listed",
    "skills": "Skills and endorsements", "recommendations": "Recommendations",
    "featured": "Featured items", "posts": "Posts", "engagement_earned": "Engagement earned by posts",
    "post_views": "Post views", "followers": "Followers gained", "searches": "People searches",
    "profile_views_made": "Profile views made", "profile_views_received": "Profile views received",
    "leads_accounts_saved": "Leads and accounts saved", "days_active": "Days active",
    "shares": "Content shared", "comments_made": "Comments made", "reactions_made": "Reactions made",
    "messages_sent": "Messages sent", "messages_replied": "Message replies received",
    "group_posts": "Group posts", "connections_built": "Connections built",
    "decision_makers": "Decision-maker connections", "internal": "Connections inside the company",
    "invitations_accepted": "Recent invitations accepted", "inmails_replied": "InMail replies",
    "peers": "Ties to colleagues",
}

#: Columns whose numbers are an SSI or part of one: with a source, their label names it.
#: Each maps to (label, unit).
SOURCED = {
    "ssi": ("SSI", "0-100"), "mean_ssi": ("Mean SSI", "0-100"),
    "ssi_change_7d": ("7-day change in SSI", "points"), "ssi_change_28d": ("4-week change in SSI", "points"),
    "industry_avg_ssi": ("Industry mean SSI", "0-100"), "network_avg_ssi": ("Network mean SSI", "0-100"),
    "team_avg_ssi": ("Team mean SSI", "0-100"),
    "points": ("Points", "points"), "mean_points": ("Mean points", "points"),
    **{p: (name, "0-25 points") for p, name in PILLAR_NAMES.items()},
}
#: Rank columns ("Top N%": lower is better): LinkedIn's own, or the kit's within this organisation.
_RANKS = {"industry_top_pct": "Industry rank", "network_top_pct": "Network rank",
          "median_industry_top_pct": "Median industry rank", "median_network_top_pct": "Median network rank"}
_RANK_UNIT = "Top %"
#: What each kind of SSI is called wherever it is shown.
SOURCES = {"observed": "LinkedIn's reading", "computed": "the kit's computed score"}
_RANK_WORDS = {"observed": "from LinkedIn", "computed": "within this organisation"}

_PLAIN = {
    # identity and grouping
    "member_id": "Seller", "date": "Date", "industry": "Industry", "team": "Team", "group": "Group",
    "tier": "Tier (LinkedIn's 2014 cut-offs)", "band": "Band (article's cut-offs)",
    "team_top_pct": "Team rank (Top %)", "direction": "Direction",
    # distribution, headline, tracking, drivers
    "reference": "Reference", "range": "SSI range", "sellers": "Sellers", "share": "Share of sellers (%)",
    "reference_share": "Reference share (%)", "measure": "Measure", "value": "Value",
    "pillar": "Pillar", "input": "Input", "pairs": "Seller-days compared",
    "mean_observed": "Mean of LinkedIn's readings (points)",
    "mean_computed": "Mean of the kit's computed scores (points)",
    "mean_abs_error": "Mean absolute error (points)", "correlation": "Correlation (Pearson r)",
    # what changed (helper C1's changes.py)
    "level": "Level", "source": "Source", "before": "Before (points)", "after": "After (points)",
    "change": "Change (points)", "pillar_moved_most": "Pillar that moved most",
    "pillar_change": "Change in that pillar (points)",
    # roster (helper C1's roster.py)
    "weakest_pillar": "Weakest pillar", "weakest_pillar_missing": "Points missing in weakest pillar (of 25)",
    "points_within_reach": "Points within reach (100 minus SSI)",
    "top_inputs": "Inputs with most points still available (points)", "next_action": "Next action",
    "top_actions": "Top three actions (SSI points each would add)",
    "top_actions_gain": "Points the top three actions would add",
    # coaching (coaching.py: the plan's action per team)
    "action": "Action", "mean_gain": "Lift of the team's mean SSI (points)",
    "gainers": "Sellers it lifts", "minutes": "Minutes (all sellers it lifts)",
    "industry_top_pct_org": "Industry rank within this organisation (Top %)",
    "network_top_pct_org": "Network rank within this organisation (Top %)",
    # claims
    "claim_id": "Claim", "statement": "Published statement", "type": "Type of test",
    "published": "Published value", "estimate": "Estimate", "ci_low": "95% CI, low",
    "ci_high": "95% CI, high", "ci": "95% CI", "null_value": "Value meaning no effect",
    "n": "Observations (n)", "n_sellers": "Sellers (n)", "p_value": "p-value",
    "p_adjusted": "p-value (Holm-adjusted)", "power": "Power for the published effect (%)",
    "n_for_80_power": "Observations for 80% power", "tost_p": "Equivalence p-value (TOST)",
    "equivalent": "Equivalent to published (TOST)", "adjusted_estimate": "Adjusted estimate",
    "adjusted_ci_low": "Adjusted 95% CI, low", "adjusted_ci_high": "Adjusted 95% CI, high",
    "method": "Method (estimator and errors)", "power_method": "How power was computed",
    "reason": "Why untestable", "ssi_source": "SSI tested",
    "verdict": "Verdict", "verdict_words": "Verdict in words", "variant": "Definition variant",
    "definition": "Operational definition", "published_by": "Source (who published it)",
    "primary_source": "Traced to a primary source",
    # the specification curve (claims/specifications.py)
    "spec": "Specification (0 = as defined)", "leader_cutoff": "Leader cut-off", "ssi_window": "SSI window",
    "covariates": "Covariates", "outcome_period": "Outcome periods", "as_defined": "As defined",
    "includes_published": "Interval includes the published value", "consistent": "Verdict consistent",
    # data quality (quality_section.py)
    "check": "Check", "severity": "Severity", "first_date": "From", "last_date": "To", "count": "Rows",
    "detail": "What was found",
    # workbook's About sheet
    "topic": "Topic", "details": "Details",
}

#: Every known column's label (without a source), units in brackets.
LABELS = {**_PLAIN, **{c: f"{name} ({unit})" for c, (name, unit) in SOURCED.items()},
          **{c: f"{name} ({_RANK_UNIT})" for c, name in _RANKS.items()}}

_TIER_LOW, _TIER_HIGH = TIER_CUTS
_BAND_LOW, _BAND_HIGH = BAND_CUTS
#: Coded values in words, by the column that holds them.
VALUE_LABELS = {
    "tier": {"leader": f"Leader (above {_TIER_HIGH})", "middle": f"Middle ({_TIER_LOW}-{_TIER_HIGH})",
             "laggard": f"Laggard (below {_TIER_LOW})"},
    "band": {"good": f"Good ({_BAND_HIGH} and up)", "average": f"Average ({_BAND_LOW}-{_BAND_HIGH})",
             "poor": f"Poor (below {_BAND_LOW})"},
    "pillar": {**PILLAR_NAMES, "ssi": "SSI (total)"},
    "input": INPUT_NAMES,
    "measure": {**PILLAR_NAMES, "ssi": "SSI (total)"},
    "direction": {"up": "Rising", "down": "Falling"},
    "level": {"ssi": "SSI (total)", "pillar": "Pillar", "input": "Input"},
    "verdict": {"consistent": "Consistent", "weaker": "Weaker than published",
                "stronger": "Stronger than published", "not_supported": "Not supported",
                "inconclusive": "Inconclusive", "opposite": "Opposite direction", "untestable": "Untestable"},
    "ssi_source": {**SOURCES, "n/a": "No SSI used", "": "No SSI used"},
    "severity": {"error": "Error", "warning": "Warning", "info": "Information"},
}
VALUE_LABELS["weakest_pillar"] = VALUE_LABELS["pillar_moved_most"] = PILLAR_NAMES
#: Columns of identifiers: humanized when not known (``leaders_quota`` -> "Leaders quota").
_HUMANIZED = ("input", "claim_id", "check")

_WORDS = {"ssi": "SSI", "id": "ID", "pct": "%", "avg": "mean", "7d": "7-day", "28d": "4-week",
          "ci": "CI", "n": "n", "tost": "TOST", "inmail": "InMail", "inmails": "InMails"}
_CODE = re.compile(r"\A[A-Za-z0-9]+(_+[A-Za-z0-9]+)*\Z")


def humanize(name: str) -> str:
    """``snake_case`` in words, first letter capitalised (``team_avg_ssi`` -> "Team mean SSI").

    Text that is not an identifier (spaces, punctuation) is returned unchanged.
    """
    name = str(name)
    if not _CODE.match(name):
        return name
    words = [_WORDS.get(w.lower(), w) for w in name.replace("__", "_").split("_")]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def label(name: str, source: str | None = None) -> str:
    """The readable label of column ``name``.

    Parameters
    ----------
    name : str
        The column's name in the kit's tables.
    source : {"observed", "computed"}, optional
        What the SSI-valued columns hold: their label says so ("SSI, LinkedIn's reading
        (0-100)"), and a rank says whose it is ("Industry rank within this organisation
        (Top %)").

    Returns
    -------
    str
        Never contains an underscore.

    Raises
    ------
    ValueError
        When ``source`` is not one of the choices.
    """
    if source is not None and source not in SOURCES:
        raise ValueError(f"source must be 'observed', 'computed' or None, got {source!r}.")
    name = str(name)
    if source and name in SOURCED:
        text, unit = SOURCED[name]
        return f"{text}, {SOURCES[source]} ({unit})"
    if source and name in _RANKS:
        return f"{_RANKS[name]} {_RANK_WORDS[source]} ({_RANK_UNIT})"
    if name in LABELS:
        return LABELS[name]
    if "__" in name:
        pillar, item = name.split("__", 1)
        return f"{PILLAR_SHORT.get(pillar, humanize(pillar))}: {value_label('input', item)} (points)"
    return humanize(name).replace("_", " ")


def value_label(column: str, value):
    """``value`` of ``column`` in words (unknown values are returned unchanged)."""
    words = VALUE_LABELS.get(column, {})
    if isinstance(value, str) and value in words:
        return words[value]
    if column in _HUMANIZED and isinstance(value, str):
        return humanize(value)
    return value


def readable_values(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with coded values (tiers, bands, pillars, inputs, verdicts...) in words."""
    out = table.copy()
    for col in out.columns:
        if col in VALUE_LABELS or col in _HUMANIZED:
            out[col] = out[col].astype(object).map(lambda v, c=col: value_label(c, v))
    return out


def readable(table: pd.DataFrame, source: str | None = None, *, values: bool = True) -> pd.DataFrame:
    """``table`` as a reader sees it: columns named by :func:`label`, coded values in words.

    Parameters
    ----------
    table : pandas.DataFrame
    source : {"observed", "computed"}, optional
        What the SSI-valued columns hold (see :func:`label`).
    values : bool
        Also put coded values in words (:func:`readable_values`).

    Returns
    -------
    pandas.DataFrame
        A copy; columns that would get the same label keep their own names made readable.
    """
    out = readable_values(table) if values else table.copy()
    names = [label(c, source) for c in out.columns]
    if len(set(names)) < len(names):  # two codes with one label (e.g. first_date and start)
        seen: dict[str, int] = {}
        for i, n in enumerate(names):
            seen[n] = seen.get(n, 0) + 1
            if seen[n] > 1:
                names[i] = f"{n} ({humanize(str(out.columns[i]))})"
    out.columns = names
    return out
