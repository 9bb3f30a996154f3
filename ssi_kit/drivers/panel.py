"""The within-seller panel estimator and the trailing activity sums it reads.

:func:`window_sums` gives, for each reading (seller, day), the sum of activity
columns over a trailing window of days.  :func:`fit_within` regresses an outcome
on regressors with seller fixed effects absorbed by the within transformation
(each seller's mean subtracted) and errors clustered by seller: the estimates and
covariance equal those of ordinary least squares with one dummy per seller and
statsmodels' cluster-robust covariance (the small-sample factor
``G/(G-1) * (N-1)/(N-K-G)`` counts the absorbed seller means among the
parameters); inference uses Student's t with ``G - 1`` degrees of freedom.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

__all__ = ["WithinFit", "fit_within", "window_sums", "day_numbers", "demean"]


def day_numbers(dates) -> np.ndarray:
    """Dates (datetime-like) as whole day numbers since 1970-01-01 (int64)."""
    return pd.to_datetime(pd.Series(dates)).to_numpy().astype("datetime64[D]").astype(np.int64)


def window_sums(activity: pd.DataFrame, member_id, day, columns, window: int | None) -> np.ndarray:
    """Sums of activity columns over a trailing window ending on each (seller, day).

    Parameters
    ----------
    activity : pandas.DataFrame
        The ``activity`` table (``member_id``, ``date`` and the count columns).
    member_id : array-like of str
        The seller of each reading.
    day : array-like of int
        The day number of each reading (:func:`day_numbers`).
    columns : sequence of str
        Activity columns; their sum is taken when several are given together
        (see Returns).
    window : int or None
        Days in the window, the reading's day included (``day - window < date <= day``);
        None: all history up to the day.

    Returns
    -------
    numpy.ndarray of float, shape (n_readings, len(columns))
        Column ``j`` is the window sum of ``columns[j]``; missing counts count 0.
    """
    member_id, day = np.asarray(member_id, dtype=object), np.asarray(day, dtype=np.int64)
    ids = pd.Index(pd.unique(np.concatenate([activity["member_id"].to_numpy(dtype=object), member_id])))
    act_day = day_numbers(activity["date"])
    every = np.concatenate([act_day, day]) if len(act_day) + len(day) else np.zeros(1, dtype=np.int64)
    low = int(every.min()) - (window or 0) - 1  # every key offset below is positive
    span = int(every.max()) - low + 2
    akey = ids.get_indexer(activity["member_id"].to_numpy(dtype=object)).astype(np.int64) * span + (act_day - low)
    order = np.argsort(akey, kind="stable")
    akey = akey[order]
    values = activity[list(columns)].to_numpy(dtype=float, na_value=0.0)[order]
    cum = np.vstack([np.zeros((1, values.shape[1])), np.cumsum(values, axis=0)])
    base = ids.get_indexer(member_id).astype(np.int64) * span
    end = np.searchsorted(akey, base + (day - low), side="right")
    start = (np.searchsorted(akey, base, side="left") if window is None
             else np.searchsorted(akey, base + (day - window - low), side="right"))
    return cum[end] - cum[start]


@dataclass(frozen=True)
class WithinFit:
    """One within-seller regression.

    Attributes
    ----------
    params, bse : numpy.ndarray
        Estimates and cluster-robust standard errors, one per regressor.
    cov : numpy.ndarray
        Their covariance.
    nobs, n_groups : int
        Readings and sellers (clusters) used.
    df : int
        Degrees of freedom of the t reference (``n_groups - 1``).
    """

    params: np.ndarray
    bse: np.ndarray
    cov: np.ndarray
    nobs: int
    n_groups: int
    df: int

    def p_values(self) -> np.ndarray:
        """Two-sided p-values of each estimate against 0 (t with :attr:`df` degrees of freedom)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return 2.0 * stats.t.sf(np.abs(self.params / self.bse), self.df)

    def conf_int(self, alpha: float = 0.05) -> np.ndarray:
        """Lower and upper ``1 - alpha`` bounds, shape (n_regressors, 2)."""
        half = stats.t.ppf(1.0 - alpha / 2.0, self.df) * self.bse
        return np.column_stack([self.params - half, self.params + half])


def fit_within(y, x, groups) -> WithinFit:
    """Regress ``y`` on ``x`` with group fixed effects and errors clustered by group.

    Parameters
    ----------
    y : array-like, shape (n,)
    x : array-like, shape (n, k)
        No constant: the group means absorb it.
    groups : array-like, shape (n,)
        The seller of each row.

    Returns
    -------
    WithinFit
        Equal (to rounding) to OLS of ``y`` on ``x`` plus one dummy per group
        with statsmodels' ``cov_type="cluster"`` covariance.
    """
    y, x = np.asarray(y, dtype=float), np.asarray(x, dtype=float)
    codes, uniques = pd.factorize(pd.Series(groups), sort=True)
    n, k, g = len(y), x.shape[1], len(uniques)
    res = sm.OLS(demean(y, codes), demean(x, codes)).fit(
        cov_type="cluster", cov_kwds={"groups": codes, "use_correction": True})
    cov = np.asarray(res.cov_params()) * (n - k) / (n - k - g)  # count the g absorbed means
    return WithinFit(params=np.asarray(res.params), bse=np.sqrt(np.diag(cov)), cov=cov,
                     nobs=n, n_groups=g, df=g - 1)


def demean(values, codes) -> np.ndarray:
    """Subtract each group's mean from its rows, column by column (the within transformation).

    Parameters
    ----------
    values : numpy.ndarray, shape (n,) or (n, k)
    codes : numpy.ndarray of int, shape (n,)
        Group of each row, 0 to g - 1.
    """
    values, codes = np.asarray(values, dtype=float), np.asarray(codes)
    g = int(codes.max()) + 1 if len(codes) else 0
    two = values.reshape(len(values), -1)
    counts = np.bincount(codes, minlength=g).astype(float)
    means = np.column_stack([np.bincount(codes, weights=two[:, j], minlength=g) for j in range(two.shape[1])])
    out = two - means[codes] / counts[codes, None]
    return out.reshape(values.shape)
