"""`astroclip mock OUT.h5 --n N --seed S [--size PIXELS] [--group-size G] [--check]`."""

from __future__ import annotations

import argparse

from astroclip_engine.commands._progress import add_progress_option, progress_reporter


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "mock", help="generate the physically grounded mock survey",
        description="Writes OUT in the AstroCLIP HDF5 release layout and a PROVABGS-style "
                    "property table <stem>.provabgs.hdf5 beside it.")
    parser.add_argument("out", help="output HDF5 file")
    parser.add_argument("--n", type=int, default=5000, help="number of galaxies (default 5000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--size", type=int, default=152, help="image side in pixels")
    parser.add_argument("--group-size", type=int, default=1_000_000,
                        help="rows per release group")
    parser.add_argument("--check", action="store_true",
                        help="run the realism checks afterwards; exit 1 if any fails")
    parser.add_argument("--realdata", default=None,
                        help="folder of real reference data for --check (default: "
                             "../shared/realdata beside the working directory or the clone; "
                             "the real-data rows are skipped with a note when absent)")
    add_progress_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from astroclip_engine.data.mock import generate_mock, mock_properties_path

    out = generate_mock(args.out, args.n, seed=args.seed, image_size=args.size,
                        group_size=args.group_size, reporter=progress_reporter(args))
    print(f"mock survey: {out}")
    print(f"properties:  {mock_properties_path(out)}")
    if not args.check:
        return 0
    from astroclip_engine.data.mock_check import check_mock_file, format_results
    from astroclip_engine.data.realdata_queries import find_realdata

    realdata = find_realdata(args.realdata)
    results = check_mock_file(out, realdata=realdata)
    print(format_results(results))
    if realdata is None:
        print("note: no real reference data (--realdata, or ../shared/realdata) found: the "
              "real-data checks were skipped")
    failed = [r.name for r in results if not r.passed]
    if failed:
        print("FAILED checks: " + "; ".join(failed))
    return 0 if all(r.passed for r in results) else 1
