"""`astroclip check stein|spender|properties PATH`: is this file usable for training?

The training wizard runs it in a child process for each file the user picks. It prints one
JSON object: {"ok": true, "summary": "..."} or {"ok": false, "error": "..."}; the
engine's own loaders do the checking, so the wizard accepts exactly what training accepts.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

from astroclip_engine.errors import AstroClipError


def check_stein(path: str) -> str:
    from astroclip_engine.models.checkpoints import load_stein_image_encoder

    encoder = load_stein_image_encoder(path)
    n_params = sum(p.numel() for p in encoder.parameters())
    return f"Stein et al. ResNet-50 image encoder, {n_params / 1e6:.1f} M parameters"


def check_spender(path: str) -> str:
    from astroclip_engine.models.checkpoints import load_spender_encoder

    encoder = load_spender_encoder(path)
    n_params = sum(p.numel() for p in encoder.parameters())
    return f"spender spectrum encoder, {n_params / 1e6:.2f} M parameters"


def check_properties(path: str) -> str:
    from astroclip_engine.data.provabgs import PropertyTable

    table = PropertyTable.read(path)
    return (f"PROVABGS table: {table.n_kept:,} of {table.n_rows:,} rows pass the quality cuts; "
            f"columns {', '.join(sorted(table.columns))}")


CHECKS: dict[str, Callable[[str], str]] = {
    "stein": check_stein, "spender": check_spender, "properties": check_properties,
}


def run_check(kind: str, path: str) -> dict[str, object]:
    """The check's verdict as a JSON-ready dict (never raises for a bad file)."""
    if not Path(path).is_file():
        return {"ok": False, "error": f"{path}: no such file"}
    try:
        return {"ok": True, "summary": CHECKS[kind](path)}
    except AstroClipError as exc:
        return {"ok": False, "error": str(exc)}
    except Exception as exc:  # an unexpected failure is still a verdict on this file
        return {"ok": False, "error": f"{path}: {type(exc).__name__}: {exc}"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check", help="check a pretrained encoder or a property table; prints a JSON verdict")
    parser.add_argument("kind", choices=sorted(CHECKS), help="what the file should be")
    parser.add_argument("path", help="the file")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    print(json.dumps(run_check(args.kind, args.path)))
    return 0
