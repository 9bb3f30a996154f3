"""Monte-Carlo check of the staggered training DiD against the two-way fixed-effects estimate.

Each dataset is simulated with staggered training whose effect differs by cohort
(``training_effect_spread``) and grows with time since training
(``training_effect_growth``), a generous ``trained_share`` and never-trained sellers.
Both estimators are compared with the simulator's truth of the staggered DiD's quantity
(``truth["claims"]["training_median_shift"]["did"]``: the planted effects' expected change
of the readings, aggregated like the estimator).  The simulator's trends are parallel by construction
(training dates are random and the effect starts at training), so the share of datasets
where the pre-trend test rejects at 5% is its type-I error.

:func:`run_staggered_validation` returns one row per estimator; :func:`staggered_markdown`
renders it.
"""
from __future__ import annotations

import math
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

from ..claims.staggered import analyse_training
from ..simulate import SimulationConfig, simulate_dataset
from .design import COVERAGE_TARGET, TYPE1_TARGET

__all__ = ["staggered_records", "run_staggered_validation", "staggered_markdown", "staggered_verdict",
           "STAGGERED_SETTINGS"]

#: Default design of the study (sellers, share trained, effect spread and growth in SSI points).
STAGGERED_SETTINGS = {"members": 300, "trained_share": 0.6, "training_effect_spread": 4.0,
                      "training_effect_growth": 1.0}
_ESTIMATORS = {"staggered": "Staggered DiD (Callaway-Sant'Anna)", "twfe": "Two-way fixed effects"}


def _dataset_rows(args) -> list[dict]:
    """Simulate dataset ``i`` of the study and estimate both ways (one task of a worker)."""
    seed, i, options = args
    start = time.perf_counter()
    ds_seed = int(np.random.SeedSequence([int(seed), i]).generate_state(1)[0])
    sim = simulate_dataset(SimulationConfig(seed=ds_seed, **options))
    entry = sim.truth["claims"]["training_median_shift"]
    truth, conditional = entry["did"], entry["did_conditional"]
    did = analyse_training(sim.tables, sim.tables["ssi"], "training")
    seconds = time.perf_counter() - start
    lo, hi = did.conf_int()
    rows = [{"dataset": i, "estimator": "staggered", "truth": truth, "conditional": conditional,
             "estimate": did.att, "ci_low": lo, "ci_high": hi, "pretrend_p": did.pretrend_p, "seconds": seconds}]
    if did.twfe is not None:
        rows.append({"dataset": i, "estimator": "twfe", "truth": truth, "conditional": conditional,
                     "estimate": did.twfe.estimate, "ci_low": did.twfe.ci_low, "ci_high": did.twfe.ci_high,
                     "pretrend_p": math.nan, "seconds": seconds})
    return rows


