"""One pandera ``DataFrameModel`` per dataset table: the input contract (``docs/contract.md``).

The models describe the *typed* tables.  Raw text is first turned into these
types by :mod:`ssi_kit.io.parse` (which derives what to parse from the models'
dtypes), then the models check ranges, keys and cross-column rules lazily, so
one pass reports every problem.

The models are the one place the columns are written down: every column
carries ``Field(description=...)`` and ``metadata={"kind": ...}`` (see
:data:`KINDS`), and the column lists the rest of the kit uses
(:data:`ACTIVITY_COUNTS`, :data:`PROFILE_FIELDS`, :func:`columns_of`) and the
tables section of ``docs/contract.md`` (:func:`contract_tables`) are derived
from them.

Whole-row checks (``@pa.dataframe_check``) and the ``unique`` key may only use
a model's *required* columns: validation checks those columns together and
every optional column on its own (see :func:`frame_columns`).  The column a
whole-row check's failures are reported under is declared in the model's
``Config.metadata["row_checks"]`` (check name -> column).
"""
from __future__ import annotations

import sys
from typing import Optional

import pandas as pd
import pandera.api.pandas.model as pandera_model
import pandera.pandas as pa
from pandera.typing import Index, Series

__all__ = [
    "Members", "Activity", "Profiles", "Ssi", "Outcomes", "Connections", "Events",
    "MODELS", "TABLE_NAMES", "KINDS", "ACTIVITY_COUNTS", "PROFILE_FIELDS", "PILLARS",
    "table_key", "frame_columns", "columns_of", "column_kind_of", "row_check_column",
    "contract_tables",
]

PILLARS = ("brand", "people", "insights", "relationships")

#: What a column holds (a column's ``metadata["kind"]``) -> its type as the contract states it.
KINDS = {
    "id": "text (a seller id)",
    "date": "date (`YYYY-MM-DD`)",
    "text": "text",
    "count": "count (whole number)",
    "flag": "boolean (true/false, 1/0, yes/no, any case)",
    "number": "number",
    "score": "number",
}

_PERIOD_ORDER = "a period_end on or after period_start"
_NO_SELF_TIE = "a connection_id different from member_id (no self-ties)"


def _field(kind: str, description: str, **checks):
    return pa.Field(description=description, metadata={"kind": kind}, **checks)


def _id(description: str = "The seller's id (as in `members`)."):
    return _field("id", description, nullable=False)


def _label(description: str):
    return _field("text", description, nullable=False)


def _date(description: str):
    return _field("date", description, nullable=False)


def _count(description: str):
    return _field("count", description, ge=0, nullable=True)


def _flag(description: str):
    return _field("flag", description, nullable=True)


def _text(description: str):
    return _field("text", description, nullable=True)


def _score(high: float, description: str):
    return _field("score", description, ge=0, le=high, nullable=True)


class _Base(pa.DataFrameModel):
    class Config:
        strict = False
        coerce = False


class Members(_Base):
    """One row per seller."""

    member_id: Series[str] = _field("id", "The seller's id, unique in the table.",
                                    nullable=False, unique=True)
    industry: Series[str] = _label("The seller's industry (the group of the industry rank).")
    team: Optional[Series[str]] = _text("The seller's team (the group of the team rank).")
    region: Optional[Series[str]] = _text("The seller's sales region.")
    tenure_months: Optional[Series[pd.Float64Dtype]] = _field(
        "number", "Months in the role.", ge=0, nullable=True)
    sales_navigator: Optional[Series[pd.BooleanDtype]] = _flag("Whether the seller uses Sales Navigator.")
    social_media: Optional[Series[pd.BooleanDtype]] = _flag(
        "Whether the seller uses social media for selling.")


