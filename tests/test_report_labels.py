"""Readable labels: every column a reader sees has one, none is snake_case, codes become words;
and the claims tables for the report (numbers, text for reading, methods)."""
import json
import math

import numpy as np
import pandas as pd
import pytest

from ssi_kit.report import changes, claims_tables, labels, readings, roster, specification, summaries
from ssi_kit.report.labels import LABELS, INPUT_NAMES, PILLAR_NAMES, VALUE_LABELS, label, readable
from ssi_kit.scoring import SCORE_COLUMNS, load_spec


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    """A small simulated organisation: its report views and its claims results (as claims.json)."""
    from ssi_kit.claims.evaluate import evaluate_claims
    from ssi_kit.io import load_dataset
    from ssi_kit.jobs import simulate_to_dir
    from ssi_kit.report.views import build_views
    from ssi_kit.simulate import SimulationConfig

    out = simulate_to_dir(tmp_path_factory.mktemp("labels") / "d", SimulationConfig(members=20, seed=3))
    dataset = load_dataset(out)
    claims = json.loads(json.dumps(evaluate_claims(dataset, n_resamples=200).to_dict()))
    return build_views(dataset, every=28), claims, out


@pytest.fixture(scope="module")
def tables(sim) -> dict:
    """Every table the report or the workbook shows, with the kit's column names."""
    from ssi_kit.report import quality_section

    views, claims, folder = sim
    shown, computed = views.observed, views.computed
    tables = {
        "readings": shown, "scores": computed[list(SCORE_COLUMNS)],
        "headline": summaries.headline(shown, "observed"),
        "distribution": summaries.distribution_table(shown),
        "pillars": summaries.pillars_by(shown, by="team"), "ranks": summaries.ranks_by(shown, by="industry"),
        "history": summaries.history(shown),
        "movers": summaries.movers(shown, computed=computed, source="observed"),
        "drivers": readings.drivers(computed), "tracking": views.tracking,
        "roster": roster.build_roster(shown, computed=computed, source="observed"),
        "roster computed": roster.build_roster(computed, source="computed"),
        "claims": claims_tables.claims_numbers(claims), "power": claims_tables.power_numbers(claims),
        "specifications": claims_tables.specification_numbers(claims),
        "methods": claims_tables.method_table(claims, raw=True),
        "quality": quality_section.quality_findings(folder),
    }
    for by in ("member_id", "team", None):
        change = changes.explain_change(shown, by=by, computed=computed, source="observed")
        tables[f"change by {by}"] = change
    tables["largest pillar"] = changes.largest_pillar(tables["change by member_id"])
    return tables


def test_every_column_of_every_report_table_has_a_label(sim, tables):
    views = sim[0]
    missing = {}
    for name, table in tables.items():
        assert len(table.columns), name
        unknown = [c for c in table.columns if c not in LABELS and "__" not in c]
        if unknown:
            missing[name] = unknown
    assert not missing, f"columns without a label: {missing}"
    contributions = [c for c in views.computed.columns if "__" in c]
    assert len(contributions) == len(load_spec().inputs)
    assert {c.split("__", 1)[1] for c in contributions} <= set(INPUT_NAMES)


@pytest.mark.parametrize("source", [None, "observed", "computed"])
def test_no_label_and_no_word_for_a_code_contains_an_underscore(tables, source):
    for table in tables.values():
        shown = readable(table, source)
        assert not [c for c in shown.columns if "_" in c]
        assert shown.columns.is_unique
    assert not [n for n in LABELS if "_" in label(n, source)]
    assert not [w for words in VALUE_LABELS.values() for w in words.values() if "_" in w]


def test_labels_carry_units_and_say_which_ssi():
    assert label("industry_top_pct") == "Industry rank (Top %)"
    assert label("member_id") == "Seller"
    assert label("ssi") == "SSI (0-100)"
    assert label("ssi", "observed") == "SSI, LinkedIn's reading (0-100)"
    assert label("ssi", "computed") == "SSI, the kit's computed score (0-100)"
    assert label("brand", "observed") == "Establish your professional brand, LinkedIn's reading (0-25 points)"
    assert label("ssi_change_7d", "computed") == "7-day change in SSI, the kit's computed score (points)"
    # the kit ranks sellers among the dataset's own; LinkedIn ranks them among all its members
    assert label("industry_top_pct", "computed") == "Industry rank within this organisation (Top %)"
    assert label("median_network_top_pct", "observed") == "Median network rank from LinkedIn (Top %)"
    assert label("industry_top_pct_org", "observed") == "Industry rank within this organisation (Top %)"
    assert label("team_top_pct", "observed") == label("team_top_pct") == "Team rank (Top %)"
    assert label("share") == "Share of sellers (%)" and label("claim_id") == "Claim"
    with pytest.raises(ValueError, match="source must be"):
        label("ssi", "linkedin")


def test_unknown_columns_never_show_as_code():
    assert label("some_new_column") == "Some new column"
    assert label("people__leads_accounts_saved") == "People: Leads and accounts saved (points)"
    assert label("brand__my_own_input") == "Brand: My own input (points)"
    assert label("Already readable (units)") == "Already readable (units)"


