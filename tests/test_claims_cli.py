"""``ssi-kit claims DIR --out OUT`` in process: outputs, untestable claims, bad input."""
from __future__ import annotations

import json
import logging
import math

import pandas as pd
import pytest

from claims_fixtures import (DESIGN_CLAIMS, DESIGN_CSV_COLUMNS, USER_CLAIMS, report, simulated,
                             write_registry)
from conftest import VALID_CSV, write_tables
from ssi_kit.cli import main
from ssi_kit.io import write_dataset

RESAMPLES = "300"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_paragraph_error(err: str) -> str:
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("ssi-kit: error:")]
    assert len(lines) == 1, err
    assert "\n\n" not in err.strip()
    return lines[0]


@pytest.fixture(scope="module")
def sim_dir(tmp_path_factory):
    sim, _ = simulated()
    return write_dataset(sim.tables, tmp_path_factory.mktemp("sim") / "ds")


@pytest.fixture(scope="module")
def cli_out(sim_dir, tmp_path_factory):
    """One full run of the command, shared by the output tests (module-scoped: no capsys)."""
    out = tmp_path_factory.mktemp("claims") / "out"
    code = main(["-q", "claims", str(sim_dir), "--out", str(out), "--resamples", RESAMPLES])
    return code, out


def test_claims_exit_0_and_writes_claims_csv(cli_out):
    code, out = cli_out
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["claims.csv", "claims.json", "event_study.csv",
                                                          "specifications.csv"]


def test_claims_csv_columns_and_rows(cli_out):
    _, out = cli_out
    frame = pd.read_csv(out / "claims.csv")
    assert list(frame.columns[:11]) == DESIGN_CSV_COLUMNS
    for col in ("method", "reason", "adjusted_estimate", "adjusted_ci_low", "adjusted_ci_high"):
        assert col in frame.columns
    assert list(frame["claim_id"]) == list(DESIGN_CLAIMS)
    for _, row in frame.iterrows():
        published, null = DESIGN_CLAIMS[row["claim_id"]]
        assert (row["published"], row["null_value"]) == (published, null)
        assert row["ci_low"] <= row["estimate"] <= row["ci_high"]
        assert row["p_value"] <= row["p_adjusted"] <= 1
        assert row["verdict"] in ("consistent", "inconclusive", "weaker", "stronger")
        assert isinstance(row["method"], str) and row["method"]
    assert not math.isnan(frame.loc[0, "adjusted_estimate"])


def test_claims_csv_matches_library_and_json(cli_out):
    _, out = cli_out
    frame = pd.read_csv(out / "claims.csv")
    lib = report()  # the same dataset through the library
    # the SSI claims do not depend on the bootstrap: identical through CSV round trip
    for claim_id in ("leaders_opportunities", "opportunities_per_10_points", "conversation_growth"):
        row = frame.set_index("claim_id").loc[claim_id]
        assert row["estimate"] == pytest.approx(lib[claim_id].estimate, rel=1e-9)
        assert row["ci_high"] == pytest.approx(lib[claim_id].ci_high, rel=1e-9)
    data = json.loads((out / "claims.json").read_text(encoding="utf-8"))
    assert [c["claim_id"] for c in data["claims"]] == list(frame["claim_id"])
    assert [c["verdict"] for c in data["claims"]] == list(frame["verdict"])
    assert data["ssi_source"] == "observed"
    specs = pd.read_csv(out / "specifications.csv")
    assert set(specs["claim_id"]) == set(DESIGN_CLAIMS) and specs["as_defined"].sum() == len(DESIGN_CLAIMS)


def test_stdout_is_the_csv_path(sim_dir, tmp_path, capsys):
    out = tmp_path / "o"
    code, stdout, err = run(capsys, "-q", "claims", str(sim_dir), "--out", str(out), "--resamples", "50",
                            "--claims", str(write_registry(tmp_path / "one.yaml", USER_CLAIMS[-1:])))
    assert code == 0, err
    assert stdout.strip() == str(out / "claims.csv")


@pytest.fixture
def stderr_log(caplog):
    """The CLI logs warnings to stderr; under pytest the root handlers are pytest's, so read caplog."""
    caplog.set_level(logging.WARNING, logger="ssi_kit")
    return caplog


def test_dataset_without_outcomes_and_events(sim_dir, tmp_path, capsys, stderr_log):
    ds = tmp_path / "partial"
    ds.mkdir()
    for f in sim_dir.iterdir():
        if f.stem not in ("outcomes", "events"):
            (ds / f.name).write_bytes(f.read_bytes())
    out = tmp_path / "out"
    code, _, err = run(capsys, "-q", "claims", str(ds), "--out", str(out), "--resamples", RESAMPLES)
    assert code == 0, err
    frame = pd.read_csv(out / "claims.csv").set_index("claim_id")
    untestable = {"leaders_opportunities", "leaders_quota", "social_outsell", "training_median_shift",
                  "higher_ssi_opportunities", "opportunities_per_10_points"}
    assert set(frame.index[frame["verdict"] == "untestable"]) == untestable
    assert frame.loc["training_median_shift", "reason"] == "no events table"
    assert frame.loc["leaders_quota", "reason"] == "no outcomes table"
    assert frame.loc["conversation_growth", "verdict"] == "consistent"
    logged = err + "\n".join(r.getMessage() for r in stderr_log.records)
    for claim_id in untestable:
        assert f"untestable: {claim_id}" in logged, logged
    assert "conversation_growth" not in logged
    json.loads((out / "claims.json").read_text(encoding="utf-8"))


