"""The Excel workbook of a report: one sheet per table, numbers as numbers, safe text.

:func:`workbook_sheets` builds the tables (readable labels from
:mod:`ssi_kit.report.labels`); :func:`write_workbook` writes them with openpyxl:
numbers stored as numbers with number formats (one decimal for SSI points, two for
changes, percentages for shares and power, three decimals for p-values and estimates),
real dates shown as ``yyyy-mm-dd``, a bold frozen header row, a filter over each table,
column widths fitted to the content, an "About" sheet first.  A text cell that a
spreadsheet could read as a formula (:func:`ssi_kit.io.cells.looks_like_formula`) is
written as text, never as a formula.  The same inputs give the same bytes: fixed
document times and fixed times in the zip archive.
"""
from __future__ import annotations

import io
import math
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from .. import __version__
from ..io import atomic_file
from ..io.cells import looks_like_formula
from . import claims_tables, readings, summaries
from .labels import label, readable

__all__ = ["write_workbook", "workbook_sheets", "SHEETS", "NUMBER_FORMATS"]

#: Sheet key -> (sheet name, what it holds), in workbook order.
SHEETS = {
    "about": ("About", "What each sheet holds, which SSI the headline uses, the kit's version."),
    "headline": ("Headline", "The headline figures over each seller's latest row."),
    "latest": ("Latest snapshot", "Each seller's latest row: SSI, pillars, tier, band, ranks, 7-day change."),
    "roster": ("Roster", "One row per seller: latest SSI, change, weakest pillar, points still "
                         "available, a next action and, when the kit's score can be computed, the "
                         "coaching plan's top three actions and the points they would add."),
    "readings": ("LinkedIn readings", "Every reading of LinkedIn's SSI, with pillars and ranks when read."),
    "scores": ("Computed scores", "The kit's computed score on every scored day."),
    "pillars_by_team": ("Pillars by team", "Mean pillars and SSI per team, each seller's latest row."),
    "ranks_by_industry": ("Ranks by industry", "Per industry: sellers, mean SSI, median ranks (Top %)."),
    "distribution": ("Distribution", "Share of sellers per LinkedIn 2015 range and per article band."),
    "movers": ("Movers", "The biggest risers and fallers over four weeks, with the pillar that moved most."),
    "drivers": ("Drivers", "Mean points each input adds to the kit's computed score, last scored day."),
    "tracking": ("Tracking", "How closely the kit's computed score follows LinkedIn's readings."),
    "claims": ("Claims", "Each published claim: estimate, 95% interval, p-values and verdict."),
    "power": ("Claims power", "Power for the published effect, observations for 80% power, equivalence."),
    "specifications": ("Claim specifications", "Each claim re-estimated over every reasonable definition "
                       "(leader cut-offs, SSI window, SSI source, covariates, outcome period): the "
                       "specification curve; the first row of each claim is the claim as defined."),
    "methods": ("Claims methods", "How each claim was tested, its definition and its source."),
}

_POINTS, _CHANGE, _SHARE, _P, _COUNT, _DATE = "0.0", "0.00", "0.0%", "0.000", "0", "yyyy-mm-dd"
#: Number format of each numeric column (by the kit's column name); other floats get 0.00.
NUMBER_FORMATS = {
    **dict.fromkeys(("ssi", "brand", "people", "insights", "relationships", "mean_ssi", "industry_avg_ssi", "network_avg_ssi", "team_avg_ssi",
                     "industry_top_pct", "network_top_pct", "team_top_pct", "median_industry_top_pct",
                     "median_network_top_pct", "mean_observed", "mean_computed", "mean_abs_error",
                     "industry_top_pct_org", "network_top_pct_org", "points_within_reach", "top_actions_gain",
                     "weakest_pillar_missing", "before", "after", "points"), _POINTS),
    **dict.fromkeys(("ssi_change_7d", "ssi_change_28d", "change",
                     "pillar_change", "mean_points", "correlation"), _CHANGE),
    **dict.fromkeys(("share", "reference_share", "power"), _SHARE),
    **dict.fromkeys(("p_value", "p_adjusted", "tost_p", "published", "null_value", "estimate", "ci_low",
                     "ci_high", "adjusted_estimate", "adjusted_ci_low", "adjusted_ci_high"), _P),
    **dict.fromkeys(("n", "n_sellers", "sellers", "pairs", "n_for_80_power", "count"), _COUNT),
}
_SCORE_COLUMNS = ("member_id", "date", "industry", "team", "brand", "people", "insights", "relationships",
                  "ssi", "tier", "band", "industry_top_pct", "network_top_pct", "team_top_pct",
                  "ssi_change_7d")
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_MAX_WIDTH, _MIN_WIDTH, _HEADER_WIDTH, _WIDTH_ROWS = 45, 8, 18, 500
_ISO_DAY = re.compile(r"\A\d{4}-\d{2}-\d{2}\Z")


