"""Run the report notebooks through papermill into an output folder, with a manifest."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import subprocess
import time
from pathlib import Path

import papermill as pm

from .. import __version__
from ..exceptions import SsiKitError, UsageError
from ..io import atomic_directory, load_dataset
from .export import export_html
from .parameters import check_parameters, notebook_parameters, render_out

__all__ = ["run_report", "ReportFailed", "NOTEBOOKS", "notebook_dir"]

#: The report's notebooks, run in this order in one output folder.
NOTEBOOKS = ("01_score.ipynb", "02_claims.ipynb", "03_report.ipynb")
#: The notebook exported as report.html.
REPORT_NOTEBOOK = "03_report.ipynb"


class ReportFailed(SsiKitError):
    """A report notebook raised; ``out`` holds the executed copy with papermill's banner."""

    def __init__(self, notebook: str, out: Path, reason: str):
        self.notebook, self.out = notebook, out
        super().__init__(f"notebook {notebook} failed ({reason}); the executed copy with the "
                         f"error is in {out}.")


def notebook_dir() -> Path:
    """The ``notebooks/`` folder of the source tree the package runs from."""
    path = Path(__file__).resolve().parents[2] / "notebooks"
    if not path.is_dir():
        raise SsiKitError(f"Notebooks not found at {path}; install ssi-kit from its source tree (pip install -e .).")
    return path


def _kernel(name: str | None) -> str:
    if name:
        return name
    from jupyter_client.kernelspec import KernelSpecManager

    return "ssi-kit" if "ssi-kit" in KernelSpecManager().find_kernel_specs() else "python3"


def _checksums(files) -> dict:
    out = {}
    for name, path in sorted(files.items()):
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        out[name] = {"file": Path(path).name, "sha256": digest}
    return out


def _git_commit() -> str | None:
    try:
        res = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent,
                             capture_output=True, text=True, timeout=5, check=False)
    except OSError:
        return None
    return res.stdout.strip() if res.returncode == 0 else None


def run_report(dataset_dir, out, *, parameters=None, kernel_name=None, notebooks=NOTEBOOKS,
               progress=None) -> Path:
    """Run the report notebooks on a dataset and export ``OUT/report.html``.

    Parameters
    ----------
    dataset_dir : path-like
        Dataset directory, validated before any notebook runs.
    out : path-like
        Output folder; may contain ``{date}`` and ``{hash}``.  It is replaced only
        by a complete run; a failed run goes to ``OUT/failed-run/`` when OUT holds
        an earlier report, else to OUT itself.
    parameters : dict, optional
        Notebook parameters; unknown names are an error.
    kernel_name : str, optional
        Jupyter kernel; default ``ssi-kit`` when registered, else ``python3``.
    notebooks : sequence of str
        Notebook file names in ``notebooks/``, run in order.
    progress : callable, optional
        Phase reporter.

    Returns
    -------
    pathlib.Path
        The output folder.
    """
    step = progress or (lambda _: None)
    params = dict(parameters or {})
    sources = [notebook_dir() / nb for nb in notebooks]
    check_parameters(params, sources)
    dataset = load_dataset(dataset_dir)
    out = render_out(out, params, dataset_dir)
    manifest = {"ssi_kit_version": __version__, "git_commit": _git_commit(),
                "dataset": str(dataset_dir), "inputs": _checksums(dataset.files),
                "parameters": params, "notebooks": [], "status": "running"}
    replace = out.exists()
    if replace and any(out.iterdir()) and not (out / "manifest.json").exists():
        raise UsageError(f"{out} holds files that are not an ssi-kit report; choose another --out.")
    with atomic_directory(out, replace=True) as tmp:
        tmp = tmp.resolve()
        failure = _execute_all(sources, tmp, dataset_dir, params, _kernel(kernel_name), manifest, step)
        manifest["status"] = "failed" if failure else "ok"
        if not failure:
            step("exporting")
            shown = [nb for nb in notebooks if nb == REPORT_NOTEBOOK] or list(notebooks)
            export_html([tmp / nb for nb in shown], tmp / "report.html", title=_title(params))
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        if failure:
            raise _keep_failed(tmp, out, replace and (out / "manifest.json").exists(), failure)
    return out


def _title(params: dict) -> str:
    return str(params.get("title") or "Social Selling Index report")


def _execute_all(sources, tmp, dataset_dir, params, kernel, manifest, step):
    for src in sources:
        step(f"running {src.name}")
        entry = {"notebook": src.name, "start": dt.datetime.now(dt.timezone.utc).isoformat()}
        t0 = time.perf_counter()
        declared = notebook_parameters(src)
        given = {**params, "dataset_dir": str(Path(dataset_dir).resolve()), "out_dir": str(tmp)}
        try:
            pm.execute_notebook(
                str(src), str(tmp / src.name), kernel_name=kernel, cwd=str(tmp), progress_bar=False,
                parameters={k: v for k, v in given.items() if k in declared})
            entry["status"] = "ok"
        except pm.PapermillExecutionError as err:
            entry["status"] = "failed"
            entry["error"] = f"{err.ename}: {err.evalue}"
        entry["end"] = dt.datetime.now(dt.timezone.utc).isoformat()
        entry["duration_s"] = round(time.perf_counter() - t0, 3)
        manifest["notebooks"].append(entry)
        if entry["status"] == "failed":
            return entry
    return None


def _keep_failed(tmp: Path, out: Path, had_report: bool, failure: dict) -> ReportFailed:
    target = out / "failed-run" if had_report else out
    if target.exists():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(tmp, target)
    return ReportFailed(failure["notebook"], target, failure.get("error", "error"))
