"""``python -m ssi_kit.bench``: every benchmark, or the ``--only`` ones, at the ``--sizes`` chosen."""
from __future__ import annotations

import argparse
import time
from pathlib import Path

__all__ = ["main", "BENCHMARKS", "parse_sizes"]

#: Benchmarks in run order: name -> what it measures.
BENCHMARKS = {
    "scoring": "engine vs naive loop vs bare numpy (writes scoring.csv)",
    "window": "trailing-window sums vs DuckDB and pandas groupby-rolling",
    "network": "network top %% vs a DuckDB join and group-by",
    "claims": "the claims battery at 10k-100k sellers",
    "full": "full scoring to Parquet: time and peak memory (pandas engine; Dask at small sizes)",
    "process": "ssi-kit score as a whole process vs a DuckDB process (window sums + COPY), CSV and Parquet",
    "calibrate": "ssi-kit calibrate's fit on 200 sellers x 30 readings vs one scoring pass",
}
_DESCRIPTION = ("make bench: the kit's speed against naive and database peers on the same data, in one run. "
                "Prints tables and writes scoring.csv and scale.csv into --out.")


def parse_sizes(text: str) -> list[float]:
    """Comma-separated sizes, scientific notation allowed (``1e6,3e6,1e7``)."""
    try:
        sizes = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, got {text!r}") from None
    if not sizes or min(sizes) <= 0:
        raise argparse.ArgumentTypeError(f"expected positive sizes, got {text!r}")
    return sizes


def _only(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    bad = [n for n in names if n not in BENCHMARKS]
    if bad or not names:
        raise argparse.ArgumentTypeError(f"unknown benchmark(s) {', '.join(bad) or '(none)'}; "
                                         f"choose among {','.join(BENCHMARKS)}")
    return names


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m ssi_kit.bench", description=_DESCRIPTION)
    p.add_argument("--only", type=_only, default=list(BENCHMARKS),
                   help="benchmarks to run, comma-separated: " + "; ".join(f"{k}: {v}" for k, v in BENCHMARKS.items()))
    p.add_argument("--out", default="outputs/bench", help="folder of scoring.csv and scale.csv")
    p.add_argument("--data", default=None, help="cache of simulated datasets (default OUT/data)")
    p.add_argument("--cap-gb", type=float, default=None,
                   help="memory cap of each measured step, GB (default 70%% of the memory available when "
                   "the step starts, at most 16)")
    g = p.add_argument_group("scoring")
    g.add_argument("--members", type=int, default=2000)
    g.add_argument("--months", type=int, default=17)
    g.add_argument("--naive-cells", type=int, default=300)
    g = p.add_argument_group("window")
    g.add_argument("--sizes", type=parse_sizes, default=[1e6, 3e6, 1e7], help="seller-days (default 1e6,3e6,1e7)")
    g.add_argument("--window-months", type=int, default=24, help="months simulated (sellers = size / days)")
    g.add_argument("--pandas-limit", type=float, default=120.0,
                   help="run pandas at a size only if smaller sizes predict at most this many seconds (0: never)")
    g.add_argument("--repeat", type=int, default=2, help="runs of ours and DuckDB, best kept")
    g.add_argument("--sample", type=int, default=10_000, help="cells compared above 1.5M seller-days")
    g = p.add_argument_group("network")
    g.add_argument("--edges", type=parse_sizes, default=[1e6, 3e6, 1e7],
                   help="directed edges, both directions of each tie (default 1e6,3e6,1e7)")
    g.add_argument("--network-sellers", type=int, default=200_000)
    g = p.add_argument_group("claims")
    g.add_argument("--claims-sellers", type=parse_sizes, default=[1e4, 3e4, 1e5])
    g.add_argument("--claims-months", type=int, default=15)
    g = p.add_argument_group("process")
    g.add_argument("--process-members", type=int, default=2000, help="sellers (default 2000: 1.46M seller-days)")
    g.add_argument("--process-months", type=int, default=24)
    g.add_argument("--process-inputs", type=_formats, default=["csv", "parquet"],
                   help="formats of the input tables, comma-separated (default csv,parquet)")
    g.add_argument("--process-repeat", type=int, default=2, help="runs of each process, best kept")
    g = p.add_argument_group("calibrate")
    g.add_argument("--calibrate-members", type=int, default=200, help="sellers (default 200)")
    g.add_argument("--calibrate-readings", type=int, default=30, help="readings per seller (default 30)")
    return p


def _formats(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names or any(n not in ("csv", "parquet") for n in names):
        raise argparse.ArgumentTypeError(f"expected csv and/or parquet, comma-separated, got {text!r}")
    return names


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def _scale_rows(args, cache: Path, cap) -> list:
    from .calibration import calibration_rows
    from .claims import claims_rows
    from .full import full_rows
    from .network import network_rows
    from .process import process_rows
    from .window import window_rows

    rows = []
    if "window" in args.only:
        rows += window_rows(cache, args.sizes, months=args.window_months, pandas_limit=args.pandas_limit,
                            repeat=args.repeat, sample=args.sample, cap_bytes=cap, log=_log)
    if "network" in args.only:
        rows += network_rows(cache, args.edges, sellers=args.network_sellers, cap_bytes=cap, log=_log)
    if "claims" in args.only:
        rows += claims_rows(cache, args.claims_sellers, months=args.claims_months, cap_bytes=cap, log=_log)
    if "full" in args.only:
        rows += full_rows(cache, args.sizes, months=args.window_months, cap_bytes=cap, log=_log)
    if "process" in args.only:
        rows += process_rows(cache, members=args.process_members, months=args.process_months,
                             inputs=args.process_inputs, repeat=args.process_repeat, log=_log)
    if "calibrate" in args.only:
        rows += calibration_rows(cache, members=args.calibrate_members, readings=args.calibrate_readings, log=_log)
    return rows


def main(argv=None) -> int:
    """Run the chosen benchmarks, print their tables and write them into ``--out``.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        0; a peer that disagrees with ours raises :class:`~ssi_kit.bench.table.BenchMismatch`.
    """
    from . import scoring
    from .measure import memory_cap
    from .table import print_table, scale_table, write_table

    args = _parser().parse_args(argv)
    out = Path(args.out)
    cache = Path(args.data) if args.data else out / "data"
    cap = int(args.cap_gb * 1e9) if args.cap_gb else None  # None: set per step from the memory then free
    if "scoring" in args.only:
        _log(f"scoring benchmark, {args.members:,} sellers x {args.months} months")
        scoring.report(scoring.run(args.members, args.months, args.naive_cells), out)
    rows = _scale_rows(args, cache, cap)
    if rows:
        table = scale_table(rows)
        limit = f"{cap / 1e9:.1f} GB" if cap else f"70% of the available memory, now {memory_cap() / 1e9:.1f} GB"
        print(f"\nscale benchmarks (memory cap of each step: {limit})")
        print_table(table)
        print(f"\nwritten {write_table(table, out)}")
    return 0
