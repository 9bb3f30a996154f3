"""The results of a scoring run: the score table's columns and the container of its blocks.

Both engines return a :class:`ScoredBlocks`: each block of sellers' compact
micro-point arrays (or where to fetch them), the organisation-wide ranks and the
notes.  The score table is assembled from it block by block
(:meth:`ScoredBlocks.frames`, :func:`assemble_block`), so it is never held whole
unless asked for (:meth:`ScoredBlocks.to_frame`).  An engine whose blocks live
elsewhere (a cluster) subclasses :class:`ScoredBlocks` and overrides
:meth:`ScoredBlocks.block_scores`, how a block's scores are fetched.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..io.schemas import PILLARS
from .chunks import ScoringPlan
from .micro import from_micro
from .tiers import BANDS, TIERS, band_codes, tier_codes

__all__ = ["SCORE_COLUMNS", "HOLD_BYTES", "HELD", "ScoredBlocks", "labels_of", "assemble_block", "holds_all"]

SCORE_COLUMNS = (
    "member_id", "date", "industry", "team", *PILLARS, "ssi", "tier", "band",
    "industry_top_pct", "network_top_pct", "team_top_pct",
    "industry_avg_ssi", "network_avg_ssi", "team_avg_ssi", "ssi_change_7d",
)
#: Bytes of score columns held before contributions are recomputed block by block instead.
HOLD_BYTES = 1 << 30
#: The score columns held when not every column fits in ``hold_bytes`` (see :func:`holds_all`).
HELD = (*PILLARS, "ssi", "ssi_change_7d")
#: Labels whose categories are trimmed to a team's (``tier`` and ``band`` are fixed scales).
_LABELS = ("member_id", "industry", "team")


def holds_all(plan: ScoringPlan, hold_bytes: int = HOLD_BYTES) -> bool:
    """Whether every score column of every block fits in ``hold_bytes`` (4 bytes a cell)."""
    return len(plan.ids) * len(plan.scored) * len(plan.columns) * 4 <= hold_bytes


@dataclass
class ScoredBlocks:
    """Scores of every seller, held compactly block by block, with the global ranks.

    Iterate :meth:`frames` to stream the score table block by block (each block
    is a slice of the rows of :func:`ssi_kit.scoring.score_dataset`, in order), or
    call :meth:`to_frame` for the whole table.  When ``rescore`` is set, ``arrays``
    hold only :data:`HELD`, and each block's contributions are computed again
    while it is streamed (the same numbers: scoring is deterministic), trading
    time for memory on large data.

    Attributes
    ----------
    plan : ScoringPlan
    members : pandas.DataFrame
    blocks : list of range
        Each block's seller codes.
    arrays : list
        Per block, its micro-point arrays (or, on a cluster, what fetches them).
    ranks : dict of str to numpy.ndarray
        :data:`ssi_kit.scoring.ranks.RANK_COLUMNS`, sellers x days (empty with ``rank=False``).
    notes : list of str
    rescore : callable, optional
        ``rescore(k) -> (arrays, notes)``: block ``k`` scored again.
    """

    plan: ScoringPlan
    members: pd.DataFrame
    blocks: list
    arrays: list
    ranks: dict
    notes: list
    rescore: Callable | None = None

    @property
    def n_rows(self) -> int:
        """Rows of the score table: sellers x scored days."""
        return len(self.plan.ids) * len(self.plan.scored)

    def block_scores(self, k: int) -> dict:
        """Block ``k``'s micro-point arrays (computed again when only :data:`HELD` are held)."""
        return self.arrays[k] if self.rescore is None else self.rescore(k)[0]

    def block_ranks(self, block: range) -> dict:
        """The rank columns of a block's sellers."""
        return {name: r[block.start:block.stop] for name, r in self.ranks.items()}

    def frames(self, team: str | None = None) -> Iterator[pd.DataFrame]:
        """The score table, one block of sellers at a time.

        Parameters
        ----------
        team : str, optional
            Keep this team's rows only; the categories of ``member_id``,
            ``industry`` and ``team`` are then the team's sellers' (as
            :meth:`pandas.Series.cat.remove_unused_categories` of the whole
            table would leave them).  Ranks stay the organisation's.
        """
        labels = labels_of(self.members)
        keep = None if not team else _team_members(self.members, team)
        kept = None if keep is None else _kept_labels(labels, keep)
        given = 0
        for k, block in enumerate(self.blocks):
            if keep is not None and not keep[block.start:block.stop].any() and (given or k < len(self.blocks) - 1):
                continue  # no seller of the team in this block (the last block stands for an empty table)
            values = {name: from_micro(a) for name, a in self.block_scores(k).items()}
            frame = assemble_block(self.plan, labels, block, values, self.block_ranks(block))
            given += 1
            yield frame if keep is None else _keep(frame, keep[block.start:block.stop], kept)

    def to_frame(self, team: str | None = None) -> pd.DataFrame:
        """The whole score table (see :meth:`frames`), with the notes in ``attrs["notes"]``."""
        parts = list(self.frames(team))
        out = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
        out.attrs["notes"] = list(self.notes)
        return out


