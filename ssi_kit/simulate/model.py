"""The generative model: organisation, latent SSI, activity, profiles, ties, events, readings.

See ``docs/simulator.md`` for the model in words.  Every draw comes from one
``numpy.random.SeedSequence(config.seed)`` split into named sub-streams, so the
same config gives the same tables, whatever the machine or the day.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, signal, special

from ssi_kit.io.schemas import ACTIVITY_COUNTS, PILLARS
from ssi_kit.scoring.ranks import group_top_pct, network_top_pct, undirected_edges
from ssi_kit.simulate import calibrate as cal
from ssi_kit.simulate.config import NULL_EFFECTS, SimulationConfig
from ssi_kit.simulate.training import (cohort_mean_effects, expected_read_effect, paired_shift_estimand,
                                      staggered_estimand, training_effects, training_window)

__all__ = ["Simulation", "simulate_dataset", "draw_connections"]

_BRAND, _PEOPLE, _INSIGHTS, _RELATIONSHIPS = range(4)
REGIONS = ("NA", "EMEA", "APAC", "LATAM")
#: Named random streams; new ones go at the end so the earlier streams keep their draws.
_STREAMS = ("org", "events", "latent", "connections", "readings", "outcomes", "activity",
            "profiles", "truth")
#: Member ids: a pandas string array (``take`` stays inside Arrow, no Python objects).
_Ids = pd.api.extensions.ExtensionArray
#: Sellers per activity chunk (fixed: the chunking is part of the random streams).
_CHUNK = 256
#: Slope (per 100 SSI points) of the logistic link of Sales Navigator and social media use.
_ADOPTION_SLOPE = 4.0

#: Independent Poisson counts: column -> (pillar, rate per active day at pillar level 1,
#: exponent of the pillar level, Sales Navigator dependent).
_POISSON = {
    "posts": (_BRAND, 0.6, 2.0, False),
    "searches": (_PEOPLE, 6.0, 1.5, False),
    "leads_saved": (_PEOPLE, 2.0, 2.0, True),
    "accounts_saved": (_PEOPLE, 0.8, 2.0, True),
    "profile_views_made": (_PEOPLE, 8.0, 1.5, False),
    "profile_views_received": (_PEOPLE, 3.0, 1.5, False),
    "shares": (_INSIGHTS, 0.6, 2.0, False),
    "comments_made": (_INSIGHTS, 1.5, 2.0, False),
    "reactions_made": (_INSIGHTS, 4.0, 1.5, False),
    "group_posts": (_INSIGHTS, 0.1, 2.0, False),
    "invitations_sent": (_RELATIONSHIPS, 3.0, 1.5, False),
    "internal_connections": (_RELATIONSHIPS, 0.3, 2.0, False),
    "inmails_sent": (_RELATIONSHIPS, 1.0, 2.0, True),
}
#: Rate multiplier of the Sales Navigator dependent counts for sellers without it.
_NO_NAVIGATOR = 0.1
#: Binomial thinnings: column -> (parent column, pillar, probability at level 0, at level 1).
_THINNED = {
    "post_reactions": ("post_views", _BRAND, 0.02, 0.06),
    "post_comments": ("post_reactions", _BRAND, 0.10, 0.30),
    "invitations_accepted": ("invitations_sent", _RELATIONSHIPS, 0.25, 0.75),
    "decision_maker_connections": ("invitations_accepted", _RELATIONSHIPS, 0.05, 0.35),
    "inmails_replied": ("inmails_sent", _RELATIONSHIPS, 0.10, 0.40),
}
_PROFILE_FLAGS = {"has_photo": (0.70, 0.30), "has_cover": (0.15, 0.75),
                  "has_headline": (0.60, 0.40), "has_summary": (0.20, 0.75)}
#: Profile counts: column -> (offset, rate at brand level 0, extra rate at level 1).
_PROFILE_COUNTS = {"positions": (1, 1.0, 4.0), "education": (1, 0.3, 1.0),
                   "skills": (3, 5.0, 40.0), "recommendations": (0, 0.2, 8.0),
                   "featured_items": (0, 0.0, 4.0)}


@dataclass(frozen=True)
class Simulation:
    """A synthetic dataset and the truth planted in it.

    Attributes
    ----------
    tables : dict of str to pandas.DataFrame
        ``members, activity, profiles, ssi, outcomes, connections, events``, with the
        columns of the dataset contract (``docs/contract.md``), sorted by ``member_id`` then date.
    truth : dict
        JSON-serialisable: ``config``, ``effects`` (planted), ``null_effects``,
        ``parameters`` (calibrated), ``periods`` and ``claims`` (per claim id the
        planted, null and expected population value of its quantity).
    """

    tables: dict[str, pd.DataFrame]
    truth: dict


def simulate_dataset(config: SimulationConfig | None = None) -> Simulation:
    """Simulate a dataset with the planted effects of ``config``.

    Parameters
    ----------
    config : SimulationConfig, optional
        Defaults to ``SimulationConfig()``.

    Returns
    -------
    Simulation

    Raises
    ------
    ssi_kit.exceptions.UsageError
        When the config is bad or its effects cannot be calibrated on the population.
    """
    cfg = SimulationConfig() if config is None else config
    if not isinstance(cfg, SimulationConfig):
        raise TypeError("config must be a SimulationConfig")
    seqs = dict(zip(_STREAMS, np.random.SeedSequence(cfg.seed).spawn(len(_STREAMS))))
    rng = {name: np.random.default_rng(seq) for name, seq in seqs.items()}
    dates = _dates(cfg)
    org = _org(cfg, rng["org"])
    train_day, events = _events(cfg, dates, org["ids"], rng["events"])
    s, offsets = _latent(cfg, org["b"], train_day, len(dates), rng["latent"])
    q_start = np.clip(s[:, 0, None] / 100 + offsets, 0, 1)
    u, v = draw_connections(cfg, org["team"], q_start[:, _RELATIONSHIPS], rng["connections"])
    readings = _readings(cfg, s, offsets, org, dates, u, v, rng["readings"])
    starts, ends = cal.outcome_periods(cfg.start_date, cfg.end_date, cfg.lookback_days)
    x = cal.period_ssi(readings["ssi"], readings["dates"], starts, cfg.lookback_days)
    outcomes, params, seller_effect = cal.draw_outcomes(x, org["social"], cfg, rng["outcomes"])
    growth = cfg.effects["conversation_growth"] ** (np.arange(len(dates)) / 365.0)
    tables = {
        "members": _members_table(org),
        "activity": _activity(cfg, s, offsets, org, dates, growth, seqs["activity"]),
        "profiles": _profiles(cfg, q_start[:, _BRAND], train_day, dates, org["ids"],
                              rng["profiles"]),
        "ssi": _ssi_table(readings, org["ids"]),
        "outcomes": _outcomes_table(outcomes, starts, ends, org["ids"]),
        "connections": _connections_table(u, v, org["ids"]),
        "events": events,
    }
    params["social_media"] = {"intercept": org["social_intercept"], "slope": _ADOPTION_SLOPE}
    params["messages"] = {"per_day": cfg.messages_per_day,
                          "growth_per_year": cfg.effects["conversation_growth"]}
    truth = _truth(cfg, params, x, org, seller_effect, readings, train_day, offsets, dates,
                   growth, (starts, ends), rng["truth"])
    return Simulation(tables=tables, truth=truth)


# --------------------------------------------------------------------------- organisation

def _dates(cfg: SimulationConfig) -> np.ndarray:
    days = (cfg.end_date - cfg.start_date).days + 1
    return np.datetime64(cfg.start, "ns") + np.arange(days) * np.timedelta64(1, "D")


def _adoption(b: np.ndarray, share: float):
    """Probabilities rising logistically with ``b`` whose mean is ``share``, and the intercept."""
    z = _ADOPTION_SLOPE * (b / 100.0 - 0.5)
    c = optimize.brentq(lambda c0: special.expit(c0 + z).mean() - share, -60.0, 60.0,
                        xtol=1e-12)
    return special.expit(c + z), float(c)


def _org(cfg: SimulationConfig, rng: np.random.Generator) -> dict:
    n = cfg.members
    width = max(4, len(str(n)))
    ids = pd.Series([f"m{i:0{width}d}" for i in range(1, n + 1)]).array  # pandas string array
    team_region = rng.integers(0, len(REGIONS), cfg.teams)
    team = rng.integers(0, cfg.teams, n)
    industry = team % len(cfg.industries)
    b = 100.0 * rng.beta(cfg.ssi_concentration, cfg.ssi_concentration, n)
    tenure = rng.integers(1, 121, n)
    p_nav, _ = _adoption(b, cfg.sales_navigator_share)
    p_social, intercept = _adoption(b, cfg.social_share)
    width_t = len(str(cfg.teams))
    return {"ids": ids, "team": team, "industry": industry, "b": b,
            "team_names": np.array([f"T{k:0{width_t}d}" for k in range(1, cfg.teams + 1)]),
            "industry_names": np.array(cfg.industries), "region": team_region[team],
            "tenure": tenure.astype(np.int64), "nav": rng.random(n) < p_nav,
            "social": rng.random(n) < p_social, "social_intercept": intercept}


def _members_table(org: dict) -> pd.DataFrame:
    return pd.DataFrame({
        "member_id": org["ids"],
        "industry": org["industry_names"][org["industry"]],
        "team": org["team_names"][org["team"]],
        "region": np.array(REGIONS)[org["region"]],
        "tenure_months": org["tenure"],
        "sales_navigator": org["nav"],
        "social_media": org["social"],
    })


def _events(cfg: SimulationConfig, dates: np.ndarray, ids: _Ids, rng):
    """Training days (-1 = untrained) and the events table."""
    n, days = cfg.members, len(dates)
    first, last = training_window(cfg)
    n_train = int(round(cfg.trained_share * n))
    trained = rng.permutation(n)[:n_train]
    train_day = np.full(n, -1, dtype=np.int64)
    train_day[trained] = rng.integers(first, last + 1, n_train)
    n_promo = int(round(cfg.promotion_share * n))
    promoted = rng.permutation(n)[:n_promo]
    promo_day = rng.integers(0, days, n_promo)
    seller = np.concatenate([trained, promoted])
    day = np.concatenate([train_day[trained], promo_day])
    kind = np.array(["training"] * n_train + ["promotion"] * n_promo, dtype=object)
    order = np.lexsort((kind, day, seller))
    events = pd.DataFrame({"member_id": ids.take(seller[order]), "date": dates[day[order]],
                           "event": kind[order].astype(str)})
    return train_day, events


# --------------------------------------------------------------------------- latent SSI

def _latent(cfg: SimulationConfig, b: np.ndarray, train_day: np.ndarray, days: int, rng):
    """Daily latent SSI ``s`` (sellers x days) and the per-seller pillar offsets (sellers x 4)."""
    n, phi = len(b), cfg.wander_persistence
    shocks = rng.standard_normal((n, days)) * cfg.wander_sd * np.sqrt(1.0 - phi ** 2)
    shocks[:, 0] = rng.standard_normal(n) * cfg.wander_sd  # start in the stationary law
    wander = signal.lfilter([1.0], [1.0, -phi], shocks, axis=1)
    s = np.clip(b[:, None] + wander + training_effects(cfg, train_day, np.arange(days)), 0.0, 100.0)
    raw = rng.normal(0.0, cfg.pillar_spread, (n, len(PILLARS)))
    offsets = (raw - raw.mean(axis=1, keepdims=True)) * np.sqrt(4.0 / 3.0)
    return s, offsets


def _pillar_levels(s: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Pillar levels in [0, 1], shape ``s.shape + (4,)``."""
    return np.clip(s[..., None] / 100.0 + offsets.reshape(offsets.shape[:1] + (1,) * (s.ndim - 1)
                                                          + (len(PILLARS),)), 0.0, 1.0)


