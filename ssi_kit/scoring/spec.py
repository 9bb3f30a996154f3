"""The declarative scoring spec: what each pillar reads and how it saturates.

A spec is YAML (see ``default_spec.yaml`` beside this module for the format and
the reasoning).  :func:`load_spec` reads and validates one, collecting every
problem into a single :class:`~ssi_kit.exceptions.SpecError`.  The sources an
input may name, their columns and the tables they read come from the registry
:data:`ssi_kit.scoring.sources.SOURCES`.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..exceptions import InputError, SpecError
from ..io.safe_yaml import describe_key, describe_value, load_yaml, parse_yaml
from ..io.schemas import PILLARS
from .sources import SOURCES, columns_read

__all__ = ["InputSpec", "ScoringSpec", "load_spec", "parse_spec", "SOURCES", "TRANSFORMS",
           "DEFAULT_WINDOW_DAYS", "MAX_WINDOW_DAYS", "MAX_INPUTS_PER_PILLAR", "MAX_WINDOWS", "MIN_TARGET"]

TRANSFORMS = ("linear", "log", "exp")
_INPUT_KEYS = {"name", "source", "columns", "window", "transform", "target", "weight", "why"}
_WEIGHT_TOL = 1e-9
#: Trailing window (days) of the inputs that name none, when the spec sets no ``window_days``.
DEFAULT_WINDOW_DAYS = 90
#: Longest trailing window (days) a spec may use: about 27 years.
MAX_WINDOW_DAYS = 10_000
#: Most inputs a pillar may have (each costs memory per seller-day scored; the shipped
#: spec has at most 13, a calibrated spec at most 12).
MAX_INPUTS_PER_PILLAR = 50
#: Most distinct trailing windows (in days) across the spec (each costs an index array
#: per seller-day scored); ``all`` is not counted.
MAX_WINDOWS = 20
#: Smallest ``target`` taken: below it ``x / target`` overflows floating point.
MIN_TARGET = 1e-9


@dataclass(frozen=True)
class InputSpec:
    """One scored input of a pillar.

    Attributes
    ----------
    pillar, name : str
        The pillar and the input's name (unique within the pillar).
    source : str
        A key of :data:`ssi_kit.scoring.sources.SOURCES`.
    columns : tuple of str
        Columns summed (sources that take columns: activity, profile).
    window : int or None
        Trailing window in days; None means all history (activity sources).
    transform : {"linear", "log", "exp"}
    target : float
        Value at which the input earns (nearly) full credit.
    weight : float
        Points at full credit; a pillar's weights sum to 25.
    why : str
        The reasoning, shown in docs and reports.
    """

    pillar: str
    name: str
    source: str
    columns: tuple[str, ...]
    window: int | None
    transform: str
    target: float
    weight: float
    why: str = ""

    @property
    def column_name(self) -> str:
        """Name of this input's contribution column in scores (``pillar__name``)."""
        return f"{self.pillar}__{self.name}"


@dataclass(frozen=True)
class ScoringSpec:
    """A validated scoring spec: the inputs of all four pillars, in order."""

    inputs: tuple[InputSpec, ...]
    window_days: int
    source: str = "default spec"

    def pillar_inputs(self, pillar: str) -> tuple[InputSpec, ...]:
        """The inputs of one pillar."""
        return tuple(i for i in self.inputs if i.pillar == pillar)

    def tables_used(self) -> set[str]:
        """The dataset tables this spec reads (each input's source's table)."""
        return {SOURCES[i.source].table for i in self.inputs}

    def columns_used(self) -> dict[str, tuple[str, ...]]:
        """Per table, the columns this spec reads (for column-selective loading).

        Each input reads :func:`~ssi_kit.scoring.sources.columns_read` (every
        activity count for ``active_days``); tables whose inputs read no
        column beyond the key (``connections``) are left out, and the tables'
        key columns are read anyway.
        """
        out: dict[str, set] = {}
        for i in self.inputs:
            columns = columns_read(i)
            if columns:
                out.setdefault(SOURCES[i.source].table, set()).update(columns)
        return {table: tuple(sorted(cols)) for table, cols in out.items()}


def load_spec(path=None) -> ScoringSpec:
    """Read and validate a scoring spec.

    Parameters
    ----------
    path : path-like, optional
        A YAML spec; default the spec shipped with the package.

    Returns
    -------
    ScoringSpec

    Raises
    ------
    SpecError
        With every problem found.
    """
    if path is None:
        return _default_spec()
    path = Path(path)
    try:
        data = load_yaml(path, what="scoring spec")
    except InputError as err:
        raise SpecError(str(path), [f"cannot be read as plain YAML data. {err}"]) from None
    return parse_spec(data, source=str(path))


@functools.lru_cache(maxsize=1)
def _default_spec() -> ScoringSpec:
    text = resources.files("ssi_kit.scoring").joinpath("default_spec.yaml").read_text("utf-8")
    return parse_spec(parse_yaml(text, what="the default scoring spec"), source="default spec")


