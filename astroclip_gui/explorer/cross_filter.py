"""Cross-filtering of the galaxies by property ranges (brushes) and histograms; Qt-free.

Each column is binned once (bin codes per galaxy), so a histogram of any subset is one
`np.bincount`, and a brush recomputes only its own column's mask: at 200k galaxies a brush
update costs a few milliseconds (benchmarks/gui_brush.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

N_BINS = 48
CLIP_PERCENTILES = (0.5, 99.5)
MAX_CATEGORIES = 16


@dataclass(frozen=True)
class Binned:
    """One column binned: bin edges, each galaxy's bin (n_bins where unknown), all counts."""

    name: str
    values: np.ndarray
    edges: np.ndarray
    codes: np.ndarray
    counts: np.ndarray
    categorical: bool

    @property
    def n_bins(self) -> int:
        return len(self.edges) - 1

    def histogram(self, indices: np.ndarray) -> np.ndarray:
        return np.bincount(self.codes[indices], minlength=self.n_bins + 1)[:self.n_bins]


def bin_column(name: str, values: np.ndarray, categorical: bool = False,
               n_bins: int = N_BINS) -> Binned:
    """Bins over the column's 0.5-99.5 percentile range (integer bins for categories);
    values outside the range fall in the end bins."""
    values = np.asarray(values, dtype=np.float32)
    finite = np.isfinite(values)
    if categorical:
        top = int(np.nanmax(values)) if finite.any() else 0
        edges = np.arange(-0.5, max(top, 0) + 1.0, 1.0)
        finite &= values >= 0
    else:
        lo, hi = (np.percentile(values[finite], CLIP_PERCENTILES) if finite.any()
                  else (0.0, 1.0))
        hi = hi if hi > lo else lo + 1.0
        edges = np.linspace(lo, hi, n_bins + 1)
    n = len(edges) - 1
    scaled = (np.where(finite, values, edges[0]) - edges[0]) / (edges[-1] - edges[0]) * n
    codes = np.where(finite, np.clip(scaled, 0, n - 1), n).astype(np.intp)
    counts = np.bincount(codes, minlength=n + 1)[:n]
    return Binned(name, values, edges, codes, counts, categorical)


class CrossFilter:
    """Histogrammed columns and the brushes on them; `brushed()` is the galaxies inside all."""

    def __init__(self, columns: dict[str, np.ndarray], categorical: set[str] | None = None,
                 n_bins: int = N_BINS) -> None:
        categorical = categorical or set()
        self.columns = {name: bin_column(name, values, name in categorical, n_bins)
                        for name, values in columns.items()}
        self.n = len(next(iter(columns.values()))) if columns else 0
        self.brushes: dict[str, tuple[float, float]] = {}
        self._masks: dict[str, np.ndarray] = {}

    def set_brush(self, name: str, low: float, high: float) -> None:
        """Keep galaxies with `low <= value <= high` in column `name` (NaN never passes)."""
        column = self.columns[name]
        low, high = sorted((float(low), float(high)))
        self.brushes[name] = (low, high)
        self._masks[name] = (column.values >= low) & (column.values <= high)

    def clear_brush(self, name: str) -> None:
        self.brushes.pop(name, None)
        self._masks.pop(name, None)

    def clear(self) -> None:
        self.brushes.clear()
        self._masks.clear()

    def brushed(self) -> np.ndarray | None:
        """Sorted indices of the galaxies inside every brush; None when nothing is brushed."""
        if not self._masks:
            return None
        masks = iter(self._masks.values())
        mask = next(masks).copy()
        for other in masks:
            mask &= other
        return np.flatnonzero(mask)

    def histograms(self, indices: np.ndarray) -> dict[str, np.ndarray]:
        """Counts per bin of every column for the galaxies `indices`."""
        return {name: column.histogram(indices) for name, column in self.columns.items()}


def panel_columns(columns: dict[str, np.ndarray], categorical: set[str]) -> list[str]:
    """The columns worth a histogram: continuous ones, and categories with few values (not
    the split or the clusterings, which have their own views)."""
    keep = []
    for name, values in columns.items():
        if name == "split" or name.startswith("cluster: "):
            continue
        if name in categorical and np.nanmax(values, initial=0) >= MAX_CATEGORIES:
            continue
        keep.append(name)
    return keep