# --------------------------------------------------------------------------- connections

def draw_connections(cfg: SimulationConfig, team: np.ndarray, q_rel: np.ndarray, rng):
    """Undirected ties as a directed edge list with both directions (see ``undirected_edges``)."""
    n = len(team)
    weight = 0.3 + q_rel
    stubs = rng.poisson(cfg.mean_connections / 2.0 * weight / weight.mean())
    src = np.repeat(np.arange(n), stubs)
    order = np.argsort(team, kind="stable")
    sizes = np.bincount(team, minlength=cfg.teams)
    first = np.cumsum(sizes) - sizes
    t = team[src]
    mate = order[first[t] + (rng.random(len(src)) * sizes[t]).astype(np.int64)]
    anyone = rng.choice(n, size=len(src), p=weight / weight.sum())
    dst = np.where(rng.random(len(src)) < cfg.within_team, mate, anyone)
    return undirected_edges(src, dst, n)


def _connections_table(u: np.ndarray, v: np.ndarray, ids: _Ids) -> pd.DataFrame:
    once = u < v
    return pd.DataFrame({"member_id": ids.take(u[once]), "connection_id": ids.take(v[once])})


# --------------------------------------------------------------------------- SSI readings

def _readings(cfg, s, offsets, org, dates, u, v, rng) -> dict:
    """Observed readings every ``ssi_every`` days: pillars, SSI, ranks, and the latent SSI."""
    idx = np.arange(0, s.shape[1], cfg.ssi_every)
    q = _pillar_levels(s[:, idx], offsets)
    noise = rng.normal(0.0, cfg.reading_noise, q.shape)
    pillars = np.round(np.clip(25.0 * q + noise, 0.0, 25.0), 6)
    ssi = pillars.sum(axis=2)
    n, r = ssi.shape
    groups = np.arange(r)[None, :] * len(cfg.industries) + org["industry"][:, None]
    return {"dates": pd.DatetimeIndex(dates[idx]), "pillars": pillars, "ssi": ssi,
            "latent": 25.0 * q.sum(axis=2),
            "industry_top_pct": group_top_pct(ssi.ravel(), groups.ravel()).reshape(n, r),
            "network_top_pct": network_top_pct(ssi.T, u, v).T}