class Activity(_Base):
    """One row per seller and day with activity; a missing day means none."""

    member_id: Series[str] = _id()
    date: Series[pa.DateTime] = _date("The day the counts are of.")
    posts: Optional[Series[pd.Int64Dtype]] = _count("Posts and articles published.")
    post_views: Optional[Series[pd.Int64Dtype]] = _count("Views (impressions) of the seller's posts.")
    post_reactions: Optional[Series[pd.Int64Dtype]] = _count("Reactions received on the seller's posts.")
    post_comments: Optional[Series[pd.Int64Dtype]] = _count("Comments received on the seller's posts.")
    followers_gained: Optional[Series[pd.Int64Dtype]] = _count("New followers.")
    shares: Optional[Series[pd.Int64Dtype]] = _count("Shares and reshares of others' content.")
    comments_made: Optional[Series[pd.Int64Dtype]] = _count("Comments written on others' content.")
    reactions_made: Optional[Series[pd.Int64Dtype]] = _count("Reactions given to others' content.")
    searches: Optional[Series[pd.Int64Dtype]] = _count("People searches.")
    leads_saved: Optional[Series[pd.Int64Dtype]] = _count("Leads saved (Sales Navigator).")
    accounts_saved: Optional[Series[pd.Int64Dtype]] = _count("Accounts saved (Sales Navigator).")
    profile_views_made: Optional[Series[pd.Int64Dtype]] = _count("Profiles of others viewed.")
    profile_views_received: Optional[Series[pd.Int64Dtype]] = _count("Views of the seller's profile.")
    invitations_sent: Optional[Series[pd.Int64Dtype]] = _count("Connection invitations sent.")
    invitations_accepted: Optional[Series[pd.Int64Dtype]] = _count(
        "Invitations accepted (new connections made).")
    decision_maker_connections: Optional[Series[pd.Int64Dtype]] = _count(
        "New connections at VP level or above.")
    internal_connections: Optional[Series[pd.Int64Dtype]] = _count(
        "New connections inside the seller's own company.")
    inmails_sent: Optional[Series[pd.Int64Dtype]] = _count("InMails sent.")
    inmails_replied: Optional[Series[pd.Int64Dtype]] = _count("InMails sent that got a reply.")
    messages_sent: Optional[Series[pd.Int64Dtype]] = _count("Messages sent (conversations).")
    messages_replied: Optional[Series[pd.Int64Dtype]] = _count("Messages sent that got a reply.")
    group_posts: Optional[Series[pd.Int64Dtype]] = _count("Posts and comments in groups.")

    class Config:
        unique = ["member_id", "date"]


class Profiles(_Base):
    """One row per seller and date the profile was observed (the latest on or before a day applies)."""

    member_id: Series[str] = _id()
    date: Series[pa.DateTime] = _date("The day the profile was observed.")
    has_photo: Optional[Series[pd.BooleanDtype]] = _flag("The profile has a photo.")
    has_cover: Optional[Series[pd.BooleanDtype]] = _flag("The profile has a cover (background) image.")
    has_headline: Optional[Series[pd.BooleanDtype]] = _flag("The profile has a headline.")
    has_summary: Optional[Series[pd.BooleanDtype]] = _flag("The profile has a summary (About).")
    positions: Optional[Series[pd.Int64Dtype]] = _count("Positions listed.")
    education: Optional[Series[pd.Int64Dtype]] = _count("Schools listed.")
    skills: Optional[Series[pd.Int64Dtype]] = _count("Skills listed.")
    recommendations: Optional[Series[pd.Int64Dtype]] = _count("Recommendations received.")
    featured_items: Optional[Series[pd.Int64Dtype]] = _count("Items in the Featured section.")

    class Config:
        unique = ["member_id", "date"]


