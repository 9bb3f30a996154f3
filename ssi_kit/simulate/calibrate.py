"""Outcome periods, calibration of the outcome models, outcome draws and the truth.

The outcome models are calibrated on the *realized* SSI of each seller-period
(the mean of the generated readings in the ``lookback_days`` before the period),
so that each claim's population quantity, computed from the expected outcomes of
this very population, equals the planted effect up to rounding error.  With the
null effects every quantity is exactly its null value.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ssi_kit.exceptions import UsageError
from ssi_kit.scoring.tiers import TIER_CUTS

__all__ = [
    "LEADER_SSI", "LAGGARD_SSI", "TRAINING_WINDOW_DAYS", "FALLBACK_OPPORTUNITIES",
    "outcome_periods", "period_ssi", "calibrate_opportunities", "opportunity_means",
    "calibrate_quota", "revenue_shift", "draw_outcomes", "growth_quarters", "growth_ratio",
    "training_shift", "outcome_truth", "seller_frailty", "quota_multiplier",
]

#: SSI below which a seller-period counts as a laggard, and above which a leader
#: (LinkedIn, 2014; the cut points of :mod:`ssi_kit.scoring.tiers`).
LAGGARD_SSI, LEADER_SSI = (float(cut) for cut in TIER_CUTS)
#: Days before and after a training whose readings the training claim compares.
TRAINING_WINDOW_DAYS = 90
#: Mean opportunities per seller-period when the effects leave the scale free.
FALLBACK_OPPORTUNITIES = 60.0
#: Smallest expected opportunities any seller-period may have.
_MIN_OPPORTUNITIES = 0.5
#: Bounds of a quarter's quota attainment probability.
_P_LOW, _P_HIGH = 0.01, 0.99
_OPP_OPTIONS = ("effects['leaders_opportunities'], effects['higher_ssi_opportunities'], "
                "effects['opportunities_per_10_points'] and mean_opportunities")


def outcome_periods(start: pd.Timestamp, end: pd.Timestamp, lookback_days: int):
    """Calendar quarters inside the data whose start has ``lookback_days`` of data before it.

    Returns
    -------
    tuple of pandas.DatetimeIndex
        ``(period_start, period_end)``; ``period_end`` is the quarter's last day.
    """
    first = start.to_period("Q").start_time
    starts = pd.date_range(first, end, freq="QS")
    ends = starts + pd.DateOffset(months=3) - pd.Timedelta(days=1)
    keep = (starts - pd.Timedelta(days=lookback_days) >= start) & (ends <= end)
    return starts[keep], ends[keep]


def period_ssi(ssi: np.ndarray, reading_dates, period_starts, lookback_days: int) -> np.ndarray:
    """Mean reading of each seller in the ``lookback_days`` before each period start.

    Parameters
    ----------
    ssi : numpy.ndarray, shape (sellers, readings)
        Observed SSI readings.
    reading_dates : pandas.DatetimeIndex
        Date of each reading column.
    period_starts : pandas.DatetimeIndex
        Start of each period.
    lookback_days : int

    Returns
    -------
    numpy.ndarray, shape (sellers, periods)
        ``mean(ssi[date])`` over ``period_start - lookback_days <= date < period_start``.
    """
    d = np.asarray(reading_dates, dtype="datetime64[ns]")[None, :]
    p = np.asarray(period_starts, dtype="datetime64[ns]")[:, None]
    window = (d >= p - np.timedelta64(lookback_days, "D")) & (d < p)
    return (ssi @ window.T) / window.sum(axis=1)


def _groups(x: np.ndarray):
    """Leader and laggard masks, or None when either group is empty (claims untestable)."""
    leaders, laggards = x > LEADER_SSI, x < LAGGARD_SSI
    if not leaders.any() or not laggards.any():
        return None
    return leaders, laggards


def _ratio_row(f: np.ndarray, groups, ratio: float, fallback: int) -> np.ndarray:
    """Row of ``mean f over group 1 - ratio * mean f over group 2 = 0``; without both
    groups, the row ``z[fallback] = 0`` instead."""
    if groups is None:
        return np.eye(f.shape[1])[fallback]
    return f[groups[0]].mean(0) - ratio * f[groups[1]].mean(0)


def _solve(rows: np.ndarray, rhs: np.ndarray, base: np.ndarray, options: str) -> np.ndarray:
    """Solve ``rows @ z = rhs`` as ``base + step`` (exact when ``base`` already solves it)."""
    resid = rhs - rows @ base
    try:
        step = np.linalg.solve(rows, resid)
    except np.linalg.LinAlgError:
        raise UsageError(f"The calibration of {options} has no unique solution on this "
                         "population (too little spread of SSI); change ssi_concentration, "
                         "members or seed.") from None
    return base + step


def _features(x: np.ndarray, median: float) -> np.ndarray:
    return np.column_stack([np.ones_like(x), x, (x > LEADER_SSI).astype(float),
                            (x > median).astype(float)])


def _slope_row(x: np.ndarray, f: np.ndarray) -> np.ndarray:
    """OLS slope on ``x`` of each feature, so that ``row @ z`` is the slope of ``f @ z``.

    The constant's slope is exactly 0 and ``x``'s exactly 1 (no rounding error).
    """
    xc = x - x.mean()
    row = (f * xc[:, None]).mean(0) / (xc ** 2).mean()
    row[0], row[1] = 0.0, 1.0
    return row


def calibrate_opportunities(x: np.ndarray, effects, mean_level: float | None) -> dict:
    """Solve ``m(x) = a + b x + c 1[x > 70] + e 1[x > median]`` for the planted effects.

    The four linear conditions: mean m of leaders / laggards = ``leaders_opportunities``;
    mean m above the median / the rest = ``higher_ssi_opportunities``; 10 x the OLS slope
    of m on x = ``opportunities_per_10_points``; overall mean of m = ``mean_level``.
    Without leaders or laggards (tiny populations) ``c = 0`` replaces the first
    condition.  The ratios are scale-free but the slope is not, so the effects pin the
    mean down to a narrow range: with ``mean_level=None`` it is chosen to make the jumps
    ``c`` and ``e`` as small as possible (least squares), or
    :data:`FALLBACK_OPPORTUNITIES` when the slope is 0 or the jumps do not depend on it.

    Parameters
    ----------
    x : numpy.ndarray
        Realized SSI of every seller-period (flat).
    effects : Mapping[str, float]
    mean_level : float or None

    Returns
    -------
    dict
        ``a, b, c, e, median, mean`` (floats).

    Raises
    ------
    UsageError
        When no solution exists or it makes some expected count <= 0.5.
    """
    x = np.asarray(x, dtype=float).ravel()
    median = float(np.median(x))
    higher = x > median
    if higher.all() or not higher.any():
        raise UsageError("The opportunities calibration needs SSI values on both sides of "
                         "the median; raise members or lower ssi_concentration.")
    f = _features(x, median)
    rows = _opportunity_rows(x, f, higher, effects)
    slope = effects["opportunities_per_10_points"] / 10.0
    unit = np.array([1.0, 0.0, 0.0, 0.0])
    per_level = _solve(rows, np.array([0.0, 0.0, 0.0, 1.0]), unit, _OPP_OPTIONS)
    from_slope = _solve(rows, np.array([0.0, 0.0, slope, 0.0]), np.zeros(4), _OPP_OPTIONS)
    level = mean_level if mean_level is not None else _smoothest_level(from_slope, per_level)
    z = from_slope + level * per_level
    low = float((f @ z).min())
    if low <= _MIN_OPPORTUNITIES:
        raise UsageError(f"The combination of {_OPP_OPTIONS} is infeasible: it makes the "
                         f"expected opportunities of some seller-periods {low:.3g} "
                         f"(at most {_MIN_OPPORTUNITIES}); leave mean_opportunities unset "
                         "(automatic) or soften the effects.")
    return {"a": float(z[0]), "b": float(z[1]), "c": float(z[2]), "e": float(z[3]),
            "median": median, "mean": float(level)}


def _opportunity_rows(x, f, higher, effects) -> np.ndarray:
    """Left-hand sides of the four linear conditions on ``(a, b, c, e)``."""
    return np.vstack([_ratio_row(f, _groups(x), effects["leaders_opportunities"], 2),
                      _ratio_row(f, (higher, ~higher), effects["higher_ssi_opportunities"], 3),
                      _slope_row(x, f),
                      f.mean(0)])


def _smoothest_level(from_slope: np.ndarray, per_level: np.ndarray) -> float:
    """Mean level minimising ``c**2 + e**2`` of ``from_slope + level * per_level``."""
    jumps0, jumps1 = from_slope[2:], per_level[2:]
    denom = float(jumps1 @ jumps1)
    if not from_slope.any() or denom < 1e-18:
        return FALLBACK_OPPORTUNITIES
    return -float(jumps0 @ jumps1) / denom


def opportunity_means(x: np.ndarray, params: dict) -> np.ndarray:
    """Expected opportunities ``m(x)`` for the calibrated ``params``."""
    z = np.array([params["a"], params["b"], params["c"], params["e"]])
    x = np.asarray(x, dtype=float)
    return (_features(x.ravel(), params["median"]) @ z).reshape(x.shape)


def calibrate_quota(x: np.ndarray, effects, rate: float) -> dict:
    """Solve ``p(x) = a + b x``: leaders / laggards mean p = ``leaders_quota``, mean p = ``rate``.

    Without leaders or laggards (tiny populations) ``b = 0`` replaces the first condition.

    Returns
    -------
    dict
        ``a, b`` (floats).

    Raises
    ------
    UsageError
        When some probability leaves (0.01, 0.99).
    """
    x = np.asarray(x, dtype=float).ravel()
    f = np.column_stack([np.ones_like(x), x])
    rows = np.vstack([_ratio_row(f, _groups(x), effects["leaders_quota"], 1), f.mean(0)])
    options = "effects['leaders_quota'] and quota_rate"
    z = _solve(rows, np.array([0.0, rate]), np.array([rate, 0.0]), options)
    p = f @ z
    if p.min() <= _P_LOW or p.max() >= _P_HIGH:
        raise UsageError(f"The combination of {options} is infeasible: it makes the quota "
                         f"probability of some seller-periods {p.min():.3g}..{p.max():.3g}, "
                         f"outside ({_P_LOW}, {_P_HIGH}); move quota_rate toward 0.5 or "
                         "soften the effect.")
    return {"a": float(z[0]), "b": float(z[1])}


def revenue_shift(share: float, seller_sd: float) -> float:
    """Shift ``D`` of the social sellers' log revenue so that ``P(N(D, sd) > 0) = share``."""
    return float(seller_sd * stats.norm.ppf(share))


