"""The plan job: load a dataset folder, plan, write ``OUT/plan.csv`` and ``OUT/plan.json`` atomically."""
from __future__ import annotations

import json
import logging

from ..io import load_dataset, write_table
from ..io.atomic import atomic_files, check_out_dir
from ..limits import check_whole
from ..scoring import ScoringSpec, load_spec
from .effort import load_effort
from .planner import MAX_TOP, MAX_WEEKS, plan_actions

__all__ = ["plan_to_dir"]

log = logging.getLogger("ssi_kit")

def plan_to_dir(dataset_dir, out, *, spec=None, weeks: int = 4, day=None, member: str | None = None, top: int = 5,
                effort=None, progress=None):
    """Plan every seller's next actions and write ``OUT/plan.csv`` and ``OUT/plan.json`` together.

    Parameters
    ----------
    dataset_dir : path-like
        Dataset directory (validated first; nothing is written when invalid).
    out : path-like
        Output directory; created if needed.  Other files in it are kept.
    spec : path-like or ScoringSpec, optional
        The scoring spec (e.g. ``ssi-kit calibrate``'s ``spec.yaml``); default the shipped one.
    weeks, day, member, top, effort
        See :func:`ssi_kit.plan.plan_actions` (``effort`` may be a YAML path).
    progress : callable, optional
        Progress reporter (see :class:`ssi_kit.progress.Progress`).

    Returns
    -------
    ssi_kit.plan.PlanResult

    Notes
    -----
    ``plan.json`` records the day, weeks, top, the spec used and, when the spec file
    carries its calibration (``#`` comment lines mentioning it, or a ``calibration.json``
    beside it, as ``ssi-kit calibrate`` writes), that calibration's error.
    """
    check_whole(weeks, 1, MAX_WEEKS, "weeks")
    check_whole(top, 1, MAX_TOP, "top")
    check_out_dir(out)  # a file in the way is refused before any work
    step = progress or (lambda *_: None)
    scoring_spec = spec if isinstance(spec, ScoringSpec) else load_spec(spec)
    table = load_effort(effort)
    step("reading")
    needed = ("members", *sorted(scoring_spec.tables_used() | {"activity", "connections"}))
    columns = scoring_spec.columns_used()
    dataset = load_dataset(dataset_dir, tables=needed, columns=columns)
    step("planning")
    result = plan_actions(dataset, spec=scoring_spec, day=day, weeks=weeks, member=member, top=top, effort=table)
    for note in result.notes:
        log.warning("note: %s", note)
    step("writing")
    record = {**result.to_dict(), "effort": str(effort) if effort is not None else "shipped effort table"}
    text = json.dumps(record, indent=2, sort_keys=True, allow_nan=False) + "\n"
    with atomic_files(out, "plan") as stage:  # the two files change together
        write_table(result.to_frame(), stage / "plan.csv")
        (stage / "plan.json").write_text(text, encoding="utf-8")
    return result
