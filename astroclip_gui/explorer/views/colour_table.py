"""Quantised colouring: values -> 0..255 codes -> a table of pre-built brushes
(docs/architecture.md, GUI).

A new QBrush per point costs seconds at 200k galaxies; indexing a 258-entry object array of
brushes costs milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QBrush, QColor

N_LEVELS = 256
NAN_CODE = N_LEVELS  # grey: value unknown
CATEGORY_PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
                    "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac", "#17becf", "#bcbd22")
NAN_COLOUR = "#7f7f7f"


@dataclass(frozen=True)
class Quantised:
    """Per-point codes into the brush table and the value range they span."""

    codes: np.ndarray  # int16 (N,): 0..255, or NAN_CODE
    low: float
    high: float
    log: bool
    categorical: bool


def quantise(values: np.ndarray, clip: tuple[float, float] = (1.0, 99.0), log: bool = False,
             categorical: bool = False) -> Quantised:
    """Map values to colour codes: percentiles clip continuous values, categories cycle."""
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    codes = np.full(values.shape, NAN_CODE, dtype=np.int16)
    if categorical:
        labels = values[finite].astype(np.int64)
        codes[finite] = np.where(labels < 0, NAN_CODE, labels % len(CATEGORY_PALETTE))
        return Quantised(codes, 0.0, float(len(CATEGORY_PALETTE) - 1), False, True)
    if log:
        finite &= values > 0
        values = np.log10(np.where(finite, values, 1.0))
    if not finite.any():
        return Quantised(codes, 0.0, 1.0, log, False)
    low, high = np.percentile(values[finite], clip)
    if not high > low:
        low, high = low - 0.5, high + 0.5
    scaled = (values[finite] - low) / (high - low)
    codes[finite] = np.clip(scaled * (N_LEVELS - 1), 0, N_LEVELS - 1).astype(np.int16)
    return Quantised(codes, float(low), float(high), log, False)


class BrushTable:
    """Pre-built brushes for every code of a colour map (plus grey for unknown)."""

    def __init__(self, colormap: str = "viridis", alpha: int = 255) -> None:
        self.colormap_name = colormap
        self.colormap = pg.colormap.get(colormap)
        lut = self.colormap.getLookupTable(0.0, 1.0, N_LEVELS, alpha=False)
        colours = [QColor(int(r), int(g), int(b), alpha) for r, g, b in lut[:, :3]]
        colours.append(QColor(NAN_COLOUR))
        self.continuous = _object_array([QBrush(c) for c in colours])
        categorical = [QBrush(QColor(c)) for c in CATEGORY_PALETTE]
        categorical += [QBrush(QColor(NAN_COLOUR))] * (N_LEVELS + 1 - len(categorical))
        self.categorical = _object_array(categorical)
        self.continuous_rgba = _rgba(self.continuous)
        self.categorical_rgba = _rgba(self.categorical)

    def table(self, q: Quantised) -> np.ndarray:
        """The object array of shared brushes that `q.codes` index (no new QBrush per point)."""
        return self.categorical if q.categorical else self.continuous

    def rgba(self, q: Quantised) -> np.ndarray:
        """(N_LEVELS + 1, 4) uint8 colours of `table(q)`, for images coloured like the points."""
        return self.categorical_rgba if q.categorical else self.continuous_rgba

    def brushes(self, q: Quantised) -> np.ndarray:
        """Object array of brushes, one per point (shared objects, no new QBrush)."""
        return self.table(q)[q.codes]


def _rgba(brushes: np.ndarray) -> np.ndarray:
    return np.array([b.color().getRgb() for b in brushes], dtype=np.uint8)


def _object_array(items: list[QBrush]) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out
