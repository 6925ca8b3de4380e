"""What the training wizard produces: a complete run configuration plus the `astroclip train`
command line that runs it (Qt-free, so it is shown verbatim and testable on its own).

Settings with a `train` flag (embedding size, epochs, batch, learning rate, precision,
accelerator, devices, workers, checkpoints, freezing, learnable temperature, properties) are
passed as flags on top of the named preset; only when the user edited something without a flag
(weight decay, temperature, encoders) is the edited configuration saved as
`WORKSPACE/<run>.preset.yaml` and passed as the preset, so the command shown can always be
re-run by hand.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, replace
from pathlib import Path

from astroclip_engine.atomic import atomic_write_text
from astroclip_engine.config import RunConfig, config_diff, load_preset


@dataclass(frozen=True)
class TrainRequest:
    """One training run to start: where, on what data, with which configuration."""

    name: str
    workspace: Path
    data: Path
    config: RunConfig
    preset: str = "demo-cpu"
    """The preset the configuration started from."""

    @property
    def run_dir(self) -> Path:
        return Path(self.workspace) / self.name

    @property
    def preset_path(self) -> Path:
        return Path(self.workspace) / f"{self.name}.preset.yaml"

    def flag_config(self) -> RunConfig:
        """The base preset with only the flag-expressible settings of `config` applied."""
        model, trainer = self.config.model, self.config.trainer
        return load_preset(self.preset).replace(
            model={"embedding_dim": model.embedding_dim,
                   "image_checkpoint": model.image_checkpoint,
                   "spectrum_checkpoint": model.spectrum_checkpoint,
                   "freeze_backbones": model.freeze_backbones,
                   "learnable_temperature": model.learnable_temperature or
                   load_preset(self.preset).model.learnable_temperature},
            trainer={"max_epochs": trainer.max_epochs, "batch_size": trainer.batch_size,
                     "precision": trainer.precision, "devices": trainer.devices,
                     "num_nodes": trainer.num_nodes, "accelerator": trainer.accelerator},
            data={"num_workers": self.config.data.num_workers},
            optim={"lr": self.config.optim.lr},
        )

    def edits_beyond_flags(self) -> list[str]:
        """Edited settings that no `train` flag carries (they need the preset file)."""
        ignore = ("name:", "data.path:", "data.properties:")
        return [line for line in config_diff(self.flag_config(), self.config)
                if not line.startswith(ignore)]

    @property
    def uses_preset_file(self) -> bool:
        return bool(self.edits_beyond_flags())

    def option_args(self, devices: bool = True) -> list[str]:
        """The flags shared by `astroclip train` and `astroclip slurm` (after --out)."""
        model, trainer = self.config.model, self.config.trainer
        base = load_preset(self.preset)
        preset = str(self.preset_path) if self.uses_preset_file else self.preset
        args = ["--data", str(self.data), "--preset", preset]
        if model.embedding_dim != base.model.embedding_dim:
            args += ["--embedding-dim", str(model.embedding_dim)]
        if trainer.max_epochs != base.trainer.max_epochs:
            args += ["--max-epochs", str(trainer.max_epochs)]
        if trainer.batch_size != base.trainer.batch_size:
            args += ["--batch-size", str(trainer.batch_size)]
        if trainer.precision != base.trainer.precision:
            args += ["--precision", trainer.precision]
        if self.config.optim.lr != base.optim.lr:
            args += ["--lr", f"{self.config.optim.lr:g}"]
        if self.config.data.num_workers != base.data.num_workers:
            args += ["--num-workers", str(self.config.data.num_workers)]
        if devices and trainer.accelerator != base.trainer.accelerator:
            args += ["--accelerator", trainer.accelerator]
        if devices and trainer.devices != base.trainer.devices:
            args += ["--devices", str(trainer.devices)]
        if self.config.data.properties:
            args += ["--properties", self.config.data.properties]
        if model.image_checkpoint:
            args += ["--image-checkpoint", model.image_checkpoint]
        if model.spectrum_checkpoint:
            args += ["--spectrum-checkpoint", model.spectrum_checkpoint]
        if model.freeze_backbones:
            args.append("--freeze-backbones")
        if model.learnable_temperature and not base.model.learnable_temperature:
            args.append("--learnable-temperature")
        return args

    def train_args(self) -> list[str]:
        """Arguments after `astroclip` (without `--progress json`, which the GUI adds)."""
        return ["train", *self.option_args()[:4], "--out", str(self.run_dir),
                *self.option_args()[4:]]

    def command_line(self) -> str:
        """The exact shell command the GUI runs (with JSON progress)."""
        return shlex.join(["astroclip", *self.train_args(), "--progress", "json"])

    def slurm_args(self, nodes: int, gpus_per_node: int, time: str, partition: str = "",
                   account: str = "") -> list[str]:
        """`astroclip slurm` arguments writing RUN_DIR/submit.sbatch for this run."""
        args = ["slurm", "--out", str(self.run_dir), "--nodes", str(nodes),
                "--gpus-per-node", str(gpus_per_node), "--time", time]
        if partition:
            args += ["--partition", partition]
        if account:
            args += ["--account", account]
        return [*args, *self.option_args(devices=False)]

    def prepare(self) -> None:
        """Write the preset file when the command needs it (atomically)."""
        if self.uses_preset_file:
            config = replace(self.config.replace(data={"path": str(self.data)}), name=self.name)
            atomic_write_text(self.preset_path, config.to_yaml())