@dataclass
class _Sheet:
    """One sheet: its table (readable labels) and the number format of each column or cell."""

    key: str
    table: pd.DataFrame
    formats: dict = field(default_factory=dict)  # readable label -> number format
    cell_formats: dict = field(default_factory=dict)  # readable label -> one format per row

    @property
    def title(self) -> str:
        return SHEETS[self.key][0]


def _sheet(key: str, table: pd.DataFrame, source: str | None = None) -> _Sheet:
    """A sheet of ``table`` (the kit's column names): readable labels and number formats."""
    formats = {}
    for col in table.columns:
        kind = table[col].dtype
        if pd.api.types.is_datetime64_any_dtype(kind):
            formats[label(col, source)] = _DATE
        elif pd.api.types.is_numeric_dtype(kind) and not pd.api.types.is_bool_dtype(kind):
            if col in NUMBER_FORMATS:
                fmt = NUMBER_FORMATS[col]
            else:  # contributions (pillar__input) and other measures in points: two decimals
                fmt = _COUNT if pd.api.types.is_integer_dtype(kind) and "__" not in col else _CHANGE
            formats[label(col, source)] = fmt
    return _Sheet(key, readable(table, source), formats)


def _typed(measure: str, value):
    """A headline value as a number, date or text, with its number format."""
    if not isinstance(value, str):
        return value, (_COUNT if isinstance(value, (int, np.integer)) else _POINTS)
    text = value.strip()
    if text.endswith("%"):
        return float(text[:-1]) / 100, _SHARE
    if _ISO_DAY.match(text):
        return pd.Timestamp(text).to_pydatetime(), _DATE
    try:
        number = float(text)
    except ValueError:
        return (text or None), None
    if number.is_integer() and "." not in text:
        return int(number), _COUNT
    return number, (_CHANGE if "change" in measure else _POINTS)


def _headline(scores: pd.DataFrame, source: str) -> _Sheet:
    """The headline measures with each value as a number (shares as fractions, the day as a date)."""
    table = summaries.headline(scores, source)
    typed = [_typed(str(m), v) for m, v in zip(table["measure"], table["value"])]
    frame = pd.DataFrame({"measure": [m[:1].upper() + m[1:] for m in table["measure"].astype(str)],
                          "value": pd.Series([v for v, _ in typed], dtype=object)})
    sheet = _Sheet("headline", readable(frame))
    sheet.cell_formats[label("value")] = [f for _, f in typed]
    return sheet


def _about(keys, source: str) -> _Sheet:
    """What the workbook holds: the headline's SSI, formats, version, then each sheet."""
    headline = ("LinkedIn's readings; the kit's computed score explains them" if source == "observed"
                else "the kit's computed score (LinkedIn's formula is secret; docs/scoring.md)")
    rows = [("Headline SSI", f"The headline sheets show {headline}. Each column's label says which SSI "
                             "it holds."),
            ("Ranks", "Top N%: the share of the group, the seller included, scoring at least as high "
                      "(lower is better)."),
            ("Formats", "Numbers are stored as numbers: SSI points with one decimal, changes with two, "
                        "shares and power as percentages, p-values and estimates with three decimals; "
                        "dates as dates."),
            ("Kit version", f"ssi-kit {__version__}")]
    rows += [(SHEETS[k][0], SHEETS[k][1]) for k in keys]
    return _Sheet("about", readable(pd.DataFrame(rows, columns=["topic", "details"])))


def _specifications(claims: dict) -> pd.DataFrame:
    """The specification rows as numbers, the two flags as yes / no."""
    table = claims_tables.specification_numbers(claims).drop(columns="as_defined")
    for col in ("includes_published", "consistent"):
        table[col] = table[col].map({True: "yes", False: "no"})
    return table


