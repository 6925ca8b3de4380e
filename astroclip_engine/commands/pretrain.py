"""`astroclip pretrain`: self-supervised pretraining of one encoder into a run directory.

    astroclip pretrain --modality spectrum|image --data DATA --out RUN_DIR [--preset NAME]
        [--max-epochs N] [--batch-size B] [--devices N] [--num-nodes N] [--precision P]
        [--resume] [--stddev FILE] [--progress bar|json|none]

The run directory, progress events, resume, clean stop (SIGTERM/SIGINT, last.ckpt saved) and
DDP/SLURM behaviour are those of `astroclip train` (same `training.run.train`). Presets:
`pretrain-spectrum-small` (CPU, the default) and `pretrain-spectrum` (the official SpecFormer
sizes: 768-d, 6 layers, 6 heads); for images (MoCo-v2) `pretrain-image-small` (resnet_small,
CPU, the default) and `pretrain-image` (ResNet-50, GPU). The result,
RUN_DIR/checkpoints/best.ckpt, is what `astroclip train --spectrum-checkpoint` (a preset whose
model.spectrum_encoder is the same SpecFormer, e.g. `demo-pretrained`) or `--image-checkpoint`
(a preset whose model.image_encoder is the same, e.g. `demo-cpu` for resnet_small) takes.
"""

from __future__ import annotations

import argparse
import contextlib
import sys

from astroclip_engine.commands._progress import add_progress_option
from astroclip_engine.commands.train import add_train_options, config_from_args
from astroclip_engine.errors import ConfigError

DEFAULT_PRESETS = {"spectrum": "pretrain-spectrum-small", "image": "pretrain-image-small"}
TASK_OF_MODALITY = {"spectrum": "pretrain_spectrum", "image": "pretrain_image"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "pretrain", help="self-supervised pretraining of an encoder (masked spectra, MoCo images)",
        description="Pretrain one encoder on its own (SpecFormer masked spectrum modelling, or "
                    "MoCo-v2 for images) into RUN_DIR; align afterwards with `astroclip train "
                    "--spectrum-checkpoint` / `--image-checkpoint RUN_DIR/checkpoints/best.ckpt`.")
    parser.add_argument("--modality", choices=tuple(DEFAULT_PRESETS), required=True)
    parser.add_argument("--out", required=True, metavar="RUN_DIR", help="run directory")
    parser.add_argument("--resume", action="store_true",
                        help="continue RUN_DIR from checkpoints/last.ckpt")
    add_progress_option(parser)
    add_train_options(parser, skip=("--image-checkpoint", "--spectrum-checkpoint",
                                    "--freeze-backbones", "--learnable-temperature",
                                    "--embedding-dim"))
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from astroclip_engine.jobs import TqdmReporter
    from astroclip_engine.training.run import train

    if not args.preset and not args.resume:
        args.preset = DEFAULT_PRESETS[args.modality]
    config = config_from_args(args)
    if config.model.task != TASK_OF_MODALITY[args.modality]:
        raise ConfigError(f"preset {args.preset or 'of ' + args.out!r} is a '{config.model.task}'"
                          f" run, not {args.modality} pretraining (use "
                          f"{DEFAULT_PRESETS[args.modality]})")
    reporter = TqdmReporter() if args.progress == "bar" else None
    stream = sys.stdout if args.progress == "json" else None
    with contextlib.redirect_stdout(sys.stderr):
        status = train(config, args.out, resume=args.resume, reporter=reporter,
                       progress_stream=stream)
    if status.state == "cancelled":
        print(f"astroclip: pretraining stopped; continue with: astroclip pretrain --modality "
              f"{args.modality} --out {args.out} --resume", file=sys.stderr)
        return 130
    return 0
