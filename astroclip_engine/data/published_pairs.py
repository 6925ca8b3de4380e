"""The images and spectra stored inside a published embeddings file, as a paired dataset.

The official `embed_astroclip.py` file keeps `image (N, 3, 144, 144)`, the RGB crops the model
saw (ToRGB already applied), and `spectrum (N, 7781, 1)`; seed B's npz keeps `images
(N, 152, 152, 3)` RGB display images and `source_spec (N, 7781, 1)` (docs/formats.md). An
imported project records the file as its dataset so the explorer shows them. Images are
display RGB, not g, r, z fluxes: `image_kind` is "rgb" and `read_image` returns the channels in
band order (B, G, R: the g-, r- and z-derived channels of the legacysurvey mapping) so a
per-band view still picks the right band. Rows are read one at a time (npz members are
memory-mapped), never the whole file.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from astroclip_engine.constants import N_SPECTRUM_BINS
from astroclip_engine.data.row_dataset import RowDataset
from astroclip_engine.data.schema import GalaxySample, Split
from astroclip_engine.errors import DataFormatError
from astroclip_engine.published_embeddings import (
    PublishedEmbeddings,
    _npz_member,
    open_published,
    read_column,
)

IMAGE_KEYS = ("image", "images")
SPECTRUM_KEYS = ("spectrum", "source_spec")


def _image_key(data: PublishedEmbeddings) -> str | None:
    for key in IMAGE_KEYS:
        shape = data.keys.get(key, ((), ""))[0]
        if len(shape) == 4 and shape[0] == data.rows and 3 in (shape[1], shape[3]):
            return key
    return None


def _spectrum_key(data: PublishedEmbeddings) -> str | None:
    for key in SPECTRUM_KEYS:
        shape = data.keys.get(key, ((), ""))[0]
        if len(shape) in (2, 3) and shape[0] == data.rows and shape[1] == N_SPECTRUM_BINS:
            return key
    return None


def holds_pairs(path: str | Path) -> bool:
    """Whether a published embeddings file also stores images or spectra the explorer shows."""
    try:
        data = open_published(path)
    except (DataFormatError, OSError, KeyError, ValueError, RuntimeError, TypeError):
        return False  # not one (or damaged): the data readers describe or refuse it
    return data.layout != "hdf5-table" and bool(_image_key(data) or _spectrum_key(data))


class PublishedPairs(RowDataset):
    """`PairedDataset` over a published file's stored images and spectra (either may be
    absent: reading it raises DataFormatError). No train/test split: all rows are "test"."""

    image_kind = "rgb"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._data = open_published(self.path)
        self._image = _image_key(self._data)
        self._spectrum = _spectrum_key(self._data)
        if self._data.layout == "hdf5-table" or not (self._image or self._spectrum):
            raise DataFormatError(self.path, "holds embeddings but no images or spectra "
                                             f"(expected {IMAGE_KEYS} or {SPECTRUM_KEYS})")
        n = self._data.rows
        columns = self._data.columns
        self._targetids = (np.asarray(read_column(self._data, "targetid"), np.int64)
                           if "targetid" in columns else np.arange(n, dtype=np.int64))
        self._redshifts = (np.asarray(read_column(self._data, "redshift"), np.float32)
                           if "redshift" in columns else np.full(n, np.nan, np.float32))
        self._file: h5py.File | None = None

    def split_indices(self, split: Split) -> np.ndarray:
        if split not in ("train", "test", "all"):
            raise ValueError(f"split must be 'train', 'test' or 'all', got {split!r}")
        return np.arange(0 if split == "train" else len(self), dtype=np.int64)

    def _read(self, key: str, index: int) -> np.ndarray:
        if not 0 <= index < len(self):
            raise IndexError(f"row {index} out of range for {len(self)} rows")
        if self._data.layout == "npz":
            return np.asarray(_npz_member(self.path, key)[index], dtype=np.float32)
        if self._file is None:
            self._file = h5py.File(self.path, "r")
        return np.asarray(self._file[key][index], dtype=np.float32)

    def read_image(self, index: int) -> np.ndarray:
        """(3, H, W) display RGB in [0, 1], channels B, G, R (see the module docstring)."""
        if self._image is None:
            raise DataFormatError(self.path, "stores no images")
        image = self._read(self._image, index)
        if image.shape[0] != 3:  # (H, W, 3)
            image = np.moveaxis(image, -1, 0)
        return np.ascontiguousarray(image[::-1])

    def read_spectrum(self, index: int) -> np.ndarray:
        if self._spectrum is None:
            raise DataFormatError(self.path, "stores no spectra")
        return self._read(self._spectrum, index).reshape(-1)

    def __getitem__(self, index: int) -> GalaxySample:
        return GalaxySample(
            targetid=int(self._targetids[index]), redshift=float(self._redshifts[index]),
            image=self.read_image(index) if self._image else None,
            spectrum=self.read_spectrum(index) if self._spectrum else None)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
