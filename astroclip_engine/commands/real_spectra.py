"""`astroclip real-spectra`: embed real DESI spectra with a model and report the redshifts of
their nearest galaxies in a store (the LRG stack at several z and the BGS coadd).

    astroclip real-spectra --checkpoint CKPT --store STORE [--realdata DIR] [--k 16]
"""

from __future__ import annotations

import argparse

from astroclip_engine.errors import DataFormatError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "real-spectra", help="neighbour redshifts of real DESI spectra embedded with a model",
        description="Embed the real DESI LRG stack (redshifted to several z) and the real BGS "
                    "coadd; print the median redshift of their k nearest store galaxies.")
    parser.add_argument("--checkpoint", required=True, help="trained AstroCLIP checkpoint")
    parser.add_argument("--store", required=True, help="embeddings store made with it")
    parser.add_argument("--realdata", help="realdata folder (default ../shared/realdata)")
    parser.add_argument("--k", type=int, default=16)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from astroclip_engine.data.realdata_queries import find_realdata
    from astroclip_engine.evaluation.real_spectra import format_matches, match_real_spectra

    realdata = find_realdata(args.realdata)
    if realdata is None:
        raise DataFormatError("../shared/realdata", "no realdata folder found; pass --realdata")
    rows = match_real_spectra(args.checkpoint, args.store, realdata, k=args.k)
    print(format_matches(rows))
    return 0
