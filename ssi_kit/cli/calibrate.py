"""``ssi-kit calibrate``: its arguments and the one call it makes."""
from __future__ import annotations

from pathlib import Path

from ..limits import MAX_SEED
from .options import whole

__all__ = ["add_calibrate", "run_calibrate"]


def add_calibrate(sub) -> None:
    """Add the ``calibrate`` subcommand to the subparsers ``sub``."""
    p = sub.add_parser("calibrate", help="fit a scoring spec to the dataset's observed SSI readings",
                       description="Fit a scoring spec to the dataset's LinkedIn readings (per pillar when "
                       "they carry pillars) within the spec's vocabulary, cross-validated by seller; write "
                       "OUT/spec.yaml (for ssi-kit score --spec), OUT/calibration.csv and .json (errors beside "
                       "the start spec's) and OUT/calibration.png (docs/calibration.md).")
    p.add_argument("dataset", help="dataset directory (members, ssi, activity; profiles, connections)")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--spec", help="start spec YAML whose inputs are varied (default: the shipped spec)")
    p.add_argument("--folds", type=whole(2, 20), default=5,
                   help="cross-validation folds over sellers, 2 to 20 (default 5)")
    p.add_argument("--seed", type=whole(0, MAX_SEED), default=0,
                   help=f"seed of the sellers' folds, 0 to {MAX_SEED} (default 0)")


def run_calibrate(args, progress) -> Path:
    """Run ``ssi-kit calibrate``; return the path of the spec written."""
    from ..calibration import calibrate_to_dir

    result = calibrate_to_dir(args.dataset, args.out, spec=args.spec, folds=args.folds, seed=args.seed,
                              progress=progress)
    print(result.summary())
    return Path(args.out) / "spec.yaml"
