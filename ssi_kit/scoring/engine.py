"""Score every seller on every chosen day: pillars, SSI, tiers, ranks, contributions."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ..exceptions import MissingTableError, UsageError
from ..io.dataset import Dataset
from ..io.schemas import PILLARS
from .features import Grid, compute_inputs, day_numbers
from .ranks import group_mean, group_top_pct, network_mean, network_top_pct, undirected_edges
from .spec import InputSpec, ScoringSpec, load_spec

__all__ = ["score_dataset", "score_days", "apply_transform", "tier_of", "band_of", "SCORE_COLUMNS"]

SCORE_COLUMNS = (
    "member_id", "date", "industry", "team", *PILLARS, "ssi", "tier", "band",
    "industry_top_pct", "network_top_pct", "team_top_pct",
    "industry_avg_ssi", "network_avg_ssi", "team_avg_ssi", "ssi_change_7d",
)
_DECIMALS = 6
_LN_005 = np.log(0.05)


def apply_transform(x: np.ndarray, transform: str, target: float) -> np.ndarray:
    """Saturating transform of raw input values to a credit in [0, 1].

    ``linear``: min(x/target, 1); ``log``: min(log1p(x)/log1p(target), 1);
    ``exp``: 1 - 0.05**(x/target) (95% at the target).
    """
    x = np.maximum(np.asarray(x, dtype=float), 0.0)
    if transform == "linear":
        return np.minimum(x / target, 1.0)
    if transform == "log":
        return np.minimum(np.log1p(x) / np.log1p(target), 1.0)
    return -np.expm1(_LN_005 * x / target)


def tier_of(ssi) -> np.ndarray:
    """LinkedIn's 2014 tiers: ``leader`` above 70, ``laggard`` below 30, else ``middle``."""
    ssi = np.asarray(ssi, dtype=float)
    return np.where(ssi > 70, "leader", np.where(ssi < 30, "laggard", "middle"))


def band_of(ssi) -> np.ndarray:
    """The article's bands: ``poor`` below 40, ``average`` 40 to below 70, ``good`` 70 and up."""
    ssi = np.asarray(ssi, dtype=float)
    return np.where(ssi >= 70, "good", np.where(ssi < 40, "poor", "average"))


def score_days(dataset: Dataset, *, start=None, end=None, every: int = 1, warmup_days: int = 0) -> np.ndarray:
    """The days to score: ``start`` to ``end`` every ``every`` days, as datetime64[D].

    Defaults span the dates seen in ``activity`` and ``profiles``.  ``warmup_days``
    moves the default start that many days past the first date, where trailing
    windows are still incomplete (never past ``end``).
    """
    seen = [dataset[t]["date"] for t in ("activity", "profiles") if t in dataset]
    if (start is None or end is None) and not seen:
        raise MissingTableError("activity", "Scoring (to choose the days to score; or give start and end)")
    hi = pd.Timestamp(end) if end is not None else max(s.max() for s in seen)
    lo = pd.Timestamp(start) if start is not None else min(
        min(s.min() for s in seen) + pd.Timedelta(days=warmup_days), hi)
    if every < 1 or hi < lo:
        raise UsageError(f"No days to score: start {lo.date()}, end {hi.date()}, every {every}.")
    first, last = day_numbers([lo])[0], day_numbers([hi])[0]
    days = np.arange(last, first - 1, -every)[::-1]  # counted back from the end: it is always scored
    return days.astype("datetime64[D]")


def score_dataset(dataset: Dataset, *, spec: ScoringSpec | None = None, days=None,
                  progress: Callable[[str], None] | None = None) -> pd.DataFrame:
    """Score each seller on each day.

    Parameters
    ----------
    dataset : Dataset
        A validated dataset (``members`` plus any of ``activity``, ``profiles``,
        ``connections``; missing ones score 0 and are listed in ``attrs["notes"]``).
    spec : ScoringSpec, optional
        Default: the spec shipped with the package.
    days : array-like of dates, optional
        Days to score; default :func:`score_days` of the dataset.
    progress : callable, optional
        Called with a short phase name as work proceeds.

    Returns
    -------
    pandas.DataFrame
        One row per seller and day, sorted by ``member_id`` and ``date``, with
        :data:`SCORE_COLUMNS` followed by one ``pillar__input`` contribution column
        per spec input (points the input adds to its pillar).
    """
    step = progress or (lambda _: None)
    spec = spec or load_spec()
    members = dataset.require("members", "Scoring")
    ids = pd.Index(members["member_id"])
    scored = np.unique(day_numbers(score_days(dataset) if days is None else days))
    grid = Grid(len(ids), np.union1d(scored, scored - 7))
    step("inputs")
    raw, notes = compute_inputs(dataset.tables, ids, grid, spec)
    step("pillars")
    contrib, pillars = _pillars(raw, spec)
    now = np.searchsorted(grid.days, scored)
    before = np.searchsorted(grid.days, scored - 7)
    cube = {k: v.reshape(grid.n, len(grid.days)) for k, v in {**contrib, **pillars}.items()}
    frame = {k: v[:, now] for k, v in cube.items()}  # seller x scored day
    frame["ssi_change_7d"] = np.round(frame["ssi"] - cube["ssi"][:, before], _DECIMALS)
    step("ranks")
    ranks = _ranks(dataset, members, ids, frame["ssi"].T)
    out = _assemble(members, scored, frame, ranks, spec)
    out.attrs["notes"] = notes
    return out


