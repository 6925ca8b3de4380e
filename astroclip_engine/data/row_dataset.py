"""What the paired-dataset readers share: row indexing, the small per-row columns, and building
a GalaxySample from a row."""

from __future__ import annotations

from typing import Any

import numpy as np

from astroclip_engine.data.schema import GalaxySample


class RowDataset:
    """Base of readers that keep targetids, redshifts and joined properties in memory and read
    images and spectra lazily (subclasses set `_targetids`, `_redshifts`, `joined`)."""

    _targetids: np.ndarray
    _redshifts: np.ndarray
    joined: Any

    def __len__(self) -> int:
        return int(self._targetids.shape[0])

    @property
    def targetids(self) -> np.ndarray:
        return self._targetids

    @property
    def redshifts(self) -> np.ndarray:
        return self._redshifts

    def read_image(self, index: int) -> np.ndarray:
        raise NotImplementedError

    def read_spectrum(self, index: int) -> np.ndarray:
        raise NotImplementedError

    def _row(self, index: int) -> int:
        """A row index in [0, len) (negative indices count from the end)."""
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"row {index} out of range for {n} rows")
        return int(index) % n

    def __getitem__(self, index: int) -> GalaxySample:
        index = self._row(index)
        return GalaxySample(
            targetid=int(self._targetids[index]),
            redshift=float(self._redshifts[index]),
            image=self.read_image(index),
            spectrum=self.read_spectrum(index),
            properties=self.joined.row(index),
        )
