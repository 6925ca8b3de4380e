"""Lazy reader of the AstroCLIP HDF5 release (docs/formats.md).

Groups "0".."9" (any subset, numeric order) each hold `images` (n, S, S, 3) float32 stored as
(x, y, band), `spectra` (n, 7781, 1) float32, `redshifts` (n,) and `targetids` (n,). Only the
1-D columns are read whole; images and spectra are read one row at a time (a loop of single-row
reads is 13x faster than h5py fancy indexing: docs/benchmarks.md, data_access). File handles
are per process, so a dataset can be handed to DataLoader workers (forked or spawned).
"""

from __future__ import annotations

import bisect
import os
from pathlib import Path
from types import TracebackType
from typing import Any

import h5py
import numpy as np

from astroclip_engine.constants import N_SPECTRUM_BINS, TRAIN_FRACTION
from astroclip_engine.data.provabgs import join_properties
from astroclip_engine.data.row_dataset import RowDataset
from astroclip_engine.data.schema import Split
from astroclip_engine.errors import DataFormatError, reading

COLUMNS: tuple[str, ...] = ("images", "spectra", "redshifts", "targetids")
def train_count(n: int) -> int:
    """Rows of a block of `n` that are train: the first 80 % (constants.TRAIN_FRACTION)."""
    return int(n * TRAIN_FRACTION)


def release_groups(file: h5py.File) -> list[str]:
    """Names of the numeric top-level groups of a release file, in numeric order."""
    return sorted((k for k in file if k.isdigit() and isinstance(file[k], h5py.Group)), key=int)


