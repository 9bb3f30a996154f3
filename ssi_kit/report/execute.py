"""Run the report notebooks through papermill into an output folder, with a manifest."""
from __future__ import annotations

import datetime as dt
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
from ..io.digests import file_sha256, input_checksums
from .complete import ReportIncomplete, check_report
from .export import export_html, report_footer
from .kernel import NotebookKernel
from .parameters import (check_dataset_parameters, check_parameters, check_team, notebook_parameters,
                         render_out, stage_parameters)
from .readings import report_plan
from .views import check_view_days

__all__ = ["run_report", "check_reuse", "ReportFailed", "NOTEBOOKS", "STAGE_NOTEBOOKS", "notebook_dir",
           "MANIFEST_FILE"]

#: The report's notebooks, run in this order in one output folder.
NOTEBOOKS = ("01_score.ipynb", "02_claims.ipynb", "03_report.ipynb")
#: The notebooks that score and test the organisation: a stage (``stage=True``) runs only these,
#: and a run with ``reuse`` reads their results instead of computing them.
STAGE_NOTEBOOKS = NOTEBOOKS[:2]
#: The notebook exported as report.html.
REPORT_NOTEBOOK = "03_report.ipynb"
#: The ``kind`` of a report's manifest.json: a folder with it (and only the files it lists) is ours.
REPORT_KIND = "ssi-kit report"
#: Largest manifest.json read when checking whether OUT may be replaced.
MAX_MANIFEST = 8 << 20
#: The run folder's record.  It is first written before any notebook runs, with the checksums of
#: the dataset just validated (``inputs``): its path is the ``trusted`` parameter of the notebooks
#: that declare one, so they read those tables without validating them again.
MANIFEST_FILE = "manifest.json"


class ReportFailed(SsiKitError):
    """A report notebook raised; ``out`` holds the executed copy with papermill's banner."""

    def __init__(self, notebook: str, out: Path, reason: str):
        self.notebook, self.out = notebook, out
        super().__init__(f"notebook {notebook} failed ({reason}); the executed copy with the "
                         f"error is in {out}.")


def notebook_dir() -> Path:
    """The report's notebooks: the folder of the installed package ``ssi_kit.notebooks``.

    Read with :mod:`importlib.resources`; a wheel install and an editable one
    (``notebooks/`` of the source tree) are both plain folders.

    Raises
    ------
    SsiKitError
        When the notebooks are not installed as a folder.
    """
    from importlib.resources import files

    try:
        path = Path(str(files("ssi_kit.notebooks")))
    except ModuleNotFoundError:
        path = None
    if path is None or not path.is_dir() or not (path / NOTEBOOKS[0]).is_file():
        raise SsiKitError("The report's notebooks are not installed as a folder (package ssi_kit.notebooks); "
                          "reinstall ssi-kit from its wheel or source tree (pip install ssi-kit, or "
                          "pip install -e . in the source tree).")
    return path


def _kernel(name: str | None) -> NotebookKernel:
    """The named kernel, or (None) a kernel of the interpreter running ssi-kit."""
    return NotebookKernel(name)


def _git_commit() -> str | None:
    try:
        res = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent,
                             capture_output=True, text=True, timeout=5, check=False)
    except OSError:
        return None
    return res.stdout.strip() if res.returncode == 0 else None


