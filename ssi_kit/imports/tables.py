"""Spreadsheet readers shared by the importers: CSV/XLSX with sniffed separators and
decimal commas, YAML column mappings, and strict number and date parsing that names
the file, column and lines of any value it cannot read."""
from __future__ import annotations

import io
import re
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import ImportFormatError, InputError
from ..io.raw import MAX_HEADER_CHARS, HeaderError, csv_header, not_regular
from ..io.safe_yaml import load_yaml
from .export_files import ZipLimits
from .privacy import redact

__all__ = ["XLSX_LIMITS", "load_mapping", "read_table_file", "parse_numbers",
           "parse_dates", "clean_text", "is_blank", "fail_values"]


#: Limits on a workbook read by :func:`read_table_file`: its ZIP parts (checked before
#: openpyxl opens it) and the rows of the sheet read.
XLSX_LIMITS = ZipLimits(max_rows=1_000_000)

_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%Y/%m/%d", "%d/%m/%Y", "%m/%d/%Y", "%d-%m-%Y", "%Y%m%d")


_OPTIONS = {"decimal": "'.' or ','", "separator": "one character such as ';'",
            "date_format": "a strftime format such as \"%d.%m.%Y\"",
            "sheet": "a sheet name, or a sheet number counted from 0",
            "member_id": "a seller id (text)", "won_values": "a list of the values meaning won, e.g. [Closed Won]",
            "quotas": "a mapping such as quotas: {columns: {SELLER: member_id, ...}}",
            "fields": "a mapping of field values to names, e.g. fields: {Gesamt-SSI: ssi}",
            "sections": "a mapping of section values to own, industry, network or team"}


#: A plain number, digits 0-9 only: other scripts' digits (``٣``, ``５``) are refused, never read.
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", re.ASCII)
#: A cell holding a digit other than 0-9 (Arabic-Indic, full-width, ...).
_OTHER_DIGITS = r"(?![0-9])\d"


def clean_text(value) -> str | None:
    return str(value).strip() if value is not None and str(value).strip() else None


def load_mapping(mapping, keys, *, targets, where=None) -> dict:
    """Read a YAML column mapping (a path, a dict or None) and check its keys.

    Parameters
    ----------
    mapping : path-like, dict or None
    keys : sequence of str
        The keys allowed at the top level.
    targets : sequence of str
        The names ``columns`` may map to.
    where : str, optional
        How messages name the mapping (default its path, or "the column mapping").

    Returns
    -------
    dict
        ``columns`` (header -> target) and the other options given.

    Raises
    ------
    ImportFormatError
        Naming the mapping and the key, for an unknown key or a value of the wrong
        kind (a list, mapping, number or null where text belongs, ...).
    """
    where = where or ("the column mapping" if isinstance(mapping, dict) else str(mapping))
    data = mapping if isinstance(mapping, dict) or mapping is None else _yaml(mapping)
    data = dict(data or {})
    unknown = sorted(str(k) for k in data if k not in keys)
    if unknown:
        raise ImportFormatError(where, f"has unknown key(s) {', '.join(unknown)}",
                                f"only the keys {', '.join(keys)}")
    columns = data.get("columns", {})
    if not isinstance(columns, dict):
        raise ImportFormatError(where, f"'columns' is {_kind(columns)}", "columns: {HEADER: NAME, ...}")
    headers = [k for k in columns if isinstance(k, bool) or not isinstance(k, (str, int, float))]
    if headers:
        raise ImportFormatError(where, f"'columns' has a key that is {_kind(headers[0])}",
                                "column headers as text, e.g. columns: {\"Total SSI\": ssi}")
    bad = sorted(f"{k}: {v if isinstance(v, str) else _kind(v)}" for k, v in columns.items()
                 if not isinstance(v, str) or v not in targets)
    if bad:
        raise ImportFormatError(where, f"maps columns to unknown names ({'; '.join(map(str, bad))})",
                                f"names among {', '.join(targets)}")
    for key, value in data.items():
        if key != "columns" and not _option_ok(key, value):
            raise ImportFormatError(where, f"'{key}' is {_kind(value)}", _OPTIONS.get(key, "a single text value"))
    data["columns"] = {str(k).strip(): v for k, v in columns.items()}
    return data


