"""Overlays drawn on a map's plot: cluster names (TextItems at cluster centres) and density
contours (curves); each toggleable, none touching the map's point layers."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

LABEL_Z, CONTOUR_Z = 20, 8
CONTOUR_PENS = ("#ffffff", "#d0d0d0", "#9a9a9a")  # innermost (50 %) first


class MapAnnotations:
    """Cluster names and density contours on `plot` (a map's PlotItem)."""

    def __init__(self, plot: pg.PlotItem) -> None:
        self.plot = plot
        self.labels: list[pg.TextItem] = []
        self.contours: list[pg.PlotCurveItem] = []
        self.labels_visible = True
        self.contours_visible = False

    def set_labels(self, labels: list[tuple[float, float, str]]) -> None:
        for item in self.labels:
            self.plot.removeItem(item)
        self.labels = []
        for x, y, text in labels:
            item = pg.TextItem(text, color="#ffffff", fill=pg.mkBrush(0, 0, 0, 150),
                               anchor=(0.5, 0.5))
            item.setPos(x, y)
            item.setZValue(LABEL_Z)
            item.setVisible(self.labels_visible)
            self.plot.addItem(item, ignoreBounds=True)
            self.labels.append(item)

    def set_contours(self, levels: list[list[np.ndarray]]) -> None:
        for item in self.contours:
            self.plot.removeItem(item)
        self.contours = []
        for level, lines in enumerate(levels):
            pen = pg.mkPen(CONTOUR_PENS[min(level, len(CONTOUR_PENS) - 1)], width=1.2)
            for line in lines:
                item = pg.PlotCurveItem(line[:, 0], line[:, 1], pen=pen)
                item.setZValue(CONTOUR_Z)
                item.setVisible(self.contours_visible)
                self.plot.addItem(item, ignoreBounds=True)
                self.contours.append(item)

    def show_labels(self, visible: bool) -> None:
        self.labels_visible = visible
        for item in self.labels:
            item.setVisible(visible)

    def show_contours(self, visible: bool) -> None:
        self.contours_visible = visible
        for item in self.contours:
            item.setVisible(visible)
