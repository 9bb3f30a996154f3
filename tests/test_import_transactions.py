"""Imports into an existing dataset change every table they touch, or none (issue #11).

Kills and races are real: the CLI runs in forked processes, paused at the dangerous moment
(``SSI_KIT_TEST_PAUSE_AT=set-commit``: between two files of the set) and SIGKILLed there,
or started two at a time against one dataset.
"""
from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import write_tables
from hardening import assert_refused, run_cli, tree_digest
from ssi_kit.cli import main
from ssi_kit.imports.merge import IMPORT_LOG
from ssi_kit.io import atomic
from ssi_kit.io import load_dataset
from ssi_kit.io.atomic import LOCK_NAME, LOCK_TIMEOUT_ENV, PAUSE_ENV, folder_lock

BASE = {"members": "member_id,industry\nalice,Software\n",
        "outcomes": "member_id,period_start,period_end,opportunities\nalice,2025-10-01,2025-12-31,2\n"}
HEADER = "Opportunity Owner,Created Date,Close Date,Amount,Stage\n"


def crm_file(folder: Path, owner: str) -> Path:
    """A two-row Salesforce-style export of one (invented) owner."""
    path = folder / f"{owner}.csv"
    path.write_text(HEADER + f"{owner},2026-01-13,2026-02-17,100,Closed Won\n"
                    f"{owner},2026-04-14,12/31/3999,50,Prospecting\n", encoding="utf-8")
    return path


class Child:
    """A forked ``ssi-kit`` run: its pid and a pipe of its stderr (forked, so pandas is loaded already)."""

    def __init__(self, argv, env):
        read, write = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the child: run the command line, exit with its code
            code = 99
            try:
                os.close(read)
                os.dup2(write, 2)
                atomic._HELD.clear()  # the parent's locks are not the child's
                os.environ.pop(PAUSE_ENV, None)
                os.environ.update(env)
                sys.stdout = open(os.devnull, "w")
                sys.stderr = os.fdopen(2, "w", buffering=1)
                code = main([str(a) for a in argv])
            finally:
                os._exit(code)
        os.close(write)
        self.stderr = os.fdopen(read, "r")
        self.returncode = None

    def wait(self) -> str:
        """Wait for the end; return the rest of stderr."""
        rest = self.stderr.read()
        self.stderr.close()
        self.returncode = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])
        return rest


def spawn(*argv, pause: str | None = None, timeout: float | None = None) -> Child:
    """Start ``ssi-kit ARGV`` in a forked process."""
    env = {PAUSE_ENV: pause} if pause else {}
    if timeout is not None:
        env[LOCK_TIMEOUT_ENV] = str(timeout)
    return Child(argv, env)


def wait_for(proc: Child, text: str) -> list[str]:
    """Read ``proc``'s stderr until a line holds ``text`` (fail if it ends first)."""
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if text in line:
            return seen
    proc.wait()
    raise AssertionError(f"{text!r} never printed (exit {proc.returncode}): {''.join(seen)}")


def kill(proc: Child) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL


def staged(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".tables."))


def log_sources(folder: Path) -> list[str]:
    lines = (folder / IMPORT_LOG).read_text(encoding="utf-8").splitlines()
    return sorted(Path(json.loads(line)["source"]).name for line in lines)


@pytest.fixture(scope="module", autouse=True)
def warm(tmp_path_factory):
    """One import in this process first, so forked runs start with everything loaded."""
    tmp = tmp_path_factory.mktemp("warm")
    assert run_cli("-q", "import", "crm", crm_file(tmp, "ann"), "--out", write_tables(tmp / "ds", BASE)).code == 0


