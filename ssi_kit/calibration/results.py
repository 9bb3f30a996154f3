"""The result of a calibration: the fitted spec, its cross-validated errors, a figure."""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..io.schemas import PILLARS
from ..scoring import ScoringSpec, parse_spec

__all__ = ["CalibrationResult", "build_spec", "error_rows", "spec_to_dict", "read_calibration",
           "describe_calibration", "ERROR_COLUMNS"]

#: Columns of :attr:`CalibrationResult.errors` (and ``calibration.csv``).
ERROR_COLUMNS = ("pillar", "spec", "mae", "rmse", "r2", "n")
_DECIMALS = 6
#: Largest ``calibration.json`` beside a spec that is read.
_MAX_CALIBRATION_BYTES = 256 << 10


def error_rows(readings: pd.DataFrame, held_out: dict, baseline: dict) -> pd.DataFrame:
    """MAE, RMSE and R² against the readings of the held-out predictions and of the start spec."""
    rows = []
    for name, pred in held_out.items():
        y = readings[name].to_numpy(dtype=float)
        for label, p in (("calibrated", pred), ("default", np.asarray(baseline[name], dtype=float))):
            err = p - y
            ss = float(np.sum((y - y.mean()) ** 2))
            r2 = 1.0 - float(np.sum(err ** 2)) / ss if ss > 0 else float("nan")
            rows.append((name, label, float(np.mean(np.abs(err))), float(np.sqrt(np.mean(err ** 2))), r2, len(y)))
    frame = pd.DataFrame(rows, columns=list(ERROR_COLUMNS))
    for col in ("mae", "rmse", "r2"):
        frame[col] = frame[col].round(_DECIMALS)
    return frame


def build_spec(cands, weights: dict, start: ScoringSpec, errors: pd.DataFrame) -> ScoringSpec:
    """The calibrated spec: the chosen candidates with their weights, each with its ``why``."""
    mae = dict(zip(errors.loc[errors["spec"] == "calibrated", "pillar"],
                   errors.loc[errors["spec"] == "calibrated", "mae"]))
    inputs = []
    for pillar in PILLARS:
        cols = sorted((j for j in weights if cands.pillar[j] == pillar), key=lambda j: (-weights[j], j))
        w = _exact_weights([weights[j] for j in cols])
        names: dict = {}
        for j, wj in zip(cols, w):
            item = cands.inputs[j]
            names[item.name] = names.get(item.name, 0) + 1
            name = item.name if names[item.name] == 1 else f"{item.name}_{names[item.name]}"
            inputs.append(replace(item, name=name, weight=wj, why=_why(item, wj, mae.get(pillar, mae.get("ssi")))))
    spec = ScoringSpec(inputs=tuple(inputs), window_days=start.window_days, source="calibrated spec")
    return parse_spec(spec_to_dict(spec), source="calibrated spec")  # checked like any spec


def _exact_weights(weights) -> list[float]:
    """Weights rounded to 6 decimals whose float sum is 25 within the spec's tolerance."""
    w = [round(float(x), _DECIMALS) for x in weights]
    w[0] = round(25.0 - sum(w[1:]), _DECIMALS)
    return w


def _why(item, weight: float, mae) -> str:
    window = "all history" if item.window is None else f"{item.window}-day window"
    if item.source in ("profile", "peers"):
        window = "latest profile" if item.source == "profile" else "connections table"
    held = "" if mae is None else f"; held-out MAE {mae:.2f}"
    return f"fit: weight {weight:.2f} of 25, {item.transform}, target {item.target:g}, {window}{held}"


def spec_to_dict(spec: ScoringSpec) -> dict:
    """A spec as the plain mapping :func:`ssi_kit.scoring.parse_spec` reads (the shipped format)."""
    pillars = {}
    for pillar in PILLARS:
        items = []
        for i in spec.pillar_inputs(pillar):
            item = {"name": i.name, "source": i.source}
            if i.columns:
                item["columns"] = list(i.columns)
            if i.source in ("activity", "active_days"):
                item["window"] = "all" if i.window is None else int(i.window)
            item.update({"transform": i.transform, "target": float(i.target), "weight": float(i.weight),
                         "why": i.why})
            items.append(item)
        pillars[pillar] = items
    return {"version": 1, "window_days": int(spec.window_days), "pillars": pillars}


