"""What the training wizard produces: a complete run configuration plus the `astroclip train`
command line that runs it (Qt-free, so it is shown verbatim and testable on its own).

Settings with a `train` flag (the table in astroclip_engine/train_flags.py) are passed as
flags on top of the named preset; only when the user edited something without a flag (weight
decay, temperature, encoders) is the edited configuration saved as
`WORKSPACE/<run>.preset.yaml` and passed as the preset, so the command shown can always be
re-run by hand.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, replace
from pathlib import Path

from astroclip_engine.atomic import atomic_write_text
from astroclip_engine.config import RunConfig, config_diff, load_preset
from astroclip_engine.train_flags import flag_config, flags_for

OWN_FLAGS = ("--data",)
"""Given explicitly (the request's dataset), not from the configuration."""
CLUSTER_FLAGS = ("--accelerator", "--devices", "--num-nodes")
"""Set by `astroclip slurm` from the job's resources."""


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
        return flag_config(self.config, load_preset(self.preset), skip=OWN_FLAGS)

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
        preset = str(self.preset_path) if self.uses_preset_file else self.preset
        skip = OWN_FLAGS if devices else (*OWN_FLAGS, *CLUSTER_FLAGS)
        return ["--data", str(self.data), "--preset", preset,
                *flags_for(self.config, load_preset(self.preset), skip=skip)]

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
