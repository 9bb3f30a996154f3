"""Coaching: each seller's best next actions under a scoring spec, ranked by SSI gain per minute.

* :func:`plan_actions` plans a dataset in memory; :func:`plan_to_dir` loads a dataset
  folder and writes ``OUT/plan.csv`` and ``OUT/plan.json`` (docs/plan.md);
* :mod:`~ssi_kit.plan.changes`: an action as a data change (re-scoring it gives its gain);
* :mod:`~ssi_kit.plan.effort`: the effort table (minutes per unit), replaceable.
"""
from .effort import NOT_ACTIONABLE, Effort, load_effort
from .job import plan_to_dir
from .planner import plan_actions
from .results import PLAN_COLUMNS, PlanResult

__all__ = ["plan_actions", "plan_to_dir", "PlanResult", "PLAN_COLUMNS", "load_effort", "Effort", "NOT_ACTIONABLE"]
