"""The statistical validation study of the claims engine (ssi_kit.validation).

The default run does a small study (40 simulated datasets per arm, 100 sellers, two
worker processes, well under a minute) with bounds loose enough for 40 datasets yet
able to fail: a broken interval or test misses them by far.  The full study is
``make validate`` (docs/validation.md); ``test_larger_study`` (marked slow) runs a
mid-sized one with tighter bounds.
"""
from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ssi_kit.claims import load_claims
from ssi_kit.exceptions import UsageError
from ssi_kit.validation import (ARMS, END_MARKER, dataset_seed, main, run_validation, simulate_and_evaluate,
                                summarize, to_markdown, validation_records, write_markdown)

SMALL = dict(n_datasets=24, members=100, seed=3, n_resamples=399)
CLAIM_IDS = [c.claim_id for c in load_claims()]
#: Claims whose estimators cluster by seller: the study re-tests them with clustering switched off.
CLUSTERED_IDS = [c.claim_id for c in load_claims()
                 if c.type in ("ratio_of_means", "risk_ratio", "slope", "growth_ratio")]


@pytest.fixture(scope="module")
def small_records():
    return validation_records(workers=2, **SMALL)


@pytest.fixture(scope="module")
def small_table(small_records):
    return summarize(small_records)


@pytest.fixture(scope="module")
def shipped(small_table):
    """The summary rows of the kit as shipped (clustered errors)."""
    return small_table[small_table["errors"] == "clustered"]


# ----------------------------------------------------------------------------- the small study

def test_small_study_covers_every_claim_and_dataset(small_records, small_table):
    # registry order, the kit as shipped first, then the clustered estimators with clustering off
    assert list(small_table["claim_id"]) == CLAIM_IDS + CLUSTERED_IDS
    assert list(small_table["errors"]) == ["clustered"] * len(CLAIM_IDS) + ["not clustered"] * len(CLUSTERED_IDS)
    assert len(small_records) == 2 * SMALL["n_datasets"] * (len(CLAIM_IDS) + len(CLUSTERED_IDS))
    counts = small_records.groupby(["errors", "claim_id", "arm"]).size()
    assert (counts == SMALL["n_datasets"]).all()
    assert (small_table["untestable"] == 0).all()
    # the truth is the simulator's: the null values in the null arm, defined everywhere
    null = small_records[small_records["arm"] == "null"]
    expected = {c.claim_id: c.null_value for c in load_claims()}
    assert np.allclose(null["truth"], null["claim_id"].map(expected), atol=1e-9)
    assert small_records["truth"].notna().all()


def test_small_study_coverage_and_type1_error(shipped):
    for row in shipped.itertuples():
        assert row.coverage_published >= 0.80, row.claim_id
        assert row.coverage_null >= 0.80, row.claim_id
        assert row.type1_error <= 0.20, row.claim_id


def test_small_study_power_and_bias(shipped):
    # every published effect is large enough to be found most of the time, even at 100 sellers;
    # the risk ratio least often: the sellers' persistent quota multiplier leaves about 400
    # seller-periods the information of far fewer (about 40% power at 100 sellers, 80% at 200)
    power = shipped.set_index("claim_id")["power"]
    assert (power.drop("leaders_quota") >= 0.5).all(), power
    assert power["leaders_quota"] >= 0.2, power
    # mean estimates near the truth: within 4 Monte-Carlo SEs plus 5% of the truth's scale
    for row in shipped.itertuples():
        assert abs(row.bias) <= 4 * row.bias_se + 0.05 * max(1.0, abs(row.mean_truth)), row.claim_id


def test_rates_have_their_monte_carlo_standard_errors(small_table):
    for rate in ("coverage_published", "coverage_null", "type1_error", "power"):
        r, n = small_table[rate], small_table["n_null" if rate in ("coverage_null", "type1_error")
                                               else "n_published"]
        assert np.allclose(small_table[f"{rate}_se"], np.sqrt(r * (1 - r) / n))


def test_results_do_not_depend_on_the_worker_count(small_records):
    """A dataset evaluated alone, in this process, gives the rows of the pooled run."""
    for arm, index in (("published", 7), ("null", SMALL["n_datasets"] - 1)):
        alone = pd.DataFrame(simulate_and_evaluate(arm, index, SMALL["seed"], SMALL["members"],
                                                   SMALL["n_resamples"]))
        pooled = small_records[(small_records["arm"] == arm) & (small_records["dataset"] == index)]
        cols = ["claim_id", "errors", "seed", "truth", "estimate", "ci_low", "ci_high", "p_value", "verdict"]
        pd.testing.assert_frame_equal(alone[cols].reset_index(drop=True),
                                      pooled[cols].reset_index(drop=True))


