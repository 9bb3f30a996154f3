"""``python -m ssi_kit.validation``: run the study, write and print the Markdown (``make validate``)."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..exceptions import SsiKitError
from ..limits import MAX_RESAMPLES, MAX_SEED, MAX_WORKERS, MIN_MEMBERS, check_whole
from .design import DEFAULT_DATASETS, DEFAULT_MEMBERS, DEFAULT_RESAMPLES, DEFAULT_STAGGERED
from .markdown import to_markdown, write_markdown
from .staggered import run_staggered_validation
from .study import validation_records
from .summary import summarize, with_settings

__all__ = ["main", "build_parser", "MAX_DATASETS", "MAX_STUDY_MEMBERS"]

#: Most datasets per arm of one study.
MAX_DATASETS = 100_000
#: Most sellers per simulated dataset of the study.
MAX_STUDY_MEMBERS = 100_000


def _whole(low: int, high: int):
    def parse(text: str) -> int:
        try:
            return check_whole(int(text), low, high, "the value")
        except (ValueError, SsiKitError) as err:
            raise argparse.ArgumentTypeError(f"expected a whole number from {low} to {high}, got {text!r}") from err
    return parse


def build_parser() -> argparse.ArgumentParser:
    """The command line of the study."""
    parser = argparse.ArgumentParser(prog="python -m ssi_kit.validation",
                                     description="Validate the claims engine on simulated data.")
    parser.add_argument("--datasets", type=_whole(1, MAX_DATASETS), default=DEFAULT_DATASETS,
                        help=f"datasets per arm, 1 to {MAX_DATASETS} (default {DEFAULT_DATASETS})")
    parser.add_argument("--members", type=_whole(MIN_MEMBERS, MAX_STUDY_MEMBERS), default=DEFAULT_MEMBERS,
                        help=f"sellers per dataset, {MIN_MEMBERS} to {MAX_STUDY_MEMBERS} (default {DEFAULT_MEMBERS})")
    parser.add_argument("--seed", type=_whole(0, MAX_SEED), default=0,
                        help=f"seed of the study, 0 to {MAX_SEED} (default 0)")
    parser.add_argument("--workers", type=_whole(1, MAX_WORKERS), default=2,
                        help=f"worker processes, 1 to {MAX_WORKERS} (default 2)")
    parser.add_argument("--resamples", type=_whole(1, MAX_RESAMPLES), default=DEFAULT_RESAMPLES,
                        help=f"bootstrap resamples, 1 to {MAX_RESAMPLES} (default {DEFAULT_RESAMPLES})")
    parser.add_argument("--staggered", type=_whole(0, MAX_DATASETS), default=DEFAULT_STAGGERED,
                        help="datasets of the staggered-training study of the difference-in-differences, "
                             f"0 to {MAX_DATASETS} (0 skips it; default {DEFAULT_STAGGERED})")
    parser.add_argument("--out", type=Path,
                        help="Markdown file to write (e.g. docs/validation.md); in an existing file the "
                             "text after the end marker (the commentary) is kept")
    parser.add_argument("--records", type=Path,
                        help="optional CSV of every dataset's results (the arm 'null' is a string: "
                             "read it back with keep_default_na=False)")
    return parser


def _progress(done: int, total: int) -> None:
    if done % max(1, total // 20) == 0 or done == total:
        print(f"  {done}/{total} datasets", file=sys.stderr, flush=True)


def main(argv=None) -> int:
    """Run the study, write ``--out`` (and ``--records``) and print the Markdown.

    Returns
    -------
    int
        0 on success, 2 when a file cannot be written because of what was given.
    """
    args = build_parser().parse_args(argv)
    start = time.perf_counter()
    records = validation_records(args.datasets, args.members, args.seed, args.workers, _progress,
                                 args.resamples)
    table = with_settings(summarize(records), n_datasets=args.datasets, members=args.members,
                          seed=args.seed, workers=args.workers, n_resamples=args.resamples,
                          seconds=time.perf_counter() - start)
    staggered = (run_staggered_validation(args.staggered, seed=args.seed, workers=args.workers)
                 if args.staggered else None)
    text = to_markdown(table, staggered)
    try:
        if args.out is not None:
            write_markdown(args.out, text)
        if args.records is not None:
            from ..io.atomic import atomic_file

            with atomic_file(args.records) as tmp:
                records.to_csv(tmp, index=False)
    except SsiKitError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    print(text, end="")
    return 0
