"""Refresh the committed notebooks: strip every output except the cells nbval checks.

Usage (from the repository root, after changing a notebook or the sample data):

    .venv/bin/python scripts/refresh_notebook_outputs.py

Runs each notebook with papermill on its default parameters (the sample data), keeps the
outputs of cells marked ``# NBVAL_CHECK_OUTPUT``, clears all others, execution counts and
papermill metadata, so the committed notebooks carry no local paths and no stale outputs.
"""
import sys
import tempfile
from pathlib import Path

import nbformat
import papermill as pm

ROOT = Path(__file__).resolve().parents[1]
MARK = "NBVAL_CHECK_OUTPUT"


def refresh(path: Path, executed_dir: Path) -> None:
    executed = executed_dir / path.name
    pm.execute_notebook(str(path), str(executed), cwd=str(path.parent), progress_bar=False,
                        kernel_name="python3")
    ran = nbformat.read(str(executed), as_version=4)
    nb = nbformat.read(str(path), as_version=4)
    for cell, done in zip(nb.cells, [c for c in ran.cells if "injected-parameters" not in c.metadata.get("tags", [])]):
        if cell.cell_type != "code":
            continue
        checked = MARK in cell.source
        cell.execution_count = 1 if checked else None  # nbval skips cells it thinks were never run
        cell.outputs = [_clean(o) for o in done.outputs] if checked else []
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
    nb.metadata.pop("papermill", None)
    nbformat.write(nb, str(path))


def _clean(output):
    output.pop("execution_count", None)
    return output


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
            print("refreshing", path.relative_to(ROOT))
            refresh(path, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