def test_markdown_report(small_table):
    table = small_table.copy()
    table.attrs.update(n_datasets=40, members=100, seed=3, workers=2, n_resamples=399, seconds=12.3)
    text = to_markdown(table)
    assert text.startswith("# Validation of the claims engine")
    for claim_id in CLAIM_IDS:
        assert f"`{claim_id}`" in text
    assert "93% and 97%" in text and "at most 6%" in text and "seed 3" in text
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text)  # date-free, so reproducible
    header = [line for line in text.splitlines() if line.startswith("| claim | coverage")]
    assert len(header) == 2  # the kit as shipped, then with clustering switched off
    shipped_part, off_part = text.split("With clustering switched off", 1)
    assert "not clustered |" not in shipped_part
    for claim_id in CLUSTERED_IDS:
        assert f"| `{claim_id}`, not clustered |" in off_part
    assert "s per dataset" in text


# ----------------------------------------------------------------------------- pieces

def test_dataset_seeds_are_deterministic_and_distinct():
    assert dataset_seed(0, "published", 5) == dataset_seed(0, "published", 5)
    seeds = {dataset_seed(s, arm, i) for s in (0, 1) for arm in ARMS for i in range(50)}
    assert len(seeds) == 2 * len(ARMS) * 50


def _records(rows):
    cols = ["arm", "dataset", "claim_id", "type", "truth", "estimate", "ci_low", "ci_high",
            "p_value", "verdict"]
    return pd.DataFrame(rows, columns=cols)


def test_summarize_by_hand():
    rows = []
    # published arm, truth 2: covered, covered, missed; one untestable; p: .01, .2, .001
    for i, (est, lo, hi, p) in enumerate([(2.1, 1.5, 2.5, 0.01), (1.9, 1.0, 2.2, 0.2),
                                          (3.0, 2.5, 3.5, 0.001)]):
        rows.append(("published", i, "c", "slope", 2.0, est, lo, hi, p, "consistent"))
    rows.append(("published", 3, "c", "slope", 2.0, math.nan, math.nan, math.nan, math.nan, "untestable"))
    # null arm, truth 0: covered, missed (p .03), covered
    for i, (lo, hi, p) in enumerate([(-1, 1, 0.5), (0.1, 1.0, 0.03), (-0.5, 0.5, 0.9)]):
        rows.append(("null", i, "c", "slope", 0.0, (lo + hi) / 2, lo, hi, p, "inconclusive"))
    t = summarize(_records(rows)).iloc[0]
    assert (t.n_published, t.n_null) == (3, 3)
    assert t.coverage_published == pytest.approx(2 / 3) and t.coverage_null == pytest.approx(2 / 3)
    assert t.type1_error == pytest.approx(1 / 3) and t.power == pytest.approx(2 / 3)
    assert t.coverage_published_se == pytest.approx(math.sqrt(2 / 9 / 3))
    assert t.bias == pytest.approx(np.mean([0.1, -0.1, 1.0]))
    assert t.mean_truth == 2.0 and t.untestable == pytest.approx(1 / 7)
    assert not t.coverage_met and not t.type1_met


def test_records_carry_both_variants_of_the_errors(small_records):
    """Same datasets, same estimates; without clustering the intervals are narrower."""
    keys = ["arm", "dataset", "claim_id"]
    on = small_records[small_records["errors"] == "clustered"].set_index(keys)
    off = small_records[small_records["errors"] == "not clustered"].set_index(keys)
    assert set(off.index.get_level_values("claim_id")) == set(CLUSTERED_IDS)
    joined = off.join(on.add_suffix("_on"))
    assert np.allclose(joined["estimate"], joined["estimate_on"], rtol=1e-12)
    assert (joined["seed"] == joined["seed_on"]).all() and (joined["seconds"] == joined["seconds_on"]).all()
    width = (joined["ci_high"] - joined["ci_low"]) / (joined["ci_high_on"] - joined["ci_low_on"])
    ratio = width.groupby("claim_id").median()
    # the persistent seller effect: ignoring it narrows the slope's interval by a third or more
    assert ratio["opportunities_per_10_points"] < 0.75
    assert ratio["leaders_opportunities"] < 0.9


def test_summarize_splits_the_variants_of_the_errors():
    rows = [("published", 0, "c", "slope", "clustered", 2.0, 2.0, 1.0, 3.0, 0.01, "consistent"),
            ("published", 0, "c", "slope", "not clustered", 2.0, 2.0, 2.5, 2.6, 0.001, "stronger"),
            ("null", 0, "c", "slope", "clustered", 0.0, 0.2, -1.0, 1.0, 0.5, "inconclusive"),
            ("null", 0, "c", "slope", "not clustered", 0.0, 0.2, 0.1, 0.3, 0.01, "opposite")]
    cols = ["arm", "dataset", "claim_id", "type", "errors", "truth", "estimate", "ci_low", "ci_high",
            "p_value", "verdict"]
    t = summarize(pd.DataFrame(rows, columns=cols))
    assert list(t["errors"]) == ["clustered", "not clustered"]
    assert list(t["coverage_published"]) == [1.0, 0.0] and list(t["type1_error"]) == [0.0, 1.0]
    text = to_markdown(t)
    assert "| `c`, not clustered | 0.0 (0.0) | 0.0 (0.0) | 100.0 (0.0) | published: missed; null: missed | missed |" in text
    assert "Without clustering 1 of 1 estimators miss a target: `c`." in text


