"""Scheduled batches: many report runs (e.g. one per team) from one ``runs.yaml``.

Each run is a separate ``ssi-kit report`` process, so a run that hangs can be killed
at its timeout without touching the others; runs go ``parallel`` at a time, a failed
run is retried, and the batch ends with a summary table and a non-zero status when
any run failed.  See ``docs/scheduling.md`` for cron and Airflow.

Runs that differ only in what they show (``team``, ``title``, ``movers``) share the
organisation's scores and claims: the batch first runs one *stage* per distinct set of
scoring and claims parameters shared by two runs or more (``ssi-kit report --stage``,
notebooks 01 and 02 for the whole organisation, into a temporary folder), then each of
those runs ``--reuse`` it (checked: same dataset checksums, same parameters), so the
organisation is scored and tested once, not once per team.
"""
from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import datetime as dt
import json
import logging
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from ..exceptions import InputError
from ..io.safe_yaml import describe_key, describe_value, dump_yaml, load_yaml
from .parameters import (FILES, check_dataset_parameters, check_parameters, fill_template, parameter_hash,
                         stage_parameters)

__all__ = ["BatchRun", "load_batch", "run_batch"]

log = logging.getLogger("ssi_kit")
_KEYS = {"dataset", "out", "parallel", "timeout", "retries", "parameters", "runs"}
_RUN_KEYS = {"name", "parameters"}
_NAME = re.compile(r"[A-Za-z0-9_-]{1,100}")
#: The batch settings: key -> (default, kind, lowest, highest).
_SETTINGS = {"parallel": (2, int, 1, 64), "timeout": (1800, float, 1e-3, 7 * 86400.0),
             "retries": (1, int, 0, 10)}


@dataclasses.dataclass(frozen=True)
class BatchRun:
    """One named run: its parameters (shared ones merged in, typed) and output folder."""

    name: str
    parameters: dict
    out: Path


@dataclasses.dataclass(frozen=True)
class _Batch:
    dataset: Path
    runs: tuple[BatchRun, ...]
    parallel: int
    timeout: float
    retries: int


def load_batch(path, *, today: dt.date | None = None) -> _Batch:
    """Read and check a ``runs.yaml`` (see ``docs/scheduling.md`` for the format).

    Everything is checked before any run starts: the settings' types and ranges,
    each run's parameters (names, types, values, ``team`` among the dataset's),
    and that no two runs share an output folder and none overlaps the dataset.

    Raises
    ------
    InputError
        Naming the batch file, the run and the key at fault.
    """
    path = Path(path)
    data = load_yaml(path, what="batch file")
    if not isinstance(data, dict) or not isinstance(data.get("runs"), list) or not data["runs"]:
        raise InputError(f"{path}: expected a mapping with a non-empty 'runs' list.")
    unknown = sorted(describe_key(k) for k in data if k not in _KEYS)
    if unknown or "dataset" not in data or "out" not in data:
        raise InputError(f"{path}: needs 'dataset', 'out' and 'runs' (also: parallel, timeout, retries, "
                         f"parameters){'; unknown: ' + ', '.join(unknown) if unknown else ''}.")
    for key in ("dataset", "out"):
        if not isinstance(data[key], str) or not data[key].strip():
            raise InputError(f"{path}: '{key}' must be a path (text), got {describe_value(data[key])}.")
    settings = {key: _setting(path, key, data.get(key, default), kind, low, high)
                for key, (default, kind, low, high) in _SETTINGS.items()}
    dataset = path.parent / data["dataset"]
    shared = _mapping(path, "parameters", data.get("parameters"))
    day = (today or dt.date.today()).isoformat()
    runs = tuple(_run(path, i, item, shared, data["out"], dataset, day) for i, item in enumerate(data["runs"]))
    names = [r.name for r in runs]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise InputError(f"{path}: runs need a unique 'name' of letters, digits, - and _; repeated: {', '.join(dup)}.")
    _check_outs(path, runs, dataset)
    _check_teams(path, runs, dataset)
    return _Batch(dataset, runs, **settings)


