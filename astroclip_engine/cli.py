"""The `astroclip` command. Each subcommand lives in `astroclip_engine/commands/<name>.py`
and exposes `register(subparsers)`; this module only discovers and dispatches them."""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from collections.abc import Sequence

from astroclip_engine import __version__, commands
from astroclip_engine.errors import AstroClipError, JobCancelled


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="astroclip",
        description="AstroCLIP Studio engine: data, training, embeddings, search and evaluation.",
    )
    parser.add_argument("--version", action="version", version=f"astroclip {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except JobCancelled:
        print("astroclip: cancelled", file=sys.stderr)
        return 130
    except AstroClipError as exc:
        print(f"astroclip: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # disk full, permissions, a path that is not a folder, ...
        print(f"astroclip: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("astroclip: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