def _ranks_sheet(scores: pd.DataFrame, source: str, computed) -> _Sheet:
    """Ranks by industry: LinkedIn's when the readings carry them, else the kit's (within this organisation)."""
    ranks = [c for c in ("industry_top_pct", "network_top_pct") if c in scores.columns]
    if source == "observed" and not scores[ranks].notna().any().any() and computed is not None \
            and not computed.empty:
        scores, source = computed, "computed"
    return _sheet("ranks_by_industry", summaries.ranks_by(scores, by="industry"), source)


def _sheets(scores, claims, *, source="computed", computed=None, tracking=None, roster=None) -> list[_Sheet]:
    """Every sheet of the workbook, in order (the About sheet first)."""
    def cols(table):
        return table[[c for c in _SCORE_COLUMNS if c in table.columns]]

    latest = summaries.latest_scores(scores).sort_values("member_id", kind="mergesort")
    out = [_headline(scores, source), _sheet("latest", cols(latest).reset_index(drop=True), source)]
    if roster is not None:
        out.append(_sheet("roster", roster, source))
    out.append(_sheet("readings" if source == "observed" else "scores", cols(scores), source))
    explained = computed if source == "observed" else scores
    if source == "observed" and explained is not None and not explained.empty:
        out.append(_sheet("scores", cols(explained), "computed"))
    out += [_sheet("pillars_by_team", summaries.pillars_by(scores, by="team"), source),
            _ranks_sheet(scores, source, computed),
            _sheet("distribution", summaries.distribution_table(scores)),
            _sheet("movers", summaries.movers(scores, computed=computed, source=source), source)]
    if explained is not None and not explained.empty:
        out.append(_sheet("drivers", readings.drivers(explained), "computed"))
    if tracking is not None:
        out.append(_sheet("tracking", tracking))
    if claims is not None:
        out += [_sheet("claims", claims_tables.claims_numbers(claims)),
                _sheet("power", claims_tables.power_numbers(claims)),
                _sheet("specifications", _specifications(claims)),
                _sheet("methods", claims_tables.method_table(claims, raw=True))]
    return [_about([s.key for s in out], source), *out]


def workbook_sheets(scores: pd.DataFrame, claims: dict | None, *, source: str = "computed",
                    computed: pd.DataFrame | None = None, tracking: pd.DataFrame | None = None,
                    roster: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """The report's tables by sheet key (see :data:`SHEETS`), columns labelled for readers.

    Parameters
    ----------
    scores : pandas.DataFrame
        The headline's numbers: the kit's computed scores, or LinkedIn's readings
        (:func:`ssi_kit.report.readings.observed_scores`) when ``source`` is ``"observed"``.
    claims : dict or None
        The ``claims.json`` content.
    source : {"computed", "observed"}
        What ``scores`` are; every SSI-valued column is labelled with it.
    computed : pandas.DataFrame, optional
        With readings, the kit's computed scores that explain them.
    tracking : pandas.DataFrame, optional
        :func:`ssi_kit.report.readings.tracking`.
    roster : pandas.DataFrame, optional
        :func:`ssi_kit.report.roster.build_roster`: one row per seller.

    Returns
    -------
    dict of str to pandas.DataFrame
        In workbook order; the sheet names are ``SHEETS[key][0]``.
    """
    sheets = _sheets(scores, claims, source=source, computed=computed, tracking=tracking, roster=roster)
    return {s.key: s.table for s in sheets}


def _cell_value(v):
    """One value as openpyxl writes it: a finite number, a datetime, text it can store, or None."""
    if isinstance(v, (np.integer, np.floating, np.bool_)):
        v = v.item()
    if v is None or v is pd.NaT or (isinstance(v, float) and not math.isfinite(v)):
        return None  # NaN and infinities: an empty cell (a spreadsheet has no NaN)
    if isinstance(v, str):
        return ILLEGAL_CHARACTERS_RE.sub("\ufffd", v)  # control characters XML cannot hold
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if isinstance(v, (int, float, bool)) or hasattr(v, "year"):
        return v
    return None if pd.api.types.is_scalar(v) and pd.isna(v) else str(v)


def _cell_values(column: pd.Series) -> list:
    """A column's values as Python objects openpyxl writes."""
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        return [None if pd.isna(v) else v.to_pydatetime() for v in column]
    return [_cell_value(v) for v in column.astype(object).tolist()]


def _columns(sheet: _Sheet) -> list[tuple[str, list, list]]:
    """Per column: its label, its cell values and each value's number format (None: none)."""
    out = []
    for name in sheet.table.columns:
        values = _cell_values(sheet.table[name])
        per_row = sheet.cell_formats.get(name) or [sheet.formats.get(name)] * len(values)
        formats = [None if v is None or isinstance(v, str) else f for v, f in zip(values, per_row)]
        out.append((str(name), values, formats))
    return out


def _width(name: str, values: list, formats: list) -> float:
    """A column width fitting the header (longer headers wrap) and the first rows, capped."""
    shown = [len(_shown(v, f)) for v, f in zip(values[:_WIDTH_ROWS], formats) if v is not None]
    return min(_MAX_WIDTH, max(_MIN_WIDTH, min(len(name), _HEADER_WIDTH), *shown) + 2)


def _fill(ws, sheet: _Sheet) -> None:
    """Write ``sheet`` into write-only worksheet ``ws``: widths, frozen bold header, typed cells, filter."""
    columns = _columns(sheet)
    for j, (name, values, formats) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(j)].width = _width(name, values, formats)
    ws.freeze_panes = "A2"
    if columns:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(sheet.table) + 1}"
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    ws.append([_cell(ws, name, None, font=bold, alignment=wrap) for name, _, _ in columns])
    for i in range(len(sheet.table)):
        ws.append([_cell(ws, values[i], formats[i]) for _, values, formats in columns])


