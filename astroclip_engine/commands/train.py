"""`astroclip train`: train (or resume) an AstroCLIP model into a run directory.

    astroclip train --data DATA --preset NAME --out RUN_DIR [--embedding-dim D] [--max-epochs N]
        [--batch-size B] [--devices N] [--num-nodes N] [--precision P] [--resume]
        [--properties CAT] [--stddev FILE] [--image-checkpoint resnet50.ckpt]
        [--spectrum-checkpoint spender.pt] [--freeze-backbones] [--learnable-temperature]
        [--progress bar|json|none] [--wandb PROJECT]

`--resume` alone (no --preset/--data) continues RUN_DIR with its own config.yaml; options given
with it are compared with config.yaml (only --max-epochs may differ). The training options come from
the one flag table, astroclip_engine/train_flags.py (shared with `slurm`, `sweep` and the GUI).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import Any

from astroclip_engine.commands._progress import add_progress_option
from astroclip_engine.config import RunConfig, list_presets, load_preset
from astroclip_engine.errors import ConfigError
from astroclip_engine.train_flags import (  # noqa: F401 (train_argv: re-exported, was defined here)
    add_train_options,
    overrides_from_args,
    train_argv,
)


def apply_overrides(config: RunConfig, overrides: dict[str, dict[str, Any]]) -> RunConfig:
    return config.replace(**{name: values for name, values in overrides.items() if values})


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """Preset (or, with --resume and no --preset, RUN_DIR/config.yaml) + command-line options."""
    out = Path(args.out)
    if args.preset:
        base = RunConfig.from_dict({**load_preset(args.preset).to_dict(), "name": out.name})
    elif getattr(args, "resume", False) and (out / "config.yaml").exists():
        base = RunConfig.from_yaml(out / "config.yaml")
    else:
        raise ConfigError(f"--preset is required to start a new run in {out} "
                          f"(available: {', '.join(list_presets())})")
    config = apply_overrides(base, overrides_from_args(args))
    if not config.data.path:
        raise ConfigError("--data is required: the paired dataset to train on")
    return config.check()


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train", help="train an AstroCLIP model (one machine or a cluster)",
        description="Train (or resume) an AstroCLIP model into RUN_DIR.")
    parser.add_argument("--out", required=True, metavar="RUN_DIR", help="run directory")
    parser.add_argument("--resume", action="store_true",
                        help="continue RUN_DIR from checkpoints/last.ckpt")
    add_progress_option(parser)
    add_train_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from astroclip_engine.jobs import TqdmReporter
    from astroclip_engine.training.run import train

    config = config_from_args(args)
    stdout = sys.stdout
    stream = stdout if args.progress == "json" else None
    reporter = TqdmReporter() if args.progress == "bar" else None
    # Anything else printed during training goes to stderr: stdout carries only the JSON lines.
    with contextlib.redirect_stdout(sys.stderr):
        status = train(config, args.out, resume=args.resume, reporter=reporter,
                       progress_stream=stream)
    if status.state == "cancelled":
        print(f"astroclip: training stopped; continue with: astroclip train --out {args.out} "
              "--resume", file=sys.stderr)
        return 130
    return 0