def test_summarize_leaves_undefined_truth_out_of_coverage():
    rows = [("published", 0, "c", "risk_ratio", math.nan, 1.4, 1.1, 1.8, 0.01, "consistent"),
            ("published", 1, "c", "risk_ratio", 1.5, 1.4, 1.1, 1.8, 0.01, "consistent"),
            ("null", 0, "c", "risk_ratio", 1.0, 1.0, 0.8, 1.2, 0.9, "not_supported")]
    t = summarize(_records(rows)).iloc[0]
    assert t.coverage_published == 1.0 and t.n_published == 2 and t.power == 1.0
    assert t.coverage_null == 1.0 and t.type1_error == 0.0


def test_main_writes_the_markdown(tmp_path, capsys):
    out = tmp_path / "docs" / "validation.md"
    assert main(["--datasets", "1", "--members", "60", "--workers", "1", "--resamples", "99", "--staggered", "2",
                 "--out", str(out), "--records", str(tmp_path / "records.csv")]) == 0
    text = out.read_text(encoding="utf-8")
    assert capsys.readouterr().out.strip() == text.strip()
    assert "1 datasets were simulated with the published effects" in text
    assert "## Training: staggered difference-in-differences" in text and "Staggered training: 2 simulated" in text
    assert text.index("Two-way fixed effects") < text.index(END_MARKER)
    records = pd.read_csv(tmp_path / "records.csv", keep_default_na=False)
    assert len(records) == 2 * (len(CLAIM_IDS) + len(CLUSTERED_IDS))
    assert set(records["errors"]) == {"clustered", "not clustered"}


def test_bad_arguments():
    with pytest.raises(ValueError):
        validation_records(n_datasets=0)
    with pytest.raises(ValueError):
        validation_records(n_datasets=1, workers=0)


# ----------------------------------------------------------------------------- larger study

@pytest.mark.slow
def test_larger_study():
    """200 datasets per arm at the default 200 sellers (a few minutes on 2 cores)."""
    table = run_validation(n_datasets=200, seed=11, workers=2)
    assert (table["untestable"] == 0).all()
    off = table[table["errors"] == "not clustered"].set_index("claim_id")
    # ignoring the sellers is caught: the slope's and the leaders' intervals under-cover
    assert off.loc["opportunities_per_10_points", "coverage_published"] < 0.90
    assert not off.loc["leaders_opportunities", "coverage_met"]
    for row in table[table["errors"] == "clustered"].itertuples():
        for arm in ARMS:
            cov = getattr(row, f"coverage_{arm}")
            assert 0.90 <= cov <= 0.99, (row.claim_id, arm, cov)
        assert row.type1_error <= 0.09, row.claim_id
        assert row.power >= 0.8, row.claim_id


# ----------------------------------------------------------------------------- the document

def test_write_markdown_keeps_the_commentary(small_table, tmp_path):
    table = small_table.copy()
    table.attrs.update(n_datasets=40, members=100, seed=3, workers=2, n_resamples=399, seconds=12.3)
    text = to_markdown(table)
    assert text.rstrip().endswith(END_MARKER)
    path = tmp_path / "validation.md"
    assert write_markdown(path, text) == text == path.read_text(encoding="utf-8")
    path.write_text(text.replace("seed 3", "seed 4") + "\n## Notes\n\nWritten by hand.\n", encoding="utf-8")
    kept = write_markdown(path, text)
    assert kept == text + "\n## Notes\n\nWritten by hand.\n" == path.read_text(encoding="utf-8")


def test_the_shipped_document_has_its_commentary_after_the_marker():
    doc = (Path(__file__).resolve().parents[1] / "docs" / "validation.md").read_text(encoding="utf-8")
    generated, commentary = doc.split(END_MARKER)
    assert "`python -m ssi_kit.validation --datasets 2000 --out docs/validation.md`" in generated
    assert "## What the study changed in the claims engine" in commentary
    assert "## Known limitations" in commentary


def test_cli_refuses_bad_numbers(capsys):
    for argv in (["--datasets", "0"], ["--workers", "0"], ["--members", "x"], ["--resamples", "-1"]):
        with pytest.raises(SystemExit) as err:
            main(argv)
        assert err.value.code == 2
        assert "expected a whole number" in capsys.readouterr().err
    with pytest.raises(UsageError):
        validation_records(n_datasets=0)