def test_readable_puts_codes_in_words_and_leaves_data_alone():
    table = pd.DataFrame({
        "member_id": ["north_east_1", "m2", "m3"], "team": ["north_east", "=x", "B"],
        "tier": pd.Categorical(["leader", "middle", "laggard"]), "band": ["good", "average", "poor"],
        "pillar": ["brand", "people", "relationships"], "input": ["posts", "leads_accounts_saved", "my_input"],
        "verdict": ["not_supported", "consistent", "weaker"], "ssi": [71.0, 50.0, np.nan],
    })
    before = table.copy()
    out = readable(table, "computed")
    pd.testing.assert_frame_equal(table, before)  # the input is not changed
    assert list(out.columns) == ["Seller", "Team", "Tier (LinkedIn's 2014 cut-offs)", "Band (article's cut-offs)",
                                 "Pillar", "Input", "Verdict", "SSI, the kit's computed score (0-100)"]
    assert list(out["Seller"]) == ["north_east_1", "m2", "m3"]  # names are data: never rewritten
    assert list(out["Team"]) == ["north_east", "=x", "B"]
    assert list(out["Tier (LinkedIn's 2014 cut-offs)"]) == ["Leader (above 70)", "Middle (30-70)",
                                                             "Laggard (below 30)"]
    assert list(out["Band (article's cut-offs)"]) == ["Good (70 and up)", "Average (40-70)", "Poor (below 40)"]
    assert list(out["Pillar"]) == [PILLAR_NAMES["brand"], "Find the right people", "Build relationships"]
    assert list(out["Input"]) == ["Posts", "Leads and accounts saved", "My input"]
    assert list(out["Verdict"]) == ["Not supported", "Consistent", "Weaker than published"]
    assert out.iloc[:, -1].tolist()[:2] == [71.0, 50.0] and math.isnan(out.iloc[2, -1])
    assert list(readable(table, values=False)["Tier (LinkedIn's 2014 cut-offs)"].astype(str)) == [
        "leader", "middle", "laggard"]


def test_readable_keeps_columns_apart_that_share_a_label():
    out = readable(pd.DataFrame({"member_id": ["m1"], "Seller": ["Ann"]}))
    assert list(out.columns) == ["Seller", "Seller (Seller)"]


def test_claims_numbers_are_the_claims_json_numbers(sim):
    _, claims, _ = sim
    num = claims_tables.claims_numbers(claims).set_index("claim_id")
    power = claims_tables.power_numbers(claims).set_index("claim_id")
    for c in claims["claims"]:
        row = num.loc[c["claim_id"]]
        for key in ("estimate", "ci_low", "ci_high", "published", "p_adjusted"):
            expected = np.nan if c[key] is None else c[key]
            assert row[key] == pytest.approx(expected, nan_ok=True), (c["claim_id"], key)
        assert row["n"] == c["n"] and row["verdict"] == c["verdict"]
        expected = np.nan if c["power"] is None else c["power"]
        assert power.loc[c["claim_id"], "power"] == pytest.approx(expected, nan_ok=True)
    for col in ("estimate", "ci_low", "ci_high", "p_value", "p_adjusted"):
        assert pd.api.types.is_float_dtype(num[col]), col
    assert pd.api.types.is_float_dtype(power["power"]) and power["power"].dropna().between(0, 1).all()
    specs = claims_tables.specification_numbers(claims)
    assert len(specs) == len(claims["specifications"]) and pd.api.types.is_float_dtype(specs["estimate"])
    assert specs["includes_published"].dtype == bool and specs["as_defined"].sum() == len(claims["claims"])


def test_claims_tables_for_reading_round_and_label(sim):
    _, claims, _ = sim
    table = claims_tables.verdict_table(claims)
    assert list(table.columns) == ["Claim", "Published statement", "Published value", "Estimate", "95% CI",
                                   "Observations (n)", "p-value (Holm-adjusted)", "SSI tested", "Verdict",
                                   "Verdict in words"]
    first = next(c for c in claims["claims"] if c["estimate"] is not None)
    row = table.iloc[[c["claim_id"] for c in claims["claims"]].index(first["claim_id"])]
    assert row["Estimate"] == f"{first['estimate']:.3g}"
    assert row["95% CI"] == f"{first['ci_low']:.3g} to {first['ci_high']:.3g}"
    assert row["SSI tested"] in ("LinkedIn's reading", "the kit's computed score")
    assert set(table["SSI tested"]) <= {"LinkedIn's reading", "the kit's computed score", "No SSI used"}
    assert "Power for the published effect (%)" in claims_tables.power_table(claims).columns
    specs = specification.specification_table(claims)
    assert "Interval includes the published value (%)" in specs.columns and "claim_id" not in specs.columns
    assert not any("_" in c for c in specs.columns)


def test_method_table_says_how_each_claim_was_tested_and_where_it_comes_from(sim):
    from ssi_kit.claims.registry import load_claims

    _, claims, _ = sim
    table = claims_tables.method_table(claims)
    assert list(table.columns) == ["Claim", "Type of test", "Method (estimator and errors)",
                                   "How power was computed", "Operational definition", "Source (who published it)",
                                   "Traced to a primary source"]
    assert len(table) == len(claims["claims"])
    registry = {c.claim_id: c for c in load_claims()}
    for (_, row), c in zip(table.iterrows(), claims["claims"]):
        spec = registry[c["claim_id"]]
        assert row["Claim"] == labels.humanize(c["claim_id"]) and "_" not in row["Claim"]
        assert row["Method (estimator and errors)"] == c["method"]
        assert row["How power was computed"] == c["power_method"]
        testable = c["verdict"] != "untestable"
        assert row["How power was computed"].startswith(("formula", "simulation")) == testable
        assert row["Operational definition"] == " ".join(spec.definition.split())
        assert row["Source (who published it)"] == spec.source
        assert row["Traced to a primary source"] == ("yes" if spec.primary_source else "no (not traced)")
        assert row["Type of test"] == spec.type.replace("_", " ").capitalize()
    assert (table["Method (estimator and errors)"] != "").any()
