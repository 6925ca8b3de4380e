"""The one typed sample every reader returns, and the protocol every paired dataset follows."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

import numpy as np

Split = Literal["train", "test", "all"]


@dataclass
class GalaxySample:
    """One galaxy as the engine sees it, whatever file it came from.

    image:    float32 (3, H, W), bands g, r, z, nanomaggies per pixel, sky orientation (y, x).
    spectrum: float32 (7781,) on `constants.WAVELENGTH`, 1e-17 erg/s/cm2/A.
    ivar, mask: optional, same shape as spectrum (mask: True = bad pixel).
    properties: physical properties by name (see constants.PROPERTY_NAMES), when known.
    """

    targetid: int
    redshift: float
    image: np.ndarray | None = None
    spectrum: np.ndarray | None = None
    ivar: np.ndarray | None = None
    mask: np.ndarray | None = None
    ra: float | None = None
    dec: float | None = None
    properties: dict[str, float] = field(default_factory=dict)


@runtime_checkable
class PairedDataset(Protocol):
    """A lazily read collection of image + spectrum pairs (HDF5 release, parquet, mock)."""

    path: Path

    def __len__(self) -> int: ...

    def __getitem__(self, index: int) -> GalaxySample: ...

    @property
    def targetids(self) -> np.ndarray:
        """int64 (N,), in row order."""
        ...

    @property
    def redshifts(self) -> np.ndarray:
        """float32 (N,), in row order."""
        ...

    def split_indices(self, split: Split) -> np.ndarray:
        """Row indices of a split (int64, sorted)."""
        ...

    def read_image(self, index: int) -> np.ndarray:
        """float32 (3, H, W) g, r, z image of one row, sky orientation."""
        ...

    def read_spectrum(self, index: int) -> np.ndarray:
        """float32 (7781,) spectrum of one row."""
        ...

    def close(self) -> None: ...
