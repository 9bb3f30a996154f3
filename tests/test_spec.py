"""The scoring spec: the shipped default and refusals of malformed user specs."""
from __future__ import annotations

import copy
import textwrap

import pytest
import yaml

from ssi_kit.exceptions import SpecError
from ssi_kit.io.safe_yaml import dump_yaml
from ssi_kit.io.schemas import ACTIVITY_COUNTS, PILLARS
from ssi_kit.scoring import load_spec, parse_spec
from ssi_kit.scoring.spec import SOURCES, TRANSFORMS


def test_default_spec_is_valid_and_weights_sum_to_25():
    spec = load_spec()
    assert spec.source == "default spec" and spec.window_days == 90
    for pillar in PILLARS:
        items = spec.pillar_inputs(pillar)
        assert items, pillar
        assert sum(i.weight for i in items) == pytest.approx(25.0, abs=1e-9)
    assert {i.pillar for i in spec.inputs} == set(PILLARS)
    assert spec.tables_used() == {"activity", "profiles", "connections"}


def test_default_spec_inputs_are_well_formed():
    spec = load_spec()
    names = [i.column_name for i in spec.inputs]
    assert len(names) == len(set(names))
    for i in spec.inputs:
        assert i.source in SOURCES and i.transform in TRANSFORMS
        assert i.target > 0 and i.weight > 0
        assert i.why, i.column_name
        if i.source == "activity":
            assert set(i.columns) <= set(ACTIVITY_COUNTS)
    by = {i.column_name: i for i in spec.inputs}
    assert by["relationships__connections_built"].window is None  # window: all
    assert by["people__searches"].window == 90                    # default window_days
    assert by["brand__engagement_earned"].columns == ("post_reactions", "post_comments")


def _good():
    one = {"name": "x", "source": "activity", "columns": ["posts"], "transform": "linear",
           "target": 1, "weight": 25}
    return {"window_days": 30, "pillars": {p: [dict(one)] for p in PILLARS}}


def _problems(data):
    with pytest.raises(SpecError) as info:
        parse_spec(data, source="my.yaml")
    err = info.value
    assert err.source == "my.yaml" and "my.yaml" in str(err)
    return err.problems


def test_good_user_spec_parses():
    spec = parse_spec(_good())
    assert spec.window_days == 30 and len(spec.inputs) == 4
    assert spec.inputs[0].window == 30 and spec.inputs[0].column_name == "brand__x"
    assert spec.inputs[0].columns == ("posts",)


def test_weights_not_summing_to_25():
    data = _good()
    data["pillars"]["people"][0]["weight"] = 20
    [p] = _problems(data)
    assert "pillars.people" in p and "sum to 25" in p and "20" in p


def test_weights_split_over_inputs():
    data = _good()
    data["pillars"]["brand"] = [
        {"name": "a", "source": "activity", "columns": "posts", "transform": "log", "target": 3,
         "weight": 10.5},
        {"name": "b", "source": "peers", "transform": "exp", "target": 3, "weight": 14.5}]
    spec = parse_spec(data)
    assert [i.weight for i in spec.pillar_inputs("brand")] == [10.5, 14.5]
    assert spec.pillar_inputs("brand")[0].columns == ("posts",)  # a single column as text


@pytest.mark.parametrize("key,value,words", [
    ("source", "twitter", "'source' must be one of"),
    ("columns", ["posts", "tweets"], "unknown activity column(s) tweets"),
    ("target", 0, "'target' must be a number > 0"),
    ("target", -3, "'target' must be a number > 0"),
    ("target", "big", "'target' must be a number > 0"),
    ("weight", -1, "'weight' must be a number >= 0"),
    ("window", 0, "'window' must be a whole number"),
    ("window", "week", "'window' must be a whole number"),
    ("window", 7.5, "'window' must be a whole number"),
    ("transform", "sqrt", "'transform' must be one of"),
    ("name", "has space", "'name' must be an identifier"),
    ("colour", "red", "unknown key(s) colour"),
])
def test_bad_input_field(key, value, words):
    data = _good()
    data["pillars"]["insights"][0][key] = value
    problems = _problems(data)
    assert any(words in p and "pillars.insights" in p for p in problems), problems


def test_columns_on_a_source_that_takes_none():
    data = _good()
    data["pillars"]["brand"][0].update(source="peers")
    assert any("takes no 'columns'" in p for p in _problems(data))


def test_profile_columns_are_checked():
    data = _good()
    data["pillars"]["brand"][0].update(source="profile", columns=["has_photo", "posts"])
    assert any("unknown profile column(s) posts" in p for p in _problems(data))


def test_missing_pillar():
    data = _good()
    del data["pillars"]["relationships"]
    [p] = _problems(data)
    assert "pillars.relationships" in p and "non-empty list" in p


