"""Per-bin standard deviation of standardised training spectra (the spectrum-noise augmentation).

Each train spectrum is standardised on its own (minus its mean, over its standard deviation);
all-zero, constant and non-finite spectra are skipped and counted. The 7,781 per-bin standard
deviations are accumulated in one streamed pass with Chan's parallel merge of Welford
statistics, so memory stays at a few blocks of spectra whatever the dataset size.
Saved as `.npy` or as HDF5 (dataset `stddev` with provenance attributes).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from astroclip_engine.atomic import atomic_path
from astroclip_engine.constants import N_SPECTRUM_BINS
from astroclip_engine.data.schema import PairedDataset
from astroclip_engine.errors import DataFormatError, reading
from astroclip_engine.jobs import CancelToken, Progress, Reporter, null_reporter

JOB = "spectrum stddev"
HDF5_KEY = "stddev"


@dataclass(frozen=True)
class StddevResult:
    """The per-bin standard deviation and how many spectra went into it."""

    stddev: np.ndarray
    n_used: int
    n_zero: int
    n_invalid: int
    """Spectra skipped because they had non-finite values or were constant (but not zero)."""


class RunningMoments:
    """Per-bin count, mean and sum of squared deviations, merged block by block (Chan et al.)."""

    def __init__(self, size: int) -> None:
        self.n = 0
        self.mean = np.zeros(size)
        self.m2 = np.zeros(size)

    def add(self, block: np.ndarray) -> None:
        nb = len(block)
        if nb == 0:
            return
        mean_b = block.mean(axis=0)
        m2_b = ((block - mean_b) ** 2).sum(axis=0)
        total = self.n + nb
        delta = mean_b - self.mean
        self.mean += delta * (nb / total)
        self.m2 += m2_b + delta**2 * (self.n * nb / total)
        self.n = total

    def std(self) -> np.ndarray:
        """Sample standard deviation (ddof = 1)."""
        return np.sqrt(self.m2 / max(self.n - 1, 1))


def standardise_rows(spectra: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(standardised usable rows, all-zero mask, invalid mask) of a (n, bins) block."""
    spectra = np.asarray(spectra, dtype=np.float64)
    zero = ~np.any(spectra != 0, axis=1)
    finite = np.all(np.isfinite(spectra), axis=1)
    clean = np.where(finite[:, None], spectra, 0.0)
    mean = clean.mean(axis=1, keepdims=True)
    std = clean.std(axis=1, keepdims=True)
    invalid = ~zero & (~finite | (std[:, 0] == 0))
    use = ~zero & ~invalid
    return (clean[use] - mean[use]) / std[use], zero, invalid


def _read_block(dataset: PairedDataset, indices: np.ndarray) -> np.ndarray:
    reader = getattr(dataset, "read_spectra", None)
    if reader is not None:
        return reader(indices)
    return np.stack([dataset.read_spectrum(int(i)) for i in indices])


def train_rows(dataset: PairedDataset, max_rows: int | None = None) -> np.ndarray:
    """Train rows of a dataset, thinned evenly to at most `max_rows`."""
    rows = dataset.split_indices("train")
    if max_rows is not None and len(rows) > max_rows:
        rows = rows[np.unique(np.linspace(0, len(rows) - 1, max_rows).astype(np.int64))]
    return rows


def spectrum_stddev_stats(
    dataset: PairedDataset,
    reporter: Reporter | None = None,
    cancel: CancelToken | None = None,
    max_rows: int | None = None,
    block_size: int = 256,
) -> StddevResult:
    """Stream the train spectra once and return the per-bin stddev with the skip counts."""
    report = reporter or null_reporter
    rows = train_rows(dataset, max_rows)
    moments = RunningMoments(N_SPECTRUM_BINS)
    n_zero = n_invalid = 0
    report(Progress(JOB, 0, len(rows), "standardised train spectra"))
    for start in range(0, len(rows), block_size):
        if cancel is not None:
            cancel.raise_if_cancelled()
        block = _read_block(dataset, rows[start:start + block_size])
        if block.shape[1:] != (N_SPECTRUM_BINS,):
            raise DataFormatError(dataset.path, f"expected spectra of {N_SPECTRUM_BINS} bins, "
                                  f"got {block.shape[1:]}", "spectra")
        usable, zero, invalid = standardise_rows(block)
        moments.add(usable)
        n_zero += int(zero.sum())
        n_invalid += int(invalid.sum())
        done = min(start + block_size, len(rows))
        report(Progress(JOB, done, len(rows), f"{n_zero} all-zero skipped"))
    if moments.n < 2:
        raise DataFormatError(dataset.path, f"only {moments.n} usable train spectra (skipped "
                              f"{n_zero} all-zero, {n_invalid} invalid); need at least 2",
                              "spectra")
    return StddevResult(moments.std().astype(np.float32), moments.n, n_zero, n_invalid)


def compute_spectrum_stddev(
    dataset: PairedDataset,
    reporter: Reporter | None = None,
    cancel: CancelToken | None = None,
    max_rows: int | None = None,
) -> np.ndarray:
    """float32 (7781,): per-bin stddev of the per-spectrum standardised train spectra."""
    return spectrum_stddev_stats(dataset, reporter, cancel, max_rows).stddev


def save_spectrum_stddev(path: str | Path, result: StddevResult, source: str = "") -> Path:
    """Write the stddev atomically: `.npy`, or HDF5 (`.h5`/`.hdf5`) with provenance attrs."""
    path = Path(path)
    with atomic_path(path) as tmp:
        if path.suffix in (".h5", ".hdf5"):
            with h5py.File(tmp, "w") as f:
                f.create_dataset(HDF5_KEY, data=result.stddev)
                f.attrs.update(n_used=result.n_used, n_zero=result.n_zero,
                               n_invalid=result.n_invalid, source=source)
        else:
            with open(tmp, "wb") as handle:
                np.save(handle, result.stddev, allow_pickle=False)
    return path


def load_spectrum_stddev(path: str | Path) -> np.ndarray:
    """Read a stddev written by `save_spectrum_stddev` (validated: 7781 finite values >= 0)."""
    path = Path(path)
    if not path.is_file():
        raise DataFormatError(path, "no such spectrum stddev file (make one with "
                              "`astroclip stddev`)")
    with reading(path, HDF5_KEY, "a spectrum stddev (.npy or HDF5)"):
        if h5py.is_hdf5(path):
            with h5py.File(path, "r") as f:
                if HDF5_KEY not in f:
                    raise DataFormatError(path, f"no dataset '{HDF5_KEY}'", HDF5_KEY)
                values = f[HDF5_KEY][()]
        else:
            values = np.load(path, allow_pickle=False)
    values = np.asarray(values)
    if values.shape != (N_SPECTRUM_BINS,) or values.dtype.kind != "f":
        raise DataFormatError(path, f"expected {N_SPECTRUM_BINS} float values, got shape "
                              f"{values.shape} {values.dtype}", HDF5_KEY)
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise DataFormatError(path, "expected finite, non-negative values", HDF5_KEY)
    return values.astype(np.float32)
