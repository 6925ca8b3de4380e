"""The map's density image: a 2-D histogram in point-sized bins, coloured like the points; Qt-free.

Drawing 200k pixmap fragments costs ~0.6 us each on this machine (0.1 s a frame), so above a
visible-point budget the map shows this image instead (one drawImage): each bin takes the
colour of its top-most point (the one the scatter would draw last) and an opacity that grows
with the log of its count, so both the colouring and the density stay readable.
"""

from __future__ import annotations

import numpy as np

MIN_ALPHA = 0.45  # opacity of a bin holding one galaxy; the densest bin is opaque


def density_rgba(x: np.ndarray, y: np.ndarray, codes: np.ndarray, colours: np.ndarray,
                 x_range: tuple[float, float], y_range: tuple[float, float],
                 shape: tuple[int, int], subset: np.ndarray | None = None) -> np.ndarray:
    """(rows, cols, 4) uint8 image of the points inside the ranges (row 0 at y_range[0]).

    `colours` is a (n_codes, 4) uint8 RGBA table indexed by `codes`; bins without points are
    transparent. `subset` (ascending indices) limits the points looked at, e.g. to those of
    the visible cells of a `DensityPyramid`.
    """
    rows, cols = max(int(shape[0]), 1), max(int(shape[1]), 1)
    (x0, x1), (y0, y1) = x_range, y_range
    image = np.zeros((rows * cols, 4), dtype=np.uint8)
    if not (x1 > x0 and y1 > y0) or not len(x):
        return image.reshape(rows, cols, 4)
    if subset is not None:
        x, y = x[subset], y[subset]
    local = np.flatnonzero((x >= x0) & (x < x1) & (y >= y0) & (y < y1))
    if not local.size:
        return image.reshape(rows, cols, 4)
    col = ((x[local] - x0) * (cols / (x1 - x0))).astype(np.intp)
    row = ((y[local] - y0) * (rows / (y1 - y0))).astype(np.intp)
    inside = local if subset is None else subset[local]
    bins = np.minimum(row, rows - 1) * cols + np.minimum(col, cols - 1)
    counts = np.bincount(bins, minlength=rows * cols)
    top = np.full(rows * cols, -1, dtype=np.intp)
    np.maximum.at(top, bins, inside)  # the last-drawn point of each bin
    return colour_bins(counts, top, codes, colours).reshape(rows, cols, 4)


def colour_bins(counts: np.ndarray, top: np.ndarray, codes: np.ndarray,
                colours: np.ndarray) -> np.ndarray:
    """(bins, 4) uint8 from per-bin counts and top-point indices: the top point's colour, with
    an opacity growing with the log of the count (empty bins transparent)."""
    image = np.zeros((len(counts), 4), dtype=np.uint8)
    filled = np.flatnonzero(counts)
    if not filled.size:
        return image
    image[filled] = colours[codes[top[filled]]]
    stretch = np.log1p(counts[filled]) / np.log1p(counts.max())
    alpha = image[filled, 3] * (MIN_ALPHA + (1 - MIN_ALPHA) * stretch)
    image[filled, 3] = alpha.astype(np.uint8)
    return image
