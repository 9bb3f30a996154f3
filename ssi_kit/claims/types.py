"""The claim types: one record per type, the one place that knows what a type is.

A claim of the registry (``claims.yaml``) names a *type*; :data:`CLAIM_TYPES` maps each
type name to its :class:`ClaimType` record, which says everything the kit needs about it:

* its parameters (required, and optional with their defaults), which
  :func:`ssi_kit.claims.registry.parse_claims` checks;
* whether its quantity is a ratio (tested on the log scale, the margin is a factor and the
  published and null values must be positive);
* whether it reads SSI (the specification curve re-runs it over SSI windows, both SSI
  sources, with and without covariates, all or only the latest periods) and whether it
  compares an SSI group with another (the curve re-runs it with other leader / laggard
  cut-offs and on continuous SSI, :data:`ssi_kit.claims.specifications.GROUP_VARIANTS`);
* its estimator (:mod:`ssi_kit.claims.methods`), which
  :func:`ssi_kit.claims.evaluate.evaluate_claim` dispatches to;
* how the validation study (:mod:`ssi_kit.validation`) reads the simulated truth of a
  claim of this type from the simulator's per-claim truth record.

Adding a claim type is one record here plus its estimator function in
:mod:`ssi_kit.claims.methods` (and a line in docs/claims.md); the registry's validation,
the evaluation, the specification curve and the validation study derive from the record.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Callable, Mapping

from . import methods

__all__ = ["ClaimType", "CLAIM_TYPES", "GROUP_PARAMS", "simulated_expected"]

#: The parameters of a group comparison: conditions on the period SSI (``">70"``, ``"<=q25"``).
GROUP_PARAMS = ("high", "low")


def simulated_expected(record: Mapping) -> float | None:
    """The simulator's population value of a claim's quantity (``truth["claims"][claim_id]["expected"]``).

    Parameters
    ----------
    record : Mapping
        The simulator's truth record of one claim (empty when it planted nothing for it).

    Returns
    -------
    float or None
        None when the simulator defines no truth for the claim.
    """
    value = record.get("expected")
    return None if value is None else float(value)


@dataclass(frozen=True)
class ClaimType:
    """Everything the kit knows about one claim type.

    Attributes
    ----------
    name : str
        The ``type`` of a registry entry.
    required : tuple of str
        Parameters an entry must give.
    estimator : callable
        ``estimator(claim, ctx, source, adjust) -> (Estimate, extra)``; see :mod:`ssi_kit.claims.methods`.
    optional : Mapping
        Optional parameters and their defaults.
    is_ratio : bool
        The quantity is a ratio: log scale, multiplicative margin, positive published and null values.
    reads_ssi : bool
        The quantity is computed from SSI, so the specification curve re-runs it over SSI choices.
    compares_groups : bool
        The quantity compares the ``high`` SSI group with the ``low`` one (leaders vs laggards),
        so the specification curve re-runs it with other cut-offs when the groups are fixed SSI values.
    truth : callable
        ``truth(record) -> float | None``: the value the validation study compares the estimate
        with, from the simulator's truth record of the claim.
    power_model : str
        How the power at the published effect is computed: a key of
        :data:`ssi_kit.claims.power.POWER_MODELS` (empty: the observed standard error).
    """

    name: str
    required: tuple[str, ...]
    estimator: Callable
    optional: Mapping = field(default_factory=lambda: MappingProxyType({}))
    is_ratio: bool = False
    reads_ssi: bool = False
    compares_groups: bool = False
    truth: Callable[[Mapping], float | None] = simulated_expected
    power_model: str = ""

    def __post_init__(self):
        object.__setattr__(self, "optional", MappingProxyType(dict(self.optional)))
        if self.compares_groups and not (set(GROUP_PARAMS) <= set(self.required) and self.reads_ssi):
            raise ValueError(f"claim type {self.name}: a group comparison reads SSI and requires "
                             f"the parameters {', '.join(GROUP_PARAMS)}")

    @property
    def params(self) -> tuple[str, ...]:
        """Every parameter name, required first."""
        return self.required + tuple(self.optional)


#: Claim type name -> its record, in the order the docs list them.
CLAIM_TYPES: Mapping[str, ClaimType] = MappingProxyType({t.name: t for t in (
    ClaimType("ratio_of_means", ("outcome",) + GROUP_PARAMS, methods.group_ratio,
              is_ratio=True, reads_ssi=True, compares_groups=True, power_model="rate_ratio"),
    ClaimType("risk_ratio", ("outcome",) + GROUP_PARAMS, methods.group_ratio,
              is_ratio=True, reads_ssi=True, compares_groups=True, power_model="risk_ratio"),
    ClaimType("share_exceeding", ("outcome", "group"), methods.share_exceeding, power_model="share"),
    ClaimType("paired_median_shift", ("event",), methods.paired_median_shift,
              optional={"window_days": 90}, reads_ssi=True, power_model="sign_test"),
    ClaimType("slope", ("outcome",), methods.slope, optional={"per": 10}, reads_ssi=True,
              power_model="slope"),
    ClaimType("growth_ratio", ("column",), methods.growth_ratio, is_ratio=True, power_model="rate_ratio"),
)})
