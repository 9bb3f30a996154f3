"""Import a CRM opportunity export into ``outcomes`` per seller and sales period.

The export (CSV or XLSX, one row per opportunity) is read through a YAML mapping::

    columns: {Owner: member_id, "Created Date": created, Amount: amount,
              "Close Date": closed, Won: won, Stage: stage}
    period: quarter            # or month
    date_format: "%m/%d/%Y"    # optional; ISO and common formats are recognised
    won_values: [Closed Won]   # optional: Won/Stage values meaning won
    quotas:                    # optional: how to read the --quotas file
      columns: {Rep: member_id, Quarter: period, Target: quota}

Per seller and period (calendar quarters by default): ``opportunities`` = opportunities
created in the period; ``revenue`` = amount of the opportunities won whose close date
falls in the period; ``quota_attained`` = revenue >= that period's quota, when a quota
table is given (else left empty).  Each seller gets a row for every period from their
first to their last opportunity (or quota), so a quiet period counts 0 rather than
vanishing; quotas of sellers without opportunities in the export are ignored.  Only the mapped columns are read: contact e-mails, phone numbers and any
other column of the export are never copied.
"""
from __future__ import annotations

import re

import pandas as pd

from ..exceptions import ImportFormatError
from .merge import ImportSummary
from .merge import UNKNOWN_INDUSTRY, write_imported
from .privacy import redact, refuse_contact_ids
from .tables import load_mapping, parse_dates, parse_numbers, read_table_file

__all__ = ["import_crm", "read_crm"]

_TARGETS = ("member_id", "created", "amount", "closed", "won", "stage", "industry")
_MAP_KEYS = ("columns", "period", "date_format", "won_values", "decimal", "separator", "sheet", "quotas")
_QUOTA_TARGETS = ("member_id", "period", "quota")
_QUOTA_KEYS = ("columns", "date_format", "decimal", "separator", "sheet")
_QUOTA_GUESS = {"member_id": {"seller", "owner", "member", "member id", "rep", "sales rep", "seller id",
                              "opportunity owner", "user"},
                "period": {"period", "period start", "quarter", "month", "period label"},
                "quota": {"quota", "target", "quota amount"}}
_PERIODS = {"quarter": "Q", "quarterly": "Q", "q": "Q", "month": "M", "monthly": "M", "m": "M"}
_DEFAULT_WON = ("closed won", "won")
_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no"}


def read_crm(path, *, mapping, quotas=None) -> dict[str, pd.DataFrame]:
    """Aggregate an opportunity export into ``members`` and ``outcomes`` (pure: writes nothing).

    Parameters
    ----------
    path : path-like
        The export (CSV or XLSX), one row per opportunity.
    mapping : path-like or dict
        YAML column mapping (see the module docstring); ``member_id`` and ``created``
        must be mapped; ``amount``, ``closed`` and ``won`` or ``stage`` give revenue.
    quotas : path-like, optional
        Quota table: seller, period (a start date or a label such as ``2026Q1`` or
        ``2026-03``) and quota; read through the mapping's ``quotas:`` section.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``members`` (the owners; industry from a mapped ``industry`` column, else
        ``"unknown"``) and ``outcomes`` (contract columns only).

    Raises
    ------
    ImportFormatError
        Naming the file, the column, the rows and what was expected.
    """
    return _read(path, mapping, quotas, guard=False)


def _read(path, mapping, quotas, guard) -> dict[str, pd.DataFrame]:
    """:func:`read_crm`; ``guard`` refuses seller ids holding contact details (naming lines)."""
    if mapping is None:
        raise ImportFormatError(path, "was given without a column mapping",
                                "--map MAP.yaml naming at least the owner (member_id) and created columns")
    conf = load_mapping(mapping, _MAP_KEYS, targets=_TARGETS)
    freq = _freq(conf.get("period"), mapping)
    raw, decimal = read_table_file(path, separator=conf.get("separator"), decimal=conf.get("decimal"),
                                   sheet=conf.get("sheet"))
    cols = _columns(raw, conf["columns"], path)
    opps = _opportunities(raw, cols, conf, decimal, path)
    if guard:
        refuse_contact_ids(opps["member_id"], file=path, where=f"column {cols['member_id']!r}")
    quota = _read_quotas(quotas, conf.get("quotas"), freq, mapping, guard) if quotas is not None else None
    if quota is not None and "revenue" not in opps:
        raise ImportFormatError(path, "has no revenue to compare with the quotas",
                                "amount, closed and won (or stage) columns in the mapping")
    outcomes = _aggregate(opps, freq, quota)
    owners = opps.dropna(subset=["industry"]).groupby("member_id")["industry"].last()
    ids = sorted(opps["member_id"].unique())
    members = pd.DataFrame({"member_id": ids, "industry": [owners.get(m, UNKNOWN_INDUSTRY) for m in ids]})
    return {"members": members, "outcomes": outcomes}


