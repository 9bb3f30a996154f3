"""Notebook parameters: names, types and values checked before any notebook runs.

Papermill writes each parameter into the notebook as Python source; a value it
cannot translate (``bytes`` from YAML's ``!!binary``, a ``set``) is written as
``str(value)`` unescaped, which is code.  :func:`check_parameters` therefore
types every value by the type the notebook declares (``every: int = 7``, as read
by :func:`papermill.inspect_notebook`) and checks it against the parameter's
domain (:data:`DOMAINS`), so papermill only ever receives ``str``, ``int``,
``float``, ``bool`` or ``None`` (and lists of them where a notebook declares
``list[...]``).  :func:`check_dataset_parameters` checks what needs the dataset
(``team``); :func:`check_team` does so from the members table alone, before the
dataset is read whole, so an unknown team is refused at once.
"""
from __future__ import annotations

import ast
import datetime as dt
import hashlib
import json
import math
import re
from pathlib import Path

from ..exceptions import InputError, UsageError
from ..io.safe_yaml import describe_key, describe_value
from ..io.teams import check_team as check_team_of
from ..scoring.engines import get_engine
from ..limits import MAX_EVERY, MAX_RESAMPLES, MAX_SEED

__all__ = ["notebook_parameters", "check_parameters", "check_dataset_parameters", "check_team", "coerce_value",
           "stage_parameters",
           "check_kernel", "parameter_hash", "render_out", "fill_template", "DOMAINS", "CHOICES", "FILES", "RESERVED"]

#: Parameters the runner sets itself; users do not pass them (``reuse``: ``ssi-kit report --reuse``;
#: ``trusted``: the run's manifest, whose input checksums spare the notebooks validating the dataset again).
RESERVED = ("dataset_dir", "out_dir", "reuse", "trusted")
#: Longest text value taken (titles, paths, addresses).
MAX_TEXT = 1000
#: Longest list value taken (for notebooks that declare a list).
MAX_ITEMS = 1000
_TRUE, _FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")
_INT_TEXT = re.compile(r"[+-]?\d{1,18}")
_NO = object()  # "cannot convert"


def _date_or_empty(value: str) -> bool:
    if value == "":
        return True
    try:
        return len(value) == 10 and dt.date.fromisoformat(value).isoformat() == value
    except ValueError:
        return False


def _engines() -> tuple[str, ...]:
    from ..scoring.engines import ENGINES

    return ENGINES


def _ssi_sources() -> tuple[str, ...]:
    from ..claims.evaluate import SSI_SOURCES

    return SSI_SOURCES


def _spec_file(value: str) -> None:
    from ..scoring.spec import load_spec

    load_spec(value)


def _claims_file(value: str) -> None:
    from ..claims.registry import load_claims

    load_claims(value)


#: The domain of each report parameter with a fixed one: name -> (expected, test).
DOMAINS = {
    "start": ("a date YYYY-MM-DD that exists, or empty for the first date in the data", _date_or_empty),
    "end": ("a date YYYY-MM-DD that exists, or empty for the last date in the data", _date_or_empty),
    "every": (f"a whole number of days from 1 to {MAX_EVERY}", lambda v: 1 <= v <= MAX_EVERY),
    "seed": (f"a whole number from 0 to {MAX_SEED}", lambda v: 0 <= v <= MAX_SEED),
    "resamples": (f"a whole number from 1 to {MAX_RESAMPLES}", lambda v: 1 <= v <= MAX_RESAMPLES),
    "movers": ("a whole number from 0 to 1000", lambda v: 0 <= v <= 1000),
}
#: Parameters taking one of a list kept by the package that uses them: name -> the list.
CHOICES = {"engine": _engines, "ssi_source": _ssi_sources}
#: Parameters naming a file: each is loaded and validated (empty means the default).
FILES = {"spec": _spec_file, "claims_file": _claims_file}


def notebook_parameters(notebook) -> dict:
    """Parameters declared in a notebook's ``parameters`` cell (name -> info)."""
    import papermill as pm  # imported here: refusing bad input must not wait for it

    return pm.inspect_notebook(str(notebook))


