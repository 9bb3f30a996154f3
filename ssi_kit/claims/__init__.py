"""The claims engine: test LinkedIn's published SSI statistics on a dataset.

Claim types are records of :mod:`ssi_kit.claims.types`; the validation study of the
engine is the separate package :mod:`ssi_kit.validation` (which this one never imports).
"""
from .evaluate import evaluate_claim, evaluate_claims
from .registry import ClaimSpec, GroupRule, load_claims, parse_claims
from .results import CSV_COLUMNS, ClaimResult, ClaimsReport
from .types import CLAIM_TYPES, ClaimType
from .verdicts import VERDICTS, describe_verdict, verdict_of

__all__ = [
    "evaluate_claims", "evaluate_claim", "ClaimSpec", "GroupRule", "load_claims", "parse_claims",
    "ClaimResult", "ClaimsReport", "CSV_COLUMNS", "VERDICTS", "verdict_of", "describe_verdict",
    "CLAIM_TYPES", "ClaimType",
]
