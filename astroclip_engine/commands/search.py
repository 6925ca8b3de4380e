"""`astroclip search`: nearest (or farthest) neighbours of a galaxy in an embeddings store, by
TARGETID or for a real object given as a FITS file (DESI coadd or Legacy Survey cutout)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from astroclip_engine.modalities import MODALITIES


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "search", help="similarity search in an embeddings store",
        description="Cosine k-NN in any combination of query and key modality. Rows with an "
                    "all-zero spectrum are not searched unless --include-invalid.")
    parser.add_argument("store", help="embeddings store (.h5)")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--targetid", type=int, help="a galaxy of the store")
    what.add_argument("--fits", help="a DESI coadd FITS (spectrum) or Legacy Survey cutout "
                                     "FITS (image) to embed with --checkpoint")
    parser.add_argument("--redrock", help="redrock FITS with the coadd's redshifts")
    parser.add_argument("--checkpoint", help="checkpoint that made the store (with --fits)")
    parser.add_argument("--k", type=int, default=16)
    parser.add_argument("--query", choices=MODALITIES, default="image",
                        help="query modality (with --fits, set by the file)")
    parser.add_argument("--key", choices=MODALITIES, default="image", help="searched modality")
    parser.add_argument("--least", action="store_true", help="least similar instead of most")
    parser.add_argument("--include-invalid", action="store_true",
                        help="also search rows whose spectrum is all zero")
    parser.add_argument("--ann-threshold", type=int, default=None,
                        help="use an hnswlib index above this many galaxies (default 500000)")
    parser.add_argument("--json", action="store_true", help="JSON output")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from astroclip_engine.errors import StoreError
    from astroclip_engine.search import ANN_THRESHOLD, SimilaritySearch
    from astroclip_engine.store import EmbeddingStore

    with EmbeddingStore(args.store) as store:
        search = SimilaritySearch(store, include_invalid=args.include_invalid,
                                  ann_threshold=args.ann_threshold or ANN_THRESHOLD)
        outputs: list[dict[str, Any]] = []
        if args.targetid is not None:
            result = search.search(args.query, args.key, targetid=args.targetid, k=args.k,
                                   largest=not args.least)
            outputs.append({"query": {"targetid": args.targetid, "modality": args.query},
                            "key": args.key, "neighbours": result.to_records(),
                            "approximate": result.approximate})
        else:
            if not args.checkpoint:
                raise StoreError("--fits needs --checkpoint (the model that made the store)")
            from astroclip_engine.embed import embed_fits

            samples, modality, vectors, sha = embed_fits(args.checkpoint, args.fits, args.redrock)
            if vectors.shape[1] != store.info.embedding_dim:
                raise StoreError(
                    f"{args.checkpoint} makes {vectors.shape[1]}-d embeddings but {args.store} "
                    f"holds {store.info.embedding_dim}-d ones: use the checkpoint that made it")
            if store.info.checkpoint_sha256 and sha != store.info.checkpoint_sha256:
                print(f"astroclip: warning: {args.checkpoint} is not the checkpoint that made "
                      f"{args.store} ({store.info.checkpoint}); similarities may mean little",
                      file=sys.stderr)
            for sample, vector in zip(samples, vectors, strict=True):
                result = search.search(modality, args.key, vector=vector, k=args.k,
                                       largest=not args.least)
                outputs.append({"query": {"targetid": int(sample.targetid), "modality": modality,
                                          "redshift": _finite(sample.redshift),
                                          "file": args.fits},
                                "key": args.key, "neighbours": result.to_records(),
                                "approximate": result.approximate})
    if args.json:
        print(json.dumps(outputs if len(outputs) > 1 else outputs[0], indent=2))
    else:
        for out in outputs:
            _print_table(out)
    return 0


def _finite(value: float | None) -> float | None:
    return None if value is None or value != value else float(value)


def _print_table(out: dict[str, Any]) -> None:
    q = out["query"]
    z = f", z = {q['redshift']:.4f}" if q.get("redshift") is not None else ""
    print(f"# {q['modality']} of TARGETID {q['targetid']}{z} -> {out['key']} embeddings"
          + (" (approximate)" if out["approximate"] else ""))
    print(f"{'rank':>4}  {'targetid':>20}  {'similarity':>10}  {'redshift':>8}")
    for rank, n in enumerate(out["neighbours"], start=1):
        print(f"{rank:>4}  {n['targetid']:>20}  {n['similarity']:>10.4f}  {n['redshift']:>8.4f}")
