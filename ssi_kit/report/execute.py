"""Run the report notebooks through papermill into an output folder, with a manifest."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import papermill as pm

from .. import __version__
from ..exceptions import SsiKitError, UsageError
from ..io import atomic_directory, load_dataset
from ..io.atomic import check_out_dir
from .export import export_html
from .parameters import check_dataset_parameters, check_parameters, notebook_parameters, render_out
from .readings import report_plan
from .views import check_view_days

__all__ = ["run_report", "ReportFailed", "NOTEBOOKS", "notebook_dir"]

#: The report's notebooks, run in this order in one output folder.
NOTEBOOKS = ("01_score.ipynb", "02_claims.ipynb", "03_report.ipynb")
#: The notebook exported as report.html.
REPORT_NOTEBOOK = "03_report.ipynb"
#: The ``kind`` of a report's manifest.json: a folder with it (and only the files it lists) is ours.
REPORT_KIND = "ssi-kit report"
#: Largest manifest.json read when checking whether OUT may be replaced.
MAX_MANIFEST = 8 << 20


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
        out[name] = {"file": Path(path).name, "sha256": _sha256(Path(path))}
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
    params = check_parameters(params, sources)  # names, types, values: before any work
    dataset = load_dataset(dataset_dir)
    report_plan(dataset).require()  # readings, a computable score or both: else nothing to report
    check_dataset_parameters(params, dataset)
    check_view_days(dataset, params)  # start <= end, days within the data's span, memory
    out = render_out(out, params, dataset_dir)
    had_report = _check_out(out, dataset_dir)
    manifest = {"kind": REPORT_KIND, "ssi_kit_version": __version__, "git_commit": _git_commit(),
                "dataset": str(dataset_dir), "inputs": _checksums(dataset.files),
                "parameters": params, "notebooks": [], "status": "running"}
    with atomic_directory(out, replace=True) as tmp:
        tmp = tmp.resolve()
        failure = _execute_all(sources, tmp, dataset_dir, params, _kernel(kernel_name), manifest, step)
        manifest["status"] = "failed" if failure else "ok"
        if not failure:
            step("exporting")
            shown = [nb for nb in notebooks if nb == REPORT_NOTEBOOK] or list(notebooks)
            export_html([tmp / nb for nb in shown], tmp / "report.html", title=_title(params))
        _write_manifest(tmp, manifest)
        if failure and had_report:
            raise _keep_failed(tmp, out / "failed-run", failure)
    if failure:  # no earlier report: the failed run itself is the output
        raise ReportFailed(failure["notebook"], out, failure.get("error", "error"))
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


def _keep_failed(tmp: Path, target: Path, failure: dict) -> ReportFailed:
    with atomic_directory(target, replace=True) as staged:
        shutil.copytree(tmp, staged, dirs_exist_ok=True)
    return ReportFailed(failure["notebook"], target, failure.get("error", "error"))


def _write_manifest(folder: Path, manifest: dict) -> None:
    """Write ``manifest.json`` listing every file of ``folder`` with its size and sha256."""
    files = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "manifest.json"):
        files[path.relative_to(folder).as_posix()] = {"size": path.stat().st_size, "sha256": _sha256(path)}
    text = json.dumps({**manifest, "files": files}, indent=2) + "\n"
    (folder / "manifest.json").write_text(text, encoding="utf-8")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_out(out: Path, dataset_dir) -> bool:
    """Refuse an OUT that is not the kit's to replace; return whether it holds an earlier report.

    OUT is replaced only when it is empty, missing, or provably a complete earlier
    report: its manifest is of kind :data:`REPORT_KIND` and lists, with sizes and
    checksums, exactly the files it holds (plus an earlier ``failed-run/`` that is
    itself such a report).  OUT and the dataset may not overlap.
    """
    check_out_dir(out)
    data, target = Path(dataset_dir).resolve(), out.resolve()
    if data == target or target in data.parents or data in target.parents:
        raise UsageError(f"--out {out} overlaps the dataset {dataset_dir} (one is inside the other); "
                         "the report replaces its output folder whole: choose an --out outside the dataset.")
    if not out.is_dir() or not any(out.iterdir()):
        return False
    problem = _not_a_report(out)
    if problem:
        raise UsageError(f"{out} is in the way: it is not an earlier ssi-kit report ({problem}). A "
                         "report replaces only a folder whose manifest.json lists exactly the files "
                         "it holds; remove it or choose another --out.")
    return True


def _not_a_report(folder: Path) -> str | None:
    """Why ``folder`` is not provably a complete report output, or None when it is."""
    path = folder / "manifest.json"
    held = _some("it holds", sorted(p.name + ("/" if p.is_dir() else "") for p in folder.iterdir()),
                 sep=" ")
    if path.is_symlink() or not path.is_file():
        return f"it has no manifest.json; {held}"
    try:
        manifest = json.loads(path.read_bytes()) if path.stat().st_size <= MAX_MANIFEST else None
    except (ValueError, UnicodeDecodeError):
        manifest = None
    if not isinstance(manifest, dict) or manifest.get("kind") != REPORT_KIND \
            or not isinstance(manifest.get("files"), dict):
        return (f"its manifest.json does not list the files of an ssi-kit report (not one, or "
                f"from an older ssi-kit); {held}")
    listed, extra = manifest["files"], []
    for base, dirs, files in os.walk(folder):
        rel = Path(base).relative_to(folder)
        for name in sorted(dirs + files):
            key, item = (rel / name).as_posix(), Path(base, name)
            if (key == "manifest.json" and name in files or key == "failed-run" and name in dirs) \
                    and not item.is_symlink():
                continue  # failed-run/ is checked as a report of its own
            entry = listed.get(key)
            if item.is_symlink() or (name in files and not _same(item, entry)) \
                    or (name in dirs and not any(k.startswith(key + "/") for k in listed)):
                extra.append(key + ("/" if name in dirs else ""))
        dirs[:] = [d for d in dirs if not (base == str(folder) and d == "failed-run")]
    missing = sorted(k for k in listed if not (folder / k).is_file())
    failed = folder / "failed-run"
    why = _not_a_report(failed) if failed.is_dir() and not failed.is_symlink() else None
    if extra or missing or why:
        return "; ".join(filter(None, [_some("other or changed files", extra),
                                       _some("missing files", missing),
                                       why and f"failed-run/: {why}"]))
    return None


def _same(item: Path, entry) -> bool:
    return (isinstance(entry, dict) and entry.get("size") == item.stat().st_size
            and entry.get("sha256") == _sha256(item))


def _some(what: str, names: list, sep: str = ": ") -> str | None:
    if not names:
        return None
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return f"{what}{sep}{shown}"
