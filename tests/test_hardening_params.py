"""Hardening of parameters and YAML (issue #10, part B).

Report parameters are typed by the notebooks' declared types and checked against
their domains before any work starts; every YAML the kit reads (``-p`` values,
``-f`` files, ``runs.yaml``, ``--spec``, ``--claims``, ``--map``) is plain data
without aliases, tags or unbounded numbers.  Each refusal is exit 2 with one
paragraph naming the parameter or file, and touches nothing (``tree_digest``).
"""
from __future__ import annotations

import ast
import json
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import VALID_CSV, write_tables
from hardening import assert_refused, run_cli, tree_digest
from ssi_kit.claims.registry import parse_claims
from ssi_kit.exceptions import InputError
from ssi_kit.io.safe_yaml import dump_yaml, parse_yaml
from ssi_kit.report.execute import NOTEBOOKS, notebook_dir
from ssi_kit.report.parameters import DOMAINS, check_parameters, coerce_value
from ssi_kit.scoring.engines import ENGINES
from ssi_kit.scoring.spec import parse_spec

SOURCES = [notebook_dir() / nb for nb in NOTEBOOKS]
#: ``!!binary`` of ``print(1)"; import os; os.system("touch PWNED") #``: bytes papermill wrote as code.
PAYLOAD = "!!binary cHJpbnQoMSkiOyBpbXBvcnQgb3M7IG9zLnN5c3RlbSgidG91Y2ggUFdORUQiKSAj"
#: 341 bytes that expand to 9**10 items when aliases are followed.
BOMB = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefghi", "bcdefghij"))


@pytest.fixture
def ws(tmp_path):
    """A workspace: a tiny valid dataset (teams A and B) and a place for OUT."""
    write_tables(tmp_path / "ds", VALID_CSV)
    return tmp_path


def _refused(ws, argv, *fragments, out="out"):
    """Run the CLI; assert exit 2 naming ``fragments``, OUT absent, the workspace untouched."""
    before = tree_digest(ws)
    result = run_cli(*argv)
    assert_refused(result, 2, *fragments)
    assert not (ws / out).exists()
    assert tree_digest(ws) == before
    return result


def _report(ws, *extra):
    return ["-q", "report", ws / "ds", "--out", ws / "out", *extra]


# -- 1. types: values are typed by the notebooks' declarations -------------------------------------

def test_values_are_typed_by_the_notebooks_declarations():
    typed = check_parameters({"start": "2026-05-01", "every": "7", "warmup": "no", "title": 2026,
                              "movers": 3.0, "seed": 0, "team": None}, SOURCES)
    assert typed == {"start": "2026-05-01", "every": 7, "warmup": False, "title": "2026",
                     "movers": 3, "seed": 0, "team": ""}
    assert json.loads(json.dumps(typed)) == typed  # JSON-safe: papermill writes literals


@pytest.mark.parametrize("name, value, fragment", [
    ("every", "abc", "expected a whole number"),
    ("every", 3.5, "expected a whole number"),
    ("every", float("nan"), "expected a whole number"),
    ("every", True, "expected a whole number"),
    ("every", 0, "from 1 to"),
    ("every", [1], "a list"),
    ("warmup", "maybe", "true or false"),
    ("title", {"a": 1}, "a mapping"),
    ("title", "line\nbreak", "control characters"),
    ("title", "x" * 5000, "text of 5000 characters"),
    ("start", "2026-02-30", "date YYYY-MM-DD that exists"),
    ("start", 20260501, "date YYYY-MM-DD"),
    ("engine", "spark", "one of: pandas, dask"),
    ("ssi_source", "guess", "one of: auto, observed, computed"),
    ("resamples", 10 ** 12, "from 1 to 100000"),
    ("seed", -1, "from 0"),
])
def test_wrong_type_or_domain_is_refused_naming_parameter_and_expectation(name, value, fragment):
    with pytest.raises(InputError) as info:
        check_parameters({name: value}, SOURCES)
    assert f"Parameter {name}:" in str(info.value) and fragment in str(info.value)


def test_engines_come_from_the_scoring_package():
    assert "engine" not in DOMAINS  # one list, kept by the scoring package
    for engine in ENGINES:
        assert check_parameters({"engine": engine}, SOURCES)["engine"] == engine


def test_values_no_notebook_type_admits_are_refused():
    assert coerce_value("x", ["a", 1], "list[str]") == ["a", "1"]
    assert coerce_value("x", None, "int | None") is None
    for value in (b"bytes", {1, 2}, object()):
        with pytest.raises(InputError, match="Parameter x"):
            coerce_value("x", value, "str")
    with pytest.raises(InputError):
        coerce_value("x", {"a": 1}, "dict")  # a type ssi-kit does not pass