class Ssi(_Base):
    """One row per observed SSI reading (from LinkedIn)."""

    member_id: Series[str] = _id()
    date: Series[pa.DateTime] = _date("The day of the reading.")
    ssi: Series[pd.Float64Dtype] = _field("score", "The SSI, 0-100 points (the sum of the pillars).",
                                          ge=0, le=100, nullable=False)
    brand: Optional[Series[pd.Float64Dtype]] = _score(25, "Establish your professional brand, 0-25 points.")
    people: Optional[Series[pd.Float64Dtype]] = _score(25, "Find the right people, 0-25 points.")
    insights: Optional[Series[pd.Float64Dtype]] = _score(25, "Engage with insights, 0-25 points.")
    relationships: Optional[Series[pd.Float64Dtype]] = _score(25, "Build relationships, 0-25 points.")
    industry_top_pct: Optional[Series[pd.Float64Dtype]] = _score(
        100, "LinkedIn's industry rank \"Top N%\": N, in percent.")
    network_top_pct: Optional[Series[pd.Float64Dtype]] = _score(
        100, "LinkedIn's network rank \"Top N%\": N, in percent.")

    class Config:
        unique = ["member_id", "date"]


class Outcomes(_Base):
    """One row per seller and sales period."""

    member_id: Series[str] = _id()
    period_start: Series[pa.DateTime] = _date("First day of the sales period.")
    period_end: Series[pa.DateTime] = _date("Last day of the sales period, on or after period_start.")
    opportunities: Optional[Series[pd.Int64Dtype]] = _count("Opportunities created in the period.")
    quota_attained: Optional[Series[pd.BooleanDtype]] = _flag("Whether the seller hit quota in the period.")
    revenue: Optional[Series[pd.Float64Dtype]] = _field(
        "number", "Revenue won in the period (in the dataset's currency).", nullable=True)

    class Config:
        unique = ["member_id", "period_start"]
        metadata = {"row_checks": {"_period_order": "period_end"}}

    @pa.dataframe_check(error=_PERIOD_ORDER)
    def _period_order(cls, df: pd.DataFrame) -> Series[bool]:
        return ~(df["period_end"] < df["period_start"])


class Connections(_Base):
    """One row per undirected tie between two sellers."""

    member_id: Series[str] = _id("One seller of the tie (as in `members`).")
    connection_id: Series[str] = _id("The other seller of the tie (as in `members`), not member_id.")

    class Config:
        metadata = {"row_checks": {"_no_self_tie": "connection_id"}}

    @pa.dataframe_check(error=_NO_SELF_TIE)
    def _no_self_tie(cls, df: pd.DataFrame) -> Series[bool]:
        return df["member_id"] != df["connection_id"]


class Events(_Base):
    """One row per dated event of a seller (e.g. ``training``)."""

    member_id: Series[str] = _id()
    date: Series[pa.DateTime] = _date("The day of the event.")
    event: Series[str] = _label("What happened, e.g. `training`.")


MODELS = {
    "members": Members, "activity": Activity, "profiles": Profiles, "ssi": Ssi,
    "outcomes": Outcomes, "connections": Connections, "events": Events,
}
TABLE_NAMES = tuple(MODELS)


def _build_schemas() -> None:
    """Build every model's schema now, without pandera importing ``dask.dataframe``.

    To tell series from index annotations, pandera's ``to_schema`` asks
    ``get_series_types`` and ``get_index_types``, which import ``dask.dataframe``
    (half a second) when Dask is installed, to add Dask's types.  The models
    here annotate pandas' types only, so asking about pandas' alone builds
    the same schemas; pandera caches them (per thread) and its own functions
    are put back.  If pandera's internals differ, the schemas are built as usual.
    """
    names = ("get_series_types", "get_index_types")
    saved = {name: getattr(pandera_model, name, None) for name in names}
    if "dask.dataframe" in sys.modules or None in saved.values():
        return
    pandera_model.get_series_types, pandera_model.get_index_types = (lambda: {Series}), (lambda: {Index})
    try:
        for model in MODELS.values():
            model.to_schema()
    finally:
        for name, function in saved.items():
            setattr(pandera_model, name, function)