def draw_outcomes(x: np.ndarray, social: np.ndarray, cfg, rng: np.random.Generator):
    """Calibrate the outcome models on ``x`` and draw every seller-period's outcomes.

    Parameters
    ----------
    x : numpy.ndarray, shape (sellers, periods)
        Realized SSI per seller-period.
    social : numpy.ndarray of bool, shape (sellers,)
    cfg : SimulationConfig
    rng : numpy.random.Generator

    Returns
    -------
    tuple
        ``(outcomes, params, seller_effect)``: a dict of ``(sellers, periods)`` arrays
        ``opportunities, quota_attained, revenue``, a dict of the calibrated parameters
        and the ``(sellers,)`` seller effects on log revenue.
    """
    eff = cfg.effects
    opp = calibrate_opportunities(x, eff, cfg.mean_opportunities)
    quota = calibrate_quota(x, eff, cfg.quota_rate)
    mean_opp = opportunity_means(x, opp)
    if cfg.nb_alpha > 0:
        mix = rng.gamma(1.0 / cfg.nb_alpha, cfg.nb_alpha, size=x.shape)
    else:
        mix = np.ones(x.shape)
    frailty = seller_frailty(cfg.opportunity_seller_sd, x.shape[0], rng)
    p_quota = quota["a"] + quota["b"] * x
    multiplier = quota_multiplier(cfg.quota_seller_sd, float(p_quota.max()), x.shape[0], rng)
    opportunities = rng.poisson(mean_opp * frailty[:, None] * mix).astype(np.int64)
    attained = rng.random(x.shape) < p_quota * multiplier[:, None]
    shift = revenue_shift(eff["social_outsell"], cfg.revenue_seller_sd)
    seller = shift * social + cfg.revenue_seller_sd * rng.standard_normal(len(social))
    noise = np.exp(cfg.revenue_period_sd * rng.standard_normal(x.shape))
    weight = noise / noise.mean(axis=1, keepdims=True)  # totals depend on the seller effect only
    revenue = np.round(cfg.revenue_median * np.exp(seller)[:, None] * weight, 2)
    params = {"opportunities": {**opp, "alpha": cfg.nb_alpha, "seller_sd": cfg.opportunity_seller_sd},
              "quota": {**quota, "seller_sd": cfg.quota_seller_sd},
              "revenue": {"mu": float(np.log(cfg.revenue_median)), "social_shift": shift,
                          "seller_sd": cfg.revenue_seller_sd,
                          "period_sd": cfg.revenue_period_sd}}
    outcomes = {"opportunities": opportunities, "quota_attained": attained, "revenue": revenue}
    return outcomes, params, seller


