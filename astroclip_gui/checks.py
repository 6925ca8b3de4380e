"""Checks the training wizard runs on the user's files, each in a child process (Qt-free).

    python -m astroclip_gui.checks stein|spender|properties PATH

prints one JSON object: {"ok": true, "summary": "..."} or {"ok": false, "error": "..."}; the
engine's own loaders do the checking, so the wizard accepts exactly what training accepts.
"""

from __future__ import annotations

import json
import sys
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


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in CHECKS:
        print(f"usage: python -m astroclip_gui.checks {{{'|'.join(CHECKS)}}} PATH",
              file=sys.stderr)
        return 2
    print(json.dumps(run_check(argv[0], argv[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
