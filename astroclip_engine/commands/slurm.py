"""`astroclip slurm`: write (and optionally submit) a SLURM script for multi-GPU training.

    astroclip slurm --out RUN_DIR --nodes N --gpus-per-node G --time HH:MM:SS [--partition P]
        [--account A] [--cpus-per-task C] [--mem M] [train options...] [--submit]

Writes RUN_DIR/submit.sbatch (srun astroclip train ... --devices G --num-nodes N --resume);
with `--embed CHECKPOINT --data DATA`, RUN_DIR/embed.sbatch (srun astroclip embed ... --devices G
--num-nodes N: data-parallel embedding into RUN_DIR/embeddings.h5). `--submit` hands it to
sbatch when sbatch exists on this machine.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from astroclip_engine.commands.train import config_from_args
from astroclip_engine.errors import ConfigError
from astroclip_engine.train_flags import add_train_options, train_argv
from astroclip_engine.training.slurm import SlurmOptions, submit, write_sbatch

EMBED_STORE_NAME = "embeddings.h5"
"""The store an embed job writes in RUN_DIR (the name the app looks for in a run)."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "slurm", help="write a SLURM batch script for multi-GPU / multi-node training",
        description="Write RUN_DIR/submit.sbatch running `astroclip train` on N nodes x G GPUs "
                    "(requeued with --resume on preemption or time limit).")
    parser.add_argument("--out", required=True, metavar="RUN_DIR", help="run directory")
    parser.add_argument("--nodes", type=int, default=1)
    parser.add_argument("--gpus-per-node", type=int, required=True)
    parser.add_argument("--time", required=True, help="wall-time limit, HH:MM:SS or D-HH:MM:SS")
    parser.add_argument("--partition")
    parser.add_argument("--account")
    parser.add_argument("--cpus-per-task", type=int)
    parser.add_argument("--mem", help="memory per node, e.g. 64G")
    parser.add_argument("--job-name")
    parser.add_argument("--submit", action="store_true", help="submit with sbatch")
    parser.add_argument("--embed", metavar="CHECKPOINT",
                        help="write RUN_DIR/embed.sbatch instead: embed --data with this "
                             "checkpoint into RUN_DIR/embeddings.h5, one DDP rank per GPU")
    add_train_options(parser, skip=("--devices", "--num-nodes"))
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    options = SlurmOptions(
        nodes=args.nodes, gpus_per_node=args.gpus_per_node, time=args.time,
        partition=args.partition, account=args.account, cpus_per_task=args.cpus_per_task,
        mem=args.mem, job_name=args.job_name or f"astroclip-{out.resolve().name}",
    ).check()
    if args.embed:
        script = write_sbatch(out, options, [], embed_args=embed_argv(args, out))
    else:
        args.resume = True
        args.devices, args.num_nodes = options.gpus_per_node, options.nodes
        config_from_args(args)  # fail here, not on the cluster, on a bad preset or option
        script = write_sbatch(out, options, train_argv(args, skip=("--devices", "--num-nodes")))
    print(f"wrote {script}")
    if args.submit:
        print(submit(script))
    else:
        print(f"submit it with: sbatch {script}")
    return 0


def embed_argv(args: argparse.Namespace, out: Path) -> list[str]:
    """`astroclip embed` options for the SLURM job (absolute paths; ranks set by the script)."""
    if not args.data:
        raise ConfigError("--embed needs --data (the dataset to embed)")
    checkpoint = Path(args.embed).expanduser().resolve()
    if not checkpoint.is_file():
        raise ConfigError(f"--embed {args.embed}: no such checkpoint")
    argv = ["--checkpoint", str(checkpoint), "--data", str(Path(args.data).expanduser().resolve()),
            "--out", str((out / EMBED_STORE_NAME).resolve()), "--accelerator", "gpu"]
    if args.properties:
        argv += ["--properties", str(Path(args.properties).expanduser().resolve())]
    if args.batch_size:
        argv += ["--batch-size", str(args.batch_size)]
    return argv
