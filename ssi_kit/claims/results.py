"""Typed results of the claims engine, with ``summary()`` and a notebook display."""
from __future__ import annotations

import html
import math
from dataclasses import asdict, dataclass, field

import pandas as pd

from .staggered import EVENT_COLUMNS
from .verdicts import describe_verdict

__all__ = ["ClaimResult", "ClaimsReport", "CSV_COLUMNS"]

#: Columns of claims.csv: the contract's (docs/contract.md), then the kit's additions.
CSV_COLUMNS = (
    "claim_id", "n", "published", "estimate", "ci_low", "ci_high", "null_value", "p_value",
    "p_adjusted", "power", "verdict",
    "n_sellers", "n_for_80_power", "tost_p", "equivalent", "adjusted_estimate", "adjusted_ci_low",
    "adjusted_ci_high", "method", "reason", "ssi_source", "type", "statement", "power_method",
)


@dataclass(frozen=True)
class ClaimResult:
    """The test of one claim on one dataset.

    ``verdict`` follows the contract's rules on the 95% interval; ``reason`` says why a
    claim is ``untestable``; ``notes`` carry caveats (e.g. regression to the mean).
    """

    claim_id: str
    type: str
    statement: str
    published: float
    null_value: float
    verdict: str
    n: int = 0
    n_sellers: int = 0
    estimate: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    p_value: float = math.nan
    p_adjusted: float = math.nan
    power: float = math.nan
    n_for_80_power: float = math.nan
    power_method: str = ""
    tost_p: float = math.nan
    equivalent: bool | None = None
    adjusted_estimate: float = math.nan
    adjusted_ci_low: float = math.nan
    adjusted_ci_high: float = math.nan
    adjusted_p_value: float = math.nan
    adjusted_n: int = 0
    method: str = ""
    reason: str = ""
    ssi_source: str = ""
    source: str = ""
    primary_source: bool = False
    definition: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    def conf_int(self) -> tuple[float, float]:
        """The 95% confidence interval."""
        return self.ci_low, self.ci_high

    @property
    def testable(self) -> bool:
        """Whether the claim could be tested."""
        return self.verdict != "untestable"

    def summary(self) -> str:
        """A few lines of text: the claim, the estimate and the verdict in words."""
        lines = [f"{self.claim_id}: {self.statement}"]
        if not self.testable:
            lines.append(f"  untestable: {self.reason}")
            return "\n".join(lines)
        lines += [
            f"  estimate {self.estimate:.3g} (95% CI {self.ci_low:.3g} to {self.ci_high:.3g}), "
            f"published {self.published:g}, null {self.null_value:g}; n = {self.n}",
            f"  p = {self.p_value:.3g} (Holm {self.p_adjusted:.3g}); power {self.power:.0%} for the "
            f"published effect ({self.power_method}); n for 80% power: {_int(self.n_for_80_power)}",
            f"  verdict: {self.verdict} -- {describe_verdict(self.verdict)}",
            f"  method: {self.method}",
        ]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.summary()) + "</pre>"


def _int(value: float) -> str:
    return "n/a" if not math.isfinite(value) else f"{int(value):,}"


@dataclass(frozen=True)
class ClaimsReport:
    """The results of every claim, the specification curve and the SSI source used.

    ``specifications`` has one row per claim and specification
    (:func:`ssi_kit.claims.specifications.specification_curve`); ``consistency`` says whether
    the published figures can hold at once (:class:`ssi_kit.claims.consistency.ConsistencyResult`,
    None when not computed); ``event_study`` is the training claim's staggered DiD
    (:class:`ssi_kit.claims.staggered.StaggeredDiDResult`) or the reason it has none.
    """

    results: tuple[ClaimResult, ...]
    specifications: pd.DataFrame
    ssi_source: str
    consistency: object | None = None
    event_study: object | None = None

    def __getitem__(self, claim_id: str) -> ClaimResult:
        for result in self.results:
            if result.claim_id == claim_id:
                return result
        raise KeyError(claim_id)

    def to_frame(self) -> pd.DataFrame:
        """One row per claim with :data:`CSV_COLUMNS`."""
        rows = [{k: v for k, v in asdict(r).items() if k in CSV_COLUMNS} for r in self.results]
        return pd.DataFrame(rows, columns=list(CSV_COLUMNS))

    def to_dict(self) -> dict:
        """JSON-ready: every result with its notes and definition, the specification rows, the consistency check."""
        def clean(value):
            if isinstance(value, float) and not math.isfinite(value):
                return None
            return list(value) if isinstance(value, tuple) else value

        return {
            "ssi_source": self.ssi_source,
            "claims": [{k: clean(v) for k, v in asdict(r).items()} for r in self.results],
            "specifications": [{k: clean(v) for k, v in row.items()}
                               for row in self.specifications.to_dict("records")],
            "consistency": None if self.consistency is None else self.consistency.to_dict(),
            "event_study": self.event_study_dict(),
        }

    def event_study_dict(self) -> dict | None:
        """The training event study (:class:`ssi_kit.claims.staggered.StaggeredDiDResult`) as a dict,
        ``{"reason": ...}`` when it could not be estimated, None when not computed."""
        if self.event_study is None:
            return None
        if isinstance(self.event_study, str):
            return {"reason": self.event_study}
        return self.event_study.to_dict()

    def event_study_frame(self) -> pd.DataFrame:
        """The event-study rows (``EVENT_COLUMNS``; empty when there is no event study)."""
        if self.event_study is None or isinstance(self.event_study, str):
            return pd.DataFrame(columns=list(EVENT_COLUMNS))
        return self.event_study.event_study

    def untestable(self) -> dict[str, str]:
        """Claim id -> reason, for the claims the dataset could not test."""
        return {r.claim_id: r.reason for r in self.results if not r.testable}

    def summary(self) -> str:
        """Every claim's summary, one block each."""
        return "\n\n".join(r.summary() for r in self.results)

    def _repr_html_(self) -> str:
        cols = ["claim_id", "n", "published", "estimate", "ci_low", "ci_high", "p_adjusted", "power",
                "verdict", "reason"]
        return self.to_frame()[cols].to_html(index=False, float_format=lambda v: f"{v:.3g}", na_rep="")