def test_unknown_pillar_and_bad_window_days():
    data = _good()
    data["pillars"]["charm"] = data["pillars"]["brand"]
    data["window_days"] = 0
    problems = _problems(data)
    assert any("pillars.charm: unknown pillar" in p for p in problems)
    assert any(p.startswith("window_days:") for p in problems)


def test_every_problem_is_reported_at_once():
    data = _good()
    data["pillars"]["brand"][0]["source"] = "twitter"
    data["pillars"]["people"][0]["weight"] = 3
    data["pillars"]["insights"][0]["columns"] = ["nope"]
    data["pillars"]["relationships"][0]["target"] = 0
    data["pillars"]["relationships"][0]["window"] = -2
    data["pillars"]["relationships"].append({"name": "x", "source": "peers", "transform": "log",
                                             "target": 1, "weight": 0, "extra": 1})
    problems = _problems(data)
    text = " ".join(problems)
    for words in ("pillars.brand.x: 'source'", "pillars.people: weights must sum to 25",
                  "pillars.insights.x: unknown activity column(s) nope",
                  "pillars.relationships.x: 'target'", "pillars.relationships.x: 'window'",
                  "unknown key(s) extra"):
        assert words in text, words
    assert len(problems) >= 6


def test_duplicate_input_names():
    data = _good()
    data["pillars"]["brand"] = [dict(data["pillars"]["brand"][0], weight=12.5) for _ in range(2)]
    assert any("repeated: x" in p for p in _problems(data))


@pytest.mark.parametrize("data", [None, [], "text", {"window_days": 3}, {"pillars": []}])
def test_not_a_spec_mapping(data):
    [p] = _problems(data)
    assert "'pillars' mapping" in p


def test_unknown_top_level_key():
    data = _good()
    data["window_dayz"] = data.pop("window_days")
    assert any("window_dayz" in p for p in _problems(data))


def test_load_spec_from_path_round_trip(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(dump_yaml(_good()))
    spec = load_spec(path)
    assert spec.source == str(path) and spec.window_days == 30


def test_load_spec_invalid_yaml(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("pillars: {brand: [\n  - oops: : :\n")
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert str(path) in str(info.value) and "YAML" in str(info.value)


def test_load_spec_missing_file_and_invalid_content(tmp_path):
    with pytest.raises(SpecError, match="cannot be read"):
        load_spec(tmp_path / "nope.yaml")
    bad = copy.deepcopy(_good())
    bad["pillars"]["brand"][0]["weight"] = 1
    path = tmp_path / "w.yaml"
    path.write_text(dump_yaml(bad))
    with pytest.raises(SpecError, match="weights must sum to 25"):
        load_spec(path)


def test_columns_used_lists_what_the_spec_reads():
    spec = parse_spec(yaml.safe_load(textwrap.dedent("""
        window_days: 28
        pillars:
          brand:
            - {name: posts, source: activity, columns: [posts], window: 28, transform: linear, target: 4, weight: 15}
            - {name: photo, source: profile, columns: [has_photo], transform: linear, target: 1, weight: 10}
          people:
            - {name: searches, source: activity, columns: [searches, leads_saved], window: 28, transform: linear, target: 4, weight: 25}
          insights:
            - {name: peers, source: peers, transform: linear, target: 10, weight: 25}
          relationships:
            - {name: peers2, source: peers, transform: linear, target: 10, weight: 25}
        """)))
    assert spec.columns_used() == {"activity": ("leads_saved", "posts", "searches"),
                                   "profiles": ("has_photo",)}
    assert set(load_spec().columns_used()["activity"]) == set(ACTIVITY_COUNTS)  # active_days reads all


def test_sources_registry_is_consistent():
    from ssi_kit.io.schemas import MODELS
    from ssi_kit.scoring import features
    from ssi_kit.scoring.sources import PER_ROW, SOURCES, windowed_sources

    assert set(SOURCES) == {"activity", "active_days", "profile", "peers"}
    for name, source in SOURCES.items():
        assert source.name == name and source.per_row in PER_ROW and source.description
        assert set(source.columns_allowed) <= set(MODELS[source.table].to_schema().columns), name
        assert callable(getattr(features, source.reader, None)), f"{name}: no reader {source.reader}"
    assert windowed_sources() == ("activity", "active_days")


def test_what_a_spec_loads_follows_the_sources_registry():
    from ssi_kit.io.schemas import PROFILE_FIELDS
    from ssi_kit.scoring.sources import SOURCES, columns_read

    spec = load_spec()
    assert spec.tables_used() == {SOURCES[i.source].table for i in spec.inputs}
    days = next(i for i in spec.inputs if i.source == "active_days")
    assert columns_read(days) == ACTIVITY_COUNTS
    assert set(spec.columns_used()["profiles"]) <= set(PROFILE_FIELDS)
    problems = _problems({**_good(), "pillars": {p: [{"name": "x", "source": "peers", "columns": ["posts"],
                                                      "transform": "linear", "target": 1, "weight": 25}]
                                                 for p in PILLARS}})
    assert any("takes no 'columns'" in p for p in problems)
