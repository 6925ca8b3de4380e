"""`astroclip sweep`: train one model per embedding size, one after another (resumable).

    astroclip sweep --data DATA --dims 8,16,32,64,128,256,512 --preset-prefix repro
        --out WORKSPACE [train options...] [--progress bar|json|none]

Runs go to WORKSPACE/PREFIX-dD; finished runs are skipped, interrupted ones resumed.
"""

from __future__ import annotations

import argparse
import contextlib
import sys

from astroclip_engine.commands._progress import add_progress_option
from astroclip_engine.config import EMBEDDING_DIMS
from astroclip_engine.errors import ConfigError
from astroclip_engine.train_flags import add_train_options, overrides_from_args


def _dims(text: str) -> list[int]:
    try:
        dims = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated sizes, got {text!r}") from None
    if not dims or min(dims) < 1:
        raise argparse.ArgumentTypeError(f"expected positive sizes, got {text!r}")
    return dims


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sweep", help="train one model per embedding size (resumable)",
        description="Train PREFIX-dD presets for every D in --dims, each in WORKSPACE/PREFIX-dD.")
    parser.add_argument("--out", required=True, metavar="WORKSPACE")
    parser.add_argument("--dims", type=_dims,
                        default=list(EMBEDDING_DIMS), help="comma-separated embedding sizes")
    parser.add_argument("--preset-prefix", default="repro")
    add_progress_option(parser)
    add_train_options(parser, skip=("--preset", "--embedding-dim"))
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from astroclip_engine.jobs import TqdmReporter
    from astroclip_engine.training.sweep import plan_sweep, sweep

    if not args.data:
        raise ConfigError("--data is required: the paired dataset to train on")
    runs = plan_sweep(args.dims, args.preset_prefix, args.out, overrides_from_args(args))
    stdout = sys.stdout
    with contextlib.redirect_stdout(sys.stderr):
        results = sweep(runs, reporter=TqdmReporter() if args.progress == "bar" else None,
                        progress_stream=stdout if args.progress == "json" else None)
    if args.progress != "json":
        for run, status in results:
            loss = "-" if status.best_val_loss is None else f"{status.best_val_loss:.4f}"
            print(f"{run.preset:<16} {status.state:<10} best val loss {loss}")
    return 0
