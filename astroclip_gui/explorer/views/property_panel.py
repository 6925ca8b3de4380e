"""The cross-filtered property panel: one histogram per column with a brushable range.

Grey: the whole sample; orange: the galaxies inside every brush; cyan: the map selection
(each drawn as a fraction of its own set, so the distributions compare at any size). Dragging
a range (a LinearRegionItem) emits `brushChanged`; the glue (insight_views.py) filters.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from astroclip_gui.explorer.cross_filter import Binned, CrossFilter

COLUMNS_PER_ROW = 2
BRUSH_INTERVAL_MS = 30
SAMPLE_PEN, BRUSHED_PEN, SELECTED_PEN = "#9a9a9a", "#ff9d2e", "#3fd0ff"


class HistogramPlot:
    """One column's plot: three step curves and its brush region."""

    def __init__(self, plot: pg.PlotItem, column: Binned) -> None:
        self.plot, self.column = plot, column
        plot.setTitle(column.name, size="9pt")
        plot.hideAxis("left")
        plot.setMouseEnabled(False, False)
        plot.hideButtons()
        plot.setMenuEnabled(False)
        x = column.edges
        self.sample = plot.plot(x, _fraction(column.counts), stepMode="center",
                                fillLevel=0, brush=(150, 150, 150, 70), pen=SAMPLE_PEN)
        self.brushed = plot.plot(x, np.zeros(column.n_bins), stepMode="center",
                                 pen=pg.mkPen(BRUSHED_PEN, width=2))
        self.selected = plot.plot(x, np.zeros(column.n_bins), stepMode="center",
                                  pen=pg.mkPen(SELECTED_PEN, width=2))
        self.region = pg.LinearRegionItem(values=(x[0], x[-1]), brush=(0, 0, 0, 0),
                                          bounds=(x[0], x[-1]), swapMode="sort")
        self.region.setZValue(10)
        plot.addItem(self.region)
        plot.setXRange(x[0], x[-1], padding=0.02)

    def open_range(self) -> tuple[float, float]:
        """The brushed range; an edge at the end of the axis is open (the axis clips the
        0.5-99.5 percentiles, the brush keeps the tails)."""
        lo, hi = map(float, self.region.getRegion())
        step = self.column.edges[1] - self.column.edges[0]
        return (-np.inf if lo <= self.column.edges[0] + step / 2 else lo,
                np.inf if hi >= self.column.edges[-1] - step / 2 else hi)

    @property
    def full_range(self) -> bool:
        return self.open_range() == (-np.inf, np.inf)

    def reset(self) -> None:
        self.region.blockSignals(True)
        self.region.setRegion((self.column.edges[0], self.column.edges[-1]))
        self.region.blockSignals(False)
        self.mark_brushed(False)

    def mark_brushed(self, brushed: bool) -> None:
        """Shade the range only while it filters (a full range is no brush)."""
        self.region.setBrush(pg.mkBrush(255, 157, 46, 45 if brushed else 0))
        self.region.update()

    def set_tick_names(self, names: tuple[str, ...]) -> None:
        """Category names under the bars of a categorical column (e.g. morphology)."""
        self.plot.getAxis("bottom").setTicks([list(enumerate(names))])

    def show(self, curve: pg.PlotDataItem, counts: np.ndarray | None) -> None:
        if counts is None:
            curve.setData(self.column.edges, np.zeros(self.column.n_bins), stepMode="center")
            curve.hide()
        else:
            curve.setData(self.column.edges, _fraction(counts), stepMode="center")
            curve.show()


class PropertyPanelWidget(QWidget):
    """Histograms of every column, brushable; shows brushed and selected distributions."""

    brushChanged = Signal(str, float, float)  # column, low, high
    brushCleared = Signal(str)  # column ("" = every brush)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = QLabel("No project")
        self.clear_button = QPushButton("Clear brushes")
        self.clear_button.setToolTip("Remove every range filter")
        self.clear_button.clicked.connect(self.clear_brushes)
        header = QHBoxLayout()
        header.addWidget(self.summary, 1)
        header.addWidget(self.clear_button)
        self.canvas = pg.GraphicsLayoutWidget()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(header)
        layout.addWidget(self.canvas, 1)
        self.plots: dict[str, HistogramPlot] = {}
        self._pending: set[str] = set()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(BRUSH_INTERVAL_MS)
        self._timer.timeout.connect(self._emit_pending)
        self.setToolTip("Drag a range's edges to filter the map and the neighbour search")

    def set_filter(self, cross_filter: CrossFilter | None, names: list[str],
                   tick_names: dict[str, tuple[str, ...]] | None = None) -> None:
        self.canvas.clear()
        self.plots = {}
        if cross_filter is None:
            self.summary.setText("No project")
            return
        for i, name in enumerate(names):
            alone = i == len(names) - 1 and i % COLUMNS_PER_ROW == 0  # a last, lone plot
            plot = self.canvas.addPlot(row=i // COLUMNS_PER_ROW, col=i % COLUMNS_PER_ROW,
                                       colspan=COLUMNS_PER_ROW if alone else 1)
            hist = HistogramPlot(plot, cross_filter.columns[name])
            hist.region.sigRegionChanged.connect(lambda _, n=name: self._queue(n))
            if tick_names and name in tick_names:
                hist.set_tick_names(tick_names[name])
            self.plots[name] = hist
        self.summary.setText(f"{cross_filter.n:,} galaxies · drag a range to filter")

    def brush(self, name: str, low: float, high: float) -> None:
        """Set a brush as a drag would (tests, restoring); emits brushChanged."""
        self.plots[name].region.setRegion((low, high))
        self._emit_pending()

    def clear_brushes(self) -> None:
        for hist in self.plots.values():
            hist.reset()
        self._pending.clear()
        self.brushCleared.emit("")

    def show_distributions(self, brushed: dict[str, np.ndarray] | None,
                           selected: dict[str, np.ndarray] | None, text: str) -> None:
        for name, hist in self.plots.items():
            hist.show(hist.brushed, None if brushed is None else brushed[name])
            hist.show(hist.selected, None if selected is None else selected[name])
        self.summary.setText(text)

    def _queue(self, name: str) -> None:
        self._pending.add(name)
        if not self._timer.isActive():
            self._timer.start()

    def _emit_pending(self) -> None:
        self._timer.stop()
        for name in sorted(self._pending):
            hist = self.plots[name]
            hist.mark_brushed(not hist.full_range)
            if hist.full_range:
                self.brushCleared.emit(name)
            else:
                self.brushChanged.emit(name, *hist.open_range())
        self._pending.clear()


def _fraction(counts: np.ndarray) -> np.ndarray:
    total = counts.sum()
    return counts / total if total else counts.astype(np.float64)