class ReleaseDataset(RowDataset):
    """The AstroCLIP HDF5 release as a `PairedDataset`.

    properties: a PROVABGS table to join on TARGETID; when None, a sidecar
    `<stem>.provabgs.hdf5` beside the file is used if present (`auto_properties=False` disables).
    """

    def __init__(self, path: str | Path, properties: str | Path | None = None,
                 auto_properties: bool = True) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise DataFormatError(self.path, "no such file (expected an AstroCLIP HDF5 release)")
        self._file: h5py.File | None = None
        self._pid = -1
        self._datasets: dict[tuple[str, str], h5py.Dataset] = {}
        try:
            self._load_index(properties, auto_properties)
        except BaseException:
            self.close()
            raise

    def _load_index(self, properties: str | Path | None, auto_properties: bool) -> None:
        """Validate the layout, read the 1-D columns and join the property table."""
        with reading(self.path, expected="an HDF5 file"):
            file = self._handle()
            self.groups = release_groups(file)
            if not self.groups:
                raise DataFormatError(
                    self.path, "no numeric groups: expected the AstroCLIP release layout with "
                    f"groups '0'..'9' (found top-level keys {sorted(file)[:10]})")
            sizes = [self._validate_group(file, g) for g in self.groups]
            self.image_size = self._common_image_size(file)
            self._targetids = np.concatenate(
                [self._read_column(file, g, "targetids") for g in self.groups]).astype(np.int64)
            self._redshifts = np.concatenate(
                [self._read_column(file, g, "redshifts") for g in self.groups]
            ).astype(np.float32)
        self.group_sizes = np.asarray(sizes, dtype=np.int64)
        self._offsets = np.concatenate([[0], np.cumsum(self.group_sizes)])
        self._starts = [int(o) for o in self._offsets]  # plain ints: bisect beats numpy here
        self._n = self._starts[-1]
        for arr in (self._targetids, self._redshifts):
            arr.setflags(write=False)
        self.joined = join_properties(self.path, self._targetids, properties, auto_properties)
        self.properties = self.joined.columns

    # -- validation -------------------------------------------------------------------------

    def _validate_group(self, file: h5py.File, group: str) -> int:
        g = file[group]
        for key in COLUMNS:
            if not isinstance(g.get(key), h5py.Dataset):
                raise DataFormatError(self.path, f"missing dataset '{key}' (expected "
                                      f"{', '.join(COLUMNS)} in every group)", f"{group}/{key}")
        self._expect(g["targetids"].ndim == 1, f"{group}/targetids", "shape (n,)",
                     g["targetids"].shape)
        n = g["targetids"].shape[0]
        images, spectra = g["images"], g["spectra"]
        self._expect(images.ndim == 4 and images.shape[1] == images.shape[2]
                     and images.shape[3] == 3 and images.shape[0] == n,
                     f"{group}/images", f"shape (n, S, S, 3) with n={n}", images.shape)
        self._expect(spectra.shape in ((n, N_SPECTRUM_BINS, 1), (n, N_SPECTRUM_BINS)),
                     f"{group}/spectra", f"shape ({n}, {N_SPECTRUM_BINS}, 1)", spectra.shape)
        self._expect(g["redshifts"].shape == (n,), f"{group}/redshifts", f"shape ({n},)",
                     g["redshifts"].shape)
        for key in ("images", "spectra"):
            self._expect(g[key].dtype == np.float32, f"{group}/{key}", "dtype float32",
                         g[key].dtype)
        self._expect(g["redshifts"].dtype.kind == "f", f"{group}/redshifts", "a float dtype",
                     g["redshifts"].dtype)
        self._expect(g["targetids"].dtype.kind in "iu", f"{group}/targetids",
                     "an integer dtype", g["targetids"].dtype)
        return n

    def _common_image_size(self, file: h5py.File) -> int:
        sizes = {file[g]["images"].shape[1] for g in self.groups}
        if len(sizes) != 1:
            raise DataFormatError(self.path, f"groups have different image sizes {sorted(sizes)}"
                                  "; expected one size S for every group", "images")
        return sizes.pop()

    def _expect(self, ok: bool, key: str, expected: str, got: Any) -> None:
        if not ok:
            raise DataFormatError(self.path, f"expected {expected}, got {got}", key)

    def _read_column(self, file: h5py.File, group: str, key: str) -> np.ndarray:
        with reading(self.path, f"{group}/{key}", "a 1-D column"):
            return file[group][key][()]

    # -- per-process file handles ------------------------------------------------------------

    def _handle(self) -> h5py.File:
        """This process's open file (reopened after a fork)."""
        if self._file is None or self._pid != os.getpid():
            self._file = h5py.File(self.path, "r")
            self._pid = os.getpid()
            self._datasets = {}
        return self._file

    def _dataset(self, group: str, key: str) -> h5py.Dataset:
        file = self._handle()
        ds = self._datasets.get((group, key))
        if ds is None:
            ds = self._datasets[(group, key)] = file[group][key]
        return ds

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.update(_file=None, _pid=-1, _datasets={})
        return state

    def close(self) -> None:
        if self._file is not None and self._pid == os.getpid() and self._file.id.valid:
            self._file.close()
        self._file, self._datasets = None, {}

    def __enter__(self) -> ReleaseDataset:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- PairedDataset -----------------------------------------------------------------------

    def __len__(self) -> int:
        return self._n

    def locate(self, index: int) -> tuple[str, int]:
        """(group, row within the group) of a global row index."""
        index = self._row(index)
        g = bisect.bisect_right(self._starts, index) - 1
        return self.groups[g], index - self._starts[g]

    def split_indices(self, split: Split) -> np.ndarray:
        if split == "all":
            return np.arange(len(self), dtype=np.int64)
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train', 'test' or 'all', got {split!r}")
        parts = []
        for start, n in zip(self._offsets[:-1], self.group_sizes, strict=True):
            cut = start + train_count(int(n))
            parts.append(np.arange(start, cut) if split == "train"
                         else np.arange(cut, start + n))
        return np.concatenate(parts).astype(np.int64)

    def read_image(self, index: int) -> np.ndarray:
        group, row = self.locate(index)
        with reading(self.path, f"{group}/images[{row}]", "a float32 image row"):
            raw = self._dataset(group, "images")[row]
        return np.ascontiguousarray(raw.transpose(2, 1, 0), dtype=np.float32)

    def read_spectrum(self, index: int) -> np.ndarray:
        group, row = self.locate(index)
        with reading(self.path, f"{group}/spectra[{row}]", "a float32 spectrum row"):
            raw = self._dataset(group, "spectra")[row]
        return np.asarray(raw, dtype=np.float32).reshape(N_SPECTRUM_BINS)

    def read_spectra(self, indices: np.ndarray) -> np.ndarray:
        """float32 (len(indices), 7781): contiguous runs inside a group are read as one slice."""
        indices = np.asarray(indices, dtype=np.int64)
        out = np.empty((len(indices), N_SPECTRUM_BINS), dtype=np.float32)
        i = 0
        while i < len(indices):
            group, row = self.locate(int(indices[i]))
            g_end = int(self._offsets[self.groups.index(group) + 1])
            j = i + 1
            while (j < len(indices) and indices[j] == indices[j - 1] + 1
                   and indices[j] < g_end):
                j += 1
            ds = self._dataset(group, "spectra")
            dest = out[i:j].reshape(j - i, *ds.shape[1:])  # a view: h5py writes into `out`
            with reading(self.path, f"{group}/spectra[{row}:{row + j - i}]", "float32 spectra"):
                ds.read_direct(dest, np.s_[row:row + j - i])
            i = j
        return out

    def __repr__(self) -> str:
        return (f"ReleaseDataset({str(self.path)!r}, rows={len(self)}, groups={self.groups}, "
                f"image_size={self.image_size})")