def test_injected_cell_holds_only_literals():
    """Papermill's injected cell, for hostile text values, parses to constants only."""
    from papermill.parameterize import parameterize_notebook
    from papermill.iorw import load_notebook_node

    hostile = ['"); import os; os.system("touch PWNED") #', "\\", "'''", 'a"b\\"c', "é\u2713x", "{x}"]
    for title in hostile:
        params = check_parameters({"title": title, "every": "3", "warmup": "yes"}, SOURCES)
        nb = parameterize_notebook(load_notebook_node(str(SOURCES[2])), {**params, "team": ""})
        cell = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
        tree = ast.parse(cell.source)
        assert all(isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                   for node in tree.body), cell.source
        values = {node.targets[0].id: node.value.value for node in tree.body}
        assert values["title"] == title


# -- 1 and 2 on the command line: refused before any work, nothing touched --------------------------

@pytest.mark.parametrize("pair, fragments", [
    (f"title={PAYLOAD}", ("-p title", "!!binary", "not accepted")),
    ("title=!!set {a: null}", ("-p title", "!!set")),
    ("title=!!python/object/apply:os.system [touch PWNED]", ("-p title", "not accepted")),
    ("title=[unclosed", ("-p title", "not valid YAML")),
    ("start=2026-05-32", ("Parameter start", "YYYY-MM-DD")),
    ("every=abc", ("Parameter every", "whole number")),
    ("every=0", ("Parameter every", "from 1")),
    ("engine=spark", ("Parameter engine", "pandas, dask")),
    ("team=NOPE", ("Parameter team", "A, B")),
    ("every=1" + "0" * 30, ("-p every", "too large")),
    ("evrey=7", ("Unknown parameter", "every")),
    ("dataset_dir=/", ("set by ssi-kit itself",)),
    ("spec=missing.yaml", ("missing.yaml",)),
    ("scheduler=tcp://x:1", ("engine=dask",)),
])
def test_bad_parameter_on_the_command_line_is_refused(ws, pair, fragments):
    _refused(ws, _report(ws, "-p", pair), *fragments)


def test_start_as_an_iso_date_stays_text():
    assert parse_yaml("2026-05-01", what="-p start") == "2026-05-01"
    assert check_parameters({"start": "2026-05-01"}, SOURCES) == {"start": "2026-05-01"}


@pytest.mark.parametrize("content, fragments", [
    (f"title: {PAYLOAD}\n".encode(), ("parameters file", "!!binary", "not accepted")),
    (b"title: !!set {a, b}\n", ("parameters file", "!!set")),
    (b"1: x\n", ("names that are not text",)),
    (b"null: x\n", ("names that are not text",)),
    (b"? [a, b]\n: 1\n", ("parameters file", "not valid YAML")),
    (b"title: caf\xe9\n", ("parameters file", "not UTF-8")),
    (b"\x00\x01\x02\xff\xfe binary", ("parameters file",)),
    (b"- every\n- 7\n", ("mapping of NAME: VALUE",)),
    (b"every: 1.0e+300\n", ("Parameter every", "whole number")),
    (b"every: .nan\n", ("Parameter every",)),
])
def test_bad_parameters_file_is_refused(ws, content, fragments):
    (ws / "p.yaml").write_bytes(content)
    _refused(ws, _report(ws, "-f", ws / "p.yaml"), *fragments)


def test_unknown_kernel_is_refused_listing_the_installed_ones(ws):
    result = _refused(ws, _report(ws, "--kernel", "no-such-kernel"), "no-such-kernel", "installed kernels")
    assert "python3" in result.err or "ssi-kit" in result.err


# -- 4. alias bombs: refused at once --------------------------------------------------------------------

@pytest.mark.parametrize("argv", [
    lambda ws: ["score", ws / "ds", "--out", ws / "out", "--spec", ws / "bomb.yaml"],
    lambda ws: ["claims", ws / "ds", "--out", ws / "out", "--claims", ws / "bomb.yaml"],
    lambda ws: _report(ws, "-f", ws / "bomb.yaml"),
    lambda ws: ["batch", ws / "bomb.yaml"],
    lambda ws: ["import", "tracker", ws / "ds" / "members.csv", "--out", ws / "out", "--map", ws / "bomb.yaml"],
    lambda ws: ["import", "crm", ws / "ds" / "members.csv", "--out", ws / "out", "--map", ws / "bomb.yaml"],
], ids=["spec", "claims", "params-file", "batch", "tracker-map", "crm-map"])
def test_alias_bomb_is_refused_quickly(ws, argv):
    (ws / "bomb.yaml").write_text(BOMB)
    start = time.perf_counter()
    _refused(ws, ["-q", *argv(ws)], "bomb.yaml", "aliases", "not accepted")
    assert time.perf_counter() - start < 10


