"""The one table between run-configuration keys and `astroclip train` flags, both ways.

The CLI builds its training options from it (`add_train_options`) and reads them back into
config changes (`overrides_from_args`); `astroclip slurm` writes them into a job script
(`train_argv`); the GUI's training wizard turns an edited configuration into the flags that
reproduce it (`flags_for`, `flag_config`) and run resumption compares them with config.yaml.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from astroclip_engine.config import RunConfig, list_presets


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


@dataclass(frozen=True)
class TrainFlag:
    """One `astroclip train` option and the config key ("section.field") it sets, if any."""

    flag: str
    key: str | None
    kind: Literal["value", "path", "switch"] = "value"
    """path: made absolute; switch: a store_true flag that can only turn a setting on."""
    options: dict[str, Any] = field(default_factory=dict)
    """Extra argparse keyword arguments (type, help, metavar)."""

    @property
    def dest(self) -> str:
        return self.flag[2:].replace("-", "_")

    def argparse_kwargs(self) -> dict[str, Any]:
        if self.kind == "switch":
            return {"action": "store_true", "default": None, **self.options}
        return dict(self.options)


TRAIN_FLAGS: tuple[TrainFlag, ...] = (
    TrainFlag("--data", "data.path", "path",
              {"help": "paired dataset (HDF5 release, parquet, mock)"}),
    TrainFlag("--preset", None, options={"help": f"preset name or YAML file "
                                                 f"({', '.join(list_presets())})"}),
    TrainFlag("--embedding-dim", "model.embedding_dim",
              options={"type": int, "help": "shared embedding size D"}),
    TrainFlag("--max-epochs", "trainer.max_epochs", options={"type": int}),
    TrainFlag("--batch-size", "trainer.batch_size",
              options={"type": int, "help": "per-device batch size"}),
    TrainFlag("--devices", "trainer.devices",
              options={"type": _devices, "help": "devices per node ('auto' or N)"}),
    TrainFlag("--num-nodes", "trainer.num_nodes", options={"type": int}),
    TrainFlag("--accelerator", "trainer.accelerator",
              options={"help": "auto (GPU when present), cpu, gpu, mps"}),
    TrainFlag("--precision", "trainer.precision",
              options={"help": "32-true, bf16-mixed, 16-mixed, ..."}),
    TrainFlag("--num-workers", "data.num_workers",
              options={"type": int, "help": "DataLoader worker processes"}),
    TrainFlag("--lr", "optim.lr", options={"type": float}),
    TrainFlag("--seed", "trainer.seed", options={"type": int}),
    TrainFlag("--properties", "data.properties", "path",
              {"help": "PROVABGS property table to join"}),
    TrainFlag("--stddev", "data.spectrum_stddev", "path",
              {"help": "spectrum std-dev file from `astroclip stddev`"}),
    TrainFlag("--image-checkpoint", "model.image_checkpoint", "path",
              {"help": "Stein et al. resnet50.ckpt or an `astroclip pretrain --modality image` "
                       "best.ckpt (astrodino.ckpt for paper-v2)"}),
    TrainFlag("--spectrum-checkpoint", "model.spectrum_checkpoint", "path",
              {"help": "spender checkpoint or an `astroclip pretrain --modality spectrum` "
                       "best.ckpt (specformer.ckpt for paper-v2)"}),
    TrainFlag("--freeze-backbones", "model.freeze_backbones", "switch"),
    TrainFlag("--learnable-temperature", "model.learnable_temperature", "switch"),
    TrainFlag("--wandb", "trainer.wandb_project",
              options={"metavar": "PROJECT", "help": "also log to this W&B project"}),
    TrainFlag("--limit-train-batches", "trainer.limit_train_batches",
              options={"type": _fraction_or_count, "help": argparse.SUPPRESS}),
    TrainFlag("--limit-val-batches", "trainer.limit_val_batches",
              options={"type": _fraction_or_count, "help": argparse.SUPPRESS}),
)
"""The model/data/trainer options shared by `astroclip train`, `slurm` and `sweep`."""


def _absolute(value: Any) -> str:
    return str(Path(value).expanduser().resolve())


def config_value(config: RunConfig, key: str) -> Any:
    section, name = key.split(".")
    return getattr(getattr(config, section), name)


def _sections(pairs: Iterable[tuple[str, Any]]) -> dict[str, dict[str, Any]]:
    sections: dict[str, dict[str, Any]] = defaultdict(dict)
    for key, value in pairs:
        section, name = key.split(".")
        sections[section][name] = value
    return dict(sections)


# ---- the command line -> config ----------------------------------------------------------------
def add_train_options(parser: argparse.ArgumentParser, skip: tuple[str, ...] = ()) -> None:
    """Add TRAIN_FLAGS (except the flags in `skip`) to `parser`."""
    group = parser.add_argument_group("training options")
    for option in TRAIN_FLAGS:
        if option.flag not in skip:
            group.add_argument(option.flag, **option.argparse_kwargs())


def overrides_from_args(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """The config changes the command-line options ask for, by section (unset options omitted)."""
    changes = {"model": {}, "data": {}, "optim": {}, "trainer": {}}
    for option in TRAIN_FLAGS:
        value = getattr(args, option.dest, None)
        if option.key is None or value is None:
            continue
        section, name = option.key.split(".")
        changes[section][name] = _absolute(value) if option.kind == "path" else value
    return changes


def train_argv(args: argparse.Namespace, skip: tuple[str, ...] = ()) -> list[str]:
    """The `astroclip train` flags that reproduce the training options set in `args`
    (paths made absolute), e.g. for a SLURM script."""
    argv: list[str] = []
    for option in TRAIN_FLAGS:
        value = getattr(args, option.dest, None)
        if option.flag in skip or value is None or value is False:
            continue
        argv += _flag(option, value)
    return argv


def _flag(option: TrainFlag, value: Any, absolute: bool = True) -> list[str]:
    if option.kind == "switch":
        return [option.flag]
    return [option.flag, _absolute(value) if absolute and option.kind == "path" else str(value)]


# ---- a config -> the command line ------------------------------------------------------------
def _expressible(option: TrainFlag, skip: tuple[str, ...]) -> bool:
    return option.key is not None and option.flag not in skip


def flag_config(config: RunConfig, base: RunConfig, skip: tuple[str, ...] = ()) -> RunConfig:
    """`base` with every setting of `config` that a flag can carry applied (a switch only turns
    a setting on): what `astroclip train --preset BASE <flags_for(...)>` will run."""
    pairs = []
    for option in TRAIN_FLAGS:
        if _expressible(option, skip):
            value, default = config_value(config, option.key), config_value(base, option.key)
            if option.kind == "switch":
                value = bool(value) or bool(default)
            pairs.append((option.key, default if value is None else value))
    return base.replace(**_sections(pairs))


def flags_for(config: RunConfig, base: RunConfig, skip: tuple[str, ...] = ()) -> list[str]:
    """The flags that turn `base` into `config` as far as flags can (see `flag_config`)."""
    argv: list[str] = []
    for option in TRAIN_FLAGS:
        if not _expressible(option, skip):
            continue
        value, default = config_value(config, option.key), config_value(base, option.key)
        if value == default or value is None or (option.kind == "switch" and not value):
            continue
        argv += _flag(option, value, absolute=False)
    return argv