def _ssi_table(readings: dict, ids: _Ids) -> pd.DataFrame:
    n, r = readings["ssi"].shape
    table = {"member_id": ids.take(np.repeat(np.arange(n), r)),
             "date": np.tile(readings["dates"].to_numpy().astype("datetime64[ns]"), n),
             "ssi": readings["ssi"].ravel()}
    for k, name in enumerate(PILLARS):
        table[name] = readings["pillars"][:, :, k].ravel()
    table["industry_top_pct"] = readings["industry_top_pct"].ravel()
    table["network_top_pct"] = readings["network_top_pct"].ravel()
    return pd.DataFrame(table)


def _outcomes_table(outcomes: dict, starts, ends, ids: _Ids) -> pd.DataFrame:
    n, p = outcomes["opportunities"].shape
    return pd.DataFrame({
        "member_id": ids.take(np.repeat(np.arange(n), p)),
        "period_start": np.tile(starts.to_numpy().astype("datetime64[ns]"), n),
        "period_end": np.tile(ends.to_numpy().astype("datetime64[ns]"), n),
        "opportunities": outcomes["opportunities"].ravel().astype(np.int64),
        "quota_attained": outcomes["quota_attained"].ravel().astype(bool),
        "revenue": outcomes["revenue"].ravel().astype(np.float64),
    })


