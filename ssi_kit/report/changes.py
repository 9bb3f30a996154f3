"""What changed between two dates: the SSI change broken down by pillar and by input.

:func:`explain_change` compares each seller's score on two days -- by default the
latest day and 28 days before it -- and splits the change of the SSI into its four
pillars and, for the kit's computed score, into the inputs of each pillar (the
``pillar__input`` contribution columns).  Because the SSI is the sum of its pillars
and a pillar the sum of its inputs, the changes add up: the input changes of a pillar
sum to its change, and the pillar changes to the SSI's (within rounding).

Dates are snapped to the nearest scored day on or before them.  LinkedIn's readings
come on each seller's own days, so each seller's reading is the latest one on or
before the day, and no older than :data:`TOLERANCE_DAYS` days before it.
"""
from __future__ import annotations

import pandas as pd

from ..io.schemas import PILLARS
from .readings import SOURCES

__all__ = ["explain_change", "value_on", "largest_pillar", "PERIOD_DAYS", "TOLERANCE_DAYS"]

#: Default span of a change: four weeks.
PERIOD_DAYS = 28
#: A seller's value on a day is their latest row on or before it, at most this many days older.
TOLERANCE_DAYS = 6
_GROUPS = ("member_id", "team", None)
_COLUMNS = ["level", "pillar", "input", "source", "sellers", "before", "after", "change"]


def value_on(scores: pd.DataFrame, day, columns, *, tolerance: int = TOLERANCE_DAYS) -> pd.DataFrame:
    """Each seller's ``columns`` on ``day``: their latest row on or before it, within ``tolerance`` days.

    Parameters
    ----------
    scores : pandas.DataFrame
        Score rows with ``member_id`` and ``date``.
    day : date-like
    columns : list of str
    tolerance : int
        Oldest row taken, in days before ``day``.

    Returns
    -------
    pandas.DataFrame
        ``member_id``, ``date`` (the row's day) and ``columns``; sellers without a row are left out.
    """
    day = pd.Timestamp(day)
    keep = (scores["date"] <= day) & (scores["date"] >= day - pd.Timedelta(days=tolerance))
    rows = scores.loc[keep, ["member_id", "date", *columns]].astype({"member_id": str})
    rows = rows.sort_values(["member_id", "date"], kind="mergesort")
    return rows.drop_duplicates("member_id", keep="last").reset_index(drop=True)


def _snap(scores: pd.DataFrame, day, default) -> pd.Timestamp:
    """The latest scored day on or before ``day`` (``default`` when ``day`` is None)."""
    day = pd.Timestamp(default if day is None else day)
    days = scores.loc[scores["date"] <= day, "date"]
    return pd.Timestamp(days.max()) if len(days) else day


def _nearest(scores: pd.DataFrame, day) -> pd.Timestamp:
    """The scored day nearest ``day`` (the earlier one on a tie)."""
    days = pd.Series(pd.to_datetime(scores["date"].unique())).sort_values()
    gap = (days - pd.Timestamp(day)).abs()
    return pd.Timestamp(days.iloc[int(gap.to_numpy().argmin())])


def _paired(scores, start, end, columns, by) -> pd.DataFrame:
    """Per seller present on both days: ``before__X`` and ``after__X`` of ``columns``, and ``by``."""
    before = value_on(scores, start, columns).drop(columns="date")
    after = value_on(scores, end, columns).drop(columns="date")
    both = before.merge(after, on="member_id", suffixes=("__before", "__after"))
    if by == "team":
        teams = scores[["member_id", "team"]].astype(str).drop_duplicates("member_id", keep="last")
        both = both.merge(teams, on="member_id", how="left")
    return both


