"""`astroclip info PATH [--json] [--properties CAT] [--sample N | --full]`: what a file holds."""

from __future__ import annotations

import argparse
import json
from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "info", help="summarise any file or folder the project reads or writes: data (HDF5 "
                     "release, parquet, DESI coadd, cutout, catalogue), checkpoints, published "
                     "embeddings, embeddings stores, runs, projects, evaluation reports")
    parser.add_argument("path", help="file or folder")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--properties", metavar="CAT", help="PROVABGS table to join on TARGETID")
    parser.add_argument("--sample", type=int, default=None, metavar="N",
                        help="rows checked for zero / NaN data (default: data.open."
                             "DEFAULT_SAMPLE, 1000)")
    parser.add_argument("--full", action="store_true", help="check every row (slow on big files)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from astroclip_engine.data.open import DEFAULT_SAMPLE  # numpy + h5py: not for --help
    from astroclip_engine.file_info import describe_file

    sample = DEFAULT_SAMPLE if args.sample is None else max(args.sample, 1)
    info = describe_file(args.path, properties=args.properties,
                         sample=None if args.full else sample)
    print(json.dumps(info, indent=2) if args.json else format_info(info))
    return 0


def format_info(info: dict[str, Any], indent: int = 0) -> str:
    """A readable, indented rendering of a `describe` dictionary."""
    lines = []
    pad = "  " * indent
    for key, value in info.items():
        label = key.replace("_", " ")
        if isinstance(value, dict):
            lines.append(f"{pad}{label}:")
            lines.append(format_info(value, indent + 1))
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            lines.append(f"{pad}{label}:")
            for item in value:
                lines.append(f"{pad}  - " + ", ".join(f"{k}={_fmt(v)}" for k, v in item.items()))
        else:
            lines.append(f"{pad}{label}: {_fmt(value)}")
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    return "-" if value is None else str(value)