def _setting(path, key, value, kind, low, high):
    whole = isinstance(value, int) and not isinstance(value, bool)
    number = whole or isinstance(value, float) and kind is float
    if not number or not low <= value <= high:
        need = "a whole number" if kind is int else "a number of seconds"
        raise InputError(f"{path}: '{key}' must be {need} from {low:g} to {high:g}, got {describe_value(value)}.")
    return kind(value)


def _mapping(path, where, value) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise InputError(f"{path}: '{where}' must be a mapping of NAME: VALUE, got {describe_value(value)}.")
    return value


def _run(path, index, item, shared, template, dataset, day) -> BatchRun:
    if not isinstance(item, dict):
        raise InputError(f"{path}: runs[{index}] must be a mapping with 'name' and 'parameters', "
                         f"got {describe_value(item)}.")
    name = item.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InputError(f"{path}: runs[{index}] needs a unique 'name' of letters, digits, - and _ "
                         f"(at most 100), got {describe_value(name)}.")
    unknown = sorted(describe_key(k) for k in item if k not in _RUN_KEYS)
    if unknown:
        raise InputError(f"{path}: run {name} has unknown key(s) {', '.join(unknown)}; "
                         "expected name and parameters.")
    params = {**shared, **_mapping(path, f"runs[{index}].parameters", item.get("parameters"))}
    # files named by parameters (spec, claims_file), like dataset and out, are relative to the batch file
    params = {k: str(path.parent / v) if k in FILES and isinstance(v, str) and v else v for k, v in params.items()}
    from .execute import NOTEBOOKS, notebook_dir

    try:
        params = check_parameters(params, [notebook_dir() / nb for nb in NOTEBOOKS])
    except InputError as err:
        raise InputError(f"{path}: run {name}: {err}") from None
    values = {"date": day, "name": name, "hash": parameter_hash(params, dataset)}
    return BatchRun(name, params, path.parent / fill_template(template, values, what=f"{path}: 'out'"))


def _check_outs(path, runs, dataset) -> None:
    """Refuse runs sharing an output folder, one inside another's, or overlapping the dataset."""
    data = dataset.resolve()
    outs = [(r.name, r.out.resolve()) for r in runs]
    for i, (name, out) in enumerate(outs):
        if out == data or data in out.parents or out in data.parents:
            raise InputError(f"{path}: run {name} writes to {out}, which {'is' if out == data else 'overlaps'} "
                             f"the dataset {data}; choose an 'out' outside the dataset.")
        for other, there in outs[i + 1:]:
            if out == there or out in there.parents or there in out.parents:
                raise InputError(f"{path}: runs {name} and {other} write to the same or nested folders "
                                 f"({out} and {there}); put {{name}} in 'out' so each run has its own.")


def _check_teams(path, runs, dataset) -> None:
    if not any(r.parameters.get("team") for r in runs):
        return
    from ..io import load_dataset

    members = load_dataset(dataset, tables=["members"])
    for run in runs:
        try:
            check_dataset_parameters(run.parameters, members)
        except InputError as err:
            raise InputError(f"{path}: run {run.name}: {err}") from None


def _attempt(run: BatchRun, dataset: Path, timeout: float, workdir: Path, extra=()) -> tuple[int, str]:
    params_file = workdir / f"{run.name}.yaml"
    params_file.write_text(dump_yaml(run.parameters), encoding="utf-8")
    out = str(run.out).replace("{", "{{").replace("}", "}}")  # already filled: braces are literal
    cmd = [sys.executable, "-m", "ssi_kit", "-q", "report", str(dataset), "--out", out,
           "-f", str(params_file), *extra]
    # a session of its own, so a timeout ends the run's kernel too, not only the ssi-kit process
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return 124, f"timed out after {timeout:g} s"
    message = (err.strip().splitlines() or [""])[-1]
    return proc.returncode, message