def _rows(scores, start, end, *, level_columns, source, by) -> pd.DataFrame:
    """Tidy before/after/change rows of ``level_columns`` ({column: (level, pillar, input)})."""
    columns = [c for c in level_columns if c in scores.columns and scores[c].notna().any()]
    if not columns or scores.empty:
        return pd.DataFrame(columns=["group", *_COLUMNS])
    both = _paired(scores, start, end, columns, by)
    key = by or "group"
    if by is None:
        both["group"] = "all sellers"
    grouped = both.groupby(key, sort=True)
    out = []
    for col in columns:
        level, pillar, name = level_columns[col]
        frame = pd.DataFrame({"sellers": grouped.size(),
                              "before": grouped[f"{col}__before"].mean(),
                              "after": grouped[f"{col}__after"].mean()}).reset_index()
        out.append(frame.rename(columns={key: "group"}).assign(level=level, pillar=pillar, input=name,
                                                               source=SOURCES[source]))
    table = pd.concat(out, ignore_index=True)
    table["change"] = table["after"] - table["before"]
    return table[["group", *_COLUMNS]]


def explain_change(scores: pd.DataFrame, *, start=None, end=None, by: str | None = "member_id",
                   computed: pd.DataFrame | None = None, source: str = "computed") -> pd.DataFrame:
    """The change of the SSI between two dates, by pillar and (computed score) by input.

    Parameters
    ----------
    scores : pandas.DataFrame
        The scores shown: LinkedIn's readings (``source="observed"``) or the kit's computed scores.
    start, end : date-like, optional
        Default: the latest day and :data:`PERIOD_DAYS` days before it; each is snapped to the
        latest scored day on or before it.
    by : {"member_id", "team", None}
        Per seller, per team (mean over the team's sellers present on both days) or over all sellers.
    computed : pandas.DataFrame, optional
        With readings, the kit's computed scores: the inputs' changes come from them
        (their ``source`` says so), on the computed days nearest ``start`` and ``end``
        (``attrs["input_start"]``, ``attrs["input_end"]``).  Ignored when ``scores`` are computed.
    source : {"computed", "observed"}
        What ``scores`` are.

    Returns
    -------
    pandas.DataFrame
        Tidy: ``by`` (or ``group``, "all sellers", when ``by`` is None), ``level``
        ("ssi", "pillar", "input"), ``pillar``, ``input``, ``source``, ``sellers``, ``before``,
        ``after``, ``change``.  ``attrs`` hold the ``start`` and ``end`` days used.

    Raises
    ------
    ValueError
        When ``by`` is not one of the choices.
    """
    if by not in _GROUPS:
        raise ValueError(f"by must be 'member_id', 'team' or None, got {by!r}.")
    if scores.empty:
        return pd.DataFrame(columns=[by or "group", *_COLUMNS])
    end = _snap(scores, end, scores["date"].max())
    start = _snap(scores, start, end - pd.Timedelta(days=PERIOD_DAYS))
    levels = {"ssi": ("ssi", "", ""), **{p: ("pillar", p, "") for p in PILLARS}}
    table = _rows(scores, start, end, level_columns=levels, source=source, by=by)
    inputs = computed if source == "observed" else scores
    if inputs is not None and not inputs.empty:
        parts = {c: ("input", *c.split("__", 1)) for c in inputs.columns if "__" in c}
        c_start, c_end = _nearest(inputs, start), _nearest(inputs, end)
        table = pd.concat([table, _rows(inputs, c_start, c_end, level_columns=parts, source="computed",
                                        by=by)], ignore_index=True)
    table[["before", "after", "change"]] = table[["before", "after", "change"]].astype(float)
    table = table.rename(columns={"group": by or "group"}).reset_index(drop=True)
    table.attrs.update(start=start, end=end)
    if inputs is not None and not inputs.empty:
        table.attrs.update(input_start=c_start, input_end=c_end)
    return table


def largest_pillar(change: pd.DataFrame, by: str = "member_id") -> pd.DataFrame:
    """Per group, the pillar whose change is largest in size, and that change (signed)."""
    pillars = change[change["level"] == "pillar"].copy()
    pillars["size"] = pillars["change"].abs()
    pillars = pillars.sort_values([by, "size", "pillar"], ascending=[True, False, True], kind="mergesort")
    top = pillars.drop_duplicates(by)[[by, "pillar", "change"]]
    return top.rename(columns={"pillar": "pillar_moved_most", "change": "pillar_change"}).reset_index(drop=True)

