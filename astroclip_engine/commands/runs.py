"""`astroclip runs WORKSPACE [--json]`: the training runs in a folder, with state, best
validation loss and the zero-shot redshift R^2 of their last validation.

A run whose status says "running" but whose process no longer exists on this machine is shown
as "interrupted" (it was killed; `astroclip train --out RUN --resume` continues it).
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict
from typing import Any

from astroclip_engine.errors import ConfigError
from astroclip_engine.training.run_dir import RunDir, RunStatus, list_runs

COLUMNS = ("run", "state", "epoch", "best val loss", "R2 img", "R2 spec", "R2 img->spec",
           "updated")


def _state(status: RunStatus) -> str:
    if status.state == "running" and status.pid is not None:
        import psutil

        if not psutil.pid_exists(status.pid):
            return "interrupted"
    return status.state


def run_summary(run: RunDir) -> dict[str, Any]:
    """One row: name, state, epochs done / planned, best val loss, R^2, last update."""
    status = run.read_status()
    try:
        max_epochs: int | None = run.read_config().trainer.max_epochs
    except ConfigError:
        max_epochs = None
    return {"run": run.path.name, "path": str(run.path), "state": _state(status),
            "epoch": status.epoch, "max_epochs": max_epochs,
            "best_val_loss": status.best_val_loss, "r2": status.r2, "updated": status.updated,
            "status": asdict(status)}


def _fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def format_table(rows: list[dict[str, Any]]) -> str:
    lines = [list(COLUMNS)]
    for row in rows:
        r2 = row["r2"]
        lines.append([
            row["run"], row["state"], f"{row['epoch']}/{row['max_epochs'] or '?'}",
            _fmt(row["best_val_loss"], 4), _fmt(r2.get("image_image")),
            _fmt(r2.get("spectrum_spectrum")), _fmt(r2.get("image_spectrum")),
            time.strftime("%Y-%m-%d %H:%M", time.localtime(row["updated"])),
        ])
    widths = [max(len(line[i]) for line in lines) for i in range(len(COLUMNS))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True))
                     .rstrip() for line in lines)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("runs", help="list the training runs in a workspace folder")
    parser.add_argument("workspace", metavar="WORKSPACE")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    rows = [run_summary(r) for r in list_runs(args.workspace)]
    if args.json:
        print(json.dumps(rows, indent=2))
    elif not rows:
        print(f"no runs in {args.workspace}")
    else:
        print(format_table(rows))
    return 0