def _execute(run: BatchRun, batch: _Batch, workdir: Path, extra=()) -> dict:
    start = time.perf_counter()
    attempts, code, message = 0, 1, ""
    while attempts <= batch.retries:
        attempts += 1
        code, message = _attempt(run, batch.dataset, batch.timeout, workdir, extra)
        if code in (0, 2):  # success, or bad input: retrying cannot help
            break
        log.warning("batch: %s failed (attempt %d): %s", run.name, attempts, message)
    return {"name": run.name, "status": "ok" if code == 0 else "failed", "attempts": attempts,
            "seconds": round(time.perf_counter() - start, 1), "out": str(run.out),
            "message": "" if code == 0 else message}


def _stages(runs, workdir: Path) -> dict:
    """One stage per set of scoring and claims parameters shared by two runs or more.

    Returns
    -------
    dict
        Run name -> its stage (a :class:`BatchRun` of the stage parameters into ``workdir``).
    """
    from .execute import STAGE_NOTEBOOKS, notebook_dir

    sources = [notebook_dir() / nb for nb in STAGE_NOTEBOOKS]
    declared = {name for nb in sources for name in _declared_names(nb)} - {"team"}
    groups: dict = {}
    for run in runs:
        key = json.dumps(stage_parameters(run.parameters, sources), sort_keys=True, default=str)
        groups.setdefault(key, []).append(run)
    stages = {}
    for number, members in enumerate((g for g in groups.values() if len(g) > 1), start=1):
        params = {k: v for k, v in members[0].parameters.items() if k in declared}
        stage = BatchRun(f"stage.{number}", params, workdir / f"stage.{number}")
        stages.update({run.name: stage for run in members})
    return stages


def _declared_names(notebook) -> set:
    from .parameters import notebook_parameters

    return set(notebook_parameters(notebook))


def _run_all(batch: _Batch, workdir: Path, pool, step) -> list:
    """Run the stages and the runs scoring on their own, then the runs reusing a stage; return the rows."""
    stages = _stages(batch.runs, workdir)
    staged = {s.name: pool.submit(_execute, s, batch, workdir, ("--stage",))
              for s in {s.name: s for s in stages.values()}.values()}
    futures = {pool.submit(_execute, run, batch, workdir): "" for run in batch.runs if run.name not in stages}
    rows = []
    for run in (r for r in batch.runs if r.name in stages):
        stage = stages[run.name]
        done = staged[stage.name].result()  # waits for the stage
        if done["status"] != "ok":
            rows.append({"name": run.name, "status": "failed", "attempts": 0, "seconds": 0.0,
                         "out": str(run.out), "stage": stage.name,
                         "message": f"the shared {stage.name} failed: {done['message']}"})
            continue
        futures[pool.submit(_execute, run, batch, workdir, ("--reuse", str(stage.out)))] = stage.name
    for future in cf.as_completed(futures):
        rows.append({**future.result(), "stage": futures[future]})
        log.info("batch: %s %s (%s s)", rows[-1]["name"], rows[-1]["status"], rows[-1]["seconds"])
        step("report runs", len(rows), len(batch.runs))
    for stage in staged.values():
        row = stage.result()
        log.info("batch: shared %s %s (%s s)", row["name"], row["status"], row["seconds"])
    return rows


def run_batch(path, *, progress=None, today: dt.date | None = None) -> pd.DataFrame:
    """Run every report of a batch file; return the summary (one row per run).

    Runs sharing their scoring and claims parameters reuse one shared stage (see the
    module's description); the summary's ``stage`` column names it ("" for a run
    that scored on its own).

    Raises
    ------
    InputError
        When the batch file is invalid (see :func:`load_batch`); no run has started.
    """
    batch = load_batch(path, today=today)
    step = progress or (lambda *_: None)
    step("report runs", 0, len(batch.runs))
    with tempfile.TemporaryDirectory(prefix="ssi-kit-batch-") as tmp, \
            cf.ThreadPoolExecutor(max_workers=batch.parallel) as pool:
        rows = _run_all(batch, Path(tmp), pool, step)
    order = {r.name: i for i, r in enumerate(batch.runs)}
    columns = ["name", "status", "attempts", "seconds", "stage", "out", "message"]
    return pd.DataFrame(sorted(rows, key=lambda r: order[r["name"]]), columns=columns)
