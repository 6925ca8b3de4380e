"""`astroclip umap`: 2-D UMAP map (and optional clusterings) of a store, cached in the store."""

from __future__ import annotations

import argparse
import json

from astroclip_engine.commands._progress import add_progress_option, progress_reporter
from astroclip_engine.modalities import MAP_MODALITIES


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "umap", help="compute a UMAP map and clusters, stored in the embeddings store",
        description="Coordinates go to /umap/<modality>; with --clusters, KMeans, DBSCAN and "
                    "HDBSCAN labels go to /clusters/<method>_<modality>. Same embeddings and "
                    "parameters: nothing is recomputed.")
    parser.add_argument("store", help="embeddings store (.h5)")
    parser.add_argument("--modality", choices=MAP_MODALITIES, default="image")
    parser.add_argument("--n-neighbors", type=int, default=15)
    parser.add_argument("--min-dist", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=None,
                        help="fix the random seed: a bit-reproducible map, but umap-learn then "
                             "runs on one thread (slower; default: unseeded, every core)")
    parser.add_argument("--clusters", action="store_true", help="also cluster the map")
    parser.add_argument("--force", action="store_true", help="recompute even if cached")
    parser.add_argument("--json", action="store_true", help="print a JSON summary")
    add_progress_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from astroclip_engine.projection import UmapParams, project_store

    params = UmapParams(args.n_neighbors, args.min_dist,
                        None if args.seed is None or args.seed < 0 else args.seed)
    result = project_store(args.store, args.modality, params, clusters=args.clusters,
                           force=args.force, reporter=progress_reporter(args))
    summary = {"store": args.store, "modality": result.modality, "n": len(result.coords),
               "cached": result.cached, "clusters": {
                   name: {**info, "n_clusters": len(set(labels.tolist()) - {-1})}
                   for (name, labels), info in zip(result.clusters.items(),
                                                   result.cluster_info.values(), strict=True)}}
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        state = "reused cached" if result.cached else "computed"
        print(f"{state} UMAP of {summary['n']} galaxies -> {args.store}:/umap/{args.modality}")
        for name, info in summary["clusters"].items():
            print(f"  clusters/{name}: {info['n_clusters']} clusters")
    return 0