def test_loader_bounds_numbers_and_nodes():
    for text, fragment in [("a: " + "9" * 5000, "too large"), ("a: 0b" + "1" * 100, "too large"),
                           ("[" * 5000 + "]" * 5000, "YAML"), ("[" + "1," * 200_000 + "]", "more than")]:
        with pytest.raises(InputError, match=fragment):
            parse_yaml(text, what="t")


# -- 2. spec and registry: every field's type and range ----------------------------------------------

_ONE = {"name": "x", "source": "activity", "columns": ["posts"], "transform": "linear", "target": 1,
        "weight": 25}


def _spec(**change):
    item = {**_ONE, **{k: v for k, v in change.items() if k != "window_days"}}
    return {"window_days": change.get("window_days", 30),
            "pillars": {p: [dict(item)] for p in ("brand", "people", "insights", "relationships")}}


@pytest.mark.parametrize("change, fragment", [
    ({"source": ["activity"]}, "'source' must be one of"),
    ({"source": {"a": 1}}, "'source' must be one of"),
    ({"source": None}, "'source' must be one of"),
    ({"transform": ["log"]}, "'transform' must be one of"),
    ({"transform": 1}, "'transform' must be one of"),
    ({"name": ["x"]}, "'name' must be an identifier"),
    ({"columns": [["posts"]]}, "unknown activity column(s) a list"),
    ({"why": ["a"]}, "'why' must be text"),
    ({"window": 1e300}, "'window' must be a whole number"),
    ({"window": True}, "'window' must be a whole number"),
    ({"window": 10 ** 15}, "'window' must be a whole number"),
    ({"window_days": 1e300}, "window_days"),
    ({"window_days": -3}, "window_days"),
    ({"window_days": "1e300"}, "window_days"),
    ({"target": float("inf")}, "'target' must be a number > 0"),
    ({"target": float("nan")}, "'target' must be a number > 0"),
    ({"weight": True}, "'weight' must be a number >= 0"),
    ({"weight": -25}, "'weight' must be a number >= 0"),
])
def test_spec_field_of_the_wrong_type_or_range_is_a_spec_error(change, fragment):
    with pytest.raises(InputError) as info:
        parse_spec(_spec(**change), source="s.yaml")
    assert "s.yaml" in str(info.value) and fragment in str(info.value)


def test_spec_with_a_list_for_source_is_exit_2_on_the_command_line(ws):
    (ws / "s.yaml").write_text(dump_yaml(_spec(source=["activity"], window_days=1.0e+300)))
    _refused(ws, ["-q", "score", ws / "ds", "--out", ws / "out", "--spec", ws / "s.yaml"],
             "s.yaml", "'source' must be one of", "window_days")


def _claim(**change):
    entry = {"claim_id": "c1", "type": "ratio_of_means", "statement": "s", "published": 1.45,
             "null_value": 1.0, "params": {"outcome": "opportunities", "high": ">70", "low": "<30"}}
    return {"claims": [{**entry, **change}]}


@pytest.mark.parametrize("change, fragment", [
    ({"type": ["ratio_of_means"]}, "type must be one of"),
    ({"type": {"a": 1}}, "type must be one of"),
    ({"type": None}, "type must be one of"),
    ({"source": ["x"]}, "source must be text"),
    ({"statement": 5}, "statement must be text"),
    ({"claim_id": ["c"]}, "claim_id must be"),
    ({"published": 1e300}, "published must be a finite number"),
    ({"published": float("nan")}, "published must be a finite number"),
    ({"margin": -1}, "margin must be a finite number > 0"),
    ({"year": True}, "year must be a whole number"),
    ({"params": {"outcome": ["opportunities"], "high": ">70", "low": "<30"}}, "params.outcome must be"),
    ({"params": {"outcome": None, "high": ">70", "low": "<30"}}, "params.outcome must be"),
    ({"params": {"outcome": "o", "high": ">70", "low": "<30", 5: 1}}, "unknown param(s) 5"),
    ({"params": ["outcome"]}, "params must be a mapping"),
])
def test_registry_field_of_the_wrong_type_or_range_is_refused(change, fragment):
    with pytest.raises(InputError) as info:
        parse_claims(_claim(**change), source="c.yaml")
    assert "c.yaml" in str(info.value) and fragment in str(info.value)


