"""`astroclip stddev DATA --out FILE [--max-rows N]`: per-bin stddev of standardised train spectra.

The result feeds the spectrum-noise augmentation (0.3 x stddev x N(0, 1)); write `.npy` or
`.h5`/`.hdf5` (with provenance attributes). Written atomically.
"""

from __future__ import annotations

import argparse

from astroclip_engine.commands._progress import add_progress_option, progress_reporter


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "stddev", help="per-bin standard deviation of the standardised train spectra")
    parser.add_argument("data", help="HDF5 release, parquet file/folder or save_to_disk folder")
    parser.add_argument("--out", required=True, help="output .npy or .h5 file")
    parser.add_argument("--max-rows", type=int, default=None, metavar="N",
                        help="use at most N train rows, evenly spaced (default: all)")
    add_progress_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from astroclip_engine.data.open import open_dataset
    from astroclip_engine.data.stddev import save_spectrum_stddev, spectrum_stddev_stats

    dataset = open_dataset(args.data)
    try:
        result = spectrum_stddev_stats(dataset, reporter=progress_reporter(args),
                                      max_rows=args.max_rows)
    finally:
        dataset.close()
    out = save_spectrum_stddev(args.out, result, source=str(args.data))
    print(f"wrote {out}: {result.n_used} spectra used, {result.n_zero} all-zero and "
          f"{result.n_invalid} invalid skipped; median stddev "
          f"{float(np.median(result.stddev)):.4g}")
    return 0