# --------------------------------------------------------------------------- activity

def _activity(cfg, s, offsets, org, dates, growth, seq) -> pd.DataFrame:
    """Sparse daily activity, generated in fixed chunks of sellers to bound memory."""
    weekday = np.where(pd.DatetimeIndex(dates).day_of_week.to_numpy() >= 5,
                       cfg.weekend_activity, 1.0)
    bounds = range(0, cfg.members, _CHUNK)
    parts = []
    for lo, child in zip(bounds, seq.spawn(len(bounds))):  # a handful of chunks, each vectorized
        hi = min(lo + _CHUNK, cfg.members)
        parts.append(_activity_chunk(cfg, s[lo:hi], offsets[lo:hi], org, lo, weekday, growth,
                                     np.random.default_rng(child)))
    columns = {}
    for col in ("seller", "day", *ACTIVITY_COUNTS):  # one column at a time bounds the peak
        columns[col] = np.concatenate([part.pop(col) for part in parts])
    table = {"member_id": org["ids"].take(columns.pop("seller")),
             "date": dates[columns.pop("day")]}
    table.update(columns)
    return pd.DataFrame(table, copy=False)


def _activity_chunk(cfg, s, offsets, org, lo, weekday, growth, rng) -> dict:
    """Activity of sellers ``lo .. lo + len(s) - 1`` as column arrays plus ``seller`` and
    ``day`` indices; rows sorted by seller then day."""
    q = _pillar_levels(s, offsets)
    factor = _activity_factor(cfg, s.shape, rng)
    active = rng.random(s.shape) < (0.1 + 0.8 * q[..., _PEOPLE]) * weekday[None, :]
    base = org["b"][lo:lo + len(s)] / 100.0
    messaging = rng.random(s.shape) < (0.05 + 0.6 * base)[:, None]
    seller, day = np.nonzero(active | messaging)
    level, scale = q[seller, day], factor[seller, day]
    msg_rate = cfg.messages_per_day * base[seller] * growth[day] * scale
    sent = np.where(messaging[seller, day], rng.poisson(msg_rate), 0)
    counts = _day_counts(cfg, level, org["nav"][lo + seller], rng, scale)
    counts["messages_sent"] = sent
    counts["messages_replied"] = rng.binomial(sent, 0.15 + 0.35 * base[seller])
    table = {"seller": (lo + seller).astype(np.int64), "day": day.astype(np.int64)}
    table.update({c: counts[c].astype(np.int64, copy=False) for c in ACTIVITY_COUNTS})
    return table