@pytest.mark.parametrize("params, fragment", [
    ({"event": "training", "window_days": float("nan")}, "window_days must be a whole number"),
    ({"event": "training", "window_days": 1e300}, "window_days must be a whole number"),
    ({"event": "training", "window_days": -1}, "window_days must be a whole number"),
    ({"event": {"x": 1}}, "params.event must be"),
])
def test_registry_numeric_params_are_bounded(params, fragment):
    data = _claim(type="paired_median_shift", published=8.0, null_value=0.0, params=params)
    with pytest.raises(InputError, match=fragment):
        parse_claims(data, source="c.yaml")


def test_registry_with_a_list_for_outcome_is_exit_2_on_the_command_line(ws):
    bad = _claim(params={"outcome": ["x"], "high": ">70", "low": "<30"})
    (ws / "c.yaml").write_text(dump_yaml(bad))
    _refused(ws, ["-q", "claims", ws / "ds", "--out", ws / "out", "--claims", ws / "c.yaml"],
             "c.yaml", "params.outcome")


# -- 2 and 3. batch files: settings, runs, parameters and outputs checked before any run ---------------

def _batch(ws, runs=({"name": "a"},), **top):
    data = {"dataset": "ds", "out": "out/{name}", "timeout": 60, "retries": 0, "runs": list(runs), **top}
    (ws / "runs.yaml").write_text(dump_yaml(data))
    return ["-q", "batch", ws / "runs.yaml"]


@pytest.mark.parametrize("top, runs, fragments", [
    ({"parallel": "two"}, None, ("runs.yaml", "'parallel' must be a whole number")),
    ({"timeout": [1]}, None, ("'timeout' must be a number of seconds", "a list")),
    ({"timeout": float("inf")}, None, ("'timeout'",)),
    ({"retries": -1}, None, ("'retries' must be a whole number from 0",)),
    ({"parallel": True}, None, ("'parallel'",)),
    ({"out": ["o"]}, None, ("'out' must be a path",)),
    ({"out": "out/{name.__class__}"}, None, ("only {date}, {name}, {hash}",)),
    ({}, ["a"], ("runs[0] must be a mapping",)),
    ({}, [{"name": "a", "parameters": ["every", 7]}], ("runs[0].parameters", "mapping")),
    ({"parameters": "every=7"}, None, ("'parameters' must be a mapping",)),
    ({}, [{"name": "a", "parametres": {}}], ("unknown key(s) parametres",)),
    ({}, [{"name": "a/../../x"}], ("runs[0] needs a unique 'name'",)),
    ({}, [{"name": "a", "parameters": {"every": 0}}], ("run a", "Parameter every")),
    ({}, [{"name": "a", "parameters": {"team": "NOPE"}}], ("run a", "Parameter team", "A, B")),
    ({"out": "out"}, [{"name": "a"}, {"name": "b"}], ("runs a and b", "same or nested")),
    ({"out": "out/{date}"}, [{"name": "a"}, {"name": "b"}], ("runs a and b", "same or nested")),
    ({"out": "ds"}, None, ("run a", "the dataset")),
    ({"out": "ds/{name}"}, None, ("run a", "the dataset")),
    ({"out": "."}, None, ("run a", "the dataset")),
])
def test_bad_batch_is_refused_before_any_run(ws, top, runs, fragments):
    _refused(ws, _batch(ws, runs or [{"name": "a"}], **top), *fragments)


def test_nested_batch_outputs_are_refused(tmp_path):
    from ssi_kit.report.batch import BatchRun, _check_outs

    runs = [BatchRun("a", {}, tmp_path / "out"), BatchRun("b", {}, tmp_path / "out" / "b")]
    with pytest.raises(InputError, match="runs a and b write to the same or nested folders"):
        _check_outs(tmp_path / "runs.yaml", runs, tmp_path / "ds")
    _check_outs(tmp_path / "runs.yaml", [runs[0], BatchRun("b", {}, tmp_path / "out-b")], tmp_path / "ds")


def test_binary_value_in_a_batch_file_is_refused(ws):
    (ws / "runs.yaml").write_text(f"dataset: ds\nout: out/{{name}}\nruns:\n- name: a\n"
                                  f"  parameters: {{title: {PAYLOAD}}}\n")
    _refused(ws, ["-q", "batch", ws / "runs.yaml"], "runs.yaml", "!!binary", "not accepted")


# -- 5. fuzz: bad input is exit 0 or 2, never a traceback, an internal error or a stray file -------------