def seller_frailty(sd: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """Persistent seller multipliers of the expected opportunities: gamma, mean 1, standard deviation ``sd``.

    Independent of SSI and of mean 1, so the expected opportunities given SSI, and hence
    the planted ratios and slope, are unchanged; the seller's periods share it, which
    makes them correlated (the reason the claims cluster their errors by seller).
    """
    if sd <= 0:
        return np.ones(n)
    return rng.gamma(1.0 / sd ** 2, sd ** 2, size=n)


def quota_multiplier(sd: float, p_max: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """Persistent seller multipliers of the quota probability: mean 1, standard deviation ``sd``, at most ``1 / p_max``.

    ``B / p_max`` with ``B ~ Beta(p_max k, (1 - p_max) k)`` (mean ``p_max``), ``k`` chosen for
    the standard deviation ``sqrt((1 - p_max) / (p_max (k + 1)))``; every probability times
    the multiplier stays at most 1.  Mean 1 and independent of SSI, so the planted risk
    ratio is unchanged.

    Raises
    ------
    UsageError
        When ``sd`` is too large for the largest probability (``sd**2 >= (1 - p_max) / p_max``).
    """
    if sd <= 0:
        return np.ones(n)
    k = (1.0 - p_max) / (p_max * sd ** 2) - 1.0
    if not k > 0:
        raise UsageError(f"quota_seller_sd {sd} is too large for a largest quota probability of {p_max:.3g}: "
                         f"a multiplier of mean 1 that keeps probabilities at most 1 needs a standard deviation "
                         f"below {np.sqrt((1.0 - p_max) / p_max):.3g}; lower quota_seller_sd or quota_rate.")
    return rng.beta(p_max * k, (1.0 - p_max) * k, size=n) / p_max


def growth_quarters(start: pd.Timestamp, end: pd.Timestamp):
    """Latest complete calendar quarter and the same quarter a year earlier, or None.

    Returns
    -------
    tuple of (Timestamp, Timestamp) pairs or None
        ``((latest_start, latest_end), (earlier_start, earlier_end))`` when both lie
        entirely inside ``[start, end]``.
    """
    starts = pd.date_range(start.to_period("Q").start_time, end, freq="QS")
    ends = starts + pd.DateOffset(months=3) - pd.Timedelta(days=1)
    complete = (starts >= start) & (ends <= end)
    if not complete.any():
        return None
    latest = starts[complete][-1]
    earlier = latest - pd.DateOffset(months=12)
    if earlier < start:
        return None
    return (latest, _quarter_end(latest)), (earlier, _quarter_end(earlier))


def _quarter_end(first: pd.Timestamp) -> pd.Timestamp:
    return first + pd.DateOffset(months=3) - pd.Timedelta(days=1)


def growth_ratio(dates, daily_factor: np.ndarray, quarters) -> float | None:
    """Expected messages per seller, latest quarter / a year earlier (seller rates cancel)."""
    if quarters is None:
        return None
    (l0, l1), (e0, e1) = quarters
    latest = daily_factor[(dates >= l0) & (dates <= l1)].sum()
    earlier = daily_factor[(dates >= e0) & (dates <= e1)].sum()
    return float(latest / earlier)


def training_shift(latent: np.ndarray, reading_dates, train_dates) -> float | None:
    """Median over trained sellers of (median latent SSI after - median before the training).

    Parameters
    ----------
    latent : numpy.ndarray, shape (trained sellers, readings)
        Noise-free SSI of the trained sellers on the reading days.
    reading_dates : pandas.DatetimeIndex
    train_dates : numpy.ndarray of datetime64[ns], shape (trained sellers,)

    Returns
    -------
    float or None
        None when nobody is trained.
    """
    if latent.shape[0] == 0:
        return None
    d = np.asarray(reading_dates, dtype="datetime64[ns]")[None, :]
    t = np.asarray(train_dates, dtype="datetime64[ns]")[:, None]
    window = np.timedelta64(TRAINING_WINDOW_DAYS, "D")
    before = np.where((d >= t - window) & (d < t), latent, np.nan)
    after = np.where((d >= t) & (d < t + window), latent, np.nan)
    return float(np.median(np.nanmedian(after, axis=1) - np.nanmedian(before, axis=1)))


def outcome_truth(x: np.ndarray, params: dict, effects, social: np.ndarray,
                  seller_effect: np.ndarray) -> dict:
    """Population value of each outcome claim's quantity from the calibrated expected means.

    Parameters
    ----------
    x : numpy.ndarray
        Realized SSI of every seller-period.
    params : dict
        Calibrated parameters (see :func:`draw_outcomes`).
    effects : Mapping[str, float]
    social : numpy.ndarray of bool, shape (sellers,)
    seller_effect : numpy.ndarray, shape (sellers,)
        Realized seller effects on log revenue.

    Returns
    -------
    dict
        claim id -> ``{"expected": float, "n": int, ...}``.
    """
    x = np.asarray(x, dtype=float).ravel()
    op = params["opportunities"]
    f = _features(x, op["median"])
    z = np.array([op["a"], op["b"], op["c"], op["e"]])
    groups, high = _groups(x), x > op["median"]
    zq = np.array([params["quota"]["a"], params["quota"]["b"]])
    rev = params["revenue"]
    others = seller_effect[~social]
    sample = (float((seller_effect[social] > np.median(others)).mean())
              if others.size and social.any() else None)
    n_groups = 0 if groups is None else int(groups[0].sum() + groups[1].sum())
    return {
        "leaders_opportunities": {"expected": _group_ratio(f, z, groups), "n": n_groups},
        "leaders_quota": {"expected": _group_ratio(f[:, :2], zq, groups), "n": n_groups},
        "higher_ssi_opportunities": {"expected": _group_ratio(f, z, (high, ~high)),
                                     "n": int(x.size)},
        "opportunities_per_10_points": {"expected": float(10.0 * (_slope_row(x, f) @ z)),
                                        "n": int(x.size)},
        "social_outsell": {
            "expected": float(stats.norm.cdf(rev["social_shift"] / rev["seller_sd"])),
            "sample": sample, "n": int(social.sum())},
    }


def _group_ratio(f: np.ndarray, z: np.ndarray, groups) -> float | None:
    """Mean of ``f @ z`` over group 1 / over group 2 (None without both groups)."""
    if groups is None:
        return None
    return float((f[groups[0]].mean(0) @ z) / (f[groups[1]].mean(0) @ z))
