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
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

from ..exceptions import InputError, UsageError

__all__ = ["BatchRun", "load_batch", "run_batch"]

log = logging.getLogger("ssi_kit")
_KEYS = {"dataset", "out", "parallel", "timeout", "retries", "parameters", "runs"}


@dataclasses.dataclass(frozen=True)
class BatchRun:
    """One named run: its parameters (shared ones merged in) and output folder."""

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
    """Read and check a ``runs.yaml`` (see ``docs/scheduling.md`` for the format)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise InputError(f"Cannot read the batch file {path}: {str(err).splitlines()[0]}.") from None
    if not isinstance(data, dict) or not isinstance(data.get("runs"), list) or not data["runs"]:
        raise InputError(f"{path}: expected a mapping with a non-empty 'runs' list.")
    unknown = sorted(set(data) - _KEYS)
    if unknown or "dataset" not in data or "out" not in data:
        raise InputError(f"{path}: needs 'dataset', 'out' and 'runs' (also: parallel, timeout, retries, "
                         f"parameters){'; unknown: ' + ', '.join(unknown) if unknown else ''}.")
    base = path.parent
    shared = dict(data.get("parameters") or {})
    day = (today or dt.date.today()).isoformat()
    runs, names = [], set()
    for i, item in enumerate(data["runs"]):
        name = str(item.get("name", "")) if isinstance(item, dict) else ""
        if not name or name in names or not name.replace("-", "").replace("_", "").isalnum():
            raise InputError(f"{path}: runs[{i}] needs a unique 'name' of letters, digits, - and _.")
        names.add(name)
        params = {**shared, **(item.get("parameters") or {})}
        out = base / str(data["out"]).format(date=day, name=name)
        runs.append(BatchRun(name, params, out))
    return _Batch(base / str(data["dataset"]), tuple(runs), int(data.get("parallel", 2)),
                  float(data.get("timeout", 1800)), int(data.get("retries", 1)))


def _attempt(run: BatchRun, dataset: Path, timeout: float, workdir: Path) -> tuple[int, str]:
    params_file = workdir / f"{run.name}.yaml"
    params_file.write_text(yaml.safe_dump(run.parameters), encoding="utf-8")
    cmd = [sys.executable, "-m", "ssi_kit", "-q", "report", str(dataset), "--out", str(run.out),
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
    UsageError
        When ``parallel``, ``timeout`` or ``retries`` are out of range.
    """
    batch = load_batch(path, today=today)
    if batch.parallel < 1 or batch.timeout <= 0 or batch.retries < 0:
        raise UsageError("parallel must be >= 1, timeout > 0 and retries >= 0.")
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