def _option_ok(key: str, value) -> bool:
    """Whether a mapping option holds what it must (text where text belongs, ...)."""
    scalar = isinstance(value, (str, int, float)) and not isinstance(value, bool)
    if key == "decimal":
        return value in (".", ",")
    if key == "separator":
        return isinstance(value, str) and len(value) == 1
    if key == "date_format":
        return isinstance(value, str) and "%" in value
    if key == "sheet":
        return scalar and (isinstance(value, str) and bool(value.strip()) or isinstance(value, int) and value >= 0)
    if key == "member_id":
        return scalar and not isinstance(value, float) and bool(str(value).strip())
    if key == "won_values":
        return isinstance(value, list) and bool(value) and all(
            isinstance(v, (str, int, float)) for v in value)
    if key in ("quotas", "fields", "sections"):
        return isinstance(value, dict)
    return isinstance(value, str) and bool(value.strip())


def _kind(value) -> str:
    """How a mapping value reads in a message: ``'x'``, a list, a mapping, the number 3, empty (null)."""
    if value is None:
        return "empty (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value)"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, (list, dict)):
        return "a list" if isinstance(value, list) else "a mapping"
    return repr(value)


def _yaml(path) -> dict:
    try:
        data = load_yaml(path, what="column mapping")
    except InputError as err:  # unreadable, too large, not UTF-8, not plain YAML (aliases, tags)
        raise ImportFormatError(path, f"cannot be used: {str(err).rstrip('.')}",
                                "a small YAML column mapping") from None
    if not isinstance(data, dict):
        raise ImportFormatError(path, "does not hold a mapping", "a YAML mapping such as columns: {...}")
    return data


def read_table_file(path, *, separator=None, decimal=None, sheet=None) -> tuple[pd.DataFrame, str]:
    """Read a CSV or XLSX table as raw cells, blank rows dropped.

    Returns
    -------
    frame : pandas.DataFrame
        Cells as text (CSV) or as typed by the workbook (XLSX); the index is the file's
        line (row) number.
    decimal : str
        The decimal mark, given or sniffed (``","`` when a non-comma-separated file
        holds numbers like ``12,5``).
    """
    path = Path(path)
    why = not_regular(path)
    if why:
        raise ImportFormatError(path, "does not exist" if why == "missing" else f"is {why}",
                                "a regular CSV or XLSX file")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        frame, sep = _read_xlsx(path, sheet), None
    else:
        frame, sep = _read_csv(path, separator)
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.index = pd.RangeIndex(len(frame)) + 2
    blank = frame.apply(lambda col: col.map(is_blank)).all(axis=1)
    frame = frame.loc[~blank]
    if frame.empty:
        raise ImportFormatError(path, "has no data rows", "a header row followed by rows of data")
    return frame, decimal or _sniff_decimal(frame, sep)


def _read_xlsx(path: Path, sheet) -> pd.DataFrame:
    """Read one sheet of a workbook within :data:`XLSX_LIMITS` (checked on the ZIP before openpyxl)."""
    _check_workbook_zip(path, XLSX_LIMITS)
    try:  # pandas streams the sheet with openpyxl (read-only) and stops after nrows
        frame = pd.read_excel(path, sheet_name=sheet if sheet is not None else 0, dtype=object,
                              engine="openpyxl", nrows=XLSX_LIMITS.max_rows + 1)
    except Exception as err:  # noqa: BLE001 -- openpyxl/pandas fail in many ways on a damaged workbook
        raise ImportFormatError(path, f"cannot be read as a workbook ({str(err).splitlines()[0][:120]})",
                                "an .xlsx workbook whose first (or mapped) sheet holds the table") from None
    if len(frame) > XLSX_LIMITS.max_rows:
        raise ImportFormatError(path, f"has more than {XLSX_LIMITS.max_rows:,} rows in the sheet read",
                                f"a sheet of at most {XLSX_LIMITS.max_rows:,} rows")
    return frame


