"""Data access through ReleaseDataset vs plain h5py on a temporary release file (152 px).

Rows: random single galaxies (image + spectrum) in ms, the same rows read with plain h5py
single-row reads (raw, and transposed to sky orientation as the reader returns them), h5py
fancy indexing of 16-row batches (the readers avoid it: docs/benchmarks.md),
sequential MB/s of the reader vs plain h5py slices of the same bytes, and the block spectrum
reads used by `astroclip stddev`. The file was just written, so reads come from the page cache:
this measures the reader's own overhead, not the disk. Each time is the best of three passes.
Full: 2,000 galaxies (~0.6 GB); quick: 300 (~0.1 GB).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np

from astroclip_engine.constants import IMAGE_SIZE, N_SPECTRUM_BINS
from astroclip_engine.data.release import ReleaseDataset
from astroclip_engine.data.release_writer import ReleaseWriter

ROW_BYTES = (3 * IMAGE_SIZE * IMAGE_SIZE + N_SPECTRUM_BINS) * 4


def build_release(path: Path, n: int, batch: int = 100, seed: int = 0) -> None:
    """Random galaxies in two release groups (the real layout, 152 px)."""
    rng = np.random.default_rng(seed)
    with ReleaseWriter(path, image_size=IMAGE_SIZE) as writer:
        for start in range(0, n, batch):
            m = min(batch, n - start)
            writer.append(
                "0" if start < n // 2 else "1",
                rng.normal(size=(m, 3, IMAGE_SIZE, IMAGE_SIZE)).astype(np.float32),
                rng.normal(size=(m, N_SPECTRUM_BINS)).astype(np.float32),
                rng.uniform(0, 0.6, m).astype(np.float32),
                np.arange(start, start + m, dtype=np.int64),
            )


def _timed(fn: Callable[[], object], repeats: int = 3) -> float:
    """Best of `repeats` wall times (the first pass also warms the page and chunk caches)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def run(quick: bool = False) -> list[dict]:
    n = 300 if quick else 2000
    n_random = 200 if quick else 1000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.h5"
        build_release(path, n)
        rng = np.random.default_rng(1)
        rows = rng.permutation(n)[:n_random]
        with ReleaseDataset(path) as ds, h5py.File(path, "r") as f:
            located = [ds.locate(int(i)) for i in rows]
            images = {g: f[g]["images"] for g in ds.groups}
            spectra = {g: f[g]["spectra"] for g in ds.groups}
            ds[0]  # open the handle before timing

            t_reader = _timed(lambda: [ds[int(i)] for i in rows])
            t_plain = _timed(lambda: [(images[g][r], spectra[g][r]) for g, r in located])
            t_plain_sky = _timed(lambda: [
                (np.ascontiguousarray(images[g][r].transpose(2, 1, 0)), spectra[g][r])
                for g, r in located])
            batches = [np.sort(rows[k:k + 16]) for k in range(0, len(rows) - 15, 16)]
            batches = [b[b < n // 2] for b in batches]  # fancy indexing within group "0"
            t_fancy = _timed(lambda: [(images["0"][b], spectra["0"][b]) for b in batches])
            t_loop16 = _timed(lambda: [[ds[int(i)] for i in b] for b in batches])
            n_fancy = sum(len(b) for b in batches)

            t_seq = _timed(lambda: [(ds.read_image(i), ds.read_spectrum(i)) for i in range(n)])
            t_seq_plain = _timed(lambda: [
                (images[g][s:s + 64], spectra[g][s:s + 64])
                for g in ds.groups for s in range(0, images[g].shape[0], 64)])
            t_block = _timed(lambda: ds.read_spectra(np.arange(n)))
            t_block_plain = _timed(lambda: [spectra[g][()] for g in ds.groups])

    mb_total = n * ROW_BYTES / 1e6
    mb_spec = n * N_SPECTRUM_BINS * 4 / 1e6
    return [
        {"measurement": "random galaxy, ReleaseDataset[i]", "value": 1e3 * t_reader / n_random,
         "unit": "ms/galaxy", "plain h5py": 1e3 * t_plain / n_random,
         "ratio (reader / plain)": t_reader / t_plain},
        {"measurement": "random galaxy, plain h5py + transpose to (band, y, x)",
         "value": 1e3 * t_reader / n_random, "unit": "ms/galaxy",
         "plain h5py": 1e3 * t_plain_sky / n_random,
         "ratio (reader / plain)": t_reader / t_plain_sky},
        {"measurement": "16-galaxy gallery: single-row loop vs h5py fancy indexing",
         "value": 1e3 * t_loop16 / n_fancy * 16, "unit": "ms/16 galaxies",
         "plain h5py": 1e3 * t_fancy / n_fancy * 16,
         "ratio (reader / plain)": t_loop16 / t_fancy},
        {"measurement": "sequential image + spectrum", "value": mb_total / t_seq,
         "unit": "MB/s", "plain h5py": mb_total / t_seq_plain,
         "ratio (reader / plain)": (mb_total / t_seq) / (mb_total / t_seq_plain)},
        {"measurement": "sequential spectra, read_spectra (stddev path)",
         "value": mb_spec / t_block, "unit": "MB/s", "plain h5py": mb_spec / t_block_plain,
         "ratio (reader / plain)": (mb_spec / t_block) / (mb_spec / t_block_plain)},
        {"measurement": "file size", "value": mb_total, "unit": f"MB ({n} galaxies)",
         "plain h5py": "", "ratio (reader / plain)": ""},
    ]


if __name__ == "__main__":
    import argparse

    from benchmarks.table import print_table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 galaxies instead of 2,000")
    print_table(run(quick=parser.parse_args().quick))