def run_report(dataset_dir, out, *, parameters=None, kernel_name=None, notebooks=NOTEBOOKS,
               progress=None, reuse=None, stage: bool = False) -> Path:
    """Run the report notebooks on a dataset and export ``OUT/report.html``.

    Parameters
    ----------
    dataset_dir : path-like
        Dataset directory, validated before any notebook runs (``team`` first, from
        the members table alone), and only then: the notebooks declaring ``trusted``
        get the run's manifest, whose checksums of the files validated spare them
        validating those tables again (:func:`ssi_kit.io.load_dataset`).
    out : path-like
        Output folder; may contain ``{date}`` and ``{hash}``.  It is replaced only
        by a complete run; a failed run goes to ``OUT/failed-run/`` when OUT holds
        an earlier report, else to OUT itself.
    parameters : dict, optional
        Notebook parameters; unknown names are an error.
    kernel_name : str, optional
        Registered Jupyter kernel; default a kernel of the interpreter running ssi-kit.
    notebooks : sequence of str
        Notebook file names in ``notebooks/``, run in order; ``report.html`` is
        exported when the report notebook is among them.
    progress : callable, optional
        Phase reporter.
    reuse : path-like, optional
        An earlier organisation-wide run (or stage) of the same dataset with the same
        scoring and claims parameters (checked: :func:`check_reuse`): notebooks 01 and
        02 read its scores and claims instead of computing them; the manifest records it.
    stage : bool
        Run only :data:`STAGE_NOTEBOOKS` for the whole organisation (no ``team``, no
        report.html): a folder that later team runs ``reuse``.

    Returns
    -------
    pathlib.Path
        The output folder.
    """
    step = progress or (lambda _: None)
    sources = [notebook_dir() / nb for nb in (STAGE_NOTEBOOKS if stage else notebooks)]
    params = check_parameters(dict(parameters or {}), sources)  # names, types, values: before any work
    check_team(dataset_dir, params)  # from the members table: an unknown team is refused at once
    if stage and params.get("team"):
        raise UsageError("A stage scores and tests the whole organisation: do not give it a team.")
    dataset = load_dataset(dataset_dir)
    report_plan(dataset).require()  # readings, a computable score or both: else nothing to report
    check_dataset_parameters(params, dataset)
    check_view_days(dataset, params)  # start <= end, days within the data's span, memory
    inputs = input_checksums(dataset.files)  # of the files just validated: the notebooks trust them
    reused = check_reuse(reuse, inputs, params) if reuse else None
    out = render_out(out, params, dataset_dir)
    had_report = _check_out(out, dataset_dir)
    manifest = {"kind": REPORT_KIND, "ssi_kit_version": __version__, "git_commit": _git_commit(),
                "dataset": str(dataset_dir), "inputs": inputs, "parameters": params,
                **({"reused": reused} if reused else {}), **({"stage": True} if stage else {}),
                "notebooks": [], "status": "running"}
    given = {**params, **({"reuse": reused["folder"]} if reused else {})}
    with atomic_directory(out, replace=True) as tmp:
        tmp = tmp.resolve()
        phases = _phases(sources, len(dataset["members"]), reused)
        _write_manifest(tmp, manifest)  # "running", with the inputs the notebooks trust
        failure = _execute_all(sources, tmp, dataset_dir, given, _kernel(kernel_name), manifest, phases, step)
        if not failure and any(src.name == REPORT_NOTEBOOK for src in sources):
            step("exporting report.html")
            failure = _export(tmp, params, manifest)
        manifest["status"] = "failed" if failure else "ok"
        _write_manifest(tmp, manifest)
        if failure and had_report:
            raise _keep_failed(tmp, out / "failed-run", failure)
    if failure:  # no earlier report: the failed run itself is the output
        raise ReportFailed(failure["notebook"], out, failure.get("error", "error"))
    return out


def check_reuse(folder, inputs: dict, parameters: dict) -> dict:
    """Prove that ``folder`` holds the organisation's scores and claims for this run.

    It must be a complete ssi-kit run of :data:`STAGE_NOTEBOOKS` (a stage or a whole
    report) without a team, by this ssi-kit version, of a dataset with the same input
    checksums and with the same scoring and claims parameters
    (:func:`~ssi_kit.report.parameters.stage_parameters`), its files unchanged since.

    Parameters
    ----------
    folder : path-like
    inputs : dict
        This run's dataset checksums (as in ``manifest.json``'s ``inputs``).
    parameters : dict
        This run's checked parameters.

    Returns
    -------
    dict
        The manifest's ``reused`` entry: ``folder`` (absolute), ``manifest_sha256``,
        ``notebooks`` (those whose results are reused).

    Raises
    ------
    UsageError
        Naming every mismatch: reusing it would show other numbers than computing them.
    """
    folder = Path(folder)
    path = folder / MANIFEST_FILE
    try:
        manifest = json.loads(path.read_bytes()) if path.stat().st_size <= MAX_MANIFEST else None
    except (OSError, ValueError, UnicodeDecodeError):
        manifest = None
    if not isinstance(manifest, dict) or manifest.get("kind") != REPORT_KIND:
        raise UsageError(f"--reuse {folder}: not the folder of an ssi-kit report or stage (it has no "
                         "readable manifest.json of one).")
    problems = _reuse_problems(folder, manifest, inputs, parameters)
    if problems:
        raise UsageError(f"--reuse {folder} cannot be reused for this run: {'; '.join(problems)}. Reuse "
                         "needs an organisation-wide run (no team) of the same dataset with the same scoring "
                         "and claims parameters; run without it to score and test again.")
    return {"folder": str(folder.resolve()), "manifest_sha256": file_sha256(path), "notebooks": list(STAGE_NOTEBOOKS)}


