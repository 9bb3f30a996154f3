"""environment.yml (conda users) must list the same dependencies and floors as pyproject.toml."""
import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# conda-forge names that differ from PyPI names
_CONDA_NAMES = {"pyyaml": "pyyaml", "duckdb": "python-duckdb"}


def _split(requirement: str) -> tuple[str, str]:
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*(.*)$", requirement)  # extras dropped
    return match.group(1).lower().replace("_", "-"), match.group(3).replace(" ", "")


def _pyproject() -> dict[str, str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    reqs = data["project"]["dependencies"] + data["project"]["optional-dependencies"]["test"]
    return dict(_split(r) for r in reqs)


def _conda() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = [d for d in env["dependencies"] if isinstance(d, str)]
    return {name: spec for name, spec in map(_split, deps) if name not in ("python", "pip")}


def test_environment_lists_the_same_packages_and_floors():
    py = {_CONDA_NAMES.get(k, k): v for k, v in _pyproject().items()}
    assert _conda() == py


def test_environment_installs_the_package_itself():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_part = [d for d in env["dependencies"] if isinstance(d, dict)]
    assert pip_part and "-e ." in pip_part[0]["pip"]
    assert "conda-forge" in env["channels"]


def test_python_floor_matches():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    floor = data["project"]["requires-python"]
    assert f"python{floor}" in env["dependencies"]