@pytest.mark.parametrize("trial", range(6))
def test_two_imports_at_once_both_land(tmp_path, trial):
    out = write_tables(tmp_path / "ds", BASE)
    files = [crm_file(tmp_path, owner) for owner in ("ann", "ben")]
    procs = [spawn("-q", "import", "crm", f, "--out", out) for f in files]
    errs = [p.wait() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errs
    data = load_dataset(out)
    assert set(data["members"]["member_id"]) == {"alice", "ann", "ben"}
    outcomes = data["outcomes"].groupby("member_id")["opportunities"].sum().to_dict()
    assert outcomes == {"alice": 2, "ann": 2, "ben": 2}
    assert log_sources(out) == ["ann.csv", "ben.csv"]
    assert not (out / LOCK_NAME).exists() and staged(out) == []


def test_a_second_import_waits_then_gives_up_with_a_clear_message(tmp_path):
    out = write_tables(tmp_path / "ds", BASE)
    before = tree_digest(out)
    with folder_lock(out):
        proc = spawn("import", "crm", crm_file(tmp_path, "ann"), "--out", out, timeout=1.5)
        err = proc.wait()
    assert proc.returncode == 1, err
    assert f"ssi-kit: waiting for another import into {out} (pid {os.getpid()}) ..." in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("ssi-kit: failed: another import into") and "after 1.5 s" in last
    assert "Traceback" not in err and "internal error" not in err
    assert tree_digest(out) == before  # nothing written, the lock file gone with its holder
    assert run_cli("-q", "import", "crm", crm_file(tmp_path, "ann"), "--out", out).code == 0


def test_a_lock_file_left_by_a_killed_run_does_not_block(tmp_path):
    out = write_tables(tmp_path / "ds", BASE)
    (out / LOCK_NAME).write_text("999999\n", encoding="ascii")  # no process holds it
    result = run_cli("-q", "import", "crm", crm_file(tmp_path, "ann"), "--out", out)
    assert result.code == 0 and "waiting" not in result.err
    assert not (out / LOCK_NAME).exists()
    assert "ann" in set(load_dataset(out)["members"]["member_id"])


def test_a_refused_import_into_a_new_folder_leaves_no_folder(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "ann,,2026-02-17,100,Closed Won\nann,2026-01-13,2026-02-17,100,Closed Won\n",
                   encoding="utf-8")
    assert_refused(run_cli("import", "crm", bad, "--out", tmp_path / "new", "--strict"), 2,
                   "bad.csv", "line 2", "no created date")
    assert not (tmp_path / "new").exists()


@pytest.fixture()
def sim(tmp_path) -> Path:
    from ssi_kit.jobs import simulate_to_dir
    from ssi_kit.simulate import SimulationConfig

    return simulate_to_dir(tmp_path / "sim", SimulationConfig(members=10, seed=3))


def test_a_kill_between_the_files_of_the_set_is_completed_by_the_next_reader(tmp_path, sim):
    old = load_dataset(sim)
    proc = spawn("-q", "import", "crm", crm_file(tmp_path, "ann"), "--out", sim, pause="set-commit")
    wait_for(proc, "test pause at set-commit")
    kill(proc)
    # the log is in place, members and outcomes not yet: the set is committed, half applied
    assert staged(sim) != [] and "ann" not in pd.read_csv(sim / "members.csv")["member_id"].tolist()
    data = load_dataset(sim)  # completes the set first
    assert staged(sim) == []
    assert set(data["members"]["member_id"]) == set(old["members"]["member_id"]) | {"ann"}
    assert len(data["outcomes"]) == len(old["outcomes"]) + 2
    assert log_sources(sim) == ["ann.csv"]
    result = run_cli("-q", "score", sim, "--out", tmp_path / "scores")
    assert result.code == 0, result.err


def test_a_waiting_import_completes_the_set_of_a_killed_one_and_keeps_both(tmp_path):
    out = write_tables(tmp_path / "ds", BASE)
    first = spawn("-q", "import", "crm", crm_file(tmp_path, "ann"), "--out", out, pause="set-commit")
    wait_for(first, "test pause at set-commit")
    second = spawn("import", "crm", crm_file(tmp_path, "ben"), "--out", out)
    wait_for(second, f"waiting for another import into {out} (pid {first.pid})")
    kill(first)
    err = second.wait()
    assert second.returncode == 0, err
    data = load_dataset(out)
    assert set(data["members"]["member_id"]) == {"alice", "ann", "ben"}
    assert sorted(data["outcomes"]["member_id"]) == ["alice", "ann", "ann", "ben", "ben"]
    assert log_sources(out) == ["ann.csv", "ben.csv"]
    assert staged(out) == [] and not (out / LOCK_NAME).exists()
