"""The embedding map: one base scatter layer, small overlays, k-d tree picking, density view.

Follows docs/architecture.md (GUI): one pxMode ScatterPlotItem without pen or antialiasing, brushes
from a pre-built table, never recoloured on interaction; hover/selection/neighbours/active
galaxy live on overlay items; picking is a cKDTree query throttled to one per 40 ms (the tree
is built in a background thread when the data arrive). Above DENSITY_THRESHOLD visible points
the base layer gives way to a density image coloured like the points (one drawImage instead
of 100k+ pixmap fragments a frame), drawn from a `DensityPyramid` built once per data set (a
frame no longer bins every point).
"""

from __future__ import annotations

import math
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, QTimer, Signal
from scipy.spatial import cKDTree

from astroclip_gui.explorer.selection import SelectMode
from astroclip_gui.explorer.views.colour_table import BrushTable, Quantised, quantise
from astroclip_gui.explorer.views.density import density_rgba
from astroclip_gui.explorer.views.density_pyramid import DensityPyramid
from astroclip_gui.explorer.views.map_viewbox import PAN, MapViewBox
from astroclip_gui.explorer.views.selection_image import SELECTION_IMAGE_POINTS, SelectionImage
from astroclip_gui.explorer.views.table_scatter import TableScatterItem

DENSITY_THRESHOLD = 100_000  # visible points above which auto mode shows the density image
HOVER_INTERVAL_MS = 40
PICK_RADIUS_PX = 8.0
_TREE_BUILDER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="map-kdtree")
_PYRAMID_BUILDER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="map-density")


