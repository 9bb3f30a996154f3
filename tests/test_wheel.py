"""The built wheel is the whole package: installed into a fresh venv it runs simulate, claims and
report from any folder, without make, without the source tree and without a registered kernel."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Not part of a build: the copy of the source tree the wheel is built from leaves these out.
_NOT_SOURCE = shutil.ignore_patterns(".venv", ".git", "outputs", "build", "dist", "*.egg-info", "__pycache__",
                                     ".pytest_cache", ".hypothesis", ".ipynb_checkpoints", "tests", "data")


def _run(cmd, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=600, **kwargs)


def _build_wheel(dest: Path) -> Path:
    """Build the wheel from a copy of the source tree (the tree itself is left untouched)."""
    src = dest / "src"
    shutil.copytree(ROOT, src, ignore=_NOT_SOURCE)
    res = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                "-w", dest / "dist", src])
    assert res.returncode == 0, res.stderr
    (wheel,) = (dest / "dist").glob("ssi_kit-*.whl")
    return wheel


def _fresh_venv(path: Path, wheel: Path, *, deps: bool) -> Path:
    """A venv holding the wheel; without ``deps`` its dependencies come from this venv by a .pth file."""
    res = _run([sys.executable, "-m", "venv", "--without-pip", path])
    assert res.returncode == 0, res.stderr
    python = path / "bin" / "python"
    install = [sys.executable, "-m", "pip", "--python", python, "install", "-q", wheel]
    res = _run(install + ([] if deps else ["--no-deps"]))
    assert res.returncode == 0, res.stderr
    if not deps:
        site = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
        # a plain path line: the dev venv's .pth files (its editable finder) are not run
        Path(site, "zz_dev_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
        # what installing nbconvert puts in the prefix (its HTML templates; no kernel specs)
        (path / "share" / "jupyter").mkdir(parents=True)
        (path / "share" / "jupyter" / "nbconvert").symlink_to(Path(sys.prefix, "share", "jupyter", "nbconvert"))
    return python


def _clean_env(home: Path, venv: Path) -> dict:
    """No registered kernel anywhere: empty Jupyter folders, a fresh HOME, only the venv on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "IPYTHON", "PYTHON", "VIRTUAL_ENV"))}
    for name in ("JUPYTER_PATH", "JUPYTER_DATA_DIR", "JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        (home / name.lower()).mkdir(parents=True, exist_ok=True)
        env[name] = str(home / name.lower())
    env.update(HOME=str(home), PATH=f"{venv / 'bin'}:/usr/bin:/bin")
    return env


def _run_kit(venv: Path, work: Path) -> dict:
    """simulate, claims and report with the venv's ssi-kit in an empty folder; results by command."""
    home = work.parent / f"{work.name}-home"
    env, kit = _clean_env(home, venv), venv / "bin" / "ssi-kit"
    work.mkdir()
    results = {}
    for name, args in (("simulate", ["simulate", "--out", "d", "--members", "30"]),
                       ("claims", ["claims", "d", "--out", "c", "--resamples", "50"]),
                       ("report", ["report", "d", "--out", "r", "-p", "every=28"])):
        results[name] = _run([kit, "-q", *args], cwd=work, env=env)
    results["kernels"] = sorted(p.name for p in home.rglob("kernel.json"))
    return results


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("wheel")
    wheel = _build_wheel(root)
    python = _fresh_venv(root / "venv", wheel, deps=False)
    where = _run([python, "-c", "import ssi_kit, sys; print(ssi_kit.__file__); print(sys.prefix)"],
                 cwd=root, env=_clean_env(root / "probe-home", root / "venv"))
    return {"root": root, "wheel": wheel, "venv": root / "venv", "where": where.stdout.split()}


@pytest.fixture(scope="module")
def ran(built):
    return _run_kit(built["venv"], built["root"] / "work")


def _source_files() -> set[str]:
    """Every file the wheel must hold, named as installed: ssi_kit/ and notebooks/ of the source tree."""
    out = set()
    for path in (ROOT / "ssi_kit").rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            out.add(path.relative_to(ROOT).as_posix())
    for path in (ROOT / "notebooks").iterdir():
        if path.suffix in (".ipynb", ".py"):
            out.add(f"ssi_kit/notebooks/{path.name}")
    return out


def test_the_wheel_holds_every_module_and_data_file_of_the_source_tree(built):
    with zipfile.ZipFile(built["wheel"]) as archive:
        names = {n for n in archive.namelist() if not re.match(r"ssi_kit-[^/]+\.dist-info/", n)}
        entry = archive.read(next(n for n in archive.namelist() if n.endswith("entry_points.txt"))).decode()
    assert names == _source_files()
    assert {"ssi_kit/claims/claims.yaml", "ssi_kit/notebooks/03_report.ipynb",
            "ssi_kit/scoring/default_spec.yaml"} <= names
    assert "ssi-kit = ssi_kit.cli:main" in entry


def test_the_fresh_venv_imports_the_installed_wheel_not_the_source_tree(built):
    module, prefix = built["where"]
    assert Path(prefix) == built["venv"]
    assert Path(module).is_relative_to(built["venv"]) and "site-packages" in module


def test_simulate_claims_and_report_run_from_any_folder_quietly(ran, built):
    for name in ("simulate", "claims", "report"):
        assert ran[name].returncode == 0, f"{name}: {ran[name].stderr}"
    assert ran["report"].stderr == ""  # -q: no kernel warnings, no library warnings
    work = built["root"] / "work"
    assert (work / "c" / "claims.csv").read_text().count("\n") > 1
    html = (work / "r" / "report.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") >= 1
    assert (work / "r" / "report.xlsx").stat().st_size > 0
    assert ran["kernels"] == []  # no kernel was registered or left behind


@pytest.mark.slow
def test_the_wheel_installs_with_its_dependencies_and_runs(tmp_path):
    """pip install of the wheel resolving its dependencies from the package index (network)."""
    wheel = _build_wheel(tmp_path)
    python = _fresh_venv(tmp_path / "venv", wheel, deps=True)
    assert python.exists()
    ran = _run_kit(tmp_path / "venv", tmp_path / "work")
    for name in ("simulate", "claims", "report"):
        assert ran[name].returncode == 0, f"{name}: {ran[name].stderr}"
    assert "data:image/png;base64," in (tmp_path / "work" / "r" / "report.html").read_text(encoding="utf-8")
