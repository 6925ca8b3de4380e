"""`astroclip evaluate`: zero-shot, few-shot, retrieval and baselines -> report + plots."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from astroclip_engine.commands._progress import add_progress_option, progress_reporter


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "evaluate", help="downstream evaluation of an embeddings store (report + plots)",
        description="Test split as queries, train split as the reference set. Writes "
                    "OUT/report.json, OUT/report.md and PNG/PDF plots. With --compare, "
                    "zero-shot R^2 of several stores against embedding size.")
    parser.add_argument("store", nargs="?", help="embeddings store (.h5)")
    parser.add_argument("--compare", nargs="+", metavar="STORE",
                        help="compare several stores of one dataset (e.g. D = 8 ... 512)")
    parser.add_argument("--properties", help="PROVABGS catalogue joined on TARGETID")
    parser.add_argument("--out", required=True, help="report directory")
    parser.add_argument("--k", type=int, default=16, help="uniform cosine k-NN (default 16)")
    parser.add_argument("--k-weighted", type=int, default=64,
                        help="distance-weighted k-NN on standardised embeddings (default 64)")
    parser.add_argument("--no-image-baseline", action="store_true",
                        help="skip the supervised CNN on raw images")
    parser.add_argument("--no-few-shot", action="store_true", help="skip the few-shot MLP")
    parser.add_argument("--pretrained-spectrum", metavar="CKPT",
                        help="also evaluate this `astroclip pretrain` encoder alone (frozen)")
    parser.add_argument("--pretrained-image", metavar="CKPT",
                        help="also evaluate this `astroclip pretrain --modality image` encoder "
                             "alone (frozen)")
    parser.add_argument("--json", action="store_true", help="print report.json on stdout")
    add_progress_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from astroclip_engine.errors import StoreError
    from astroclip_engine.evaluation import compare_stores, evaluate_store

    reporter = progress_reporter(args)
    if args.compare:
        stores = ([args.store] if args.store else []) + args.compare
        result = compare_stores(stores, args.out, properties=args.properties, k=args.k,
                                reporter=reporter)
        text = Path(args.out, "compare.md").read_text()
    elif args.store:
        result = evaluate_store(args.store, args.out, properties=args.properties, k=args.k,
                                k_weighted=args.k_weighted, few_shot_mlp=not args.no_few_shot,
                                image_baseline_cnn=not args.no_image_baseline,
                                pretrained_spectrum=args.pretrained_spectrum,
                                pretrained_image=args.pretrained_image,
                                reporter=reporter)
        text = Path(args.out, "report.md").read_text()
    else:
        raise StoreError("give a store to evaluate, or --compare STORE STORE ...")
    print(json.dumps(result, indent=2) if args.json else text)
    return 0