def test_untestable_claims_go_to_stderr_as_a_subprocess_would_see(sim_dir, tmp_path, capsys, monkeypatch):
    """With no handler on the root logger (as outside pytest), the warnings reach stderr."""
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])
    ds = tmp_path / "partial"
    ds.mkdir()
    for f in sim_dir.iterdir():
        if f.stem in ("members", "ssi"):
            (ds / f.name).write_bytes(f.read_bytes())
    try:
        code, _, err = run(capsys, "-q", "claims", str(ds), "--out", str(tmp_path / "out"),
                           "--resamples", RESAMPLES)
    finally:
        for handler in root.handlers:
            handler.close()
    assert code == 0, err
    for claim_id in DESIGN_CLAIMS:
        assert f"untestable: {claim_id}" in err, err
    assert "Traceback" not in err


BAD_ACTIVITY = "member_id,date,messages_sent\nm1,2024-03-01,1\nm2,2024-03-02,lots\n"


@pytest.fixture
def bad_dir(tmp_path):
    return write_tables(tmp_path / "bad", {"members": VALID_CSV["members"], "activity": BAD_ACTIVITY})


def test_invalid_dataset_exit_2_nothing_written(bad_dir, tmp_path, capsys):
    out = tmp_path / "out"
    code, stdout, err = run(capsys, "claims", str(bad_dir), "--out", str(out))
    assert code == 2
    line = one_paragraph_error(err)
    assert "activity" in line and "messages_sent" in line and "lots" in line
    assert stdout == ""
    assert not out.exists() or not any(out.iterdir())


def test_invalid_dataset_keeps_existing_outputs(bad_dir, sim_dir, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    before = {"claims.csv": b"claim_id,n\nold,1\n", "claims.json": b"{}\n", "specifications.csv": b"x\n1\n"}
    for name, data in before.items():
        (out / name).write_bytes(data)
    code, _, err = run(capsys, "-q", "claims", str(bad_dir), "--out", str(out))
    assert code == 2
    one_paragraph_error(err)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_missing_dataset_dir(tmp_path, capsys):
    code, _, err = run(capsys, "claims", str(tmp_path / "nope"), "--out", str(tmp_path / "out"))
    assert code == 2
    assert "nope" in one_paragraph_error(err)
    assert not (tmp_path / "out").exists()


def test_custom_registry(sim_dir, tmp_path, capsys):
    reg = write_registry(tmp_path / "mine.yaml", USER_CLAIMS)
    out = tmp_path / "out"
    code, _, err = run(capsys, "-q", "claims", str(sim_dir), "--out", str(out), "--claims", str(reg),
                       "--resamples", RESAMPLES)
    assert code == 0, err
    frame = pd.read_csv(out / "claims.csv")
    assert list(frame["claim_id"]) == [e["claim_id"] for e in USER_CLAIMS]
    assert list(frame.columns[:11]) == DESIGN_CSV_COLUMNS
    assert (frame["verdict"] != "untestable").all(), frame[["claim_id", "reason"]]
    assert list(frame["published"]) == [e["published"] for e in USER_CLAIMS]


@pytest.mark.parametrize("text,word", [
    ("claims:\n  - {claim_id: x, type: ratio_of_means, statement: s, published: 1.4, null_value: 1,"
     " params: {outcome: opportunities, high: '>>70', low: '<30'}}\n", ">>70"),
    ("claims:\n  - {claim_id: x, type: magic, statement: s, published: 1, null_value: 0}\n", "magic"),
    ("claims: [\n  - {claim_id: x\n", "bad.yaml"),
    ("just: text\n", "claims"),
])
def test_bad_claims_file_exit_2(sim_dir, tmp_path, capsys, text, word):
    reg = tmp_path / "bad.yaml"
    reg.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    code, _, err = run(capsys, "claims", str(sim_dir), "--out", str(out), "--claims", str(reg))
    assert code == 2
    assert word in one_paragraph_error(err)
    assert not out.exists() or not any(out.iterdir())


def test_missing_claims_file_exit_2(sim_dir, tmp_path, capsys):
    code, _, err = run(capsys, "claims", str(sim_dir), "--out", str(tmp_path / "out"),
                       "--claims", str(tmp_path / "absent.yaml"))
    assert code == 2
    assert "absent.yaml" in one_paragraph_error(err)


@pytest.mark.parametrize("argv", [
    ["claims", "--out", "x"],                      # no dataset
    ["claims", "ds"],                              # no --out
    ["claims", "ds", "--out", "x", "--ssi", "linkedin"],
    ["claims", "ds", "--out", "x", "--resamples", "0"],
])
def test_usage_errors(capsys, argv):
    code, _, err = run(capsys, *argv)
    assert code == 2
    one_paragraph_error(err)


def test_computed_ssi_option(sim_dir, tmp_path, capsys):
    out = tmp_path / "out"
    reg = write_registry(tmp_path / "one.yaml", USER_CLAIMS[:1])
    code, _, err = run(capsys, "-q", "claims", str(sim_dir), "--out", str(out), "--ssi", "computed",
                       "--claims", str(reg))
    assert code == 0, err
    frame = pd.read_csv(out / "claims.csv")
    assert list(frame["ssi_source"]) == ["computed"]
    assert json.loads((out / "claims.json").read_text())["ssi_source"] == "computed"
