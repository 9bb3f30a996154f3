"""The claims registry: published SSI statistics as typed, validated claim specs.

The registry is YAML: the shipped one is package data (``ssi_kit/claims/claims.yaml``,
read with :mod:`importlib.resources`), and a user adds a claim by writing an entry
of one of the types of :data:`ssi_kit.claims.types.CLAIM_TYPES` with its parameters.
:func:`load_claims` validates every entry and reports every problem at once; what a type
requires comes from its record.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from ..exceptions import InputError
from ..io.safe_yaml import describe_key, describe_value, load_yaml
from .types import CLAIM_TYPES, GROUP_PARAMS, ClaimType

__all__ = ["ClaimSpec", "GroupRule", "load_claims", "parse_claims", "default_claims_path", "DEFAULT_CLAIMS",
           "CLAIM_TYPES"]

_REQUIRED = ("claim_id", "type", "statement", "published", "null_value")
_OPTIONAL = ("source", "year", "primary_source", "definition", "ambiguity", "margin", "params")
#: Params naming a column or event of the dataset (text).
_NAME_PARAMS = ("outcome", "group", "event", "column")
#: Largest magnitude of a claim's numbers, and longest window (days).
_MAX_NUMBER, _MAX_WINDOW_DAYS = 1e12, 10_000
_RULE = re.compile(r"^\s*(>=|<=|>|<)\s*(median|q\d{1,2}|-?\d+(?:\.\d+)?)\s*$")


@dataclass(frozen=True)
class GroupRule:
    """A condition on the period SSI: ``op`` and a number, ``median`` or quantile ``qNN``."""

    op: str
    value: str

    @classmethod
    def parse(cls, text) -> "GroupRule":
        """Parse ``">70"``, ``"<=median"``, ``">=q75"``; raise ValueError otherwise."""
        match = _RULE.match(str(text))
        if not match:
            raise ValueError(f"{text!r} is not a condition like '>70', '<=median' or '>=q75'")
        return cls(match.group(1), match.group(2))

    def threshold(self, ssi) -> float:
        """The numeric threshold on the given SSI values."""
        import numpy as np

        if self.value == "median":
            return float(np.median(ssi))
        if self.value.startswith("q"):
            return float(np.quantile(ssi, int(self.value[1:]) / 100))
        return float(self.value)

    def mask(self, ssi):
        """Boolean mask of the SSI values meeting the condition."""
        import operator

        ops = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}
        return ops[self.op](ssi, self.threshold(ssi))

    def __str__(self) -> str:
        return f"{self.op}{self.value}"


@dataclass(frozen=True)
class ClaimSpec:
    """One claim of the registry (see the shipped ``claims.yaml`` for the fields)."""

    claim_id: str
    type: str
    statement: str
    published: float
    null_value: float
    margin: float
    params: Mapping = field(default_factory=dict)
    source: str = ""
    year: int | None = None
    primary_source: bool = False
    definition: str = ""
    ambiguity: str = ""

    @property
    def claim_type(self) -> ClaimType:
        """The record of the claim's type (:data:`ssi_kit.claims.types.CLAIM_TYPES`)."""
        return CLAIM_TYPES[self.type]

    @property
    def is_ratio(self) -> bool:
        """Whether the quantity is a ratio (log scale, multiplicative margin)."""
        return self.claim_type.is_ratio

    def equivalence_bounds(self) -> tuple[float, float]:
        """The equivalence interval around the published value."""
        if self.is_ratio:
            return self.published / (1 + self.margin), self.published * (1 + self.margin)
        return self.published - self.margin, self.published + self.margin


#: File name of the shipped registry inside the package ``ssi_kit.claims``.
DEFAULT_CLAIMS = "claims.yaml"


def default_claims_path() -> Path:
    """The registry shipped with ssi-kit (package data of ``ssi_kit.claims``).

    Returns
    -------
    pathlib.Path
        ``claims.yaml`` of the installed package, read with :mod:`importlib.resources`
        (a plain file both in a wheel install and in an editable one).
    """
    from importlib.resources import files

    return Path(str(files("ssi_kit.claims") / DEFAULT_CLAIMS))


def load_claims(path=None) -> tuple[ClaimSpec, ...]:
    """Read and validate a claims registry (default: the shipped registry, :func:`default_claims_path`).

    Raises
    ------
    InputError
        With every problem found, naming the claim and field.
    """
    path = Path(path) if path is not None else default_claims_path()
    return parse_claims(load_yaml(path, what="claims registry"), source=str(path))


def parse_claims(data, *, source: str = "<claims>") -> tuple[ClaimSpec, ...]:
    """Validate a registry already loaded from YAML; see :func:`load_claims`."""
    entries = data.get("claims") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise InputError(f"Invalid claims registry {source}: expected a mapping with a non-empty 'claims' list.")
    problems: list[str] = []
    claims = [_parse_entry(i, entry, problems) for i, entry in enumerate(entries)]
    ids = [c.claim_id for c in claims if c is not None]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        problems.append(f"claim_id must be unique, repeated: {', '.join(dup)}.")
    if problems:
        raise InputError(f"Invalid claims registry {source}: " + " ".join(problems))
    return tuple(claims)