def stage_parameters(parameters: dict, notebooks) -> dict:
    """The parameters that decide the organisation's scores and claims, for comparing two runs.

    Those ``notebooks`` (the scoring and claims notebooks) declare, except ``team``
    (a filter applied afterwards) and the runner's own (:data:`RESERVED`); a value
    equal to the notebook's declared default is left out, so that "not given" and
    "given as the default" compare equal.

    Parameters
    ----------
    parameters : dict
        Checked parameters (:func:`check_parameters`).
    notebooks : sequence of path-like

    Returns
    -------
    dict
        Name -> value, sorted by name.
    """
    defaults: dict = {}
    for nb in notebooks:
        for name, info in notebook_parameters(nb).items():
            defaults.setdefault(name, info.get("default"))
    kept = {}
    for name in sorted(set(defaults) & set(parameters) - set(RESERVED) - {"team"}):
        try:
            default = ast.literal_eval(str(defaults[name]))
        except (ValueError, SyntaxError):
            default = _NO
        if parameters[name] != default:
            kept[name] = parameters[name]
    return kept


def _declared(notebooks) -> dict:
    """Name -> declared type name (``"int"``, ``"str | None"``) over all notebooks."""
    types: dict = {}
    for nb in notebooks:
        for name, info in notebook_parameters(nb).items():
            types.setdefault(name, info.get("inferred_type_name") or "None")
    return types


def check_parameters(parameters: dict, notebooks) -> dict:
    """Check names, types and values of report parameters; return them typed.

    Parameters
    ----------
    parameters : dict
        Name -> value as read from ``-p`` or a YAML file.
    notebooks : sequence of path-like
        The notebooks that will run.

    Returns
    -------
    dict
        The values converted to the notebooks' declared types (JSON-safe);
        file parameters made absolute.

    Raises
    ------
    UsageError
        For a reserved or unknown name, or a value of the wrong type or out of
        its domain; the message names the parameter and what was expected.
    InputError
        When a file parameter (``spec``, ``claims_file``) cannot be used.
    """
    declared = _declared(notebooks)
    bad_names = [n for n in parameters if not isinstance(n, str)]
    if bad_names:
        raise UsageError(f"Parameter names must be text; got {', '.join(map(describe_value, bad_names[:5]))}.")
    reserved = sorted(set(parameters) & set(RESERVED))
    if reserved:
        raise UsageError(f"Parameter(s) {', '.join(reserved)} are set by ssi-kit itself "
                         "(from DIR and --out); do not pass them with -p.")
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        names = ", ".join(sorted(set(declared) - set(RESERVED)))
        shown = ", ".join(describe_key(u) for u in unknown[:10])
        raise UsageError(f"Unknown parameter(s) {shown}; the notebooks take: {names}.")
    typed = {name: _check_domain(name, coerce_value(name, value, declared[name]))
             for name, value in parameters.items()}
    engine = typed.get("engine", "pandas")
    if typed.get("scheduler") and not get_engine(engine).distributed:
        raise UsageError("Parameter scheduler needs engine=dask (it is the Dask scheduler's address).")
    return typed


def coerce_value(name: str, value, type_name: str):
    """Convert one value to a declared parameter type, or raise :class:`UsageError`.

    Parameters
    ----------
    name : str
        The parameter (named in the error).
    value : object
        As read from YAML: str, int, float, bool, None, list or dict.
    type_name : str
        Papermill's ``inferred_type_name``: ``str``, ``int``, ``float``,
        ``bool``, ``None``, a union such as ``int | None``, or ``list[str]``.

    Returns
    -------
    str, int, float, bool, None or list
        A value papermill writes as a literal.
    """
    kinds = [k.strip() for k in str(type_name).split("|")]
    if value is None and "None" in kinds:
        return None
    for kind in kinds:
        item = re.fullmatch(r"(?:list|List)\[(\w+)\]", kind)
        converted = _list(value, item.group(1)) if item else _convert(value, kind)
        if converted is not _NO:
            return converted
    if value is None and "str" in kinds:
        return ""  # `team:` left blank in a YAML file means "empty"
    expected = " or ".join(_EXPECTED.get(k, f"a {k}") for k in kinds if k != "None")
    raise UsageError(f"Parameter {name}: expected {expected or 'a plain value'}, got {_show(value)}.")


_EXPECTED = {"str": f"text (at most {MAX_TEXT} characters, no control characters)",
             "int": "a whole number", "float": "a finite number", "bool": "true or false (yes/no)"}


def _show(value) -> str:
    text = describe_value(value)
    return text + " (quote it to pass text)" if isinstance(value, bool) else text


