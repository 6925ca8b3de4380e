"""A cached density pyramid of the map's points, for pan/zoom frames at millions of galaxies;
Qt-free.

Binning a million points anew on every frame costs ~80 ms. Instead the points are binned once
(when the data arrive) into a FINEST x FINEST grid over their extent, keeping per cell the count
and the top-most point (the highest index: the one the scatter draws last), and halved level by
level. A frame takes the coarsest level whose cells are at most a screen bin, so each bin holds
1 or 2 cells a side: a few gathers per bin (O(screen bins), not O(points)), the counts scaled by
the cell area each bin received so that the 1-or-2 pattern does not show as stripes. Colours
come from the top points' current colour codes, so recolouring needs no rebuild. Zoomed in past
the finest level, `visible_points` gives the points of the visible cells only (once
`index_points`, run in a worker, has sorted them by cell), and the exact binning runs on those.
"""

from __future__ import annotations

import numpy as np

from astroclip_gui.explorer.views.density import colour_bins

FINEST = 2048
"""Cells per side of the finest level (count + top index: 32 MB)."""


class DensityPyramid:
    """Per-level cell counts and top indices of the points (x, y) over their finite extent."""

    def __init__(self, x: np.ndarray, y: np.ndarray, finest: int = FINEST) -> None:
        finite = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
        self.size = finest
        if finite.size:
            lo = (float(x[finite].min()), float(y[finite].min()))
            hi = (float(x[finite].max()), float(y[finite].max()))
        else:
            lo, hi = (0.0, 0.0), (1.0, 1.0)
        span = (max(hi[0] - lo[0], 1e-12), max(hi[1] - lo[1], 1e-12))
        self.origin = lo
        self.cell = (span[0] * (1 + 1e-6) / finest, span[1] * (1 + 1e-6) / finest)
        col = ((x[finite] - lo[0]) / self.cell[0]).astype(np.intp)
        row = ((y[finite] - lo[1]) / self.cell[1]).astype(np.intp)
        self._cells = np.minimum(row, finest - 1) * finest + np.minimum(col, finest - 1)
        self._finite = finite
        counts = np.bincount(self._cells, minlength=finest * finest).astype(np.int32)
        top = np.full(finest * finest, -1, dtype=np.int32)
        np.maximum.at(top, self._cells, finite.astype(np.int32))  # last-drawn point per cell
        self.levels: list[tuple[np.ndarray, np.ndarray]] = [
            (counts.reshape(finest, finest), top.reshape(finest, finest))]
        while self.levels[-1][0].shape[0] > 16:
            c, t = self.levels[-1]
            self.levels.append((_halve(c, np.add), _halve(t, np.maximum)))
        self.sorted_points: np.ndarray | None = None
        self.starts: np.ndarray | None = None

    def index_points(self) -> DensityPyramid:
        """Sort the points by cell (for `visible_points`; ~0.3 s at 1M: run it in a worker)."""
        order = np.argsort(self._cells, kind="stable")
        counts = self.levels[0][0].ravel()
        self.starts = np.concatenate(([0], np.cumsum(counts, dtype=np.int64)))
        self.sorted_points = self._finite[order]
        self._cells = self._finite = np.empty(0, dtype=np.intp)  # no longer needed
        return self

    def _cell_span(self, lo: float, hi: float, axis: int, level_size: int) -> tuple[int, int]:
        """First and one-past-last cell index of a level overlapping [lo, hi) on an axis."""
        step = self.cell[axis] * (self.size / level_size)
        first = int(np.floor((lo - self.origin[axis]) / step))
        last = int(np.ceil((hi - self.origin[axis]) / step))
        return min(max(first, 0), level_size), min(max(last, 0), level_size)

    def visible_count(self, x_range: tuple[float, float], y_range: tuple[float, float]) -> int:
        """Points in the finest cells overlapping the view (exact up to the border cells)."""
        counts = self.levels[0][0]
        c0, c1 = self._cell_span(*x_range, 0, self.size)
        r0, r1 = self._cell_span(*y_range, 1, self.size)
        return int(counts[r0:r1, c0:c1].sum())

    def finest_cell_fits(self, x_range: tuple[float, float], y_range: tuple[float, float],
                         shape: tuple[int, int]) -> bool:
        """Whether the finest cells are at most a screen bin (the pyramid can draw the view)."""
        bin_w = (x_range[1] - x_range[0]) / max(shape[1], 1)
        bin_h = (y_range[1] - y_range[0]) / max(shape[0], 1)
        return self.cell[0] <= bin_w and self.cell[1] <= bin_h

    def rgba(self, codes: np.ndarray, colours: np.ndarray, x_range: tuple[float, float],
             y_range: tuple[float, float], shape: tuple[int, int]) -> np.ndarray:
        """The same image as `density.density_rgba`, aggregated from the pyramid (call only when
        `finest_cell_fits`)."""
        rows, cols = max(int(shape[0]), 1), max(int(shape[1]), 1)
        (x0, x1), (y0, y1) = x_range, y_range
        image = np.zeros((rows, cols, 4), dtype=np.uint8)
        if not (x1 > x0 and y1 > y0):
            return image
        counts, top = self._level_for((x1 - x0) / cols, (y1 - y0) / rows)
        size = counts.shape[0]
        step = (self.cell[0] * self.size / size, self.cell[1] * self.size / size)
        c_first, c_n = _cells_per_bin(x0, x1, cols, self.origin[0], step[0], size)
        r_first, r_n = _cells_per_bin(y0, y1, rows, self.origin[1], step[1], size)
        n = np.zeros(rows * cols, dtype=np.float32)
        t = np.full(rows * cols, -1, dtype=np.int32)
        flat_counts, flat_top = counts.ravel(), top.ravel()
        for dr in range(int(r_n.max(initial=0))):  # 1 or 2 cells a side: at most 4 gathers
            r = np.minimum(r_first + dr, size - 1)
            for dc in range(int(c_n.max(initial=0))):
                c = np.minimum(c_first + dc, size - 1)
                cells = (r[:, None] * size + c[None, :]).ravel()
                inside = ((r_n[:, None] > dr) & (c_n[None, :] > dc)).ravel()
                n += np.where(inside, flat_counts[cells], 0)
                np.maximum(t, np.where(inside, flat_top[cells], -1), out=t)
        # per unit area: bins holding 1 or 2 cells a side would otherwise show as stripes
        area = np.maximum(r_n[:, None] * c_n[None, :], 1).ravel()
        n *= ((x1 - x0) / cols / step[0]) * ((y1 - y0) / rows / step[1]) / area
        return colour_bins(n, t, codes, colours).reshape(rows, cols, 4)

    def visible_points(self, x_range: tuple[float, float], y_range: tuple[float, float]
                       ) -> np.ndarray | None:
        """Indices (ascending) of the points in the finest cells overlapping the view; None
        until `index_points` has run."""
        if self.sorted_points is None or self.starts is None:
            return None
        c0, c1 = self._cell_span(*x_range, 0, self.size)
        r0, r1 = self._cell_span(*y_range, 1, self.size)
        if c1 <= c0 or r1 <= r0:
            return np.empty(0, dtype=np.intp)
        rows = np.arange(r0, r1) * self.size
        begin, end = self.starts[rows + c0], self.starts[rows + c1]
        if not (end > begin).any():
            return np.empty(0, dtype=np.intp)
        parts = [self.sorted_points[b:e] for b, e in zip(begin, end, strict=True) if e > b]
        return np.sort(np.concatenate(parts))

    def _level_for(self, bin_w: float, bin_h: float) -> tuple[np.ndarray, np.ndarray]:
        """The coarsest level whose cells are at most a screen bin (1 or 2 cells per bin)."""
        chosen = self.levels[0]
        for counts, top in self.levels:
            factor = self.size / counts.shape[0]
            if self.cell[0] * factor <= bin_w and self.cell[1] * factor <= bin_h:
                chosen = (counts, top)
            else:
                break
        return chosen


def _halve(a: np.ndarray, op: np.ufunc) -> np.ndarray:
    """The next level: `op` over 2 x 2 blocks (rows first: contiguous)."""
    rows = op(a[0::2], a[1::2])
    return op(rows[:, 0::2], rows[:, 1::2])


def _cells_per_bin(lo: float, hi: float, bins: int, origin: float, step: float, size: int
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Per screen bin along one axis: the first cell whose centre lies in it, and how many."""
    edges = lo + np.arange(bins + 1) * ((hi - lo) / bins)
    first = np.clip(np.ceil((edges - origin) / step - 0.5).astype(np.intp), 0, size)
    return first[:-1], np.diff(first)
