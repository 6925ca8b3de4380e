"""`astroclip embed`: embed every galaxy of a dataset with a checkpoint into an embeddings store."""

from __future__ import annotations

import argparse

from astroclip_engine.commands._progress import add_progress_option, progress_reporter


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "embed", help="embed a dataset (both modalities) into an embeddings store",
        description="Batched, resumable inference: an interrupted run resumes from "
                    "OUT.partial; the store appears at OUT only when complete.")
    parser.add_argument("--checkpoint", required=True, help="AstroCLIP checkpoint (.ckpt)")
    parser.add_argument("--data", required=True, help="paired dataset (HDF5 release, parquet)")
    parser.add_argument("--properties", help="PROVABGS property catalogue to join on TARGETID")
    parser.add_argument("--out", required=True, help="embeddings store to write (.h5)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--device", default="auto", help="cpu, cuda, cuda:N or auto")
    parser.add_argument("--restart", action="store_true",
                        help="discard an existing OUT.partial instead of resuming it")
    parser.add_argument("--precision", choices=("32", "bf16"), default="32",
                        help="bf16: autocast the encoders to bfloat16 (much faster on CPUs "
                             "with AMX/AVX512-BF16 and on recent GPUs; embeddings agree with "
                             "fp32 to ~3 digits)")
    scale = parser.add_argument_group(
        "data-parallel (docs/cluster.md)", "DEVICES x NODES Lightning DDP ranks each embed a "
        "shard into OUT.parts/, merged into OUT by rank zero")
    scale.add_argument("--devices", type=int, default=1, metavar="N",
                       help="processes (GPUs) per node (default 1: one process, --device)")
    scale.add_argument("--num-nodes", type=int, default=1, metavar="NODES")
    scale.add_argument("--accelerator", default="auto", help="gpu, cpu or auto (with --devices)")
    add_progress_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.devices > 1 or args.num_nodes > 1:
        from astroclip_engine.embed_parallel import embed_distributed

        out = embed_distributed(args.checkpoint, args.data, args.out, devices=args.devices,
                                num_nodes=args.num_nodes, accelerator=args.accelerator,
                                properties=args.properties, batch_size=args.batch_size,
                                restart=args.restart, precision=args.precision,
                                reporter=progress_reporter(args))
        print(out)
        return 0
    from astroclip_engine.embed import embed_dataset

    out = embed_dataset(args.checkpoint, args.data, args.out, properties=args.properties,
                        batch_size=args.batch_size, device=args.device, restart=args.restart,
                        precision=args.precision, reporter=progress_reporter(args))
    print(out)
    return 0