def _convert(value, kind: str):
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "str":
        if number and math.isfinite(value) and abs(value) < 1e18:
            value = str(value)
        ok = isinstance(value, str) and len(value) <= MAX_TEXT and value.isprintable()
        return value if ok else _NO
    if kind == "int":
        if isinstance(value, str) and _INT_TEXT.fullmatch(value.strip()):
            value, number = int(value), True
        if number and math.isfinite(value) and value == int(value) and abs(value) < 2 ** 53:
            return int(value)
        return _NO
    if kind == "float":
        if isinstance(value, str) and len(value) < 40:
            try:
                value, number = float(value), True
            except ValueError:
                return _NO
        return float(value) if number and math.isfinite(value) else _NO
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower() if isinstance(value, (str, int)) else None
        return True if text in _TRUE else False if text in _FALSE else _NO
    return value if kind == "None" and value is None else _NO


def _list(value, kind: str):
    if not isinstance(value, list) or len(value) > MAX_ITEMS:
        return _NO
    items = [_convert(v, kind) for v in value]
    return _NO if any(i is _NO for i in items) else items


def _check_domain(name: str, value):
    """Check one typed value against its domain; return it (a file made absolute)."""
    if value is None or value == "" and name in FILES:
        return value
    if name in FILES:
        FILES[name](value)  # raises InputError naming the file
        return str(Path(value).resolve())  # the notebooks run in the output folder
    if name in CHOICES:
        choices = CHOICES[name]()
        ok, expected = value in choices, f"one of: {', '.join(choices)}"
    elif name in DOMAINS:
        expected, test = DOMAINS[name]
        ok = test(value)
    else:
        return value
    if not ok:
        raise UsageError(f"Parameter {name}: expected {expected}, got {_show(value)}.")
    return value


def check_dataset_parameters(parameters: dict, dataset) -> None:
    """Check the parameters whose domain is the dataset's: ``team`` among its teams.

    Raises
    ------
    UsageError
        Naming the parameter and listing the valid values.
    """
    check_team_of(dataset["members"], parameters.get("team"), label="Parameter team")


def check_team(dataset_dir, parameters: dict) -> None:
    """Refuse an unknown ``team`` from the dataset's members table alone, before any other work.

    The full dataset is validated later (:func:`ssi_kit.io.load_dataset`); a
    members table that cannot be read here is left for that check to report.

    Parameters
    ----------
    dataset_dir : path-like
    parameters : dict
        The report's parameters as given (``team`` is typed as text here).

    Raises
    ------
    UsageError
        For a team the members table does not have, listing the valid teams.
    """
    if not parameters.get("team"):
        return
    team = coerce_value("team", parameters["team"], "str")
    from ..io import load_dataset

    try:
        members = load_dataset(dataset_dir, tables=["members"], columns={"members": ["team"]})
    except (InputError, OSError):
        return  # the full check names what is wrong with the dataset
    check_dataset_parameters({"team": team}, members)


def check_kernel(name: str | None) -> None:
    """Raise :class:`UsageError` when a named Jupyter kernel is not installed.

    Parameters
    ----------
    name : str or None
        The ``--kernel`` given; None (the default kernel) is always fine.
    """
    if name is None:
        return
    from jupyter_client.kernelspec import KernelSpecManager

    available = sorted(KernelSpecManager().find_kernel_specs())
    if name not in available:
        raise UsageError(f"--kernel {name[:80]!r}: no such Jupyter kernel; the installed kernels are: "
                         f"{', '.join(available) or 'none'}.")


def parameter_hash(parameters: dict, dataset) -> str:
    """Short, stable hash of the parameters and dataset path (8 hex digits)."""
    blob = json.dumps({"dataset": str(dataset), "parameters": parameters}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:8]


def render_out(out, parameters: dict, dataset, today: dt.date | None = None) -> Path:
    """Fill ``{date}`` and ``{hash}`` in an output path."""
    day = (today or dt.date.today()).isoformat()
    values = {"date": day, "hash": parameter_hash(parameters, dataset)}
    return Path(fill_template(str(out), values, what="--out"))


def fill_template(template: str, values: dict, *, what: str) -> str:
    """Fill ``{name}`` fields of a path template; only the names in ``values``, plainly.

    Raises
    ------
    UsageError
        For another field, a format spec or conversion, or unbalanced braces.
    """
    import string

    allowed = ", ".join(f"{{{k}}}" for k in values)
    try:
        fields = [(f, spec, conv) for _, f, spec, conv in string.Formatter().parse(template) if f is not None]
    except ValueError as err:
        raise UsageError(f"{what} {template[:200]!r}: {err}; only {allowed} may be used "
                         "(write {{ and }} for literal braces).") from None
    bad = [f for f, spec, conv in fields if f not in values or spec or conv]
    if bad:
        raise UsageError(f"{what} {template[:200]!r}: only {allowed} may be used, "
                         f"not {{{bad[0][:40]}}}.")
    return template.format(**values)
