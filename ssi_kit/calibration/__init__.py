"""Calibrated SSI: fit a scoring spec to a team's own LinkedIn readings (``ssi-kit calibrate``).

:func:`fit_spec` chooses inputs, transforms, targets, windows and weights within
the spec's own vocabulary so that the spec reproduces the observed readings, and
reports its cross-validated error (by seller) beside the start spec's;
:func:`calibrate_to_dir` is the command's job.  See ``docs/calibration.md``.
"""
from .fit import LOW_R2, MIN_READINGS, MIN_SELLERS, fit_spec
from .job import CALIBRATION_FILES, calibrate_to_dir
from .results import CalibrationResult, describe_calibration, read_calibration

__all__ = ["fit_spec", "calibrate_to_dir", "CalibrationResult", "CALIBRATION_FILES", "MIN_READINGS",
           "MIN_SELLERS", "LOW_R2", "read_calibration", "describe_calibration"]
