"""Scheduled batches: many report runs (e.g. one per team) from one ``runs.yaml``.

Each run is a separate ``ssi-kit report`` process, so a run that hangs can be killed
at its timeout without touching the others; runs go ``parallel`` at a time, a failed
run is retried, and the batch ends with a summary table and a non-zero status when
any run failed.  See ``docs/scheduling.md`` for cron and Airflow.
"""
from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import datetime as dt
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
from .parameters import FILES, check_dataset_parameters, check_parameters, fill_template, parameter_hash

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


def _attempt(run: BatchRun, dataset: Path, timeout: float, workdir: Path) -> tuple[int, str]:
    params_file = workdir / f"{run.name}.yaml"
    params_file.write_text(dump_yaml(run.parameters), encoding="utf-8")
    out = str(run.out).replace("{", "{{").replace("}", "}}")  # already filled: braces are literal
    cmd = [sys.executable, "-m", "ssi_kit", "-q", "report", str(dataset), "--out", out,
           "-f", str(params_file)]
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


def _execute(run: BatchRun, batch: _Batch, workdir: Path) -> dict:
    start = time.perf_counter()
    attempts, code, message = 0, 1, ""
    while attempts <= batch.retries:
        attempts += 1
        code, message = _attempt(run, batch.dataset, batch.timeout, workdir)
        if code in (0, 2):  # success, or bad input: retrying cannot help
            break
        log.warning("batch: %s failed (attempt %d): %s", run.name, attempts, message)
    return {"name": run.name, "status": "ok" if code == 0 else "failed", "attempts": attempts,
            "seconds": round(time.perf_counter() - start, 1), "out": str(run.out),
            "message": "" if code == 0 else message}


def run_batch(path, *, progress=None, today: dt.date | None = None) -> pd.DataFrame:
    """Run every report of a batch file; return the summary (one row per run).

    Raises
    ------
    InputError
        When the batch file is invalid (see :func:`load_batch`); no run has started.
    """
    batch = load_batch(path, today=today)
    step = progress or (lambda *_: None)
    rows = []
    step("report runs", 0, len(batch.runs))
    with tempfile.TemporaryDirectory(prefix="ssi-kit-batch-") as tmp, \
            cf.ThreadPoolExecutor(max_workers=batch.parallel) as pool:
        futures = {pool.submit(_execute, run, batch, Path(tmp)): run for run in batch.runs}
        for done, future in enumerate(cf.as_completed(futures), start=1):
            row = future.result()
            rows.append(row)
            log.info("batch: %s %s (%s s)", row["name"], row["status"], row["seconds"])
            step("report runs", done, len(futures))
    order = {r.name: i for i, r in enumerate(batch.runs)}
    return pd.DataFrame(sorted(rows, key=lambda r: order[r["name"]]))
