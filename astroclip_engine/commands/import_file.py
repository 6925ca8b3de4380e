"""`astroclip import FILE --out PROJECT` (alias `astroclip open`): a published embeddings file
as an explorer project."""

from __future__ import annotations

import argparse

from astroclip_engine.commands._progress import add_progress_option, progress_reporter


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "import", aliases=["open"],
        help="turn a published embeddings file (official AstroCLIP HDF5, seed npz) into a "
             "project the explorer opens ('open' is the same command)",
        description="Reads only the embedding, id, redshift and property columns (never the "
                    "images or raw spectra) and writes PROJECT/embeddings.h5 + project.yaml.")
    parser.add_argument("file", help="*_embeddings.hdf5 or embeddings .npz")
    parser.add_argument("--out", required=True, help="project folder to create")
    parser.add_argument("--umap", action="store_true", help="also compute the image UMAP map")
    add_progress_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from astroclip_engine.import_embeddings import import_embeddings

    project = import_embeddings(args.file, args.out, umap=args.umap,
                                reporter=progress_reporter(args))
    print(project.root)
    return 0
