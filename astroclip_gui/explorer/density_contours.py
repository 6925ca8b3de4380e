"""Density contours of the map's points: iso-density lines of a smoothed 2-D histogram that
enclose given fractions of the galaxies (as in corner plots); Qt-free (contourpy, the
contour generator matplotlib uses).
"""

from __future__ import annotations

import contourpy
import numpy as np
from scipy.ndimage import gaussian_filter

ENCLOSED = (0.5, 0.8, 0.95)
"""Fractions of the galaxies inside the drawn contours, innermost first."""


def density_levels(density: np.ndarray, enclosed: tuple[float, ...]) -> list[float]:
    """Density thresholds whose super-level sets hold the `enclosed` fractions of the mass."""
    values = np.sort(density.ravel())[::-1]
    cumulative = np.cumsum(values)
    if not values.size or cumulative[-1] <= 0:
        return []
    cumulative /= cumulative[-1]
    return [float(values[min(np.searchsorted(cumulative, f), values.size - 1)])
            for f in enclosed]


def density_contours(xy: np.ndarray, bins: int | None = None, smooth_bins: float = 1.5,
                     enclosed: tuple[float, ...] = ENCLOSED) -> list[list[np.ndarray]]:
    """Per enclosed fraction, the contour lines ((M, 2) arrays in map coordinates); the
    histogram has about 0.7 sqrt(N) bins a side (24-160) unless `bins` says."""
    xy = np.asarray(xy, dtype=np.float64)
    xy = xy[np.isfinite(xy).all(axis=1)]
    if len(xy) < 3:
        return [[] for _ in enclosed]
    bins = bins or int(np.clip(0.7 * np.sqrt(len(xy)), 24, 160))
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    pad = (hi - lo) * 0.05 + 1e-9
    counts, x_edges, y_edges = np.histogram2d(
        xy[:, 0], xy[:, 1], bins=bins, range=[[lo[0] - pad[0], hi[0] + pad[0]],
                                             [lo[1] - pad[1], hi[1] + pad[1]]])
    density = gaussian_filter(counts, smooth_bins)
    x_centres = (x_edges[:-1] + x_edges[1:]) / 2
    y_centres = (y_edges[:-1] + y_edges[1:]) / 2
    generator = contourpy.contour_generator(x_centres, y_centres, density.T,
                                            line_type=contourpy.LineType.Separate)
    return [[np.asarray(line) for line in generator.lines(level) if len(line) > 2]
            for level in density_levels(density, enclosed)]
