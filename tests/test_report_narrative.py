"""The report's opening sentences: numbers from hand-made scores, escaped names, synthetic data, team runs."""
import json

from ssi_kit.report import narrative, summaries
from ssi_kit.report.roster import build_roster, points_available
from test_report_changes import SCORES
from test_report_roster import spec

CLAIMS = {"claims": [{"verdict": "consistent", "n_sellers": 40}, {"verdict": "consistent", "n_sellers": 38},
                     {"verdict": "not_supported", "n_sellers": 40}]}


def test_standing_gives_median_leaders_and_change_since_four_weeks():
    text = narrative.standing_sentence(SCORES, team="North")
    # latest SSI: a 42, b 15, c 32 -> median 32; 28 days before: 36, 16, 0 -> median 16
    assert "Team North's median SSI (the kit's computed score) is 32.0 on 2026-01-29" in text
    assert "0% of its 3 sellers are leaders" in text
    assert "Four weeks earlier (2026-01-01) the median was 16.0 (+16.0 points)." in text


def test_movers_name_sellers_with_their_pillar():
    text = narrative.movers_sentence(summaries.movers(SCORES))
    assert text == ("Rising most over four weeks: c (+32.0, mostly in Establish your professional brand), "
                    "a (+6.0, mostly in Find the right people). Falling most: b (-1.0, mostly in Build "
                    "relationships).")


def test_first_step_is_the_input_with_most_points_summed_over_sellers():
    available = points_available(SCORES, spec())
    # connections_built (weight 20): a 13, b 18, c 16 = 47; leads (20): 11 + 18 + 16 = 45
    assert narrative.first_step_sentence(available) == (
        "What to do first: build more connections (Connections built, Build relationships): 47 points "
        "still available over 3 sellers, 15.7 each on average.")


def test_claims_counted_in_words_and_org_wide_in_a_team_run():
    assert narrative.claims_sentence(CLAIMS) == (
        "The 3 published claims tested on this data: 2 consistent, 1 not supported.")
    assert narrative.claims_sentence(CLAIMS, team="North").endswith(
        "They are tested on the whole organisation (40 sellers), not on team North alone.")
    assert narrative.claims_sentence(None) == ""


def test_synthetic_sample_is_said_and_data_strings_are_escaped(tmp_path):
    (tmp_path / "truth.json").write_text(json.dumps({}))
    team = "[x](javascript:alert(1))"
    scores = SCORES.assign(team=team, member_id=SCORES["member_id"].replace({"a": "<img src=x>"}))
    sentences = narrative.summary_sentences(
        scores, movers=summaries.movers(scores), roster=build_roster(scores, spec=spec()),
        available=points_available(scores, spec()), claims=CLAIMS, team=team, dataset_dir=tmp_path)
    assert sentences[0] == "This is synthetic data made by the kit's simulator, not real sellers."
    text = " ".join(sentences)
    assert "<img" not in text and "](javascript" not in text and "&lt;img src\\=x&gt;" in text
    assert len(sentences) == 5
    assert not narrative.is_synthetic(tmp_path / "missing")


def test_readings_only_name_the_weakest_pillar():
    roster = build_roster(SCORES.drop(columns=[c for c in SCORES if "__" in c]), source="observed")
    text = narrative.first_step_sentence(None, roster)
    assert text.startswith("What to do first: Establish your professional brand is the weakest pillar of")