def import_crm(path, out, *, mapping, quotas=None, salt: str | None = None) -> ImportSummary:
    """Import an opportunity export into the dataset directory ``out``.

    Parameters
    ----------
    path, mapping, quotas
        As for :func:`read_crm`.
    out : path-like
        Dataset directory, created or added to.
    salt : str, optional
        When given, seller ids are replaced by salted pseudonyms.

    Returns
    -------
    ImportSummary
    """
    tables = _read(path, mapping, quotas, guard=salt is None)
    return write_imported(out, tables, source=str(path), file=path, salt=salt)


def _freq(period, where) -> str:
    if period is None:
        return "Q"
    freq = _PERIODS.get(str(period).strip().lower())
    if freq is None:
        raise ImportFormatError(where, f"'period' is {period!r}", "quarter or month")
    return freq


def _columns(raw: pd.DataFrame, mapped: dict, path) -> dict[str, str]:
    missing = [h for h in mapped if h not in raw.columns]
    if missing:
        raise ImportFormatError(path, f"has no column {', '.join(map(repr, missing))} named in the mapping",
                                f"the columns it names (the file has {redact(', '.join(map(repr, raw.columns[:12])))})")
    cols = {}
    for header, target in mapped.items():
        if target in cols:
            raise ImportFormatError(path, f"the mapping sends {cols[target]!r} and {header!r} both to {target}",
                                    "one column per name")
        cols[target] = header
    for need in ("member_id", "created"):
        if need not in cols:
            raise ImportFormatError(path, f"the mapping names no {need} column",
                                    "columns: {OWNER: member_id, CREATED DATE: created, ...}")
    return cols


def _opportunities(raw, cols, conf, decimal, path) -> pd.DataFrame:
    """One row per opportunity: member_id, created, industry and, when known, won, closed, amount."""
    fmt = conf.get("date_format")
    opps = pd.DataFrame(index=raw.index)
    opps["member_id"] = _required_text(raw[cols["member_id"]], cols["member_id"], path)
    created = parse_dates(raw[cols["created"]], path=path, column=cols["created"], date_format=fmt)
    _require(created.notna(), raw[cols["created"]], cols["created"], path, "a created date on every row")
    opps["created"] = created
    opps["industry"] = raw[cols["industry"]].map(_clean) if "industry" in cols else None
    won = _won(raw, cols, conf.get("won_values"), path)
    if won is None or "amount" not in cols or "closed" not in cols:
        return opps
    opps["won"] = won
    opps["closed"] = parse_dates(raw[cols["closed"]], path=path, column=cols["closed"], date_format=fmt)
    _require(opps["closed"].notna() | ~won, raw[cols["closed"]], cols["closed"], path,
             "a close date on every won opportunity")
    opps["amount"] = parse_numbers(raw[cols["amount"]], path=path, column=cols["amount"], decimal=decimal)
    opps["revenue"] = opps["amount"].where(won, 0.0).fillna(0.0)
    return opps


def _clean(value) -> str | None:
    text = "" if value is None or (isinstance(value, float) and value != value) else str(value).strip()
    return text or None


def _required_text(values: pd.Series, column, path) -> pd.Series:
    text = values.map(_clean)
    _require(text.notna(), values, column, path, "a value on every row")
    return text.astype(str)


def _require(ok: pd.Series, values: pd.Series, column, path, expected) -> None:
    bad = ~ok.to_numpy(dtype=bool)
    if bad.any():
        lines = list(values.index[bad])
        shown = ", ".join(map(str, lines[:5])) + (f" and {len(lines) - 5} more" if len(lines) > 5 else "")
        noun = "row fails" if len(lines) == 1 else "rows fail"
        raise ImportFormatError(path, f"column {column!r}: {len(lines)} {noun}, line(s) {shown}", expected)


