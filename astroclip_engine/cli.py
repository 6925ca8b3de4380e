"""The `astroclip` command. Each subcommand lives in `astroclip_engine/commands/<name>.py`
and exposes `register(subparsers)`; this module only discovers and dispatches them."""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence

from astroclip_engine import __version__, commands
from astroclip_engine.errors import AstroClipError, JobCancelled
from astroclip_engine.log_setup import configure_logging


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="astroclip",
        description="AstroCLIP Studio engine: data, training, embeddings, search and evaluation.",
    )
    parser.add_argument("--version", action="version", version=f"astroclip {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="debug logging, and the third-party warnings hidden by default")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    parser.set_defaults(engine_main=main)  # commands that run other commands (the demo) use it
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(verbose=args.verbose)
    try:
        return int(args.func(args) or 0)
    except JobCancelled:
        print("astroclip: cancelled", file=sys.stderr)
        return 130
    except AstroClipError as exc:
        print(f"astroclip: error: {exc}", file=sys.stderr)
        _note_write_failure(exc)
        return 2
    except OSError as exc:  # disk full, permissions, a path that is not a folder, ...
        print(f"astroclip: error: {exc}", file=sys.stderr)
        _note_write_failure(exc)
        return 1
    except KeyboardInterrupt:
        print("astroclip: interrupted", file=sys.stderr)
        return 130


_FULL_DISK = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}
_failed_write: list[BaseException] = []
"""The exception of a failed file write. Holding it keeps its frames, and the HDF5 objects in
them, alive until console_main leaves: HDF5 crashes when it frees objects of a failed file."""


def _note_write_failure(exc: BaseException) -> None:
    """Remember a write that failed for lack of space (anywhere in the exception chain)."""
    cause: BaseException | None = exc
    while cause is not None:
        message = str(cause)
        if (isinstance(cause, OSError) and cause.errno in _FULL_DISK) or \
                "write request failed" in message or "file write failed" in message:
            _failed_write.append(exc)
            return
        cause = cause.__cause__ or cause.__context__


def console_main() -> None:
    """The `astroclip` command. After a failed HDF5 write (disk full) the error has been reported
    and every output cleaned up, but the HDF5 library crashes while freeing the failed file's
    objects at interpreter exit: leave at once instead, with the error's exit code."""
    code = main()
    if _failed_write:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    console_main()
