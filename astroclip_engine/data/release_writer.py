"""Write paired data in exactly the layout of the AstroCLIP HDF5 release (docs/formats.md).

Used by the mock survey and by tests that build small files in the real layout.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

import h5py
import numpy as np

from astroclip_engine.constants import N_SPECTRUM_BINS


class ReleaseWriter:
    """Append galaxies to groups "0", "1", ... of a release-layout HDF5 file.

    Images are given in sky orientation (n, 3, H, W) and stored transposed as (n, W, H, 3)
    (axes x, y, band), exactly as the release stores them; spectra as (n, 7781, 1).
    """

    def __init__(self, path: str | Path, image_size: int = 152) -> None:
        self.path = Path(path)
        self.image_size = image_size
        self._file = h5py.File(self.path, "w")

    def __enter__(self) -> ReleaseWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._file.id.valid:
            try:
                self._file.flush()
            finally:
                self._file.close()

    def append(
        self,
        group: str,
        images: np.ndarray,
        spectra: np.ndarray,
        redshifts: np.ndarray,
        targetids: np.ndarray,
    ) -> None:
        """Append a batch of n galaxies to `group` (created on first use)."""
        n = len(targetids)
        size = self.image_size
        if images.shape != (n, 3, size, size):
            raise ValueError(f"images must be (n, 3, {size}, {size}), got {images.shape}")
        if spectra.shape != (n, N_SPECTRUM_BINS):
            raise ValueError(f"spectra must be (n, {N_SPECTRUM_BINS}), got {spectra.shape}")
        g = self._file.require_group(group)
        if "images" not in g:
            g.create_dataset("images", shape=(0, size, size, 3), maxshape=(None, size, size, 3),
                             dtype="f4", chunks=(1, size, size, 3))
            g.create_dataset("spectra", shape=(0, N_SPECTRUM_BINS, 1),
                             maxshape=(None, N_SPECTRUM_BINS, 1), dtype="f4",
                             chunks=(1, N_SPECTRUM_BINS, 1))
            g.create_dataset("redshifts", shape=(0,), maxshape=(None,), dtype="f4")
            g.create_dataset("targetids", shape=(0,), maxshape=(None,), dtype="i8")
        datasets = {key: g[key] for key in ("images", "spectra", "redshifts", "targetids")}
        start = datasets["targetids"].shape[0]
        stop = start + n
        for dataset in datasets.values():
            dataset.resize(stop, axis=0)
        # sky (band, y, x) -> release (x, y, band)
        datasets["images"][start:stop] = np.transpose(images, (0, 3, 2, 1)).astype(np.float32)
        datasets["spectra"][start:stop] = spectra[..., None].astype(np.float32)
        datasets["redshifts"][start:stop] = redshifts.astype(np.float32)
        datasets["targetids"][start:stop] = targetids.astype(np.int64)
        # flush while the dataset objects are alive: a write error (disk full) then raises here
        # instead of being swallowed when h5py deallocates them
        self._file.flush()
