"""SLURM batch scripts for multi-GPU / multi-node training.

The script runs one task per GPU (`srun` with --ntasks-per-node = GPUs per node); Lightning's
SLURM environment then reads ranks and the master address from SLURM's variables, and the
training command gets the matching --devices G --num-nodes N. The command always carries
--resume, so a requeued job continues from checkpoints/last.ckpt:

- preemption or `scancel --signal=TERM`: SIGTERM -> the run saves last.ckpt and stops; with
  --requeue SLURM puts the job back in the queue;
- time limit: `--signal=USR1@SECONDS` warns every task before the limit -> the run saves
  last.ckpt, stops, and rank zero requeues the job itself (`scontrol requeue`).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from astroclip_engine.atomic import atomic_write_text
from astroclip_engine.errors import ConfigError

SCRIPT_NAME = "submit.sbatch"
EMBED_SCRIPT_NAME = "embed.sbatch"
TIME_PATTERN = re.compile(r"^(\d+-)?\d{1,3}:\d{2}:\d{2}$")


@dataclass(frozen=True)
class SlurmOptions:
    """Resources of one SLURM job."""

    nodes: int
    gpus_per_node: int
    time: str
    partition: str | None = None
    account: str | None = None
    cpus_per_task: int | None = None
    mem: str | None = None
    job_name: str = "astroclip"
    warn_seconds: int = 120
    """How long before the time limit SLURM sends USR1 (time to save a checkpoint)."""

    def check(self) -> SlurmOptions:
        if self.nodes < 1:
            raise ConfigError(f"--nodes: expected at least 1, got {self.nodes}")
        if self.gpus_per_node < 1:
            raise ConfigError(f"--gpus-per-node: expected at least 1, got {self.gpus_per_node}")
        if not TIME_PATTERN.match(self.time):
            raise ConfigError(f"--time: expected HH:MM:SS or D-HH:MM:SS, got {self.time!r}")
        if self.cpus_per_task is not None and self.cpus_per_task < 1:
            raise ConfigError(f"--cpus-per-task: expected at least 1, got {self.cpus_per_task}")
        return self


def astroclip_command() -> list[str]:
    """How to call the `astroclip` CLI of this installation on the cluster."""
    return [sys.executable, "-m", "astroclip_engine.cli"]


def sbatch_script(run_dir: Path, options: SlurmOptions, train_args: Sequence[str],
                  command: Sequence[str] | None = None,
                  embed_args: Sequence[str] | None = None) -> str:
    """The text of the batch script; `train_args` are the `astroclip train` options to pass
    (without --out/--resume/--devices/--num-nodes/--progress, which the script sets). With
    `embed_args` (`astroclip embed` options without --devices/--num-nodes) the job embeds
    instead: one DDP rank per GPU, resuming its shard when requeued."""
    options.check()
    run_dir = Path(run_dir).resolve()
    lines = [
        "#!/bin/bash",
        f"#SBATCH --job-name={options.job_name}",
        f"#SBATCH --nodes={options.nodes}",
        f"#SBATCH --ntasks-per-node={options.gpus_per_node}",
        f"#SBATCH --gpus-per-node={options.gpus_per_node}",
        f"#SBATCH --time={options.time}",
    ]
    if options.partition:
        lines.append(f"#SBATCH --partition={options.partition}")
    if options.account:
        lines.append(f"#SBATCH --account={options.account}")
    if options.cpus_per_task:
        lines.append(f"#SBATCH --cpus-per-task={options.cpus_per_task}")
    if options.mem:
        lines.append(f"#SBATCH --mem={options.mem}")
    lines += [
        f"#SBATCH --output={run_dir}/slurm-%j.out",
        "#SBATCH --open-mode=append",
        "#SBATCH --requeue",
        f"#SBATCH --signal=USR1@{options.warn_seconds}",
        "",
        "# Written by `astroclip slurm`. Every (re)start resumes "
        + ("its shard in OUT.parts/." if embed_args is not None
           else "from checkpoints/last.ckpt."),
        "set -euo pipefail",
        'echo "job ${SLURM_JOB_ID} restart ${SLURM_RESTART_COUNT:-0} on ${SLURM_JOB_NODELIST}"',
        "",
    ]
    ranks = ["--devices", str(options.gpus_per_node), "--num-nodes", str(options.nodes)]
    if embed_args is not None:
        job = [*(command or astroclip_command()), "embed", *embed_args, *ranks]
    else:
        job = [*(command or astroclip_command()), "train", *train_args,
               "--out", str(run_dir), "--resume", "--progress", "none", *ranks]
    lines.append("srun " + " ".join(shlex.quote(part) for part in job))
    return "\n".join(lines) + "\n"


def write_sbatch(run_dir: str | Path, options: SlurmOptions, train_args: Sequence[str],
                 command: Sequence[str] | None = None,
                 embed_args: Sequence[str] | None = None) -> Path:
    """Write RUN_DIR/submit.sbatch (embed.sbatch with `embed_args`) atomically; returns it."""
    path = Path(run_dir) / (EMBED_SCRIPT_NAME if embed_args is not None else SCRIPT_NAME)
    atomic_write_text(path, sbatch_script(Path(run_dir), options, train_args, command,
                                          embed_args))
    path.chmod(0o755)
    return path


def submit(script: str | Path) -> str:
    """Submit with `sbatch`; returns sbatch's answer ("Submitted batch job N")."""
    sbatch = shutil.which("sbatch")
    if sbatch is None:
        raise ConfigError(f"sbatch not found on this machine: copy or keep {script} on the "
                          f"cluster and submit it there with `sbatch {script}`")
    result = subprocess.run([sbatch, str(script)], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ConfigError(f"sbatch {script} failed: {result.stderr.strip() or result.stdout}")
    return result.stdout.strip()


def requeue_current_job() -> bool:
    """`scontrol requeue $SLURM_JOB_ID` (after a time-limit warning); False outside SLURM."""
    job = os.environ.get("SLURM_ARRAY_JOB_ID") or os.environ.get("SLURM_JOB_ID")
    scontrol = shutil.which("scontrol")
    if not job or scontrol is None:
        return False
    task = os.environ.get("SLURM_ARRAY_TASK_ID")
    target = f"{job}_{task}" if os.environ.get("SLURM_ARRAY_JOB_ID") and task else job
    return subprocess.run([scontrol, "requeue", target], check=False).returncode == 0
