"""The map's selected galaxies as one image when there are many of them.

Above SELECTION_IMAGE_POINTS highlighted galaxies (a wide property range or lasso at 200k), a
scatter layer costs ~0.2 s to build and ~30 ms a frame; the same density image the map's base
layer uses (`density_rgba`, point-sized bins coloured like the points) costs a few ms and is
redrawn with the view.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

from astroclip_gui.explorer.views.density import density_rgba

SELECTION_IMAGE_POINTS = 20_000


class SelectionImage(pg.ImageItem):
    """An image of a subset of the map's points, in their colours, for the current view."""

    def __init__(self) -> None:
        super().__init__(axisOrder="row-major")
        self.indices = np.empty(0, dtype=np.int64)
        self.hide()

    def show_subset(self, indices: np.ndarray, map_view) -> None:
        self.indices = np.asarray(indices, dtype=np.int64)
        self.setVisible(bool(self.indices.size))
        self.redraw(map_view)

    def clear_subset(self) -> None:
        self.indices = np.empty(0, dtype=np.int64)
        self.hide()

    def redraw(self, map_view) -> None:
        """Render the subset for the map's current range, point size and colours."""
        if not self.indices.size or map_view.quantised is None:
            return
        (x0, x1), (y0, y1) = map_view.viewbox.viewRange()
        rect = map_view.viewbox.boundingRect()
        bin_px = max(map_view.point_size, 2.0)
        shape = (math.ceil(max(rect.height(), 1.0) / bin_px),
                 math.ceil(max(rect.width(), 1.0) / bin_px))
        image = density_rgba(map_view._x, map_view._y, map_view.quantised.codes,
                             map_view.table.rgba(map_view.quantised), (x0, x1), (y0, y1),
                             shape, subset=self.indices)
        self.setImage(image, autoLevels=False)
        self.setRect(x0, y0, x1 - x0, y1 - y0)
