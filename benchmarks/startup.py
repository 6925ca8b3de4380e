"""Start-up time of the `astroclip` command (wall seconds, median of repeated fresh processes).

`--help` and `info` on a 200-galaxy mock release (with its PROVABGS sidecar) must start in
<= 0.5 s. The reference, timed in the same run, is the previous code path's import set: what
`astroclip info` loaded before its imports were made lazy (astropy's FITS and table modules and
pyarrow, imported by format detection and the property-table reader).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

TARGET_S = 0.5
EAGER_IMPORTS = ("import numpy, h5py, yaml, pyarrow, astropy.io.fits, astropy.table, "
                 "astroclip_engine.data.release")


def _wall(argv: list[str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(quick: bool = False) -> list[dict[str, Any]]:
    repeats = 3 if quick else 7
    cli = [sys.executable, "-m", "astroclip_engine.cli"]
    with TemporaryDirectory() as tmp:
        mock = Path(tmp) / "mock.h5"
        subprocess.run([*cli, "mock", str(mock), "--n", "200", "--size", "32"], check=True,
                       capture_output=True)
        python = _wall([sys.executable, "-c", "pass"], repeats)
        eager = _wall([sys.executable, "-c", EAGER_IMPORTS], repeats)
        rows = [{"command": "python -c pass (interpreter floor)", "median_s": python},
                {"command": "previous import set of `info` (reference)", "median_s": eager,
                 "vs_reference": 1.0}]
        for label, args in (("astroclip --help", ["--help"]),
                            ("astroclip info mock.h5", ["info", str(mock)])):
            wall = _wall([*cli, *args], repeats)
            rows.append({"command": label, "median_s": wall, "vs_reference": wall / eager,
                         "target_s": TARGET_S, "ok": "yes" if wall <= TARGET_S else "no"})
    return rows


if __name__ == "__main__":
    from benchmarks.table import print_table

    print_table(run(quick="--quick" in sys.argv))