def _check_workbook_zip(path: Path, limits: ZipLimits) -> None:
    """Refuse a workbook whose ZIP members unpack beyond ``limits`` (an XLSX bomb), unread."""
    expected = (f"a workbook of at most {limits.max_members:,} parts, each unpacking to at most "
                f"{limits.max_file_bytes // 2**20} MiB at a ratio of at most {limits.max_ratio:.0f}:1, "
                f"{limits.max_total_bytes // 2**20} MiB in all")
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as err:
        raise ImportFormatError(path, f"cannot be read as a workbook ({str(err)[:120]})",
                                "an .xlsx workbook (a ZIP of XML parts)") from None
    if len(infos) > limits.max_members:
        raise ImportFormatError(path, f"holds {len(infos):,} parts", expected)
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > limits.max_file_bytes or total > limits.max_total_bytes or (
                info.file_size > limits.ratio_min_bytes and ratio > limits.max_ratio):
            raise ImportFormatError(path, f"has a part ({info.filename!r}) unpacking to {info.file_size:,} "
                                    f"bytes at a ratio of {ratio:.0f}:1 (an XLSX bomb?)", expected)


def _read_csv(path: Path, separator) -> tuple[pd.DataFrame, str]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    if "\x00" in text:
        raise ImportFormatError(path, "holds binary data", "a text CSV file")
    start = len(text) - len(text.lstrip())  # pandas skips leading blank lines too
    header = text[start:text.find("\n", start) if "\n" in text[start:] else len(text)]
    sep = separator or max((";", "\t", "|", ","), key=lambda c: (header.count(c), c == ","))
    try:
        csv_header(io.StringIO(text[start:start + MAX_HEADER_CHARS + 1], newline=""), sep)
    except HeaderError as err:
        raise ImportFormatError(path, "has a header row beyond the limits", str(err)) from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)  # rows longer than the header
            frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                                skip_blank_lines=False, engine="python", index_col=False)
    except (pd.errors.ParserError, pd.errors.ParserWarning, pd.errors.EmptyDataError, ValueError) as err:
        raise ImportFormatError(path, f"cannot be read as CSV ({str(err).splitlines()[0][:120]})",
                                f"a table with a header row, separated by {sep!r}") from None
    return frame, sep


def is_blank(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or \
        (isinstance(value, str) and not value.strip()) or value is pd.NaT


def _sniff_decimal(frame: pd.DataFrame, sep) -> str:
    if sep == ",":
        return "."
    cells = frame.stack() if not frame.empty else pd.Series([], dtype=object)
    text = cells[cells.map(lambda v: isinstance(v, str))].astype(str).str.strip()
    return "," if text.str.fullmatch(r"[+-]?[0-9]+,[0-9]+%?").any() else "."


def fail_values(path, column, lines, values, expected):
    lines, values = list(lines), list(values)
    shown = ", ".join(f"{ln} ({redact(v)[:30]!r})" if str(v) != "" else str(ln)
                      for ln, v in zip(lines[:5], values[:5]))
    more = f" and {len(lines) - 5} more" if len(lines) > 5 else ""
    noun = "row fails" if len(lines) == 1 else "rows fail"
    raise ImportFormatError(path, f"column {column!r}: {len(lines)} {noun}, line(s) {shown}{more}", expected)


def parse_numbers(values: pd.Series, *, path, column: str, decimal: str = ".") -> pd.Series:
    """Parse cells as numbers (``12.5``, ``12,5`` with ``decimal=","``, ``Top 5%``, ``1,234.50``).

    Blank cells become missing; any other cell that is not a finite number raises
    :class:`ImportFormatError` quoting its line (the series' index).
    """
    parsed = values.map(lambda v: _number(v, decimal))
    bad = parsed.isna() & ~values.map(is_blank)
    if bad.any():
        fail_values(path, column, values.index[bad.to_numpy()], values[bad.to_numpy()],
              f"a number (decimal mark {decimal!r}; set decimal in the mapping)")
    return parsed.astype(float)


def _number(value, decimal: str) -> float:
    if isinstance(value, bool) or is_blank(value):
        return np.nan
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value) if np.isfinite(value) else np.nan
    text = re.sub(r"[\s\u00a0$€£¥%]", "", str(value)).lower().removeprefix("top")
    sep, mark = (".", ",") if decimal == "," else (",", ".")
    if re.fullmatch(rf"[+-]?\d{{1,3}}(\{sep}\d{{3}})+(\{mark}\d*)?", text, re.ASCII):
        text = text.replace(sep, "")
    text = text.replace(mark, ".") if decimal == "," else text
    return float(text) if _NUMBER.fullmatch(text) and np.isfinite(float(text)) else np.nan


