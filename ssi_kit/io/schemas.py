"""One pandera ``DataFrameModel`` per dataset table: the input contract of DESIGN.md.

The models describe the *typed* tables.  Raw text is first turned into these
types by :mod:`ssi_kit.io.parse` (which derives what to parse from the models'
dtypes), then the models check ranges, keys and cross-column rules lazily, so
one pass reports every problem.

Whole-row checks (``@pa.dataframe_check``) and the ``unique`` key may only use
a model's *required* columns: validation checks those columns together and
every optional column on its own (see :func:`frame_columns`).
"""
from __future__ import annotations

from typing import Optional

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

__all__ = [
    "Members", "Activity", "Profiles", "Ssi", "Outcomes", "Connections", "Events",
    "MODELS", "TABLE_NAMES", "ACTIVITY_COUNTS", "PILLARS", "FRAME_CHECK_COLUMNS", "table_key",
    "frame_columns",
]

PILLARS = ("brand", "people", "insights", "relationships")

ACTIVITY_COUNTS = (
    "posts", "post_views", "post_reactions", "post_comments", "followers_gained", "shares",
    "comments_made", "reactions_made", "searches", "leads_saved", "accounts_saved",
    "profile_views_made", "profile_views_received", "invitations_sent", "invitations_accepted",
    "decision_maker_connections", "internal_connections", "inmails_sent", "inmails_replied",
    "messages_sent", "messages_replied", "group_posts",
)


_PERIOD_ORDER = "a period_end on or after period_start"
_NO_SELF_TIE = "a connection_id different from member_id (no self-ties)"
#: The column a whole-row check is reported under.
FRAME_CHECK_COLUMNS = {_PERIOD_ORDER: "period_end", _NO_SELF_TIE: "connection_id"}


def _id():
    return pa.Field(nullable=False)


def _count():
    return pa.Field(ge=0, nullable=True)


def _flag():
    return pa.Field(nullable=True)


def _score(high: float):
    return pa.Field(ge=0, le=high, nullable=True)


class _Base(pa.DataFrameModel):
    class Config:
        strict = False
        coerce = False


class Members(_Base):
    """One row per seller."""

    member_id: Series[str] = pa.Field(nullable=False, unique=True)
    industry: Series[str] = _id()
    team: Optional[Series[str]] = _flag()
    region: Optional[Series[str]] = _flag()
    tenure_months: Optional[Series[pd.Float64Dtype]] = pa.Field(ge=0, nullable=True)
    sales_navigator: Optional[Series[pd.BooleanDtype]] = _flag()
    social_media: Optional[Series[pd.BooleanDtype]] = _flag()


class Activity(_Base):
    """One row per seller and day with activity; a missing day means none."""

    member_id: Series[str] = _id()
    date: Series[pa.DateTime] = _id()
    posts: Optional[Series[pd.Int64Dtype]] = _count()
    post_views: Optional[Series[pd.Int64Dtype]] = _count()
    post_reactions: Optional[Series[pd.Int64Dtype]] = _count()
    post_comments: Optional[Series[pd.Int64Dtype]] = _count()
    followers_gained: Optional[Series[pd.Int64Dtype]] = _count()
    shares: Optional[Series[pd.Int64Dtype]] = _count()
    comments_made: Optional[Series[pd.Int64Dtype]] = _count()
    reactions_made: Optional[Series[pd.Int64Dtype]] = _count()
    searches: Optional[Series[pd.Int64Dtype]] = _count()
    leads_saved: Optional[Series[pd.Int64Dtype]] = _count()
    accounts_saved: Optional[Series[pd.Int64Dtype]] = _count()
    profile_views_made: Optional[Series[pd.Int64Dtype]] = _count()
    profile_views_received: Optional[Series[pd.Int64Dtype]] = _count()
    invitations_sent: Optional[Series[pd.Int64Dtype]] = _count()
    invitations_accepted: Optional[Series[pd.Int64Dtype]] = _count()
    decision_maker_connections: Optional[Series[pd.Int64Dtype]] = _count()
    internal_connections: Optional[Series[pd.Int64Dtype]] = _count()
    inmails_sent: Optional[Series[pd.Int64Dtype]] = _count()
    inmails_replied: Optional[Series[pd.Int64Dtype]] = _count()
    messages_sent: Optional[Series[pd.Int64Dtype]] = _count()
    messages_replied: Optional[Series[pd.Int64Dtype]] = _count()
    group_posts: Optional[Series[pd.Int64Dtype]] = _count()

    class Config:
        unique = ["member_id", "date"]