class EmbeddingMapView(pg.GraphicsLayoutWidget):
    """Scatter map of N galaxies in 2-D; emits picks and lasso/box polygons."""

    pointClicked = Signal(int)
    pointHovered = Signal(int)  # -1 when leaving points
    polygonSelected = Signal(object, object)  # polygon (M, 2), SelectMode

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.viewbox = MapViewBox()
        self.plot = self.addPlot(row=0, col=0, viewBox=self.viewbox)
        self.plot.setLabel("bottom", "UMAP 1")
        self.plot.setLabel("left", "UMAP 2")
        self.plot.showGrid(x=False, y=False)
        self.table = BrushTable("viridis")
        self.colour_bar = pg.ColorBarItem(values=(0, 1), colorMap=self.table.colormap,
                                          interactive=False, width=14, colorMapMenu=False)
        self.colour_bar.axis.enableAutoSIPrefix(False)
        self.addItem(self.colour_bar, row=0, col=1)
        self.base = TableScatterItem(size=4)
        self.density = pg.ImageItem(axisOrder="row-major")
        self.density.hide()
        self.selected = TableScatterItem(size=4)
        self.selection_image = SelectionImage()
        self.neighbour_marks = pg.ScatterPlotItem(pxMode=True, size=11, brush=None,
                                                  pen=pg.mkPen("#ff4fd8", width=2))
        self.hover_mark = pg.ScatterPlotItem(pxMode=True, size=14, brush=None,
                                             pen=pg.mkPen("w", width=1.5))
        self.active_mark = pg.ScatterPlotItem(pxMode=True, size=20, symbol="star",
                                              brush=pg.mkBrush("#ffd400"),
                                              pen=pg.mkPen("k", width=1))
        for z, item in enumerate((self.density, self.base, self.selected, self.selection_image,
                                  self.neighbour_marks,
                                  self.hover_mark, self.active_mark)):
            item.setZValue(z)
            self.plot.addItem(item, ignoreBounds=item in (self.density, self.selection_image))
        self.xy = np.zeros((0, 2), dtype=np.float32)
        self._x = self._y = np.zeros(0, dtype=np.float32)
        self.values = np.zeros(0, dtype=np.float32)
        self.categorical = False
        self.clip = (1.0, 99.0)
        self.log = False
        self.point_size = 4.0
        self.opacity = 0.85
        self.density_mode = "auto"  # auto | points | density
        self.density_threshold = DENSITY_THRESHOLD
        self.quantised: Quantised | None = None
        self._label = ""
        self._tree: Future[cKDTree] | None = None
        self._pyramid: DensityPyramid | None = None
        self._pyramid_job: Future[None] | None = None
        self._selection = np.empty(0, dtype=np.int64)
        self._hovered = -1
        self._hover_pos: QPointF | None = None
        self._hover_timer = _single_shot(self, HOVER_INTERVAL_MS, self._do_hover)
        self._range_timer = _single_shot(self, 60, self._update_layer)
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        self.viewbox.sigRangeChanged.connect(lambda *_: self._range_timer.start())
        self.viewbox.polygonDrawn.connect(self.polygonSelected)
        self.setToolTip("Click a galaxy to search its neighbours; drag to pan, wheel to zoom")

    # data ----------------------------------------------------------------------------------
    def set_data(self, xy: np.ndarray, values: np.ndarray, categorical: bool = False,
                 label: str = "") -> None:
        """Show new coordinates (e.g. another modality) coloured by `values`."""
        self.xy = np.ascontiguousarray(xy, dtype=np.float32)
        self._x, self._y = np.ascontiguousarray(self.xy[:, 0]), np.ascontiguousarray(self.xy[:, 1])
        self._tree = _TREE_BUILDER.submit(cKDTree, self.xy) if len(self.xy) else None
        self._pyramid = None  # built off the GUI thread; frames bin every point until then
        self._pyramid_job = _PYRAMID_BUILDER.submit(self._build_pyramid, self._x, self._y) \
            if len(self.xy) > self.density_threshold else None
        self.values, self.categorical = np.asarray(values), categorical
        self._selection = np.empty(0, dtype=np.int64)
        self._recolour(label)
        self.set_overlays(-1, np.empty(0, dtype=np.int64))
        self.selected.clear()
        self.viewbox.autoRange(padding=0.03)
        self._update_layer()

    def set_values(self, values: np.ndarray, categorical: bool = False, label: str = "") -> None:
        self.values, self.categorical = np.asarray(values), categorical
        self._recolour(label)

    def set_colour_options(self, clip: tuple[float, float] | None = None, log: bool | None = None,
                           colormap: str | None = None) -> None:
        if clip is not None:
            self.clip = clip
        if log is not None:
            self.log = log
        if colormap is not None:
            self.table = BrushTable(colormap)
            self.colour_bar.setColorMap(self.table.colormap)
        self._recolour(self._label)

    def set_point_size(self, size: float) -> None:
        self.point_size = float(size)
        for item in (self.base, self.selected):
            item.set_spot_size(self.point_size)
        self._update_layer()

    def set_opacity(self, opacity: float) -> None:
        self.opacity = float(opacity)
        self._apply_opacity()

    def set_density_mode(self, mode: str) -> None:
        if mode not in ("auto", "points", "density"):
            raise ValueError(f"unknown density mode {mode!r}")
        self.density_mode = mode
        self._update_layer()

    def set_gesture(self, gesture: str) -> None:
        self.viewbox.set_gesture(gesture)

    # overlays (never the base layer) -------------------------------------------------------
    def set_overlays(self, active: int, neighbours: np.ndarray) -> None:
        """Mark the active galaxy and its neighbours."""
        neighbours = np.asarray(neighbours, dtype=np.int64)
        if neighbours.size:
            self.neighbour_marks.setData(pos=self.xy[neighbours])
        else:
            self.neighbour_marks.clear()
        if 0 <= active < len(self.xy):
            self.active_mark.setData(pos=self.xy[active:active + 1])
        else:
            self.active_mark.clear()

    def set_selection(self, indices: np.ndarray) -> None:
        """Selected points drawn in colour above the base layer, which is dimmed."""
        self._selection = np.asarray(indices, dtype=np.int64)
        if self._selection.size > SELECTION_IMAGE_POINTS and self.quantised is not None:
            self.selected.clear()
            self.selection_image.show_subset(self._selection, self)
        elif self._selection.size and self.quantised is not None:
            self.selection_image.clear_subset()
            self.selected.set_points(self.xy[self._selection],
                                     self.quantised.codes[self._selection],
                                     self.table.table(self.quantised), self.point_size)
        else:
            self.selected.clear()
            self.selection_image.clear_subset()
        self._apply_opacity()

    # picking -------------------------------------------------------------------------------
    def pick(self, x: float, y: float, radius_px: float = PICK_RADIUS_PX) -> int:
        """Index of the galaxy nearest to data position (x, y) within `radius_px`, else -1."""
        if self._tree is None:
            return -1
        px = self.viewbox.viewPixelSize()
        scale = np.array([max(px[0], 1e-12), max(px[1], 1e-12)])
        distance, index = self._tree.result().query([x, y])
        if not np.isfinite(distance):
            return -1
        offset = (self.xy[index] - np.array([x, y])) / scale
        return int(index) if float(np.hypot(*offset)) <= radius_px else -1

    def click_at(self, x: float, y: float) -> int:
        """Programmatic click at a data position; emits pointClicked if it hits a galaxy."""
        index = self.pick(x, y)
        if index >= 0:
            self.pointClicked.emit(index)
        return index

    def select_polygon(self, polygon: np.ndarray, mode: SelectMode = SelectMode.REPLACE) -> None:
        """Programmatic lasso (same path as a drawn one)."""
        self.polygonSelected.emit(np.asarray(polygon, dtype=np.float64), mode)

    def view_pos_of(self, index: int) -> QPoint:
        """Widget (viewport) coordinates of a galaxy, e.g. for QTest mouse clicks."""
        scene = self.viewbox.mapViewToScene(QPointF(*map(float, self.xy[index])))
        return self.mapFromScene(scene)

    # internals -----------------------------------------------------------------------------
    def _recolour(self, label: str) -> None:
        self.quantised = quantise(self.values, self.clip, self.log, self.categorical)
        self.base.set_points(self.xy, self.quantised.codes, self.table.table(self.quantised),
                             self.point_size)
        self.colour_bar.setVisible(not self.categorical)
        self.colour_bar.setLevels((self.quantised.low, self.quantised.high))
        self._label = label
        self.colour_bar.axis.setLabel(label if not self.log else f"log10 {label}")
        if self._selection.size:
            self.set_selection(self._selection)
        self._apply_opacity()
        if self.showing_density:
            self._draw_density()

    def _apply_opacity(self) -> None:
        base = self.opacity * (0.18 if self._selection.size else 1.0)
        self.base.setOpacity(base)
        self.density.setOpacity(base)
        self.selected.setOpacity(self.opacity)
        self.selection_image.setOpacity(self.opacity)

    def _build_pyramid(self, x: np.ndarray, y: np.ndarray) -> None:
        """Worker: the density pyramid of (x, y), used once built unless new data came."""
        pyramid = DensityPyramid(x, y)
        if self._x is x:
            self._pyramid = pyramid
        pyramid.index_points()

    def wait_for_density_cache(self, timeout_s: float = 60.0) -> None:
        """Block until the density pyramid of the current data is built (benchmarks, tests)."""
        if self._pyramid_job is not None:
            self._pyramid_job.result(timeout=timeout_s)

    def visible_count(self) -> int:
        (x0, x1), (y0, y1) = self.viewbox.viewRange()
        if self._pyramid is not None:
            return self._pyramid.visible_count((x0, x1), (y0, y1))
        x, y = self._x, self._y
        return int(np.count_nonzero((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)))

    @property
    def showing_density(self) -> bool:
        return self.density.isVisible()

    def _update_layer(self) -> None:
        dense = self.density_mode == "density" or (
            self.density_mode == "auto" and len(self.xy) > self.density_threshold
            and self.visible_count() > self.density_threshold)
        if dense:
            self._draw_density()
        self.selection_image.redraw(self)
        self.density.setVisible(dense)
        self.base.setVisible(not dense)

    def _draw_density(self) -> None:
        """Bins of about one point's size on screen, coloured like the points."""
        if not len(self.xy) or self.quantised is None:
            return
        (x0, x1), (y0, y1) = self.viewbox.viewRange()
        rect = self.viewbox.boundingRect()
        bin_px = max(self.point_size, 2.0)
        shape = (math.ceil(max(rect.height(), 1.0) / bin_px),
                 math.ceil(max(rect.width(), 1.0) / bin_px))
        codes, colours = self.quantised.codes, self.table.rgba(self.quantised)
        pyramid = self._pyramid
        if pyramid is not None and pyramid.finest_cell_fits((x0, x1), (y0, y1), shape):
            image = pyramid.rgba(codes, colours, (x0, x1), (y0, y1), shape)
        else:
            subset = pyramid.visible_points((x0, x1), (y0, y1)) if pyramid else None
            image = density_rgba(self._x, self._y, codes, colours, (x0, x1), (y0, y1), shape,
                                 subset=subset)
        self.density.setImage(image, autoLevels=False)
        self.density.setRect(x0, y0, x1 - x0, y1 - y0)

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        self._hover_pos = scene_pos
        if not self._hover_timer.isActive():
            self._hover_timer.start()

    def _do_hover(self) -> None:
        if self._hover_pos is None or not self.viewbox.sceneBoundingRect().contains(
                self._hover_pos):
            index = -1
        else:
            p = self.viewbox.mapSceneToView(self._hover_pos)
            index = self.pick(p.x(), p.y())
        if index != self._hovered:
            self._hovered = index
            if index >= 0:
                self.hover_mark.setData(pos=self.xy[index:index + 1])
            else:
                self.hover_mark.clear()
            self.pointHovered.emit(index)

    def _on_mouse_clicked(self, event) -> None:
        if event.double() or (self.viewbox.gesture != PAN and event.modifiers()):
            return
        if not self.viewbox.sceneBoundingRect().contains(event.scenePos()):
            return
        p = self.viewbox.mapSceneToView(event.scenePos())
        self.click_at(p.x(), p.y())


def _single_shot(parent, interval_ms: int, slot) -> QTimer:
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(interval_ms)
    timer.timeout.connect(slot)
    return timer