def _activity_factor(cfg, shape: tuple, rng) -> np.ndarray:
    """Each seller's daily activity level: ``exp(sd z - sd**2 / 2)``, ``z`` a stationary AR(1) of unit variance.

    Mean 1 on the rate scale (expected counts unchanged), correlated from day to day with
    autocorrelation ``activity_persistence`` on the log scale, so busy and quiet spells last.
    """
    sd, phi = cfg.activity_day_sd, cfg.activity_persistence
    if sd <= 0:
        return np.ones(shape)
    shocks = rng.standard_normal(shape) * np.sqrt(1.0 - phi ** 2)
    shocks[:, 0] = rng.standard_normal(shape[0])  # start in the stationary law
    z = signal.lfilter([1.0], [1.0, -phi], shocks, axis=1)
    return np.exp(sd * z - sd ** 2 / 2.0)


def _day_counts(cfg, level: np.ndarray, nav: np.ndarray, rng, scale=1.0) -> dict:
    """Counts of an active day for every column except the messages (rates times the activity level ``scale``)."""
    counts = {}
    for col, (pillar, rate, power, needs_nav) in _POISSON.items():
        lam = cfg.activity_scale * rate * level[:, pillar] ** power * scale
        counts[col] = rng.poisson(np.where(nav | (not needs_nav), lam, lam * _NO_NAVIGATOR))
    brand = level[:, _BRAND]
    counts["post_views"] = rng.poisson(counts["posts"] * 150.0 * (0.3 + brand))
    for col, (parent, pillar, p0, p1) in _THINNED.items():
        counts[col] = rng.binomial(counts[parent], p0 + (p1 - p0) * level[:, pillar])
    counts["followers_gained"] = rng.poisson(cfg.activity_scale * 0.5 * brand ** 2 * scale
                                             + 0.01 * counts["post_views"])
    return counts


# --------------------------------------------------------------------------- profiles

def _profiles(cfg, brand, train_day, dates, ids, rng) -> pd.DataFrame:
    """A snapshot per seller on the first day; an improved one for trained sellers on their
    training day and for a few others on a random day."""
    n = len(brand)
    first = _profile_snapshot(brand, rng)
    untrained = np.flatnonzero(train_day < 0)
    n_other = min(int(round(cfg.profile_update_share * n)), len(untrained))
    others = rng.permutation(untrained)[:n_other]
    trained = np.flatnonzero(train_day >= 0)
    who = np.concatenate([trained, others])
    when = np.concatenate([train_day[trained], rng.integers(1, len(dates), n_other)])
    boost = np.concatenate([np.full(len(trained), 0.6), np.full(n_other, 0.2)])
    second = _profile_update({k: v[who] for k, v in first.items()}, boost, rng)
    seller = np.concatenate([np.arange(n), who])
    day = np.concatenate([np.zeros(n, dtype=np.int64), when])
    order = np.lexsort((day, seller))
    table = {"member_id": ids.take(seller[order]), "date": dates[day[order]]}
    for col in first:
        table[col] = np.concatenate([first[col], second[col]])[order]
    return pd.DataFrame(table)