_TOKENS = [*"ab01.-:&*!{}[],'\"#|>?% \n\t\u00e9\u2028\x00", "!!binary ", "!!set ", "!!python/object:os.system ",
           "&a ", "*a ", "2026-05-01", "1e300", "1.0e+300", ".nan", "yes", "~", "9" * 30, "{a: *a}", "\\"]
_YAMLISH = st.lists(st.sampled_from(_TOKENS) | st.characters(), max_size=12).map("".join)
_NAMES = st.sampled_from(["title", "every", "start", "team", "warmup", "engine", "seed", "movers", "spec",
                          "resamples", "ssi_source", "claims_file", "scheduler", "bogus"])


@settings(max_examples=500, deadline=None)
@given(name=_NAMES, text=_YAMLISH)
def test_fuzz_parameter_layer_only_raises_input_errors(name, text):
    try:
        value = parse_yaml(text, what=f"-p {name}")
        typed = check_parameters({name: value}, SOURCES)
    except InputError as err:
        assert "\n\n" not in str(err)
        return
    assert json.loads(json.dumps(typed)) == typed


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=_NAMES, text=_YAMLISH, as_file=st.booleans())
@example(name="title", text="\ud800", as_file=False)
@example(name="title", text="\ud800", as_file=True)
def test_fuzz_report_command_line(ws, name, text, as_file):
    # lone surrogates (argv decoded with surrogateescape can hold them) become bytes that are not UTF-8
    (ws / "p.yaml").write_text(f"{name}: {text}\n", encoding="utf-8", errors="surrogatepass")
    args = ["-f", ws / "p.yaml"] if as_file else ["-p", f"{name}={text}"]
    before = tree_digest(ws)
    # a missing dataset: every parameter check runs first, then the run stops before any notebook
    result = run_cli("-q", "report", ws / "no-such-dataset", "--out", ws / "out", *args)
    assert result.code == 2 and "Traceback" not in result.err and "internal error" not in result.err
    assert not (ws / "out").exists() and tree_digest(ws) == before


_VALUES = st.recursive(st.none() | st.booleans() | st.integers(-2 ** 70, 2 ** 70)
                       | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=8),
                       lambda inner: st.lists(inner, max_size=3)
                       | st.dictionaries(st.text(max_size=6) | st.integers(), inner, max_size=3),
                       max_leaves=8)


@settings(max_examples=200, deadline=None)
@given(field=st.sampled_from(sorted(_ONE) + ["window", "why", "window_days"]), value=_VALUES)
def test_fuzz_spec_fields(field, value):
    try:
        parse_spec(_spec(**{field: value}), source="s.yaml")
    except InputError as err:
        assert "s.yaml" in str(err)


@settings(max_examples=200, deadline=None)
@given(field=st.sampled_from(["claim_id", "type", "statement", "published", "null_value", "margin",
                              "source", "year", "primary_source", "params"]), value=_VALUES,
       param=st.sampled_from(["outcome", "high", "low", "window_days", "per", "event"]))
def test_fuzz_registry_fields(field, value, param):
    for data in (_claim(**{field: value}),
                 _claim(params={"outcome": "o", "high": ">70", "low": "<30", param: value})):
        try:
            parse_claims(data, source="c.yaml")
        except InputError as err:
            assert "c.yaml" in str(err)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_YAMLISH, which=st.sampled_from(["spec", "claims"]))
def test_fuzz_yaml_files_on_the_command_line(ws, text, which):
    (ws / "f.yaml").write_text(f"pillars: {text}\nclaims: {text}\n", encoding="utf-8")
    flag = "--spec" if which == "spec" else "--claims"
    before = tree_digest(ws)
    result = run_cli("-q", "score" if which == "spec" else "claims", ws / "ds", "--out", ws / "out",
                     flag, ws / "f.yaml")
    assert result.code == 2 and "Traceback" not in result.err and "internal error" not in result.err
    assert not (ws / "out").exists() and tree_digest(ws) == before


# -- one real run: hostile text arrives as text, runs nothing ----------------------------------------

def test_hostile_title_is_harmless_text_in_a_real_run(ws, monkeypatch):
    monkeypatch.chdir(ws)
    title = '"); import os; os.system("touch PWNED") #'
    (ws / "p.yaml").write_text(dump_yaml({"title": title, "every": 28}))
    result = run_cli(*_report(ws, "-f", ws / "p.yaml"))
    assert result.code == 0, result.err
    assert not list(Path(ws).rglob("PWNED")) and not Path("/tmp/PWNED").exists()
    manifest = json.loads((ws / "out" / "manifest.json").read_text())
    assert manifest["parameters"]["title"] == title