def _reuse_problems(folder: Path, manifest: dict, inputs: dict, parameters: dict) -> list:
    ran = {e.get("notebook"): e.get("status") for e in manifest.get("notebooks") or [] if isinstance(e, dict)}
    theirs = manifest.get("parameters") if isinstance(manifest.get("parameters"), dict) else {}
    problems = []
    if manifest.get("status") != "ok" or any(ran.get(nb) != "ok" for nb in STAGE_NOTEBOOKS):
        problems.append("its scoring and claims notebooks did not both complete")
    if theirs.get("team"):
        problems.append("it is a team run, not the whole organisation")
    if manifest.get("ssi_kit_version") != __version__:
        problems.append(f"it was made by ssi-kit {manifest.get('ssi_kit_version')}, this is {__version__}")
    differ = sorted(k for k in set(inputs) | set(manifest.get("inputs") or {})
                    if inputs.get(k) != (manifest.get("inputs") or {}).get(k))
    if differ:
        problems.append(f"its dataset differs (tables {', '.join(differ)})")
    sources = [notebook_dir() / nb for nb in STAGE_NOTEBOOKS]
    ours, given = stage_parameters(parameters, sources), stage_parameters(theirs, sources)
    changed = sorted(k for k in set(ours) | set(given) if ours.get(k, "=") != given.get(k, "="))
    if changed:
        problems.append(f"its scoring or claims parameters differ ({', '.join(changed)})")
    files = manifest.get("files") if isinstance(manifest.get("files"), dict) else {}
    altered = sorted(k for k, entry in files.items()
                     if not (folder / k).is_file() or not _same(folder / k, entry))
    if altered or not files:
        problems.append(f"its files changed since it ran ({', '.join(altered[:5]) or 'none listed'})")
    return problems


def _title(params: dict) -> str:
    return str(params.get("title") or "Social Selling Index report")


#: What each notebook does, for the progress lines ({n}: the number of sellers).
_DOES = {"01_score.ipynb": "scoring {n} sellers", "02_claims.ipynb": "testing the published claims",
         "03_report.ipynb": "drawing the report's tables and figures"}
_REUSES = {"01_score.ipynb": "reading the organisation's scores from the stage",
           "02_claims.ipynb": "reading the organisation's claims results from the stage"}


def _phases(sources, sellers: int, reused) -> dict:
    """Notebook name -> its progress line, e.g. ``"scoring 120 sellers (notebook 1 of 3)"``."""
    lines = {}
    for k, src in enumerate(sources, start=1):
        does = (_REUSES if reused else {}).get(src.name) or _DOES.get(src.name, f"running {src.name}")
        lines[src.name] = f"{does.format(n=sellers)} (notebook {k} of {len(sources)})"
    return lines


def _export(tmp: Path, params: dict, manifest: dict) -> dict | None:
    """Export report.html with its footer and check it is whole; the failure entry, or None."""
    html = export_html([tmp / REPORT_NOTEBOOK], tmp / "report.html", title=_title(params),
                       footer=report_footer(manifest))
    try:
        check_report(html, figures_dir=tmp / "figures")
    except ReportIncomplete as err:
        return {"notebook": REPORT_NOTEBOOK, "status": "incomplete", "error": f"incomplete report: {err}"}
    return None


def _execute_all(sources, tmp, dataset_dir, params, kernel, manifest, phases, step):
    for src in sources:
        step(phases[src.name])
        entry = {"notebook": src.name, "start": dt.datetime.now(dt.timezone.utc).isoformat()}
        t0 = time.perf_counter()
        declared = notebook_parameters(src)
        given = {**params, "dataset_dir": str(Path(dataset_dir).resolve()), "out_dir": str(tmp),
                 "trusted": str(tmp / MANIFEST_FILE)}
        try:
            kernel.execute(
                str(src), str(tmp / src.name), cwd=str(tmp), progress_bar=False,
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
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST_FILE):
        files[path.relative_to(folder).as_posix()] = {"size": path.stat().st_size, "sha256": file_sha256(path)}
    text = json.dumps({**manifest, "files": files}, indent=2) + "\n"
    (folder / MANIFEST_FILE).write_text(text, encoding="utf-8")


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
    path = folder / MANIFEST_FILE
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
            if (key == MANIFEST_FILE and name in files or key == "failed-run" and name in dirs) \
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
            and entry.get("sha256") == file_sha256(item))


def _some(what: str, names: list, sep: str = ": ") -> str | None:
    if not names:
        return None
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return f"{what}{sep}{shown}"
