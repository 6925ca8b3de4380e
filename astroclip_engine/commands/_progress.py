"""The `--progress {bar,json,none}` option every long command offers, and its reporter.

`bar`: a tqdm bar on stderr (for people); `json`: one JSON object per line on stdout (the
engine's JsonLinesReporter, read by the GUI's EngineProcess); `none`: silent.
"""

from __future__ import annotations

import argparse

from astroclip_engine.jobs import JsonLinesReporter, Reporter, TqdmReporter, null_reporter

PROGRESS_MODES = ("bar", "json", "none")


def add_progress_option(parser: argparse.ArgumentParser, default: str = "bar",
                        help_text: str | None = None) -> None:
    parser.add_argument(
        "--progress", choices=PROGRESS_MODES, default=default,
        help=help_text or "progress as a bar on stderr, JSON lines on stdout, or none")


def progress_reporter(args: argparse.Namespace) -> Reporter:
    """The reporter for `args.progress` (JSON lines at most 10 per second, and the last one)."""
    if args.progress == "json":
        return JsonLinesReporter(min_interval_s=0.1)
    if args.progress == "none":
        return null_reporter
    return TqdmReporter()