_build_schemas()


def columns_of(table: str, *kinds: str) -> tuple[str, ...]:
    """Columns of ``table`` whose ``metadata["kind"]`` is one of ``kinds``, in schema order.

    Parameters
    ----------
    table : str
        A key of :data:`MODELS`.
    *kinds : str
        Keys of :data:`KINDS`; none means every column.
    """
    columns = MODELS[table].to_schema().columns
    return tuple(name for name, col in columns.items() if not kinds or column_kind_of(col) in kinds)


def column_kind_of(column: pa.Column) -> str:
    """The ``metadata["kind"]`` of a model's column (a key of :data:`KINDS`)."""
    return (column.metadata or {})["kind"]


#: The count columns of ``activity``, in schema order.
ACTIVITY_COUNTS = columns_of("activity", "count")
#: The profile fields of ``profiles`` (flags and counts), in schema order.
PROFILE_FIELDS = columns_of("profiles", "flag", "count")


def table_key(table: str) -> tuple[str, ...]:
    """Columns that identify a row of ``table`` (used to de-duplicate and sort).

    The model's ``Config.unique`` key; else its ``unique`` column; else all its
    required columns (a tie, an event).
    """
    unique = getattr(MODELS[table].Config, "unique", None)
    if unique:
        return tuple(unique)
    columns = MODELS[table].to_schema().columns
    single = tuple(name for name, col in columns.items() if col.unique)
    return single or tuple(name for name, col in columns.items() if col.required)


def frame_columns(table: str) -> tuple[str, ...]:
    """Required columns of ``table`` in schema order: its key and whole-row checks' columns.

    These are always read and are checked together; every other column is
    checked on its own.
    """
    columns, key = MODELS[table].to_schema().columns, table_key(table)
    return tuple(name for name, col in columns.items() if col.required or name in key)


def row_check_column(table: str, check_name: str) -> str | None:
    """The column the failures of whole-row check ``check_name`` of ``table`` are reported under."""
    metadata = getattr(MODELS[table].Config, "metadata", None) or {}
    return metadata.get("row_checks", {}).get(check_name)


def contract_tables() -> str:
    """The dataset tables of the contract as Markdown, generated from :data:`MODELS`.

    Returns
    -------
    str
        One section per table (``### `name```, what a row is, its key, whole-row
        rules) with one line per column: whether required, type, allowed values
        and description.  ``docs/contract.md`` holds this text between
        ``<!-- tables:begin -->`` and ``<!-- tables:end -->``.
    """
    return "\n".join(_table_section(name) for name in TABLE_NAMES)


def _table_section(table: str) -> str:
    model = MODELS[table]
    schema = model.to_schema()
    lines = [f"### `{table}`", "", (model.__doc__ or "").strip().replace("``", "`"), "",
             f"Key: {', '.join(f'`{c}`' for c in table_key(table))}.", ""]
    lines += [f"Rule: {check.error}." for check in schema.checks] + ([""] if schema.checks else [])
    lines += ["| column | required | type | values | description |", "|---|---|---|---|---|"]
    for name, col in schema.columns.items():
        required = "yes" if col.required else "no"
        lines.append(f"| `{name}` | {required} | {KINDS[column_kind_of(col)]} | {_values(col)} "
                     f"| {col.description} |")
    return "\n".join(lines) + "\n"


def _values(column: pa.Column) -> str:
    """The values a column allows, from its checks and nullability."""
    bounds = {check.name: value for check in column.checks for value in check.statistics.values()}
    low, high = bounds.get("greater_than_or_equal_to"), bounds.get("less_than_or_equal_to")
    words = []
    if low is not None and high is not None:
        words.append(f"{low} to {high}")
    elif low is not None:
        words.append(f"{low} or more")
    if column.unique:
        words.append("unique")
    words.append("may be blank" if column.nullable else "not blank")
    return "; ".join(words)