def _pillars(raw: dict, spec: ScoringSpec) -> tuple[dict, dict]:
    contrib, pillars = {}, {}
    for pillar in PILLARS:
        total = 0.0
        for item in spec.pillar_inputs(pillar):
            points = item.weight * apply_transform(raw[item.column_name], item.transform, item.target)
            total = total + points
            contrib[item.column_name] = np.round(points, _DECIMALS)
        pillars[pillar] = np.round(np.clip(total, 0.0, 25.0), _DECIMALS)
    pillars["ssi"] = np.round(sum(pillars[p] for p in PILLARS), _DECIMALS)
    return contrib, pillars


def _ranks(dataset, members, ids, ssi: np.ndarray) -> dict[str, np.ndarray]:
    d, n = ssi.shape
    day_code = np.repeat(np.arange(d), n)
    flat = ssi.ravel()
    out = {}
    for name in ("industry", "team"):
        if name not in members.columns:
            out[f"{name}_top_pct"] = out[f"{name}_avg_ssi"] = np.full(flat.shape, np.nan)
            continue
        labels = members[name].astype(object).to_numpy()
        codes, _ = pd.factorize(labels)
        group = day_code * (codes.max() + 2) + np.tile(codes + 1, d)
        pct, avg = group_top_pct(flat, group), group_mean(flat, group)
        missing = np.tile(codes < 0, d)
        out[f"{name}_top_pct"] = np.where(missing, np.nan, pct)
        out[f"{name}_avg_ssi"] = np.where(missing, np.nan, avg)
    if "connections" in dataset:
        con = dataset["connections"]
        u, v = undirected_edges(ids.get_indexer(con["member_id"]), ids.get_indexer(con["connection_id"]), n)
        out["network_top_pct"] = network_top_pct(ssi, u, v).ravel()
        out["network_avg_ssi"] = network_mean(ssi, u, v).ravel()
    else:
        out["network_top_pct"] = out["network_avg_ssi"] = np.full(flat.shape, np.nan)
    return {k: np.round(v, _DECIMALS).reshape(d, n).T for k, v in out.items()}  # seller x day


def _assemble(members, scored, frame, ranks, spec) -> pd.DataFrame:
    n, d = frame["ssi"].shape
    by_seller = np.ravel  # seller x day arrays -> rows sorted by seller, then day
    seller = np.repeat(np.arange(n), d)
    cols = {
        "member_id": pd.Categorical.from_codes(seller, categories=pd.Index(members["member_id"].astype(str))),
        "date": np.tile(scored.astype("datetime64[D]").astype("datetime64[ns]"), n),
    }
    for name in ("industry", "team"):
        labels = members[name] if name in members else pd.Series([None] * n)
        codes, uniques = pd.factorize(labels.astype(object), sort=True)
        cols[name] = pd.Categorical.from_codes(codes[seller], categories=pd.Index(uniques.astype(str)))
    cols.update({p: by_seller(frame[p]) for p in (*PILLARS, "ssi")})
    cols["tier"] = _labels(cols["ssi"], tier_of, ("laggard", "middle", "leader"))
    cols["band"] = _labels(cols["ssi"], band_of, ("poor", "average", "good"))
    for name in SCORE_COLUMNS[SCORE_COLUMNS.index("band") + 1:]:  # ranks, averages, 7-day change
        cols[name] = by_seller(ranks[name] if name in ranks else frame[name])
    cols.update({i.column_name: by_seller(frame[i.column_name]) for i in spec.inputs})
    return pd.DataFrame(cols, copy=False)


def _labels(ssi, classify, order) -> pd.Categorical:
    return pd.Categorical(classify(ssi), categories=list(order))
