"""The ``ssi-kit`` command line: parse arguments, make one library call, map errors to exit codes.

Exit status: 0 on success, 2 on bad input or usage (one paragraph on stderr,
no traceback), 1 when a run fails for another reason.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from .. import __version__
from ..exceptions import InputError, SsiKitError, UsageError, describe_os_error
from ..limits import (MAX_EVERY, MAX_MEMBERS, MAX_MONTHS, MAX_RESAMPLES, MAX_SEED, MAX_WORKERS, MIN_MEMBERS,
                     MIN_MONTHS)
from ..progress import Progress
from .imports import add_import, run_import
from .calibrate import add_calibrate, run_calibrate
from .plan import add_plan, run_plan
from .options import Parser, iso_date, positive_int, positive_number, whole, with_quiet

__all__ = ["main", "build_parser"]

def _add_simulate(sub) -> None:
    p = sub.add_parser("simulate", help="write a synthetic dataset with planted effects",
                       description="Write a complete synthetic dataset (all seven tables) from the "
                       "documented generative model (docs/simulator.md). Deterministic per seed.")
    p.add_argument("--out", required=True, help="dataset directory to create")
    p.add_argument("--members", type=whole(MIN_MEMBERS, MAX_MEMBERS), default=200,
                   help=f"number of sellers, {MIN_MEMBERS} to {MAX_MEMBERS} (default 200)")
    p.add_argument("--seed", type=whole(0, MAX_SEED), default=0, help=f"random seed, 0 to {MAX_SEED} (default 0)")
    p.add_argument("--start", type=iso_date, default="2025-07-01", help="first day of activity (default 2025-07-01)")
    p.add_argument("--months", type=whole(MIN_MONTHS, MAX_MONTHS), default=15,
                   help=f"months of data, {MIN_MONTHS} to {MAX_MONTHS} (default 15)")
    p.add_argument("--ssi-every", type=positive_int, default=7, help="days between SSI readings (default 7)")
    p.add_argument("--readings-spec", metavar="SPEC.yaml",
                   help="draw the SSI readings from this scoring spec applied to the simulated activity, plus "
                   "noise (a formula the kit is not given, to try ssi-kit calibrate)")
    p.add_argument("--readings-noise", type=positive_number, default=0.6, metavar="POINTS",
                   help="noise of --readings-spec readings, standard deviation per pillar (default 0.6)")
    p.add_argument("--effect", action="append", default=[], metavar="CLAIM=VALUE",
                   help="planted effect of a claim, e.g. leaders_quota=1 (repeatable; default the published values)")
    p.add_argument("--format", choices=("csv", "parquet"), default="csv", help="table file format")
    p.add_argument("--force", action="store_true",
                   help="replace OUT if it holds an earlier simulated dataset (tables and truth.json only)")


def _add_score(sub) -> None:
    from ..jobs import SCORE_FORMATS
    from ..scoring.engines import ENGINES

    p = sub.add_parser("score", help="score every seller and day: pillars, SSI, tiers, ranks",
                       description="Compute the kit's transparent SSI for each seller and day and write OUT/scores.csv "
                       "(or .parquet), on this machine or on a Dask cluster.")
    p.add_argument("dataset", help="dataset directory")
    p.add_argument("--out", required=True, help="output directory (OUT/scores.csv)")
    p.add_argument("--spec", help="scoring spec YAML (default: the shipped spec)")
    p.add_argument("--start", type=iso_date, help="first day to score, YYYY-MM-DD (default: first date in the data)")
    p.add_argument("--end", type=iso_date, help="last day to score, YYYY-MM-DD (default: last date in the data)")
    p.add_argument("--every", type=whole(1, MAX_EVERY), default=1,
                   help=f"score every N-th day, counted back from --end (1 to {MAX_EVERY})")
    p.add_argument("--format", choices=SCORE_FORMATS, default="csv",
                   help="output format: OUT/scores.csv or OUT/scores.parquet")
    p.add_argument("--team", help="keep one team's rows (ranks stay computed over the whole organisation)")
    p.add_argument("--engine", choices=ENGINES, default=ENGINES[0],
                   help="pandas: this process, block by block; dask: a Dask cluster (same results)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="Dask scheduler address, e.g. tcp://host:8786 (default: a local cluster; --engine dask)")
    p.add_argument("--workers", type=whole(1, MAX_WORKERS),
                   help=f"workers of the local Dask cluster, 1 to {MAX_WORKERS} (default: CPUs, at most 4; "
                   "--engine dask)")


def _add_claims(sub) -> None:
    p = sub.add_parser("claims", help="test the published SSI claims on a dataset",
                       description="Test every claim of the registry (the shipped claims.yaml, or --claims) and write "
                       "OUT/claims.csv, OUT/claims.json and OUT/specifications.csv (the specification curve). Claims the dataset "
                       "cannot test are reported as untestable with the reason (exit 0).")
    p.add_argument("dataset", help="dataset directory")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--claims", help="claims registry YAML (default: the registry shipped with ssi-kit)")
    p.add_argument("--ssi", choices=("auto", "observed", "computed"), default="auto",
                   help="SSI used: observed readings (ssi table), the kit's computed score, or auto "
                   "(observed when present)")
    p.add_argument("--seed", type=whole(0, MAX_SEED), default=0, help=f"bootstrap seed, 0 to {MAX_SEED} (default 0)")
    p.add_argument("--resamples", type=whole(1, MAX_RESAMPLES), default=2000,
                   help=f"bootstrap resamples, 1 to {MAX_RESAMPLES} (default 2000)")


def _add_report(sub) -> None:
    p = sub.add_parser("report", help="run the report notebooks with papermill and export HTML",
                       description="Run the report notebooks through papermill on a dataset and export "
                       "OUT/report.html. OUT may contain {date} and {hash} (of the parameters).")
    p.add_argument("dataset", help="dataset directory")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("-p", "--parameter", action="append", default=[], metavar="NAME=VALUE",
                   help="notebook parameter (repeatable); VALUE is read as YAML")
    p.add_argument("-f", "--parameters-file", metavar="PARAMS.yaml",
                   help="notebook parameters from a YAML mapping (-p values override it)")
    p.add_argument("--kernel", help="registered Jupyter kernel (default: a kernel of the Python running ssi-kit)")
    p.add_argument("--reuse", metavar="FOLDER",
                   help="reuse the scores and claims of an earlier organisation-wide run (or --stage) of the "
                   "same dataset and scoring/claims parameters instead of computing them again (checked)")
    p.add_argument("--stage", action="store_true",
                   help="only score and test the whole organisation (notebooks 01 and 02, no report.html), "
                   "into a folder that later team runs --reuse")


def _add_check(sub) -> None:
    p = sub.add_parser("check", help="data-quality findings on a dataset's readings and activity",
                       description="Look for what the contract lets through but looks wrong: failed "
                       "captures, pillars that do not add up, jumps, stale trackers, gaps, outliers, "
                       "future dates (docs/quality.md). Findings exit 0; an invalid dataset exits 2.")
    p.add_argument("dataset", help="dataset directory")
    p.add_argument("--out", help="output directory for quality.csv and quality.json (default: print only)")
    p.add_argument("--max-daily-change", type=positive_number, default=argparse.SUPPRESS, metavar="N",
                   help="jump: SSI points a day between consecutive readings (default 5)")
    p.add_argument("--stale-days", type=positive_int, default=argparse.SUPPRESS, metavar="N",
                   help="stale: days an unchanged reading may last (default 21)")
    p.add_argument("--max-gap-days", type=positive_int, default=argparse.SUPPRESS, metavar="N",
                   help="gap: days without a reading from a seller read weekly (default 14)")
    p.add_argument("--outlier-mads", type=positive_number, default=argparse.SUPPRESS, metavar="K",
                   help="activity_outlier: robust SDs of log(1+count) above the seller's median (default 6)")
    p.add_argument("--outlier-floor", type=positive_int, default=argparse.SUPPRESS, metavar="N",
                   help="activity_outlier: a flagged day's count must also exceed N (default 50)")
    p.add_argument("--after-readings-days", type=positive_int, default=argparse.SUPPRESS, metavar="N",
                   help="activity_after_readings: days of activity allowed after the last reading (default 30)")
    p.add_argument("--today", type=iso_date, default=argparse.SUPPRESS, metavar="DAY",
                   help="future_date: the day of the check, YYYY-MM-DD (default today)")


def _check(args, progress) -> int:
    from .. import jobs

    names = ("max_daily_change", "stale_days", "max_gap_days", "outlier_mads", "outlier_floor",
             "after_readings_days", "today")  # absent unless given: the defaults live in Thresholds
    result = jobs.check_to_dir(args.dataset, args.out, progress=progress,
                               **{n: getattr(args, n) for n in names if hasattr(args, n)})
    result.show()
    if args.out:
        print(Path(args.out) / "quality.csv")
    return 0


def _add_batch(sub) -> None:
    p = sub.add_parser("batch", help="run many reports from a runs.yaml (scheduled batches)",
                       description="Run named parameter sets over a dataset (e.g. one report per team), "
                       "N at a time, with a per-run timeout and retries; print a summary; exit 1 if any "
                       "run failed. Format and scheduling: docs/scheduling.md.")
    p.add_argument("runs", help="the batch file (runs.yaml)")


def build_parser() -> argparse.ArgumentParser:
    """The full ``ssi-kit`` argument parser."""
    parser = Parser(prog="ssi-kit", description="ssi-kit: transparent SSI scores, tested claims, reports.")
    parser.add_argument("--version", action="version", version=f"ssi-kit {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.add_parser = with_quiet(sub.add_parser)
    sub.required = True
    _add_simulate(sub)
    _add_score(sub)
    _add_claims(sub)
    _add_check(sub)
    _add_report(sub)
    _add_batch(sub)
    add_import(sub)
    add_plan(sub)
    add_calibrate(sub)
    return parser


def _parse_pairs(pairs, what: str) -> dict:
    from ..io.safe_yaml import parse_yaml

    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"{what} {pair[:80]!r} is not NAME=VALUE.")
        out[name.strip()] = parse_yaml(value, what=f"{what} {name.strip()[:80]}") if value else ""
    return out


def _read_params(path) -> dict:
    if not path:
        return {}
    from ..io.safe_yaml import load_yaml

    data = load_yaml(path, what="parameters file")
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(f"The parameters file {path} must hold a mapping of NAME: VALUE.")
    odd = [k for k in data if not isinstance(k, str)]
    if odd:
        raise UsageError(f"The parameters file {path} has names that are not text "
                         f"({', '.join(repr(k) for k in odd[:5])[:200]}); expected NAME: VALUE.")
    return data


def _batch(runs, progress) -> int:
    from ..report.batch import run_batch

    summary = run_batch(runs, progress=progress)
    with __import__("pandas").option_context("display.width", 160, "display.max_colwidth", 60):
        print(summary.to_string(index=False))
    return 0 if (summary["status"] == "ok").all() else 1


#: Libraries whose log lines a report or batch run shows (warnings; with -q errors only).
_LIBRARY_LOGGERS = ("papermill", "traitlets", "nbconvert", "nbclient", "jupyter_client")


def _quiet_libraries(quiet: bool) -> None:
    """With ``-q`` a report or batch prints errors only: library and Python warnings are dropped too."""
    if quiet:
        logging.captureWarnings(True)  # warnings.warn(...) -> the py.warnings logger
        for name in (*_LIBRARY_LOGGERS, "py.warnings"):
            logging.getLogger(name).setLevel(logging.ERROR)


def _report(args, progress) -> Path:
    """``ssi-kit report``: what needs no notebook is refused first (OUT, parameters, team, kernel)."""
    from ..io.atomic import check_replaceable
    from ..report.parameters import check_kernel, check_team

    check_replaceable(args.out)  # the report replaces OUT whole: refused before any work
    params = {**_read_params(args.parameters_file), **_parse_pairs(args.parameter, "-p")}
    check_team(args.dataset, params)  # the members table alone: an unknown team is refused at once
    check_kernel(args.kernel)
    from ..report import run_report

    return run_report(args.dataset, args.out, parameters=params, kernel_name=args.kernel,
                      progress=progress, reuse=args.reuse, stage=args.stage)


def _run(args) -> int:
    from .. import jobs

    with Progress(args.command, enabled=not args.quiet) as progress:
        if args.command == "simulate":
            from ..simulate import SimulationConfig
            from ..simulate.config import check_span

            check_span(args.start, args.months, names=("--start", "--months"))
            effects = {**SimulationConfig().effects, **_parse_pairs(args.effect, "--effect")}
            config = SimulationConfig(members=args.members, seed=args.seed, start=args.start,
                                      months=args.months, ssi_every=args.ssi_every, effects=effects)
            path = jobs.simulate_to_dir(args.out, config, fmt=args.format, force=args.force,
                                        readings_spec=args.readings_spec, readings_noise=args.readings_noise)
        elif args.command == "claims":
            jobs.claims_to_dir(args.dataset, args.out, claims=args.claims, ssi_source=args.ssi,
                               seed=args.seed, n_resamples=args.resamples, progress=progress)
            path = Path(args.out) / "claims.csv"
        elif args.command == "score":
            path = jobs.score_to_dir(args.dataset, args.out, spec=args.spec, start=args.start,
                                     end=args.end, every=args.every, team=args.team, formats=args.format,
                                     engine=args.engine, scheduler=args.scheduler, workers=args.workers,
                                     progress=progress).path
        elif args.command == "import":
            summary = run_import(args)
            print(summary.describe())
            return 0
        elif args.command == "calibrate":
            path = run_calibrate(args, progress)
        elif args.command == "plan":
            path = run_plan(args, progress)
        elif args.command == "check":
            return _check(args, progress)
        elif args.command == "batch":
            _quiet_libraries(args.quiet)
            return _batch(args.runs, progress)
        else:
            _quiet_libraries(args.quiet)
            path = _report(args, progress)
    print(path)
    return 0


def main(argv=None) -> int:
    """Run the command line; return the exit status."""
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    for noisy in _LIBRARY_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        args = build_parser().parse_args(argv)
        status = _run(args)
    except InputError as err:
        print(f"ssi-kit: error: {err}", file=sys.stderr)
        return err.exit_code
    except SsiKitError as err:
        print(f"ssi-kit: failed: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("ssi-kit: interrupted", file=sys.stderr)
        return 130
    except OSError as err:
        print(f"ssi-kit: failed: {describe_os_error(err)}", file=sys.stderr)
        return 1
    except MemoryError:
        print("ssi-kit: failed: out of memory; the input is too large for this machine "
              "(see docs/scaling.md for the Dask engine).", file=sys.stderr)
        return 1
    except Exception as err:  # noqa: BLE001 - the last guard: one paragraph, never a traceback
        if os.environ.get("SSI_KIT_DEBUG"):
            raise
        print(f"ssi-kit: failed: internal error ({type(err).__name__}: {_first_line(err)}); "
              "this is a bug in ssi-kit: please report it with the command you ran "
              "(set SSI_KIT_DEBUG=1 to see the traceback).", file=sys.stderr)
        return 1
    return status


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0][:300] if text else "no message"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