def _team_members(members: pd.DataFrame, team: str) -> np.ndarray:
    """Whether each seller (in code order) is in ``team``."""
    if "team" not in members:
        return np.zeros(len(members), dtype=bool)
    return (members["team"].astype(object).astype(str) == team).to_numpy() & members["team"].notna().to_numpy()


def _kept_labels(labels: dict, keep: np.ndarray) -> dict:
    """The categories of each label the kept sellers use, in their order."""
    out = {}
    for name in _LABELS:
        codes, categories = labels[name]
        used = np.unique(codes[keep])
        out[name] = categories[used[used >= 0]]
    return out


def _keep(frame: pd.DataFrame, sellers: np.ndarray, kept: dict) -> pd.DataFrame:
    """A block's rows of the kept sellers, with the categories of :func:`_kept_labels`."""
    rows = np.repeat(sellers, len(frame) // max(len(sellers), 1))
    out = frame[rows].reset_index(drop=True)
    for name in _LABELS:
        out[name] = out[name].cat.set_categories(kept[name])
    return out


def labels_of(members: pd.DataFrame) -> dict:
    """Category codes and categories of ``member_id``, ``industry`` and ``team``, for every seller."""
    n = len(members)
    out = {"member_id": (np.arange(n), pd.Index(members["member_id"].astype(str)))}
    for name in ("industry", "team"):
        labels = members[name] if name in members else pd.Series([None] * n)
        codes, uniques = pd.factorize(labels.astype(object), sort=True)
        out[name] = (codes, pd.Index(uniques.astype(str)))
    return out


def assemble_block(plan: ScoringPlan, labels: dict, block: range, values: dict, ranks: dict) -> pd.DataFrame:
    """A block's rows of the score table, sorted by seller, then day.

    Parameters
    ----------
    plan : ScoringPlan
    labels : dict
        :func:`labels_of` the members.
    block : range
        The block's seller codes.
    values : dict of str to numpy.ndarray
        The block's scores as floats, sellers x days (:attr:`ScoringPlan.columns`).
    ranks : dict of str to numpy.ndarray
        The block's rank columns, sellers x days (absent ones are NaN).
    """
    n, d = len(block), len(plan.scored)
    seller = np.repeat(np.arange(block.start, block.stop), d)
    by_seller = np.ravel  # seller x day arrays -> rows sorted by seller, then day
    cols = {"member_id": None,
            "date": np.tile(plan.scored.astype("datetime64[D]").astype("datetime64[ns]"), n)}
    for name in _LABELS:
        codes, categories = labels[name]
        cols[name] = pd.Categorical.from_codes(codes[seller], categories=categories)
    cols.update({p: by_seller(values[p]) for p in (*PILLARS, "ssi")})
    cols["tier"] = pd.Categorical.from_codes(tier_codes(cols["ssi"]), list(TIERS))
    cols["band"] = pd.Categorical.from_codes(band_codes(cols["ssi"]), list(BANDS))
    for name in SCORE_COLUMNS[SCORE_COLUMNS.index("band") + 1:]:  # ranks, averages, 7-day change
        source = ranks.get(name, values.get(name))
        cols[name] = np.full(n * d, np.nan) if source is None else by_seller(source)
    cols.update({i.column_name: by_seller(values[i.column_name]) for i in plan.spec.inputs})
    return pd.DataFrame(cols, copy=False)