def _profile_snapshot(brand: np.ndarray, rng) -> dict:
    snap = {col: rng.random(len(brand)) < p0 + p1 * brand
            for col, (p0, p1) in _PROFILE_FLAGS.items()}
    for col, (offset, r0, r1) in _PROFILE_COUNTS.items():
        snap[col] = (offset + rng.poisson(r0 + r1 * brand ** 2)).astype(np.int64)
    return snap


def _profile_update(snap: dict, boost: np.ndarray, rng) -> dict:
    """Profiles improved with strength ``boost``: flags switched on, counts increased."""
    new = {col: snap[col] | (rng.random(len(boost)) < boost) for col in _PROFILE_FLAGS}
    for col, (_, _, r1) in _PROFILE_COUNTS.items():
        new[col] = snap[col] + rng.poisson(boost * r1 / 4.0).astype(np.int64)
    return new


# --------------------------------------------------------------------------- truth

def _did_truth(cfg, b, offsets, train_day, idx) -> dict:
    """The staggered DiD's quantity: expected read-SSI change of the planted effects (caps included).

    ``did_conditional`` holds each seller's own training day; ``did`` averages the training day
    over the days each cohort allows (exact without pillar caps, the caps of the realized days kept).
    """
    planted = training_effects(cfg, train_day, idx)
    conditional = staggered_estimand(expected_read_effect(b, offsets, planted, cfg), train_day, idx)
    if conditional is None:
        return {"did": None, "did_conditional": None}
    spread = (staggered_estimand(cohort_mean_effects(cfg, train_day, idx), train_day, idx)
              - staggered_estimand(planted, train_day, idx))
    return {"did": conditional + spread, "did_conditional": conditional}


def _truth(cfg, params, x, org, seller_effect, readings, train_day, offsets, dates, growth,
           periods, rng) -> dict:
    """The JSON-serialisable record of what was planted and what it amounts to."""
    claims = cal.outcome_truth(x, params, cfg.effects, org["social"], seller_effect)
    trained = np.flatnonzero(train_day >= 0)
    t_dates = dates[train_day[trained]]
    delta = cfg.effects["training_median_shift"]
    b = org["b"][trained]
    before = _pillar_levels(np.clip(b, 0, 100), offsets[trained]).sum(axis=1) * 25.0
    after = _pillar_levels(np.clip(b + delta, 0, 100), offsets[trained]).sum(axis=1) * 25.0
    claims["training_median_shift"] = {
        "expected": paired_shift_estimand(b, offsets[trained], train_day[trained],
                                          np.arange(0, len(dates), cfg.ssi_every), cfg, rng),
        "noise_free": float(np.median(after - before)) if len(trained) else None,
        "realized_latent": cal.training_shift(readings["latent"][trained], readings["dates"],
                                              t_dates),
        **_did_truth(cfg, org["b"], offsets, train_day, np.arange(0, len(dates), cfg.ssi_every)),
        "n": int(len(trained))}
    quarters = cal.growth_quarters(cfg.start_date, cfg.end_date)
    claims["conversation_growth"] = {
        "expected": cal.growth_ratio(pd.DatetimeIndex(dates), growth, quarters),
        "quarters": None if quarters is None else [[str(d.date()) for d in pair]
                                                   for pair in quarters],
        "n": int(cfg.members)}
    for cid, entry in claims.items():
        entry["planted"] = float(cfg.effects[cid])
        entry["null"] = float(NULL_EFFECTS[cid])
    starts, ends = periods
    return {
        "config": cfg.to_dict(),
        "effects": dict(cfg.effects),
        "null_effects": dict(NULL_EFFECTS),
        "parameters": params,
        "periods": [{"period_start": str(a.date()), "period_end": str(e.date())}
                    for a, e in zip(starts, ends)],
        "claims": {cid: claims[cid] for cid in cfg.effects},
    }