def _cell(ws, value, number_format, **style):
    """A cell for ``ws``: text that looks like a formula stays text; numbers and dates get their format."""
    if isinstance(value, str) and (looks_like_formula(value) or style):
        cell = WriteOnlyCell(ws, value)
        cell.data_type = "s"  # never a formula
        cell.quotePrefix = looks_like_formula(value)
    elif number_format is not None:
        cell = WriteOnlyCell(ws, value)
        cell.number_format = number_format
    else:
        return value
    for key, what in style.items():
        setattr(cell, key, what)
    return cell


def _shown(value, number_format: str) -> str:
    """About how ``value`` looks in its cell (for the column width)."""
    if isinstance(value, float) and number_format and number_format[0] == "0":
        decimals = len(number_format.split(".")[1].rstrip("%")) if "." in number_format else 0
        scale = 100 if number_format.endswith("%") else 1
        return f"{value * scale:.{decimals}f}" + ("%" if scale == 100 else "")
    return "yyyy-mm-dd" if hasattr(value, "year") and not isinstance(value, str) else str(value)


def _workbook_bytes(sheets: list[_Sheet]) -> bytes:
    """The ``.xlsx`` bytes of ``sheets``: fixed document times and zip entry times."""
    book = Workbook(write_only=True)
    for sheet in sheets:
        _fill(book.create_sheet(sheet.title), sheet)
    when = pd.Timestamp("2000-01-01").to_pydatetime()
    book.properties.created = book.properties.modified = when
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(book, archive).save()  # save_workbook would stamp the time of day
    stable = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(stable, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=_FIXED_TIME)
            entry.compress_type, entry.external_attr = zipfile.ZIP_DEFLATED, 0o600 << 16
            dst.writestr(entry, src.read(info.filename))
    return stable.getvalue()


def write_workbook(path, scores: pd.DataFrame, claims: dict | None = None, *, source: str = "computed",
                   computed: pd.DataFrame | None = None, tracking: pd.DataFrame | None = None,
                   roster: pd.DataFrame | None = None) -> Path:
    """Write the report workbook atomically; the same inputs give the same bytes.

    Parameters
    ----------
    path : path-like
        The ``.xlsx`` file.
    scores : pandas.DataFrame
        The headline's numbers (computed scores or LinkedIn's readings).
    claims : dict, optional
        The ``claims.json`` content.
    source, computed, tracking, roster
        As for :func:`workbook_sheets`.

    Returns
    -------
    pathlib.Path
    """
    path = Path(path)
    data = _workbook_bytes(_sheets(scores, claims, source=source, computed=computed, tracking=tracking,
                                   roster=roster))
    with atomic_file(path) as tmp:
        Path(tmp).write_bytes(data)
    return path