def staggered_records(n_datasets: int, *, seed: int = 0, workers: int = 1, **settings) -> pd.DataFrame:
    """One row per dataset and estimator: truth, estimate, interval, pre-trend p, seconds.

    Parameters
    ----------
    n_datasets : int
        Simulated datasets.
    seed : int
        Dataset ``i`` uses seed ``SeedSequence([seed, i])``, whatever the number of workers.
    workers : int
        Worker processes (1 runs in this process); the results do not depend on it.
    **settings
        :class:`~ssi_kit.simulate.SimulationConfig` options overriding :data:`STAGGERED_SETTINGS`.
    """
    options = {**STAGGERED_SETTINGS, **settings}
    tasks = [(seed, i, options) for i in range(int(n_datasets))]
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            chunks = list(pool.map(_dataset_rows, tasks, chunksize=max(1, len(tasks) // (8 * workers))))
    else:
        chunks = [_dataset_rows(t) for t in tasks]
    return pd.DataFrame([row for chunk in chunks for row in chunk])


def run_staggered_validation(n_datasets: int = 200, *, seed: int = 0, workers: int = 1, **settings) -> pd.DataFrame:
    """Coverage of the true effect, bias, and the pre-trend test's type-I error, per estimator.

    Parameters
    ----------
    n_datasets : int
        Simulated datasets.
    seed : int
        Seed of the study (dataset seeds derive from it).
    workers : int
        Worker processes; the results do not depend on it.
    **settings
        :class:`~ssi_kit.simulate.SimulationConfig` options overriding :data:`STAGGERED_SETTINGS`.

    Two truths are covered: ``coverage`` of the simulator's ``did`` (the effect of a seller
    drawn from each cohort's population of training days, the quantity a seller-sampling
    error targets) and ``conditional_coverage`` of ``did_conditional`` (the effect at the
    sellers' own training days, which that error over-covers: it also counts the spread of
    the effect within a cohort as sampling noise).

    Returns
    -------
    pandas.DataFrame
        ``estimator``, ``datasets``, ``coverage``, ``coverage_se``, ``conditional_coverage``
        (``conditional_coverage_se``), ``bias``, ``mean_truth``,
        ``mean_half_width``, ``pretrend_rejection`` (``pretrend_se``; NaN for TWFE),
        ``seconds_per_dataset``; ``attrs["settings"]`` holds the design.
    """
    rec = staggered_records(n_datasets, seed=seed, workers=workers, **settings)
    rows = []
    for key, part in rec.groupby("estimator", sort=False):
        covered = ((part["ci_low"] <= part["truth"]) & (part["truth"] <= part["ci_high"])).mean()
        cond = ((part["ci_low"] <= part["conditional"]) & (part["conditional"] <= part["ci_high"])).mean()
        rejected = (part["pretrend_p"] < 0.05)[part["pretrend_p"].notna()]
        n = len(part)
        rows.append({"estimator": _ESTIMATORS[key], "datasets": n, "coverage": covered,
                     "coverage_se": math.sqrt(covered * (1 - covered) / n),
                     "conditional_coverage": cond,
                     "conditional_coverage_se": math.sqrt(cond * (1 - cond) / n),
                     "bias": (part["estimate"] - part["truth"]).mean(), "mean_truth": part["truth"].mean(),
                     "mean_half_width": ((part["ci_high"] - part["ci_low"]) / 2).mean(),
                     "pretrend_rejection": rejected.mean() if len(rejected) else math.nan,
                     "pretrend_se": math.sqrt(rejected.mean() * (1 - rejected.mean()) / len(rejected))
                     if len(rejected) else math.nan,
                     "seconds_per_dataset": part["seconds"].mean()})
    table = pd.DataFrame(rows)
    table.attrs["settings"] = {**STAGGERED_SETTINGS, **settings, "seed": seed}
    return table


def _pct(value, se=None) -> str:
    if value is None or pd.isna(value):
        return "n/a"
    return f"{100 * value:.1f}%" + ("" if se is None or pd.isna(se) else f" ± {100 * se:.1f}")


def staggered_markdown(table: pd.DataFrame) -> str:
    """A Markdown table of :func:`run_staggered_validation` with the design in a sentence."""
    s = table.attrs.get("settings", STAGGERED_SETTINGS)
    lines = [f"Staggered training: {int(table['datasets'].max())} simulated datasets of {s['members']} sellers, "
             f"{100 * s['trained_share']:.0f}% trained on random days; the effect differs by cohort "
             f"(spread {s['training_effect_spread']} points) and grows {s['training_effect_growth']} points "
             "every 30 days after training. Targets: coverage 93-97%, pre-trend type-I error at most 6%.", "",
             "| Estimator | Coverage of the true effect | Coverage at the sellers' own training days | "
             "Bias (SSI points) | Mean true effect | Mean 95% half-width | Pre-trend test rejections (type-I) | "
             "Seconds per dataset |",
             "|---|---|---|---|---|---|---|---|"]
    for _, r in table.iterrows():
        lines.append(f"| {r['estimator']} | {_pct(r['coverage'], r['coverage_se'])} | "
                     f"{_pct(r['conditional_coverage'], r['conditional_coverage_se'])} | {r['bias']:.2f} | "
                     f"{r['mean_truth']:.2f} | {r['mean_half_width']:.2f} | "
                     f"{_pct(r['pretrend_rejection'], r['pretrend_se'])} | {r['seconds_per_dataset']:.2f} |")
    return "\n".join(lines + [""] + staggered_verdict(table)) + "\n"


def staggered_verdict(table: pd.DataFrame) -> list[str]:
    """Whether the staggered DiD met its targets, and what the two-way fixed-effects estimate did.

    A rate outside its band by less than two Monte-Carlo standard errors is called a miss
    "within Monte-Carlo error", as in the main study.
    """
    lo, hi = COVERAGE_TARGET
    lines = []
    for _, r in table.iterrows():
        cov, se = r["coverage"], r["coverage_se"]
        met = lo <= cov <= hi
        near = not met and (lo - 2 * se <= cov <= hi + 2 * se)
        judged = "met" if met else ("missed within Monte-Carlo error" if near else "missed")
        text = f"* {r['estimator']}: coverage target {judged} ({_pct(cov)}), bias {r['bias']:+.2f} points"
        if not pd.isna(r["pretrend_rejection"]):
            ok = r["pretrend_rejection"] <= TYPE1_TARGET
            text += f"; pre-trend test type-I error {_pct(r['pretrend_rejection'])}, target {'met' if ok else 'missed'}"
        lines.append(text + ".")
    return lines
