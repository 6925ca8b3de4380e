"""`astroclip train`: train (or resume) an AstroCLIP model into a run directory.

    astroclip train --data DATA --preset NAME --out RUN_DIR [--embedding-dim D] [--max-epochs N]
        [--batch-size B] [--devices N] [--num-nodes N] [--precision P] [--resume]
        [--properties CAT] [--stddev FILE] [--image-checkpoint resnet50.ckpt]
        [--spectrum-checkpoint spender.pt] [--freeze-backbones] [--learnable-temperature]
        [--progress bar|json|none] [--wandb PROJECT]

`--resume` alone (no --preset/--data) continues RUN_DIR with its own config.yaml; options given
with it are compared with config.yaml (only --max-epochs may differ). The option helpers here are
shared by `astroclip slurm` and `astroclip sweep`.
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

PATH_OPTIONS = ("data", "properties", "stddev", "image_checkpoint", "spectrum_checkpoint")


def _devices(text: str) -> int | str:
    if text == "auto":
        return text
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected 'auto' or a number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1 device, got {value}")
    return value


def _fraction_or_count(text: str) -> float | int:
    return float(text) if "." in text else int(text)


TRAIN_OPTIONS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("--data", {"help": "paired dataset (HDF5 release, parquet, mock)"}),
    ("--preset", {"help": f"preset name or YAML file ({', '.join(list_presets())})"}),
    ("--embedding-dim", {"type": int, "help": "shared embedding size D"}),
    ("--max-epochs", {"type": int}),
    ("--batch-size", {"type": int, "help": "per-device batch size"}),
    ("--devices", {"type": _devices, "help": "devices per node ('auto' or N)"}),
    ("--num-nodes", {"type": int}),
    ("--accelerator", {"help": "auto (GPU when present), cpu, gpu, mps"}),
    ("--precision", {"help": "32-true, bf16-mixed, 16-mixed, ..."}),
    ("--num-workers", {"type": int, "help": "DataLoader worker processes"}),
    ("--lr", {"type": float}),
    ("--seed", {"type": int}),
    ("--properties", {"help": "PROVABGS property table to join"}),
    ("--stddev", {"help": "spectrum std-dev file from `astroclip stddev`"}),
    ("--image-checkpoint", {"help": "Stein et al. resnet50.ckpt"}),
    ("--spectrum-checkpoint", {"help": "spender checkpoint"}),
    ("--freeze-backbones", {"action": "store_true", "default": None}),
    ("--learnable-temperature", {"action": "store_true", "default": None}),
    ("--wandb", {"metavar": "PROJECT", "help": "also log to this W&B project"}),
    ("--limit-train-batches", {"type": _fraction_or_count, "help": argparse.SUPPRESS}),
    ("--limit-val-batches", {"type": _fraction_or_count, "help": argparse.SUPPRESS}),
)
"""The model/data/trainer options shared by `astroclip train`, `slurm` and `sweep`."""


def _dest(flag: str) -> str:
    return flag[2:].replace("-", "_")


def add_train_options(parser: argparse.ArgumentParser, skip: tuple[str, ...] = ()) -> None:
    """Add TRAIN_OPTIONS (except the flags in `skip`) to `parser`."""
    group = parser.add_argument_group("training options")
    for flag, kwargs in TRAIN_OPTIONS:
        if flag not in skip:
            group.add_argument(flag, **kwargs)


def train_argv(args: argparse.Namespace, skip: tuple[str, ...] = ()) -> list[str]:
    """The `astroclip train` flags that reproduce the training options set in `args`
    (paths made absolute), e.g. for a SLURM script."""
    argv: list[str] = []
    for flag, kwargs in TRAIN_OPTIONS:
        value = getattr(args, _dest(flag), None)
        if flag in skip or value is None or value is False:
            continue
        if kwargs.get("action") == "store_true":
            argv.append(flag)
        elif _dest(flag) in PATH_OPTIONS:
            argv += [flag, str(_absolute(value))]
        else:
            argv += [flag, str(value)]
    return argv


def _absolute(value: str | None) -> str | None:
    return None if value is None else str(Path(value).expanduser().resolve())


def overrides_from_args(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """The config changes the command-line options ask for, by section (unset options omitted)."""
    get = lambda name: getattr(args, name, None)  # noqa: E731
    sections: dict[str, dict[str, Any]] = {
        "model": {"embedding_dim": get("embedding_dim"),
                  "image_checkpoint": _absolute(get("image_checkpoint")),
                  "spectrum_checkpoint": _absolute(get("spectrum_checkpoint")),
                  "freeze_backbones": get("freeze_backbones"),
                  "learnable_temperature": get("learnable_temperature")},
        "data": {"path": _absolute(get("data")), "properties": _absolute(get("properties")),
                 "spectrum_stddev": _absolute(get("stddev")), "num_workers": get("num_workers")},
        "optim": {"lr": get("lr")},
        "trainer": {"max_epochs": get("max_epochs"), "batch_size": get("batch_size"),
                    "devices": get("devices"), "num_nodes": get("num_nodes"),
                    "accelerator": get("accelerator"), "precision": get("precision"),
                    "seed": get("seed"), "wandb_project": get("wandb"),
                    "limit_train_batches": get("limit_train_batches"),
                    "limit_val_batches": get("limit_val_batches")},
    }
    return {name: {k: v for k, v in values.items() if v is not None}
            for name, values in sections.items()}


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