def parse_dates(values: pd.Series, *, path, column: str, date_format: str | None = None) -> pd.Series:
    """Parse cells as dates: workbook dates, ISO text, ``date_format`` or one common format.

    Blank cells become NaT; other unparseable cells, or day/month order that cannot be
    told apart, raise :class:`ImportFormatError` quoting lines (the series' index).
    """
    typed = values.map(lambda v: _timestamp(v) if _is_date(v) else pd.NaT).astype("datetime64[ns]")
    text = values.map(lambda v: None if _is_date(v) or is_blank(v) else str(v).strip())
    todo = text.notna()
    if todo.any():
        typed[todo] = _text_dates(text[todo], path, column, date_format)
    return pd.to_datetime(typed).dt.normalize().astype("datetime64[ns]")


def _is_date(value) -> bool:
    """A workbook date (or datetime) in the range the kit handles."""
    return not is_blank(value) and isinstance(getattr(value, "year", None), int) and 1900 <= value.year <= 2200


def _timestamp(value):
    stamp = pd.Timestamp(value)
    return stamp.tz_localize(None) if stamp.tzinfo else stamp


def _text_dates(text: pd.Series, path, column, date_format) -> pd.Series:
    if date_format:
        try:
            parsed = pd.to_datetime(text, format=date_format, errors="coerce")
        except ValueError as err:
            raise ImportFormatError(path, f"the date_format {date_format!r} is not usable ({err})",
                                    "a strftime format such as \"%d.%m.%Y\"") from None
    else:
        iso = text.str.extract(r"^([0-9]{4}-[0-9]{2}-[0-9]{2})(?:$|[T\s])")[0]
        parsed = pd.to_datetime(iso, format="%Y-%m-%d", errors="coerce") if iso.notna().all() else None
        if parsed is None or parsed.isna().any():
            parsed = _guess_format(text, path, column)
    parsed = parsed.where(parsed.dt.year.between(1900, 2200) & ~text.str.contains(_OTHER_DIGITS))
    bad = parsed.isna()
    if bad.any():
        fail_values(path, column, text.index[bad.to_numpy()], text[bad.to_numpy()],
              f"a date{' in the format ' + date_format if date_format else ' (YYYY-MM-DD, or set date_format in the mapping)'}")
    return parsed


def _guess_format(text: pd.Series, path, column) -> pd.Series:
    fits = {}
    for fmt in _DATE_FORMATS:
        parsed = pd.to_datetime(text, format=fmt, errors="coerce")
        if parsed.notna().all():
            fits[fmt] = parsed
    distinct = {tuple(p.tolist()) for p in fits.values()}
    if len(distinct) > 1:
        raise ImportFormatError(path, f"column {column!r} holds dates like {text.iloc[0]!r} whose day and "
                                "month order is ambiguous", "date_format in the mapping, e.g. \"%d/%m/%Y\"")
    if fits:
        return next(iter(fits.values()))
    return pd.to_datetime(text.str.extract(r"^([0-9]{4}-[0-9]{2}-[0-9]{2})(?:$|[T\s])")[0],
                          format="%Y-%m-%d", errors="coerce")