def parse_spec(data, *, source: str = "<spec>") -> ScoringSpec:
    """Validate a spec already loaded from YAML (a mapping); see :func:`load_spec`."""
    if not isinstance(data, dict) or not isinstance(data.get("pillars"), dict):
        raise SpecError(source, ["expected a mapping with a 'pillars' mapping of the four pillars."])
    problems: list[str] = []
    extra = sorted(set(map(str, data)) - {"version", "window_days", "pillars"})
    if extra:
        problems.append(f"unknown top-level key(s) {', '.join(extra)}; expected version, window_days, pillars.")
    window = data.get("window_days", DEFAULT_WINDOW_DAYS)
    if not _whole(window, 1, MAX_WINDOW_DAYS):
        problems.append(f"window_days: expected a whole number of days from 1 to {MAX_WINDOW_DAYS}, "
                        f"got {describe_value(window)}.")
        window = DEFAULT_WINDOW_DAYS
    pillars = data["pillars"]
    for name in pillars:
        if name not in PILLARS:
            problems.append(f"pillars.{describe_key(name)}: unknown pillar; "
                            f"the pillars are {', '.join(PILLARS)}.")
    inputs = []
    for pillar in PILLARS:
        items = pillars.get(pillar)
        if not isinstance(items, list) or not items:
            problems.append(f"pillars.{pillar}: expected a non-empty list of inputs.")
            continue
        if len(items) > MAX_INPUTS_PER_PILLAR:
            problems.append(f"pillars.{pillar}: at most {MAX_INPUTS_PER_PILLAR} inputs a pillar, "
                            f"got {len(items)}.")
            continue
        parsed = [_parse_input(pillar, i, item, window, problems) for i, item in enumerate(items)]
        complete = all(p is not None for p in parsed)
        parsed = [p for p in parsed if p is not None]
        _check_pillar(pillar, parsed, problems, weights=complete)
        inputs += parsed
    windows = {i.window for i in inputs if i.window is not None}
    if len(windows) > MAX_WINDOWS:
        problems.append(f"at most {MAX_WINDOWS} distinct windows across the spec, got {len(windows)}; "
                        "inputs over the same number of days share the work.")
    if problems:
        raise SpecError(source, problems)
    return ScoringSpec(inputs=tuple(inputs), window_days=window, source=source)


def _check_pillar(pillar, parsed, problems, *, weights: bool) -> None:
    """Unique names; weights summing to 25 (checked when every input could be read)."""
    names = [p.name for p in parsed]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        problems.append(f"pillars.{pillar}: input names must be unique, repeated: {', '.join(dup)}.")
    total = sum(p.weight for p in parsed)
    if weights and parsed and abs(total - 25.0) > _WEIGHT_TOL:
        problems.append(f"pillars.{pillar}: weights must sum to 25, they sum to {total:g}.")


def _parse_input(pillar, index, item, default_window, problems) -> InputSpec | None:
    where = f"pillars.{pillar}[{index}]"
    if not isinstance(item, dict):
        problems.append(f"{where}: expected a mapping with name, source, transform, target, weight.")
        return None
    name = item.get("name")
    label = name if isinstance(name, str) and name.isidentifier() and len(name) <= 60 else index
    where = f"pillars.{pillar}.{label}"
    before = len(problems)
    extra = sorted(describe_key(k) for k in item if k not in _INPUT_KEYS)
    if extra:
        problems.append(f"{where}: unknown key(s) {', '.join(extra)}.")
    if label == index:
        problems.append(f"{where}: 'name' must be an identifier (letters, digits, _), "
                        f"got {describe_value(name)}.")
    source = _choice(where, "source", item.get("source"), SOURCES, problems)
    columns = _parse_columns(where, source, item.get("columns"), problems)
    window = _parse_window(where, item.get("window", default_window), problems)
    transform = _choice(where, "transform", item.get("transform"), TRANSFORMS, problems)
    why = item.get("why", "")
    if not isinstance(why, str):
        problems.append(f"{where}: 'why' must be text, got {describe_value(why)}.")
    target = _number(where, "target", item.get("target"), problems, positive=True)
    if 0 < target < MIN_TARGET:
        problems.append(f"{where}: 'target' must be at least {MIN_TARGET:g}, got {describe_value(target)}.")
    weight = _number(where, "weight", item.get("weight"), problems, positive=False)
    if len(problems) > before:
        return None
    return InputSpec(pillar, name, source, columns, window, transform, target, weight, why)


def _choice(where, key, value, choices, problems):
    if not isinstance(value, str) or value not in choices:
        problems.append(f"{where}: '{key}' must be one of {', '.join(choices)}, got {describe_value(value)}.")
        return None
    return value


def _whole(value, low, high) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _parse_columns(where, source, columns, problems) -> tuple[str, ...]:
    allowed = SOURCES[source].columns_allowed if source is not None else ()
    if not allowed:
        if columns:
            problems.append(f"{where}: source {source!r} takes no 'columns'.")
        return ()
    if isinstance(columns, str):
        columns = [columns]
    if not isinstance(columns, list) or not columns:
        problems.append(f"{where}: 'columns' must list one or more {source} columns.")
        return ()
    bad = [c for c in columns if not isinstance(c, str) or c not in allowed]
    if bad:
        problems.append(f"{where}: unknown {source} column(s) {', '.join(describe_key(c) for c in bad[:10])}; "
                        f"expected some of {', '.join(allowed)}.")
    return tuple(columns)


def _parse_window(where, window, problems) -> int | None:
    if window == "all":
        return None
    if not _whole(window, 1, MAX_WINDOW_DAYS):
        problems.append(f"{where}: 'window' must be a whole number of days from 1 to {MAX_WINDOW_DAYS} "
                        f"or 'all', got {describe_value(window)}.")
        return None
    return window


def _number(where, key, value, problems, *, positive) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) < 1e12
    if not ok or value < 0 or (positive and value == 0):
        need = "a number > 0" if positive else "a number >= 0"
        problems.append(f"{where}: '{key}' must be {need} (and below 1e12), got {describe_value(value)}.")
        return 0.0
    return float(value)
