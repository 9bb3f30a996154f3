"""The claim type records: one registry from which validation, dispatch and the specification curve derive."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from ssi_kit.claims import load_claims, parse_claims
from ssi_kit.claims import methods
from ssi_kit.claims.registry import CLAIM_TYPES as REGISTRY_TYPES
from ssi_kit.claims.specifications import GROUP_VARIANTS
from ssi_kit.claims.types import CLAIM_TYPES, GROUP_PARAMS, ClaimType, simulated_expected
from ssi_kit.exceptions import InputError
from ssi_kit.scoring.tiers import BAND_CUTS, TIER_CUTS

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _entry(kind, params):
    return {"claims": [{"claim_id": "c", "type": kind, "statement": "s", "published": 2.0,
                        "null_value": 1.0, "params": params}]}


def test_one_registry():
    assert REGISTRY_TYPES is CLAIM_TYPES
    for name, kind in CLAIM_TYPES.items():
        assert isinstance(kind, ClaimType) and kind.name == name
        assert callable(kind.estimator) and callable(kind.truth)
        assert kind.estimator.__module__ == methods.__name__
        assert kind.params == kind.required + tuple(kind.optional)


def test_registry_validation_reads_the_record():
    for name, kind in CLAIM_TYPES.items():
        with pytest.raises(InputError) as err:
            parse_claims(_entry(name, {}))
        assert f"params needs {', '.join(kind.required)} for type {name}" in str(err.value)
    values = {"outcome": "opportunities", "high": ">70", "low": "<30", "group": "social", "event": "training",
              "column": "messages_sent"}
    for name, kind in CLAIM_TYPES.items():
        claim = parse_claims(_entry(name, {k: values[k] for k in kind.required}))[0]
        assert claim.claim_type is kind and claim.is_ratio == kind.is_ratio
        assert {k: claim.params[k] for k in kind.optional} == dict(kind.optional)


def test_ratio_types_need_positive_values():
    for name, kind in CLAIM_TYPES.items():
        entry = _entry(name, {k: "x" if k not in GROUP_PARAMS else ">1" for k in kind.required})
        entry["claims"][0].update(published=-1.0, null_value=-2.0)
        if kind.is_ratio:
            with pytest.raises(InputError, match="ratio's published must be > 0"):
                parse_claims(entry)
        else:
            parse_claims(entry)


def test_a_group_comparison_needs_its_groups():
    with pytest.raises(ValueError, match="group comparison"):
        ClaimType("bad", ("outcome",), methods.slope, reads_ssi=True, compares_groups=True)
    with pytest.raises(ValueError, match="group comparison"):
        ClaimType("bad", ("outcome",) + GROUP_PARAMS, methods.group_ratio, compares_groups=True)


def test_records_are_read_only():
    kind = CLAIM_TYPES["slope"]
    with pytest.raises(Exception):
        kind.is_ratio = True
    with pytest.raises(TypeError):
        kind.optional["per"] = 5
    with pytest.raises(TypeError):
        CLAIM_TYPES["new"] = kind


def test_simulated_truth():
    assert simulated_expected({"expected": 1.5, "noise_free": 2.0}) == 1.5
    assert simulated_expected({}) is None and simulated_expected({"expected": None}) is None


def test_specification_cutoffs_use_the_band_cuts():
    low, high = BAND_CUTS
    assert (f"article bands: {high:g}+ vs below {low:g}", f">={high:g}", f"<{low:g}") in GROUP_VARIANTS


def test_shipped_leaders_claims_use_the_tier_cuts():
    low, high = TIER_CUTS
    fixed = [c for c in load_claims() if c.claim_type.compares_groups
             and re.fullmatch(r"-?[\d.]+", c.params["high"].value)]
    assert fixed, "the shipped registry has leaders vs laggards claims"
    for claim in fixed:
        assert (str(claim.params["high"]), str(claim.params["low"])) == (f">{high:g}", f"<{low:g}"), claim.claim_id


def test_docs_list_every_type_as_recorded():
    text = (DOCS / "claims.md").read_text(encoding="utf-8")
    yes = {True: "yes", False: "no"}
    for name, kind in CLAIM_TYPES.items():
        row = next((line for line in text.splitlines() if line.startswith(f"| `{name}` | `")), None)
        assert row is not None, name
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert re.findall(r"`(\w+)`", cells[1]) == list(kind.params), name
        assert cells[2:] == [yes[kind.is_ratio], yes[kind.reads_ssi], yes[kind.compares_groups]], name


def test_claims_do_not_import_the_validation_study():
    code = ("import sys, ssi_kit.claims, ssi_kit.claims.types, ssi_kit.claims.specifications, ssi_kit.claims.consistency; "
            "print(any(m.startswith('ssi_kit.validation') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
