"""A report validates its dataset once: ``load_dataset(trusted=...)`` and the report's manifest.

``ssi-kit report`` validates the dataset before any notebook runs and records the
files' checksums in the run folder's manifest; the notebooks get its path as
``trusted`` and type those tables without checking them again (issue #13).
"""
import json
import shutil
import textwrap

import pandas as pd
import pytest

import ssi_kit.io.dataset as dataset_module
from ssi_kit.exceptions import DatasetError, InputError, UsageError
from ssi_kit.io import load_dataset
from ssi_kit.io.digests import file_sha256, input_checksums


class _Validated(Exception):
    """Raised by the patched validator: a table was validated."""


@pytest.fixture(scope="module")
def readings(tmp_path_factory):
    """A small simulated dataset with LinkedIn's readings (ssi) and every other table, as CSV."""
    from ssi_kit.jobs import simulate_to_dir
    from ssi_kit.simulate import SimulationConfig

    out = tmp_path_factory.mktemp("data") / "readings"
    simulate_to_dir(out, SimulationConfig(members=30, seed=5))
    return out


@pytest.fixture(scope="module")
def as_parquet(readings, tmp_path_factory):
    """The same dataset with every table as Parquet, written by the kit."""
    from ssi_kit.io import write_dataset

    tables = load_dataset(readings).tables
    return write_dataset(dict(tables), tmp_path_factory.mktemp("data") / "parquet", fmt="parquet")


@pytest.fixture
def no_validation(monkeypatch):
    """Make any validation of a table raise :class:`_Validated` (naming the table)."""
    def refuse(table, *args, **kwargs):
        raise _Validated(table)

    monkeypatch.setattr(dataset_module, "validate_raw", refuse)


def _copy(src, dst):
    shutil.copytree(src, dst)
    return dst


@pytest.mark.parametrize("which", ["sample", "readings", "parquet"])
def test_trusted_tables_are_identical_to_validated_ones(which, readings, as_parquet):
    path = {"sample": "data/sample", "readings": readings, "parquet": as_parquet}[which]
    checked = load_dataset(path)
    trusted = load_dataset(path, trusted=input_checksums(checked.files))
    assert "ssi" in checked and list(trusted.tables) == list(checked.tables)
    for name, table in checked.tables.items():
        pd.testing.assert_frame_equal(trusted[name], table, check_exact=True)
        assert trusted[name].index.equals(table.index)
    columns = {"activity": ["posts"], "ssi": ["ssi"]}
    part = load_dataset(path, tables=["activity", "ssi"], columns=columns)
    part_trusted = load_dataset(path, tables=["activity", "ssi"], columns=columns,
                                trusted=input_checksums(checked.files))
    for name in part.tables:
        pd.testing.assert_frame_equal(part_trusted[name], part[name], check_exact=True)


def test_trusted_tables_are_not_validated(readings, no_validation):
    with pytest.raises(_Validated):
        load_dataset(readings)  # the patch is in force
    digests = {name: file_sha256(readings / f"{name}.csv") for name in ("members", "activity", "ssi")}
    got = load_dataset(readings, tables=["activity", "ssi"], trusted=digests)
    assert sorted(got.tables) == ["activity", "members", "ssi"]


def test_rows_out_of_order_are_sorted_as_validation_sorts_them(readings, tmp_path):
    data = _copy(readings, tmp_path / "d")
    ssi = pd.read_csv(data / "ssi.csv", dtype=str, keep_default_na=False)
    ssi.iloc[::-1].to_csv(data / "ssi.csv", index=False)
    checked = load_dataset(data)
    trusted = load_dataset(data, trusted=input_checksums(checked.files))
    pd.testing.assert_frame_equal(trusted["ssi"], checked["ssi"], check_exact=True)


def test_a_changed_file_is_validated_and_its_error_reported(readings, tmp_path, monkeypatch):
    data = _copy(readings, tmp_path / "d")
    trusted = input_checksums(load_dataset(data).files)
    activity = pd.read_csv(data / "activity.csv", dtype=str, keep_default_na=False)
    activity.loc[3, "posts"] = "-4"
    activity.to_csv(data / "activity.csv", index=False)
    seen = []
    validate = dataset_module.validate_raw
    monkeypatch.setattr(dataset_module, "validate_raw",
                        lambda table, *a, **k: seen.append(table) or validate(table, *a, **k))
    with pytest.raises(DatasetError, match=r"activity.*posts.*at least 0"):
        load_dataset(data, trusted=trusted)
    assert seen == ["activity"]  # only the changed table


def test_a_cell_that_does_not_parse_is_reported_whatever_the_digest_says(readings, tmp_path):
    data = _copy(readings, tmp_path / "d")
    activity = pd.read_csv(data / "activity.csv", dtype=str, keep_default_na=False)
    activity.loc[2, "posts"] = "many"
    activity.to_csv(data / "activity.csv", index=False)
    vouched = {"activity": file_sha256(data / "activity.csv")}  # a digest of an invalid file
    with pytest.raises(DatasetError, match=r"activity.*posts.*whole number"):
        load_dataset(data, trusted=vouched)