def _parse_entry(index, entry, problems) -> ClaimSpec | None:
    if not isinstance(entry, dict):
        problems.append(f"claims[{index}]: expected a mapping.")
        return None
    claim_id = entry.get("claim_id")
    label = claim_id if isinstance(claim_id, str) and len(claim_id) <= 60 and claim_id.isprintable() else "?"
    where = f"claims[{index}] ({label})"
    before = len(problems)
    missing = [k for k in _REQUIRED if k not in entry]
    extra = sorted(describe_key(k) for k in entry if k not in _REQUIRED + _OPTIONAL)
    if missing:
        problems.append(f"{where}: missing {', '.join(missing)}.")
    if extra:
        problems.append(f"{where}: unknown field(s) {', '.join(extra)}.")
    if not isinstance(claim_id, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", claim_id):
        problems.append(f"{where}: claim_id must be letters, digits and _.")
    for key in ("statement", "source", "definition", "ambiguity"):
        if key in entry and not isinstance(entry[key], str):
            problems.append(f"{where}: {key} must be text.")
    if not isinstance(entry.get("primary_source", False), bool):
        problems.append(f"{where}: primary_source must be true or false.")
    year = entry.get("year")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int) or not 0 < year < 10_000):
        problems.append(f"{where}: year must be a whole number (a year), got {describe_value(year)}.")
    kind = entry.get("type")
    if not isinstance(kind, str) or kind not in CLAIM_TYPES:
        problems.append(f"{where}: type must be one of {', '.join(CLAIM_TYPES)}, got {describe_value(kind)}.")
        kind = None
    nums = {k: _number(entry.get(k, 0.1 if k == "margin" else None))
            for k in ("published", "null_value", "margin")}
    for key, value in nums.items():
        if value is None or (key == "margin" and value <= 0):
            problems.append(f"{where}: {key} must be a finite number{' > 0' if key == 'margin' else ''} "
                            f"(at most {_MAX_NUMBER:g} in size), got {describe_value(entry.get(key))}.")
    params = _params(where, kind, entry.get("params") or {}, problems)
    for key in ("published", "null_value"):
        if kind is not None and CLAIM_TYPES[kind].is_ratio and nums[key] is not None and nums[key] <= 0:
            problems.append(f"{where}: a ratio's {key} must be > 0.")
    if nums["published"] is not None and nums["published"] == nums["null_value"]:
        problems.append(f"{where}: published must differ from null_value (a claim needs a direction).")
    if len(problems) > before:
        return None
    return ClaimSpec(
        claim_id=entry["claim_id"], type=kind, statement=str(entry["statement"]),
        published=nums["published"], null_value=nums["null_value"], margin=nums["margin"],
        params=MappingProxyType(params), source=str(entry.get("source", "")), year=entry.get("year"),
        primary_source=entry.get("primary_source", False),
        definition=" ".join(str(entry.get("definition", "")).split()),
        ambiguity=" ".join(str(entry.get("ambiguity", "")).split()))


def _number(value) -> float | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) <= _MAX_NUMBER
    return float(value) if ok else None


def _params(where, kind, params, problems) -> dict:
    if kind not in CLAIM_TYPES:
        return {}
    if not isinstance(params, dict):
        problems.append(f"{where}: params must be a mapping.")
        return {}
    required, optional = CLAIM_TYPES[kind].required, CLAIM_TYPES[kind].optional
    out = {**optional, **params}
    missing = [k for k in required if k not in params]
    extra = sorted(describe_key(k) for k in params if k not in required and k not in optional)
    if missing:
        problems.append(f"{where}: params needs {', '.join(missing)} for type {kind}.")
    if extra:
        problems.append(f"{where}: unknown param(s) {', '.join(extra)} for type {kind}.")
    for key in GROUP_PARAMS:
        if key in params:
            try:
                out[key] = GroupRule.parse(params[key])
            except ValueError as err:
                problems.append(f"{where}: params.{key}: {err}.")
    for key in _NAME_PARAMS:
        value = params.get(key, "")
        if not isinstance(value, str) or len(value) > 100 or not value.isprintable():
            problems.append(f"{where}: params.{key} must be a column or event name (text), "
                            f"got {describe_value(value)}.")
    window = out.get("window_days", 1)
    if isinstance(window, bool) or not isinstance(window, int) or not 0 < window <= _MAX_WINDOW_DAYS:
        problems.append(f"{where}: params.window_days must be a whole number of days from 1 to "
                        f"{_MAX_WINDOW_DAYS}, got {describe_value(window)}.")
    per = _number(out.get("per", 1))
    if per is None or per <= 0:
        problems.append(f"{where}: params.per must be a number > 0, got {describe_value(out.get('per'))}.")
    return out
