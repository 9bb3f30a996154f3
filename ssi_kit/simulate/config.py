"""Configuration of the synthetic-data simulator: the planted effects and every knob.

:class:`SimulationConfig` is an immutable value; it checks itself when built and
raises :class:`ssi_kit.exceptions.UsageError` naming the option at fault.  The
planted effects are the quantities of the claims in ``docs/contract.md``; their published
values are :data:`DEFAULT_EFFECTS` and their null values :data:`NULL_EFFECTS`.
"""
from __future__ import annotations

import calendar
import datetime as _dt
import math
import re
from dataclasses import dataclass, field, fields
from numbers import Integral, Real
from types import MappingProxyType
from typing import Mapping

import pandas as pd

from ssi_kit.exceptions import UsageError
from ssi_kit.io.parse import MAX_DATE, MIN_DATE
from ssi_kit.limits import MAX_MEMBERS, MAX_MONTHS, MAX_SEED, MIN_MEMBERS, MIN_MONTHS, check_whole

__all__ = ["DEFAULT_EFFECTS", "NULL_EFFECTS", "SimulationConfig", "check_span"]

#: The published value of each claim's quantity (``docs/contract.md``, "Claims and verdicts").
DEFAULT_EFFECTS: Mapping[str, float] = MappingProxyType({
    "leaders_opportunities": 1.45,
    "leaders_quota": 1.51,
    "social_outsell": 0.78,
    "training_median_shift": 8.0,
    "higher_ssi_opportunities": 1.37,
    "opportunities_per_10_points": 4.3,
    "conversation_growth": 1.43,
})

#: The value of each claim's quantity when there is no effect.
NULL_EFFECTS: Mapping[str, float] = MappingProxyType({
    "leaders_opportunities": 1.0,
    "leaders_quota": 1.0,
    "social_outsell": 0.5,
    "training_median_shift": 0.0,
    "higher_ssi_opportunities": 1.0,
    "opportunities_per_10_points": 0.0,
    "conversation_growth": 1.0,
})

#: Effects that are ratios of positive means and so must be > 0.
_RATIO_EFFECTS = ("leaders_opportunities", "leaders_quota", "higher_ssi_opportunities",
                  "conversation_growth")

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

#: (name, low, high, low inclusive, high inclusive) for every float knob.
_FLOAT_RANGES = (
    ("trained_share", 0.0, 1.0, True, True),
    ("social_share", 0.0, 1.0, False, False),
    ("sales_navigator_share", 0.0, 1.0, False, False),
    ("ssi_concentration", 0.0, math.inf, False, False),
    ("wander_sd", 0.0, 30.0, True, True),
    ("wander_persistence", 0.0, 1.0, True, False),
    ("pillar_spread", 0.0, 0.25, True, True),
    ("reading_noise", 0.0, 5.0, True, True),
    ("activity_scale", 0.0, math.inf, False, False),
    ("weekend_activity", 0.0, 1.0, True, True),
    ("messages_per_day", 0.0, math.inf, False, False),
    ("nb_alpha", 0.0, math.inf, True, False),
    ("opportunity_seller_sd", 0.0, 2.0, True, True),
    ("quota_seller_sd", 0.0, 1.0, True, False),
    ("activity_persistence", 0.0, 1.0, True, False),
    ("activity_day_sd", 0.0, 2.0, True, True),
    ("quota_rate", 0.0, 1.0, False, False),
    ("revenue_median", 0.0, math.inf, False, False),
    ("revenue_seller_sd", 0.0, math.inf, False, False),
    ("revenue_period_sd", 0.0, 5.0, True, True),
    ("mean_connections", 1.0, math.inf, True, False),
    ("within_team", 0.0, 1.0, True, True),
    ("promotion_share", 0.0, 1.0, True, True),
    ("profile_update_share", 0.0, 1.0, True, True),
    ("training_effect_spread", -50.0, 50.0, True, True),
    ("training_effect_growth", -10.0, 10.0, True, True),
)

#: (name, minimum, maximum) for every integer knob.
_INT_RANGES = (("members", MIN_MEMBERS, MAX_MEMBERS), ("seed", 0, MAX_SEED), ("months", MIN_MONTHS, MAX_MONTHS),
               ("ssi_every", 1, None), ("teams", 1, None), ("lookback_days", 1, None))


