"""Outputs never lose the user's data nor stay half-done (issue #10, outputs).

Every test asserts the exit code, the one-paragraph message, and with
:func:`tree_digest` that nothing outside the output (and the output itself where
it must be kept) was touched.  Kills are real: the CLI runs in a subprocess that
pauses at the dangerous moment (``SSI_KIT_TEST_PAUSE_AT``) and is SIGKILLed there.
"""
from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from hardening import assert_refused, run_cli, tree_digest
from ssi_kit.io.atomic import PAUSE_ENV, atomic_files
from ssi_kit.report import execute

TRACKER = Path(__file__).parent / "fixtures" / "imports" / "tracker" / "wide.csv"


def hidden_leftovers(folder: Path) -> list[str]:
    """The kit's temporary names (``.NAME.xxxxxxxx.tmp/.new/.old``) under ``folder``."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob(".*")
                  if p.suffix in (".tmp", ".new", ".old"))


@pytest.fixture(scope="module")
def sim_dir(tmp_path_factory) -> Path:
    """A small simulated dataset (20 sellers) the claims and report commands accept."""
    from ssi_kit.jobs import simulate_to_dir
    from ssi_kit.simulate import SimulationConfig

    return simulate_to_dir(tmp_path_factory.mktemp("sim") / "ds", SimulationConfig(members=20, seed=3))


# ---------------------------------------------------------------------------
# 1. a report replaces only a folder that is provably an earlier report


def fake_report(folder: Path, **manifest) -> Path:
    """Write a folder that is provably an earlier report (files + manifest listing them)."""
    (folder / "figures").mkdir(parents=True)
    (folder / "report.html").write_text("<html>old</html>")
    (folder / "figures" / "a.png").write_bytes(b"png")
    execute._write_manifest(folder, {"kind": execute.REPORT_KIND, "status": "ok", **manifest})
    return folder


@pytest.fixture
def fake_notebooks(monkeypatch):
    """Run the report without a kernel: each notebook is copied, report.html is a stub."""
    def run(src, dst, **_):
        shutil.copyfile(src, dst)

    monkeypatch.setattr(execute.pm, "execute_notebook", run)
    monkeypatch.setattr(execute, "export_html",
                        lambda _nbs, path, title, footer=None: Path(path).write_text(title) and Path(path))
    monkeypatch.setattr(execute, "check_report", lambda *_, **__: None)  # the stub has no sections
    monkeypatch.setattr(execute, "_git_commit", lambda: None)


def test_report_refuses_a_web_project_with_a_manifest(tmp_path, valid_dir):
    proj = tmp_path / "proj"
    (proj / "src").mkdir(parents=True)
    (proj / "manifest.json").write_text('{"name": "my-app", "version": "1.0.0"}')
    (proj / "src" / "app.js").write_text("console.log('hi')")
    (proj / "README.md").write_text("# my app")
    before = tree_digest(tmp_path)
    res = run_cli("-q", "report", valid_dir, "--out", proj)
    assert_refused(res, 2, str(proj), "not an earlier ssi-kit report", "manifest.json", "README.md", "src/")
    assert tree_digest(tmp_path) == before


@pytest.mark.parametrize("out", ["proj", "proj/data", "proj/data/report"], ids=["contains", "equals", "inside"])
def test_report_refuses_an_out_overlapping_the_dataset(tmp_path, valid_dir, out):
    data = tmp_path / "proj" / "data"
    shutil.copytree(valid_dir, data)
    before = tree_digest(tmp_path)
    res = run_cli("-q", "report", data, "--out", tmp_path / out)
    assert_refused(res, 2, str(tmp_path / out), "overlaps the dataset")
    assert tree_digest(tmp_path) == before


@pytest.mark.parametrize("change", ["old manifest", "extra file", "changed file", "missing file",
                                    "foreign failed-run", "link"])
def test_report_refuses_a_folder_not_provably_its_own(tmp_path, valid_dir, change):
    out = fake_report(tmp_path / "out")
    if change == "old manifest":  # written by ssi-kit before manifests listed their files
        (out / "manifest.json").write_text(json.dumps({"status": "ok", "notebooks": []}))
    elif change == "extra file":
        (out / "figures" / "notes.txt").write_text("mine")
    elif change == "changed file":
        (out / "report.html").write_text("<html>edited by hand</html>")
    elif change == "missing file":
        (out / "figures" / "a.png").unlink()
    elif change == "foreign failed-run":
        (out / "failed-run").mkdir()
        (out / "failed-run" / "thesis.docx").write_text("mine")
    else:
        (out / "data").symlink_to(valid_dir)
    before = tree_digest(tmp_path)
    res = run_cli("-q", "report", valid_dir, "--out", out)
    assert_refused(res, 2, str(out), "not an earlier ssi-kit report", "remove it or choose another --out")
    assert tree_digest(tmp_path) == before


def test_report_replaces_its_own_earlier_output(tmp_path, valid_dir, fake_notebooks):
    out = fake_report(tmp_path / "out")
    fake_report(out / "failed-run", status="failed")
    (tmp_path / "beside.txt").write_text("mine")
    res = run_cli("-q", "report", valid_dir, "--out", out)
    assert res.code == 0, res.err
    assert sorted(p.name for p in out.iterdir()) == ["01_score.ipynb", "02_claims.ipynb", "03_report.ipynb",
                                                     "manifest.json", "report.html"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "ssi-kit report" and manifest["status"] == "ok"
    assert sorted(manifest["files"]) == ["01_score.ipynb", "02_claims.ipynb", "03_report.ipynb", "report.html"]
    assert manifest["files"]["report.html"]["size"] == (out / "report.html").stat().st_size
    assert execute._not_a_report(out) is None
    assert hidden_leftovers(tmp_path) == [] and (tmp_path / "beside.txt").read_text() == "mine"


def test_real_report_manifest_lists_every_file(sim_dir, tmp_path):
    out = tmp_path / "r"
    res = run_cli("-q", "report", sim_dir, "--out", out, "-p", "every=56")
    assert res.code == 0, res.err
    files = json.loads((out / "manifest.json").read_text())["files"]
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} - {"manifest.json"}
    assert set(files) == on_disk and {"report.html", "scores.csv", "claims.csv", "figures/history.png"} <= on_disk
    assert execute._not_a_report(out) is None  # so the next run may replace it
    assert hidden_leftovers(tmp_path) == []


# ---------------------------------------------------------------------------
# 2. a kill at the dangerous moment leaves the old or the new output, never half


def spawn_and_kill(argv, pause: str, *, fallback: bool = False) -> None:
    """Run ``ssi-kit ARGV`` in a subprocess, SIGKILL it when it pauses at ``pause``."""
    code = ("import sys\nimport ssi_kit.io.atomic as atomic\n"
            + ("atomic._exchange = lambda *_: False\n" if fallback else "")
            + "from ssi_kit.cli import main\nsys.exit(main(sys.argv[1:]))\n")
    proc = subprocess.Popen([sys.executable, "-c", code, "-q", *map(str, argv)], text=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, PAUSE_ENV: pause})
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if f"test pause at {pause}" in line:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=60)
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL, "".join(seen)


@pytest.fixture(scope="module")
def sims(tmp_path_factory) -> dict:
    """Complete simulate outputs of seeds 1 and 2, to compare with."""
    root = tmp_path_factory.mktemp("ref")
    for seed in (1, 2):
        assert run_cli("-q", "simulate", "--out", root / str(seed), "--members", 10, "--seed", seed).code == 0
    return {seed: tree_digest(root / str(seed)) for seed in (1, 2)}


@pytest.mark.parametrize("fallback", [False, True], ids=["exchange", "two-renames"])
def test_kill_before_the_swap_keeps_the_old_output(tmp_path, sims, fallback):
    out = tmp_path / "out"
    assert run_cli("-q", "simulate", "--out", out, "--members", 10, "--seed", 1).code == 0
    spawn_and_kill(["simulate", "--out", out, "--members", 10, "--seed", 2, "--force"], "swap",
                   fallback=fallback)
    assert tree_digest(out) == sims[1]
    assert hidden_leftovers(tmp_path) != []  # the killed run's unfinished output
    assert run_cli("-q", "simulate", "--out", out, "--members", 10, "--seed", 2, "--force").code == 0
    assert tree_digest(out) == sims[2]
    assert hidden_leftovers(tmp_path) == []


def test_kill_between_the_two_renames_is_completed_by_the_next_run(tmp_path, sims):
    out = tmp_path / "out"
    assert run_cli("-q", "simulate", "--out", out, "--members", 10, "--seed", 1).code == 0
    spawn_and_kill(["simulate", "--out", out, "--members", 10, "--seed", 2, "--force"], "mid-swap",
                   fallback=True)
    assert not out.exists()  # the dangerous moment: only the hidden copies exist
    assert [Path(p).suffix for p in hidden_leftovers(tmp_path)] == [".new", ".old"]
    # the next command into the same place completes the swap before anything else
    res = run_cli("-q", "simulate", "--out", out, "--members", 10, "--seed", 3)
    assert_refused(res, 2, str(out), "not empty")
    assert tree_digest(out) == sims[2]
    assert hidden_leftovers(tmp_path) == []


def test_leftovers_of_a_live_run_and_look_alikes_are_never_removed(tmp_path, sims):
    out = tmp_path / "out"
    keep = {".out.tmp": "x", ".out.ABCDEFGH.tmp": "x", ".out.abcdefgh.tmp.bak": "x", ".other.abcdefgh.tmp": "x",
            "out.abcdefgh.tmp": "x"}
    for name, text in keep.items():
        (tmp_path / name).write_text(text)
    (tmp_path / ".out.abcdefgh.old").symlink_to(tmp_path / "out.abcdefgh.tmp")
    before = tree_digest(tmp_path)
    assert run_cli("-q", "simulate", "--out", out, "--members", 10, "--seed", 1).code == 0
    after = tree_digest(tmp_path)
    assert {k: v for k, v in after.items() if not k.startswith("out/") and k != "out"} == before
    assert tree_digest(out) == sims[1]


@pytest.fixture(scope="module")
def claims_ref(sim_dir, tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("claims") / "ref"
    assert run_cli("-q", "claims", sim_dir, "--out", out, "--resamples", 50).code == 0
    return {p.name: p.read_bytes() for p in out.iterdir()}


def test_kill_during_claims_outputs_is_completed_as_a_set(tmp_path, sim_dir, claims_ref):
    out = tmp_path / "out"
    out.mkdir()
    old = {"claims.csv": b"claim_id\nold\n", "claims.json": b"{}\n", "specifications.csv": b"x\n1\n"}
    for name, data in {**old, "notes.txt": b"mine"}.items():
        (out / name).write_bytes(data)
    spawn_and_kill(["claims", sim_dir, "--out", out, "--resamples", 50], "set-commit")
    now = {name: (out / name).read_bytes() for name in old}
    assert now["claims.csv"] == claims_ref["claims.csv"] and now["claims.json"] == old["claims.json"]
    assert [Path(p).suffix for p in hidden_leftovers(out)] == [".new"]  # the journal of the set
    with pytest.raises(RuntimeError), atomic_files(out, "claims"):  # any next write of the set
        raise RuntimeError("stop after the recovery")
    assert {name: (out / name).read_bytes() for name in old} == {n: claims_ref[n] for n in old}
    assert (out / "notes.txt").read_bytes() == b"mine"
    assert hidden_leftovers(out) == []


# ---------------------------------------------------------------------------
# 3. --out is a file, or on a read-only file system


def command(kind: str, src: Path, out: Path) -> list:
    return {"score": ["score", src, "--out", out],
            "claims": ["claims", src, "--out", out, "--resamples", 50],
            "report": ["report", src, "--out", out],
            "simulate": ["simulate", "--out", out, "--members", 10],
            "import": ["import", "tracker", TRACKER, "--out", out, "--member", "m1"]}[kind]


KINDS = ["score", "claims", "report", "simulate", "import"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("under", [False, True], ids=["file", "under-file"])
def test_out_that_is_a_file_exit_2(tmp_path, sim_dir, kind, under):
    target = tmp_path / "taken"
    target.write_text("not a folder")
    before = tree_digest(tmp_path)
    res = run_cli("-q", *command(kind, sim_dir, target / "sub" if under else target))
    assert_refused(res, 2, str(target), "is a file")
    assert tree_digest(tmp_path) == before


def mount_tmpfs(where: Path, options: str) -> None:
    where.mkdir()
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
                         capture_output=True, text=True, check=False)
    if res.returncode:
        pytest.skip(f"cannot mount a tmpfs here ({res.stderr.strip() or res.returncode})")


@pytest.fixture
def mounts(tmp_path):
    made = []

    def mount(name: str, options: str) -> Path:
        path = tmp_path / name
        mount_tmpfs(path, options)
        made.append(path)
        return path
    yield mount
    for path in made:
        subprocess.run(["umount", "-l", str(path)], check=False)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("sub", ["", "new"], ids=["existing", "new"])
def test_read_only_out_exit_1(tmp_path, sim_dir, mounts, kind, sub):
    ro = mounts("ro", "size=64k")
    (ro / "old").mkdir()
    subprocess.run(["mount", "-o", "remount,ro", str(ro)], check=True)
    before = tree_digest(tmp_path)
    res = run_cli("-q", *command(kind, sim_dir, ro / (sub or "old")))
    assert_refused(res, 1, "ssi-kit: failed", "read-only file system", str(ro))
    assert tree_digest(tmp_path) == before


# ---------------------------------------------------------------------------
# 4. a full disk: exit 1, one paragraph, the earlier output untouched, no temp files


def fill(folder: Path) -> None:
    """Fill the file system of ``folder`` to the last byte."""
    chunk = b"\0" * 4096
    with open(folder / "filler", "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(chunk)
        except OSError as err:
            assert err.errno == errno.ENOSPC
    with open(folder / "filler", "ab", buffering=0) as handle:
        with pytest.raises(OSError):
            while True:
                handle.write(b"\0")


@pytest.mark.parametrize("kind,extra", [("score", []), ("score", ["--format", "parquet"]),
                                        ("claims", []), ("simulate", ["--force"]), ("import", [])],
                         ids=["score-csv", "score-parquet", "claims", "simulate", "import"])
def test_full_disk_exit_1_keeps_the_earlier_output(tmp_path, sim_dir, mounts, kind, extra):
    disk = mounts("disk", "size=8m")
    out = disk / "out"
    first = run_cli("-q", *command(kind, sim_dir, out), *extra)
    assert first.code == 0, first.err
    fill(disk)
    before = tree_digest(disk)
    res = run_cli("-q", *command(kind, sim_dir, out), *extra)
    assert_refused(res, 1, "ssi-kit: failed", "no space left on device", "earlier outputs are untouched")
    assert tree_digest(disk) == before
    assert hidden_leftovers(disk) == []


@pytest.mark.parametrize("error", [OSError(errno.ENOSPC, "No space left on device"),
                                   "pyarrow"], ids=["oserror", "pyarrow-wrapped"])
def test_full_disk_in_process_score(tmp_path, valid_dir, monkeypatch, error):
    import pyarrow as pa
    import pyarrow.csv  # noqa: F401  (pa.csv, the CSV writer the kit uses)

    out = tmp_path / "out"
    assert run_cli("-q", "score", valid_dir, "--out", out).code == 0
    before = tree_digest(tmp_path)
    if error == "pyarrow":
        error = pa.ArrowIOError("Error writing bytes to file. Detail: [errno 28] No space left on device")

    def broken(table, handle, *args, **kwargs):
        handle.write(b"member_id,date\n")  # part of a block, then the disk is full
        raise error
    monkeypatch.setattr(pa.csv, "write_csv", broken)
    res = run_cli("-q", "score", valid_dir, "--out", out)
    assert_refused(res, 1, "ssi-kit: failed", "no space left on device")
    assert tree_digest(tmp_path) == before


def test_full_disk_during_report_keeps_the_earlier_report(tmp_path, valid_dir, monkeypatch):
    out = fake_report(tmp_path / "out")
    before = tree_digest(tmp_path)

    def full(src, dst, **_):
        Path(dst).write_text("partial")
        raise OSError(errno.ENOSPC, "No space left on device", dst)
    monkeypatch.setattr(execute.pm, "execute_notebook", full)
    res = run_cli("-q", "report", valid_dir, "--out", out)
    assert_refused(res, 1, "ssi-kit: failed", "no space left on device", "earlier outputs are untouched")
    assert tree_digest(tmp_path) == before
