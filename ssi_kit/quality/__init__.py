"""Data-quality findings on a dataset's readings and tables (``ssi-kit check``).

>>> from ssi_kit.quality import check_dataset
>>> result = check_dataset(dataset)            # doctest: +SKIP
>>> result.findings                            # doctest: +SKIP
>>> print(result.summary())                    # doctest: +SKIP

The checks, their thresholds and why each matters: docs/quality.md.
"""
from .checks import check_dataset
from .findings import CHECKS, FINDING_COLUMNS, SEVERITIES, Thresholds
from .results import QualityResult

__all__ = ["check_dataset", "QualityResult", "Thresholds", "CHECKS", "FINDING_COLUMNS", "SEVERITIES"]
