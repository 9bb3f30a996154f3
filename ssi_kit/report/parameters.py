"""Notebook parameters: check names against the notebooks, hash them, template paths."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import papermill as pm

from ..exceptions import UsageError

__all__ = ["notebook_parameters", "check_parameters", "parameter_hash", "render_out"]

#: Parameters the runner sets itself; users do not pass them.
RESERVED = ("dataset_dir", "out_dir")


def notebook_parameters(notebook) -> dict:
    """Parameters declared in a notebook's ``parameters`` cell (name -> info)."""
    return pm.inspect_notebook(str(notebook))


def check_parameters(parameters: dict, notebooks) -> None:
    """Raise :class:`UsageError` for a parameter no notebook declares (papermill only warns)."""
    known = set()
    for nb in notebooks:
        known |= set(notebook_parameters(nb))
    reserved = sorted(set(parameters) & set(RESERVED))
    if reserved:
        raise UsageError(f"Parameter(s) {', '.join(reserved)} are set by ssi-kit itself "
                         "(from DIR and --out); do not pass them with -p.")
    unknown = sorted(set(parameters) - known)
    if unknown:
        names = ", ".join(sorted(known - set(RESERVED)))
        raise UsageError(f"Unknown parameter(s) {', '.join(unknown)}; the notebooks take: {names}.")


def parameter_hash(parameters: dict, dataset) -> str:
    """Short, stable hash of the parameters and dataset path (8 hex digits)."""
    blob = json.dumps({"dataset": str(dataset), "parameters": parameters}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:8]


def render_out(out, parameters: dict, dataset, today: dt.date | None = None) -> Path:
    """Fill ``{date}`` and ``{hash}`` in an output path."""
    day = (today or dt.date.today()).isoformat()
    try:
        return Path(str(out).format(date=day, hash=parameter_hash(parameters, dataset)))
    except (KeyError, IndexError, ValueError) as err:
        raise UsageError(f"--out {out!r}: only {{date}} and {{hash}} may be used ({err}).") from None