def _default_effects() -> Mapping[str, float]:
    return DEFAULT_EFFECTS


@dataclass(frozen=True)
class SimulationConfig:
    """Everything that determines a synthetic dataset; same config => same dataset.

    Parameters
    ----------
    members : int
        Number of sellers (>= 10).
    seed : int
        Seed of the one random generator all draws derive from (>= 0).
    start : str
        First day of activity, ISO ``YYYY-MM-DD``.
    months : int
        Length of the data in calendar months (>= 15); the last day is
        ``start + months - 1 day``.
    ssi_every : int
        An SSI reading every this many days, on the same weekdays for everyone.
    trained_share : float
        Share of sellers with a ``training`` event, in [0, 1].
    social_share : float
        Expected share of sellers using social media for selling, in (0, 1).
    effects : Mapping[str, float]
        Planted value of each claim's quantity; names left out keep their
        :data:`DEFAULT_EFFECTS` value.  Stored as a read-only mapping.
    teams : int
        Number of sales teams; each lies within one industry and one region.
    industries : tuple of str
        Industry names; team ``k`` belongs to ``industries[k % len(industries)]``.
    sales_navigator_share : float
        Expected share of Sales Navigator users, in (0, 1).
    ssi_concentration : float
        ``a`` of the ``100 * Beta(a, a)`` base SSI levels; 2 gives ~22% above 70
        and ~22% below 30, larger values fewer leaders and laggards.
    wander_sd : float
        Stationary standard deviation (SSI points) of each seller's slow AR(1) wander.
    wander_persistence : float
        Day-to-day autocorrelation of the wander, in [0, 1).
    pillar_spread : float
        Standard deviation of the per-seller pillar offsets (share of a pillar).
    reading_noise : float
        Standard deviation (points) of the noise of each observed pillar reading.
    activity_scale : float
        Multiplier of every activity rate except messages.
    weekend_activity : float
        Multiplier of the probability of being active on Saturday and Sunday.
    messages_per_day : float
        Expected messages a day of a seller with base SSI 100 at the start.
    mean_opportunities : float or None
        Mean expected opportunities per seller and quarter.  None (default) lets the
        calibration choose it: the published ratios and slope together pin it to a
        narrow range (about 65 with the default SSI spread), see docs/simulator.md.
    nb_alpha : float
        Overdispersion ``alpha`` of the negative binomial opportunities (0 = Poisson).
    opportunity_seller_sd : float
        Standard deviation of a persistent seller effect on opportunities: every seller's
        expected opportunities in every period are multiplied by one gamma frailty of mean 1
        and this standard deviation (0 = none), in [0, 2].  Independent of SSI, so the
        planted ratios and slope are unchanged; it makes a seller's periods correlated.
    quota_seller_sd : float
        Standard deviation of a persistent seller multiplier (mean 1) of the quota
        attainment probability, in [0, 1): ``p * B / m`` with ``B ~ Beta`` of mean ``m``,
        ``m`` the largest probability, so probabilities stay in [0, 1] (0 = none).
    activity_persistence : float
        Day-to-day autocorrelation of a seller's activity level (an AR(1) factor on the
        log of every activity rate), in [0, 1); 0 = independent days.
    activity_day_sd : float
        Standard deviation of that log activity factor (its mean is 1 on the rate scale),
        in [0, 2]; 0 = no day-to-day variation beyond the Poisson counts.
    quota_rate : float
        Mean probability of attaining quota in a quarter, in (0, 1).
    revenue_median : float
        Median revenue per quarter of a seller not using social media.
    revenue_seller_sd : float
        Standard deviation of the seller effect on log revenue.
    revenue_period_sd : float
        Standard deviation of the period-to-period noise on log revenue.
    mean_connections : float
        Target mean number of connections per seller.
    within_team : float
        Share of connection attempts aimed at a teammate.
    promotion_share : float
        Share of sellers with a ``promotion`` event (ignored by the claims).
    profile_update_share : float
        Share of untrained sellers whose profile is observed a second time.
    lookback_days : int
        A seller's SSI for an outcome period is the mean of their readings in the
        ``lookback_days`` days before ``period_start``.
    training_effect_spread : float
        SSI points by which the training effect of the latest possible training date exceeds
        that of the middle one (the earliest gets as much less; linear in the date), so the
        effect differs by cohort; in [-50, 50], default 0.
    training_effect_growth : float
        SSI points the training effect gains every 30 days after training; in [-10, 10], default 0.
    """

    members: int = 200
    seed: int = 0
    start: str = "2025-07-01"
    months: int = 15
    ssi_every: int = 7
    trained_share: float = 0.3
    social_share: float = 0.5
    effects: Mapping[str, float] = field(default_factory=_default_effects)
    teams: int = 8
    industries: tuple[str, ...] = ("Software", "Financial Services", "Manufacturing",
                                   "Healthcare")
    sales_navigator_share: float = 0.4
    ssi_concentration: float = 2.0
    wander_sd: float = 3.0
    wander_persistence: float = 0.98
    pillar_spread: float = 0.06
    reading_noise: float = 0.5
    activity_scale: float = 1.0
    weekend_activity: float = 0.25
    messages_per_day: float = 12.0
    mean_opportunities: float | None = None
    nb_alpha: float = 0.2
    opportunity_seller_sd: float = 0.4
    quota_seller_sd: float = 0.5
    activity_persistence: float = 0.9
    activity_day_sd: float = 0.5
    quota_rate: float = 0.5
    revenue_median: float = 250_000.0
    revenue_seller_sd: float = 0.6
    revenue_period_sd: float = 0.25
    mean_connections: float = 12.0
    within_team: float = 0.6
    promotion_share: float = 0.1
    profile_update_share: float = 0.1
    lookback_days: int = 90
    training_effect_spread: float = 0.0
    training_effect_growth: float = 0.0

    def __post_init__(self):
        for name, low, high in _INT_RANGES:
            _check_int(name, getattr(self, name), low, high)
        for name, low, high, low_in, high_in in _FLOAT_RANGES:
            _check_float(name, getattr(self, name), low, high, low_in, high_in)
        if self.mean_opportunities is not None:
            _check_float("mean_opportunities", self.mean_opportunities, 0.0, math.inf,
                         False, False)
        check_span(self.start, self.months)
        _check_industries(self.industries)
        if self.ssi_every > self.lookback_days:
            raise UsageError(f"ssi_every ({self.ssi_every}) must not exceed lookback_days "
                             f"({self.lookback_days}), or an outcome period could have no "
                             "SSI reading before it.")
        object.__setattr__(self, "effects", _checked_effects(self.effects))
        object.__setattr__(self, "industries", tuple(str(i) for i in self.industries))

    def __hash__(self):
        return hash(tuple(tuple(sorted(self.effects.items())) if f.name == "effects"
                          else getattr(self, f.name) for f in fields(self)))

    @property
    def start_date(self) -> pd.Timestamp:
        """First day of the data, as a midnight Timestamp."""
        return pd.Timestamp(self.start)

    @property
    def end_date(self) -> pd.Timestamp:
        """Last day of the data: ``start + months - 1 day``."""
        return self.start_date + pd.DateOffset(months=self.months) - pd.Timedelta(days=1)

    def to_dict(self) -> dict:
        """Return the config as a JSON-serialisable dict (effects and tuples as plain types)."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "effects":
                value = dict(value)
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out


def _check_int(name: str, value, low: int, high: int | None) -> None:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise UsageError(f"{name} must be a whole number (got {value!r}).")
    if high is not None:
        check_whole(value, low, high, name)
    elif value < low:
        raise UsageError(f"{name} must be at least {low} (got {value}).")


def _check_float(name, value, low, high, low_in, high_in) -> None:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise UsageError(f"{name} must be a finite number (got {value!r}).")
    too_low = value < low if low_in else value <= low
    too_high = value > high if high_in else value >= high
    if too_low or too_high:
        lo = "[" if low_in else "("
        hi = "]" if high_in else ")"
        raise UsageError(f"{name} must lie in {lo}{low}, {high}{hi} (got {value}).")


def check_span(start, months, *, names=("start", "months")) -> None:
    """Refuse a ``start`` date and a length in ``months`` that leave the dates a dataset can hold.

    Parameters
    ----------
    start : str
        First day, ``YYYY-MM-DD``.
    months : int
        Length in calendar months (checked to be a whole number elsewhere).
    names : tuple of str
        How the message names the two (``--start``, ``--months`` on the command line).

    Raises
    ------
    UsageError
        When ``start`` is not a date, or the data would begin before
        :data:`ssi_kit.io.parse.MIN_DATE` or end after :data:`ssi_kit.io.parse.MAX_DATE`.
    """
    _check_start(start, names[0])
    if isinstance(months, bool) or not isinstance(months, Integral) or not 0 < months <= MAX_MONTHS:
        return  # the range of months is checked (and worded) with the other integers
    first = _dt.date.fromisoformat(start)
    last = _month_end(first, int(months))
    if first < MIN_DATE.date() or last > MAX_DATE.date():
        raise UsageError(f"{names[0]} {start} with {names[1]} {months} spans {start} to {last:%Y-%m-%d}, "
                         f"outside the dates a dataset can hold ({MIN_DATE:%Y-%m-%d} to {MAX_DATE:%Y-%m-%d}); "
                         f"choose a {names[0]} from {MIN_DATE:%Y-%m-%d} that ends by {MAX_DATE:%Y-%m-%d}.")


def _month_end(first: _dt.date, months: int) -> _dt.date:
    """``first + months - 1 day`` as :attr:`SimulationConfig.end_date` counts it (capped at 9999-12-31)."""
    years, month = divmod(first.month - 1 + months, 12)
    if first.year + years > 9999:
        return _dt.date.max
    day = min(first.day, calendar.monthrange(first.year + years, month + 1)[1])
    return _dt.date(first.year + years, month + 1, day) - _dt.timedelta(days=1)


def _check_start(start, name: str = "start") -> None:
    if not isinstance(start, str) or not _ISO_DATE.match(start):
        raise UsageError(f"{name} must be an ISO date YYYY-MM-DD (got {str(start)[:40]!r}).")
    try:
        _dt.date.fromisoformat(start)
    except ValueError:
        raise UsageError(f"{name} must be a real calendar date (got {start!r}).") from None


def _check_industries(industries) -> None:
    if isinstance(industries, str) or len(tuple(industries)) == 0:
        raise UsageError("industries must be a non-empty sequence of names "
                         f"(got {industries!r}).")
    names = [str(i) for i in industries]
    if len(set(names)) != len(names) or any(not n.strip() for n in names):
        raise UsageError(f"industries must be distinct non-empty names (got {names!r}).")


def _checked_effects(effects) -> Mapping[str, float]:
    """Merge ``effects`` over the defaults, check every value, return a read-only mapping."""
    if not isinstance(effects, Mapping):
        raise UsageError(f"effects must be a mapping of effect name to number (got {effects!r}).")
    unknown = sorted(set(effects) - set(DEFAULT_EFFECTS))
    if unknown:
        raise UsageError(f"effects has unknown name(s) {', '.join(map(repr, unknown))}; "
                         f"known names are {', '.join(DEFAULT_EFFECTS)}.")
    merged = dict(DEFAULT_EFFECTS)
    for name, value in effects.items():
        where = f"effects['{name}']"
        if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
            raise UsageError(f"{where} must be a finite number (got {value!r}).")
        merged[name] = float(value)
    for name in _RATIO_EFFECTS:
        if merged[name] <= 0:
            raise UsageError(f"effects['{name}'] is a ratio of positive means and must be "
                             f"positive (got {merged[name]}).")
    if not 0.0 < merged["social_outsell"] < 1.0:
        raise UsageError("effects['social_outsell'] is a share and must lie strictly between "
                         f"0 and 1 (got {merged['social_outsell']}).")
    if abs(merged["training_median_shift"]) >= 100:
        raise UsageError("effects['training_median_shift'] must lie in (-100, 100) SSI points "
                         f"(got {merged['training_median_shift']}).")
    return MappingProxyType(merged)
