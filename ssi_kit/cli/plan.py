"""``ssi-kit plan``: each seller's best next actions, ranked by SSI gain per minute (OUT/plan.csv)."""
from __future__ import annotations

from pathlib import Path

from .options import iso_date, whole

__all__ = ["add_plan", "run_plan"]


def add_plan(sub) -> None:
    """Add the ``plan`` subcommand to the subparsers ``sub``."""
    from ..plan.planner import MAX_TOP, MAX_WEEKS

    p = sub.add_parser("plan", help="each seller's best next actions, ranked by SSI gain per minute",
                       description="For each seller, the actions (more of an activity, a profile change) that "
                       "would raise their SSI on DAY most per minute of effort, under a scoring spec; "
                       "re-scoring the data with the action done gives exactly the gain. Writes "
                       "OUT/plan.csv and OUT/plan.json (docs/plan.md).")
    p.add_argument("dataset", help="dataset directory")
    p.add_argument("--out", required=True, help="output directory (OUT/plan.csv, OUT/plan.json)")
    p.add_argument("--spec", help="scoring spec YAML, e.g. ssi-kit calibrate's spec.yaml (default: the shipped spec)")
    p.add_argument("--weeks", type=whole(1, MAX_WEEKS), default=4,
                   help=f"activity steps are spread over the N weeks up to DAY, 1 to {MAX_WEEKS} (default 4)")
    p.add_argument("--day", type=iso_date, help="day the gain is measured on, YYYY-MM-DD (default: last activity date)")
    p.add_argument("--member", metavar="ID", help="plan this seller only")
    p.add_argument("--top", type=whole(1, MAX_TOP), default=5,
                   help=f"actions kept per seller, 1 to {MAX_TOP} (default 5)")
    p.add_argument("--effort", metavar="FILE.yaml",
                   help="effort table replacing the shipped one (minutes per unit; format: docs/plan.md)")


def run_plan(args, progress) -> Path:
    """Run ``ssi-kit plan``; the path of ``plan.csv``."""
    from ..plan import plan_to_dir

    plan_to_dir(args.dataset, args.out, spec=args.spec, weeks=args.weeks, day=args.day, member=args.member,
                top=args.top, effort=args.effort, progress=progress)
    return Path(args.out) / "plan.csv"
