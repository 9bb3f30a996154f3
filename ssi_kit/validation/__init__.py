"""Statistical validation of the claims engine on simulated datasets (``make validate``).

For every claim of the registry the study simulates ``n_datasets`` datasets with the
published effects (:data:`ssi_kit.simulate.DEFAULT_EFFECTS`) and ``n_datasets`` with no
effect (:data:`ssi_kit.simulate.config.NULL_EFFECTS`), tests every claim on each with
:func:`ssi_kit.claims.evaluate_claims` (observed SSI) and compares the results with the
truth the simulator planted, read by the claim type's ``truth``
(:mod:`ssi_kit.claims.types`; ``truth["claims"][claim_id]["expected"]``):

* coverage of the 95% interval of the truth, at the published effect and at the null;
* type-I error: share of null datasets with ``p < 0.05``;
* power: share of published-effect datasets with ``p < 0.05``;
* bias: mean estimate minus the mean truth (published effect);
* share of datasets where the claim was untestable;

each rate with its Monte-Carlo standard error.  Each dataset is also tested with clustering
switched off (the clustered estimators only), which the study must catch; and the training
difference-in-differences is checked on simulated staggered training whose effect differs by
cohort and grows after training (:mod:`~ssi_kit.validation.staggered`), beside the two-way
fixed-effects estimate it replaces.  Modules: :mod:`~ssi_kit.validation.design`
(arms, defaults, targets), :mod:`~ssi_kit.validation.study` (the Monte-Carlo runs),
:mod:`~ssi_kit.validation.summary` (the per-claim table), :mod:`~ssi_kit.validation.markdown`
(the rendering) and :mod:`~ssi_kit.validation.cli` (``python -m ssi_kit.validation --datasets
2000 --out docs/validation.md``, what ``make validate`` runs).  What the study changed in the
claims engine, and its known limitations, are in docs/validation.md.  The claims package does
not import this one.
"""
from .cli import main
from .design import ALPHA, ARMS, COVERAGE_TARGET, DEFAULT_MEMBERS, DEFAULT_RESAMPLES, TYPE1_TARGET
from .markdown import END_MARKER, to_markdown, write_markdown
from .study import (StudySettingsError, dataset_seed, run_validation, simulate_and_evaluate,
                    validation_records)
from .staggered import run_staggered_validation, staggered_markdown
from .summary import summarize, with_settings

__all__ = ["run_validation", "validation_records", "summarize", "with_settings", "to_markdown",
           "write_markdown", "dataset_seed", "simulate_and_evaluate", "main", "StudySettingsError",
           "ARMS", "DEFAULT_MEMBERS", "DEFAULT_RESAMPLES", "COVERAGE_TARGET", "TYPE1_TARGET", "ALPHA",
           "END_MARKER", "run_staggered_validation", "staggered_markdown"]