class Profiles(_Base):
    """One row per seller and date the profile was observed."""

    member_id: Series[str] = _id()
    date: Series[pa.DateTime] = _id()
    has_photo: Optional[Series[pd.BooleanDtype]] = _flag()
    has_cover: Optional[Series[pd.BooleanDtype]] = _flag()
    has_headline: Optional[Series[pd.BooleanDtype]] = _flag()
    has_summary: Optional[Series[pd.BooleanDtype]] = _flag()
    positions: Optional[Series[pd.Int64Dtype]] = _count()
    education: Optional[Series[pd.Int64Dtype]] = _count()
    skills: Optional[Series[pd.Int64Dtype]] = _count()
    recommendations: Optional[Series[pd.Int64Dtype]] = _count()
    featured_items: Optional[Series[pd.Int64Dtype]] = _count()

    class Config:
        unique = ["member_id", "date"]


class Ssi(_Base):
    """One row per observed SSI reading (from LinkedIn)."""

    member_id: Series[str] = _id()
    date: Series[pa.DateTime] = _id()
    ssi: Series[pd.Float64Dtype] = pa.Field(ge=0, le=100, nullable=False)
    brand: Optional[Series[pd.Float64Dtype]] = _score(25)
    people: Optional[Series[pd.Float64Dtype]] = _score(25)
    insights: Optional[Series[pd.Float64Dtype]] = _score(25)
    relationships: Optional[Series[pd.Float64Dtype]] = _score(25)
    industry_top_pct: Optional[Series[pd.Float64Dtype]] = _score(100)
    network_top_pct: Optional[Series[pd.Float64Dtype]] = _score(100)

    class Config:
        unique = ["member_id", "date"]


class Outcomes(_Base):
    """One row per seller and sales period."""

    member_id: Series[str] = _id()
    period_start: Series[pa.DateTime] = _id()
    period_end: Series[pa.DateTime] = _id()
    opportunities: Optional[Series[pd.Int64Dtype]] = _count()
    quota_attained: Optional[Series[pd.BooleanDtype]] = _flag()
    revenue: Optional[Series[pd.Float64Dtype]] = pa.Field(nullable=True)

    class Config:
        unique = ["member_id", "period_start"]

    @pa.dataframe_check(error=_PERIOD_ORDER)
    def _period_order(cls, df: pd.DataFrame) -> Series[bool]:
        return ~(df["period_end"] < df["period_start"])


class Connections(_Base):
    """One row per undirected tie between two sellers."""

    member_id: Series[str] = _id()
    connection_id: Series[str] = _id()

    @pa.dataframe_check(error=_NO_SELF_TIE)
    def _no_self_tie(cls, df: pd.DataFrame) -> Series[bool]:
        return df["member_id"] != df["connection_id"]


class Events(_Base):
    """One row per dated event of a seller (e.g. ``training``)."""

    member_id: Series[str] = _id()
    date: Series[pa.DateTime] = _id()
    event: Series[str] = _id()


MODELS = {
    "members": Members, "activity": Activity, "profiles": Profiles, "ssi": Ssi,
    "outcomes": Outcomes, "connections": Connections, "events": Events,
}
TABLE_NAMES = tuple(MODELS)


def table_key(table: str) -> tuple[str, ...]:
    """Columns that identify a row of ``table`` (used to de-duplicate and sort)."""
    unique = getattr(MODELS[table].Config, "unique", None)
    if unique:
        return tuple(unique)
    return {"members": ("member_id",), "connections": ("member_id", "connection_id"),
            "events": ("member_id", "date", "event")}[table]


def frame_columns(table: str) -> tuple[str, ...]:
    """Required columns of ``table`` in schema order: its key and whole-row checks' columns.

    These are always read and are checked together; every other column is
    checked on its own.
    """
    columns, key = MODELS[table].to_schema().columns, table_key(table)
    return tuple(name for name, col in columns.items() if col.required or name in key)
