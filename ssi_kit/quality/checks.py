"""``check_dataset``: run every data-quality check on a dataset."""
from __future__ import annotations

from dataclasses import asdict

from .activity import check_activity, check_after_readings, check_future_dates
from .findings import Thresholds
from .readings import check_duplicates, check_readings
from .results import QualityResult, sort_findings

__all__ = ["check_dataset"]


def check_dataset(dataset, **thresholds) -> QualityResult:
    """Find what looks wrong in a dataset's readings and activity.

    Findings are not errors: the dataset may be valid (it passed the contract)
    and still hold a failed capture, a stale tracker or a typo.

    Parameters
    ----------
    dataset : ssi_kit.io.Dataset
        A dataset (from :func:`ssi_kit.io.load_dataset`, or built in Python).
    **thresholds
        Any field of :class:`~ssi_kit.quality.findings.Thresholds`:
        ``max_daily_change=5``, ``stale_days=21``, ``max_gap_days=14``,
        ``regular_days=7``, ``sum_tolerance=0.05``, ``outlier_mads=6``,
        ``outlier_floor=50``, ``after_readings_days=30``, ``today=None``.

    Returns
    -------
    QualityResult

    Raises
    ------
    UsageError
        For an unknown threshold or a value that is not a positive number.

    Examples
    --------
    >>> from ssi_kit.io import load_dataset
    >>> from ssi_kit.quality import check_dataset
    >>> result = check_dataset(load_dataset("data/sample"))  # doctest: +SKIP
    >>> print(result.summary())  # doctest: +SKIP
    """
    limits = _thresholds(thresholds)
    tables = dict(dataset.tables)
    rows, skipped = [], {}
    ssi, activity = tables.get("ssi"), tables.get("activity")
    if ssi is not None:
        rows += check_duplicates(ssi, "ssi") + check_readings(ssi, limits)
    else:
        skipped.update(dict.fromkeys(("failed_scrape", "out_of_range", "pillar_sum", "jump", "stale",
                                      "gap"), "no ssi table"))
    if activity is not None:
        rows += check_duplicates(activity, "activity") + check_activity(activity, limits)
    else:
        skipped["activity_outlier"] = "no activity table"
    if activity is not None and ssi is not None:
        rows += check_after_readings(activity, ssi, limits)
    else:
        skipped["activity_after_readings"] = "needs the ssi and activity tables"
    rows += check_future_dates(tables, limits)
    params = asdict(limits)
    params["today"] = limits.today_ts().strftime("%Y-%m-%d")
    return QualityResult(findings=sort_findings(rows), parameters=params, skipped=skipped)


def _thresholds(given: dict) -> Thresholds:
    from ..exceptions import UsageError

    known = set(Thresholds.__dataclass_fields__)
    unknown = sorted(set(given) - known)
    if unknown:
        raise UsageError(f"Unknown quality threshold(s) {', '.join(unknown)}; "
                         f"the thresholds are {', '.join(sorted(known))}.")
    return Thresholds(**given)
