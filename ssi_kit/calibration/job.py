"""``ssi-kit calibrate``: load a dataset folder, fit a spec to its readings, write four files together."""
from __future__ import annotations

import json

from ..exceptions import UsageError
from ..io import load_dataset, write_table
from ..io.atomic import atomic_files, check_out_dir
from ..scoring import ScoringSpec, load_spec
from .fit import fit_spec
from .results import CalibrationResult

__all__ = ["calibrate_to_dir", "CALIBRATION_FILES"]

#: What :func:`calibrate_to_dir` writes into OUT, as one set.
CALIBRATION_FILES = ("spec.yaml", "calibration.csv", "calibration.json", "calibration.png")
_TABLES = ("members", "ssi", "activity", "profiles", "connections")


def calibrate_to_dir(dataset_dir, out, *, spec=None, folds: int = 5, seed: int = 0,
                     progress=None) -> CalibrationResult:
    """Fit a scoring spec to a dataset folder's readings; write spec, errors and figure atomically.

    Parameters
    ----------
    dataset_dir : path-like
        Dataset directory with ``members``, ``ssi`` (the readings) and ``activity``
        (plus ``profiles`` and ``connections`` when present); validated first.
    out : path-like
        Output directory; created if needed.  ``spec.yaml``, ``calibration.csv``,
        ``calibration.json`` and ``calibration.png`` are replaced together; other
        files in it are kept.
    spec : path-like or ScoringSpec, optional
        The start spec (its inputs are varied; its errors are the baseline);
        default the shipped spec.
    folds, seed : int
        Cross-validation folds over sellers and the seed of their assignment.
    progress : callable, optional
        Progress reporter (see :class:`ssi_kit.progress.Progress`).

    Returns
    -------
    CalibrationResult

    Raises
    ------
    UsageError
        Without readings or activity, with too few readings, or with bad options
        (exit status 2); nothing is written.
    """
    check_out_dir(out)  # a file in the way is refused before any work
    step = progress or (lambda *_: None)
    start = spec if isinstance(spec, ScoringSpec) else load_spec(spec)
    step("reading")
    dataset = load_dataset(dataset_dir, tables=_TABLES)
    for table, what in (("ssi", "SSI readings"), ("activity", "activity")):
        if table not in dataset:
            raise UsageError(f"{dataset_dir}: the dataset has no {table} table ({what}); calibrate needs "
                             "the sellers' SSI readings and their activity to fit a spec.")
    step("fitting")
    result = fit_spec(dataset, start=start, folds=folds, seed=seed)
    step("writing")
    fig = result.plot()
    text = json.dumps(result.to_dict(), indent=2, allow_nan=False) + "\n"
    with atomic_files(out, "calibration") as stage:  # the four files change together
        (stage / "spec.yaml").write_text(result.to_yaml(), encoding="utf-8")
        write_table(result.to_frame(), stage / "calibration.csv")
        (stage / "calibration.json").write_text(text, encoding="utf-8")
        fig.savefig(stage / "calibration.png", dpi=110, metadata={"Software": None})
    return result