@dataclass(frozen=True)
class CalibrationResult:
    """A spec fitted to observed readings (:func:`ssi_kit.calibration.fit_spec`).

    Attributes
    ----------
    spec : ScoringSpec
        The calibrated spec (an ordinary spec: ``ssi-kit score --spec`` takes it).
    errors : pandas.DataFrame
        ``pillar, spec, mae, rmse, r2, n``: per fitted pillar and the total, the
        cross-validated error of the calibrated spec (held-out sellers) and the
        error of the start spec, against the readings.
    readings : pandas.DataFrame
        ``member_id, date, pillar, observed, calibrated, default`` (held-out predictions).
    warnings : tuple of str
        What the fit could not explain.
    start : str
        Which spec it started from.
    folds, seed : int
    """

    spec: ScoringSpec
    errors: pd.DataFrame
    readings: pd.DataFrame = field(repr=False)
    warnings: tuple = ()
    start: str = "default spec"
    folds: int = 5
    seed: int = 0

    def to_frame(self) -> pd.DataFrame:
        """The error table (``calibration.csv``)."""
        return self.errors.copy()

    def to_dict(self) -> dict:
        """JSON-ready: options, errors, warnings and the spec's inputs."""
        errors = [{k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in row.items()}
                  for row in self.errors.to_dict(orient="records")]
        return {"start": self.start, "folds": self.folds, "seed": self.seed, "errors": errors,
                "warnings": list(self.warnings), "spec": spec_to_dict(self.spec)}

    def to_yaml(self) -> str:
        """The spec as YAML in the shipped spec's format."""
        head = (f"# ssi-kit calibrated scoring spec: fitted to observed SSI readings from {self.start}\n"
                f"# (cross-validated by seller, {self.folds} folds, seed {self.seed}; see calibration.csv).\n")
        return head + yaml.safe_dump(spec_to_dict(self.spec), sort_keys=False, allow_unicode=True, width=120)

    def summary(self) -> str:
        """The errors in words: per pillar and the total, calibrated beside the start spec."""
        lines = [f"Calibrated spec ({self.folds}-fold CV by seller, seed {self.seed}; start: {self.start})",
                 f"{'':14}{'MAE':>8}{'RMSE':>8}{'R2':>8}   start spec MAE", ]
        cal = self.errors[self.errors["spec"] == "calibrated"].set_index("pillar")
        base = self.errors[self.errors["spec"] == "default"].set_index("pillar")
        for name, row in cal.iterrows():
            lines.append(f"{name:14}{row.mae:8.2f}{row.rmse:8.2f}{row.r2:8.3f}   {base.loc[name, 'mae']:.2f}")
        for pillar in PILLARS:
            lines.append(f"{pillar}: {len(self.spec.pillar_inputs(pillar))} inputs")
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def plot(self):
        """Held-out predicted against observed, one panel per fitted quantity (matplotlib Figure)."""
        from .figure import plot_calibration

        return plot_calibration(self.readings)


def read_calibration(spec) -> dict | None:
    """What a spec file says of its calibration: its comment lines naming it, a ``calibration.json`` beside it.

    Parameters
    ----------
    spec : path-like or str
        A spec file (``ssi-kit calibrate`` writes ``spec.yaml`` beside ``calibration.json``),
        or a spec's ``source`` text; anything that is not a readable file gives None.

    Returns
    -------
    dict or None
        ``comments`` (the spec's ``#`` lines mentioning calibration) and ``file`` / ``report``
        (the ``calibration.json`` in the spec's folder, a JSON object); None when neither exists.
    """
    try:
        path = Path(spec)
        lines = path.read_text(encoding="utf-8-sig").splitlines() if path.is_file() else None
    except (OSError, UnicodeDecodeError, TypeError, ValueError):
        return None
    if lines is None:
        return None
    found = {}
    comments = [ln.lstrip("# ").strip() for ln in lines if ln.lstrip().startswith("#") and "calibrat" in ln.lower()]
    if comments:
        found["comments"] = comments[:20]
    beside = path.parent / "calibration.json"
    try:
        if beside.is_file() and beside.stat().st_size <= _MAX_CALIBRATION_BYTES:
            report = json.loads(beside.read_bytes())
            if isinstance(report, dict):
                found.update(file=str(beside), report=report)
    except (OSError, ValueError, RecursionError):
        pass
    return found or None


def describe_calibration(record: dict | None) -> str | None:
    """One sentence on a calibrated spec's cross-validated error, from :func:`read_calibration`'s record.

    Returns
    -------
    str or None
        E.g. ``"calibrated to LinkedIn's readings: held-out error 0.41 points of SSI (mean absolute
        error, 5-fold cross-validation by seller), against 7.20 for the start spec"``; None when the
        record holds no error table.
    """
    report = (record or {}).get("report")
    rows = report.get("errors") if isinstance(report, dict) else None
    if not isinstance(rows, list):
        return None
    mae = {(r.get("spec"), r.get("pillar")): r.get("mae") for r in rows if isinstance(r, dict)}
    name = "ssi" if ("calibrated", "ssi") in mae else next((p for s, p in mae if s == "calibrated"
                                                            and isinstance(p, str) and len(p) < 40), None)
    cal, base = mae.get(("calibrated", name)), mae.get(("default", name))
    if not isinstance(cal, (int, float)):
        return None
    what = "SSI" if name == "ssi" else f"the {name} pillar"
    folds = report.get("folds")
    folds = f"{folds}-fold " if isinstance(folds, int) and not isinstance(folds, bool) else ""
    text = (f"calibrated to LinkedIn's readings: held-out error {cal:.2f} points of {what} (mean absolute "
            f"error, {folds}cross-validation by seller)")
    if isinstance(base, (int, float)):
        text += f", against {base:.2f} for the start spec"
    return text