def test_a_trusted_table_is_checked_against_changed_members(readings, tmp_path):
    data = _copy(readings, tmp_path / "d")
    trusted = input_checksums(load_dataset(data).files)
    members = pd.read_csv(data / "members.csv", dtype=str, keep_default_na=False)
    gone = load_dataset(data)["activity"]["member_id"].iloc[0]
    members[members["member_id"] != gone].to_csv(data / "members.csv", index=False)
    with pytest.raises(DatasetError, match=r"activity.*member_id.*listed in members"):
        load_dataset(data, trusted=trusted)


def test_a_digest_for_another_file_name_is_not_trusted(readings, no_validation):
    trusted = {"members": {"file": "members.parquet", "sha256": file_sha256(readings / "members.csv")}}
    with pytest.raises(_Validated, match="members"):
        load_dataset(readings, tables=["members"], trusted=trusted)


def test_trusted_may_be_a_json_file_or_a_whole_manifest(readings, tmp_path, no_validation):
    inputs = {"members": {"file": "members.csv", "sha256": file_sha256(readings / "members.csv")}}
    (tmp_path / "inputs.json").write_text(json.dumps(inputs))
    (tmp_path / "manifest.json").write_text(json.dumps({"kind": "ssi-kit report", "inputs": inputs}))
    for trusted in (tmp_path / "inputs.json", str(tmp_path / "manifest.json"), {"inputs": inputs}):
        assert list(load_dataset(readings, tables=["members"], trusted=trusted).tables) == ["members"]
    with pytest.raises(_Validated):
        load_dataset(readings, tables=["members"], trusted="")  # empty: nothing is trusted


@pytest.mark.parametrize("trusted, error, words", [
    ({"members": "abc"}, UsageError, "sha256 hex digest"),
    ({"members": {"sha256": "z" * 64}}, UsageError, "sha256 hex digest"),
    ({"members": {"file": 3, "sha256": "0" * 64}}, UsageError, "sha256 hex digest"),
    ({"memebrs": "0" * 64}, UsageError, "Unknown table.*memebrs"),
    (["members"], UsageError, "trusted must map"),
    ("missing.json", InputError, "cannot read the trusted digests"),
    ("bad.json", InputError, "cannot read the trusted digests"),
])
def test_bad_trusted_is_a_clear_error(readings, tmp_path, monkeypatch, trusted, error, words):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(error, match=words):
        load_dataset(readings, tables=["members"], trusted=trusted)


_COUNTING = textwrap.dedent('''
    """Count table validations in this process (a notebook kernel) into $SSI_KIT_TEST_VALIDATIONS."""
    import os

    import ssi_kit.io.dataset as _dataset

    _validate = _dataset.validate_raw


    def _counted(table, *args, **kwargs):
        with open(os.environ["SSI_KIT_TEST_VALIDATIONS"], "a", encoding="utf-8") as log:
            log.write(table + "\\n")
        return _validate(table, *args, **kwargs)


    _dataset.validate_raw = _counted
    with open(os.environ["SSI_KIT_TEST_VALIDATIONS"] + ".started", "a", encoding="utf-8") as started:
        started.write("kernel\\n")  # the hook ran: the count below is not empty for want of it
''')


def test_a_report_validates_its_dataset_once(readings, tmp_path, monkeypatch):
    """The runner validates each table once; the notebooks, given the manifest, validate none."""
    from ssi_kit.report import run_report
    from ssi_kit.report.execute import MANIFEST_FILE
    from ssi_kit.report.parameters import notebook_parameters

    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(_COUNTING)  # imported by every kernel's Python at start
    kernel_log, runner_log = tmp_path / "kernels.log", []
    monkeypatch.setenv("PYTHONPATH", str(hooks))
    monkeypatch.setenv("SSI_KIT_TEST_VALIDATIONS", str(kernel_log))
    validate = dataset_module.validate_raw
    monkeypatch.setattr(dataset_module, "validate_raw",
                        lambda table, *a, **k: runner_log.append(table) or validate(table, *a, **k))
    out = run_report(readings, tmp_path / "run", parameters={"every": 28}, stage=True)
    assert sorted(runner_log) == sorted(load_dataset(readings).tables)  # each table once, before the notebooks
    assert len(kernel_log.with_name("kernels.log.started").read_text().split()) >= 2  # both kernels counted
    assert not kernel_log.exists() or kernel_log.read_text() == ""  # none in the notebooks
    manifest = json.loads((out / MANIFEST_FILE).read_text())
    assert manifest["inputs"] == input_checksums(load_dataset(readings).files)
    for entry in manifest["notebooks"]:
        nb = json.loads((out / entry["notebook"]).read_text())
        injected = next(c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", []))
        lines = "".join(injected["source"]).splitlines()
        assert "trusted" in notebook_parameters(out / entry["notebook"]), entry["notebook"]
        trusted = [line for line in lines if line.startswith("trusted = ")]
        assert trusted and trusted[0].endswith(f'/{MANIFEST_FILE}"'), lines


def test_trusted_is_set_by_ssi_kit_not_by_users():
    from ssi_kit.report.execute import NOTEBOOKS, notebook_dir
    from ssi_kit.report.parameters import check_parameters

    with pytest.raises(UsageError, match="trusted are set by ssi-kit itself"):
        check_parameters({"trusted": "/tmp/x.json"}, [notebook_dir() / nb for nb in NOTEBOOKS])