def _key(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip().lower()


def _won(raw, cols, won_values, path) -> pd.Series | None:
    """Whether each opportunity was won, from the won column or the stage; None when unknown."""
    wanted = {_key(v) for v in won_values} if won_values else None
    if "won" in cols:
        values = raw[cols["won"]]
        if wanted:
            return values.map(lambda v: _clean(v) is not None and _key(v) in wanted).astype(bool)
        flags = values.map(lambda v: True if _key(v) in _TRUE else False if _key(v) in _FALSE or
                           _clean(v) is None else None)
        _require(flags.notna(), values, cols["won"], path,
                 "true/false, 1/0 or yes/no (or list the values meaning won as won_values)")
        return flags.astype(bool)
    if "stage" in cols:
        wanted = wanted or set(_DEFAULT_WON)
        return raw[cols["stage"]].map(lambda v: _clean(v) is not None and _key(v) in wanted).astype(bool)
    return None


def _aggregate(opps: pd.DataFrame, freq: str, quota: pd.DataFrame | None) -> pd.DataFrame:
    created = pd.DataFrame({"member_id": opps["member_id"], "period": opps["created"].dt.to_period(freq)})
    counts = created.groupby(["member_id", "period"]).size()
    keys = [created]
    if "revenue" in opps:
        wins = opps[opps["won"]]
        closed = pd.DataFrame({"member_id": wins["member_id"], "period": wins["closed"].dt.to_period(freq),
                               "revenue": wins["revenue"]})
        revenue = closed.groupby(["member_id", "period"])["revenue"].sum()
        keys.append(closed[["member_id", "period"]])
    if quota is not None:
        keys.append(quota.loc[quota["member_id"].isin(counts.index.get_level_values(0)), ["member_id", "period"]])
    index = _spans(pd.concat(keys, ignore_index=True), freq)
    periods = pd.PeriodIndex(index.get_level_values("period"), freq=freq)
    out = pd.DataFrame({"member_id": index.get_level_values("member_id").astype(str),
                        "period_start": periods.start_time.normalize().astype("datetime64[ns]"),
                        "period_end": periods.end_time.normalize().astype("datetime64[ns]"),
                        "opportunities": pd.array(counts.reindex(index).fillna(0).to_numpy(), dtype="Int64")})
    if "revenue" in opps:
        out["revenue"] = pd.array(revenue.reindex(index).fillna(0.0).to_numpy(), dtype="Float64")
    if quota is not None:
        target = quota.set_index(["member_id", "period"])["quota"].reindex(index).to_numpy()
        attained = pd.array(out["revenue"].to_numpy(dtype=float) >= target, dtype="boolean")
        attained[pd.isna(target)] = pd.NA
        out["quota_attained"] = attained
    return out


def _spans(keys: pd.DataFrame, freq: str) -> pd.MultiIndex:
    """Every period from each seller's first to last, as (member_id, period)."""
    pairs = []
    for member, periods in keys.groupby("member_id")["period"]:
        pairs += [(member, p) for p in pd.period_range(periods.min(), periods.max(), freq=freq)]
    return pd.MultiIndex.from_tuples(pairs, names=["member_id", "period"])


def _read_quotas(path, section, freq: str, mapping, guard) -> pd.DataFrame:
    where = f"{mapping} (quotas)" if not isinstance(mapping, dict) else "the quotas mapping"
    conf = load_mapping(section or {}, _QUOTA_KEYS, targets=_QUOTA_TARGETS, where=where)
    raw, decimal = read_table_file(path, separator=conf.get("separator"), decimal=conf.get("decimal"),
                                   sheet=conf.get("sheet"))
    absent = [h for h in conf["columns"] if h not in raw.columns]
    if absent:
        raise ImportFormatError(path, f"has no column {', '.join(map(repr, absent))} named in the mapping",
                                "the columns the quotas: section names")
    cols = {t: h for h, t in conf["columns"].items()}
    for header in raw.columns:
        norm = " ".join(re.sub(r"[^a-z0-9]+", " ", str(header).lower()).split())
        target = next((t for t, names in _QUOTA_GUESS.items() if norm in names), None)
        if target and target not in cols and header not in conf["columns"]:
            cols[target] = header
    missing = [t for t in _QUOTA_TARGETS if t not in cols]
    if missing:
        raise ImportFormatError(path, f"has no {', '.join(missing)} column",
                                "columns seller, period (start date or label like 2026Q1) and quota, "
                                "or a quotas: {columns: ...} section in the mapping")
    quota = pd.DataFrame({"member_id": _required_text(raw[cols["member_id"]], cols["member_id"], path),
                          "period": _periods(raw[cols["period"]], freq, path, cols["period"],
                                             conf.get("date_format")),
                          "quota": parse_numbers(raw[cols["quota"]], path=path, column=cols["quota"],
                                                 decimal=decimal)})
    _require(quota["quota"].notna(), raw[cols["quota"]], cols["quota"], path, "a quota on every row")
    if guard:
        refuse_contact_ids(quota["member_id"], file=path, where=f"column {cols['member_id']!r}")
    dup = quota.duplicated(subset=["member_id", "period"], keep=False)
    _require(~dup, raw[cols["period"]], cols["period"], path, "one quota per seller and period")
    return quota.reset_index(drop=True)


def _periods(values: pd.Series, freq: str, path, column, date_format) -> pd.Series:
    """Period labels (2026Q1, Q1 2026, 2026-03) or dates in the period, as pandas Periods."""
    labels = pd.Series([_label(v.strip()) if isinstance(v, str) else None for v in values],
                       index=values.index, dtype=object)
    kinds = labels.map(lambda p: None if p is None else p.freqstr[0])
    _require(kinds.isna() | (kinds == freq), values, column, path,
             f"{'quarter' if freq == 'Q' else 'month'} periods, as the mapping's period says")
    rest = labels.isna()
    out = labels.astype(object)
    if rest.any():
        dates = parse_dates(values[rest], path=path, column=column, date_format=date_format)
        out[rest] = [None if pd.isna(d) else d.to_period(freq) for d in dates]
    _require(out.notna(), values, column, path, "a period start date or a label like 2026Q1 or 2026-03")
    return out


def _label(text: str):
    m = re.fullmatch(r"(\d{4})\s*[-/ ]?\s*Q([1-4])|Q([1-4])\s*[-/ ]?\s*(\d{4})", text, re.IGNORECASE)
    if m:
        year, q = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        return pd.Period(f"{year}Q{q}", freq="Q")
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", text)
    if m and 1 <= int(m.group(2)) <= 12:
        return pd.Period(year=int(m.group(1)), month=int(m.group(2)), freq="M")
    return None
