"""The active galaxy's spectrum: ivar-aware Gaussian smoothing, observed and rest-frame axes,
and the main emission and absorption lines at its redshift."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)
from scipy.ndimage import gaussian_filter1d

from astroclip_engine.constants import WAVELENGTH

# (label, rest wavelength in A, emission?)
SPECTRAL_LINES: tuple[tuple[str, float, bool], ...] = (
    ("[OII]", 3727.4, True), ("CaII K", 3933.7, False), ("CaII H", 3968.5, False),
    ("4000 Å break", 4000.0, False), ("Hβ", 4861.3, True), ("[OIII]", 4958.9, True),
    ("[OIII]", 5006.8, True), ("Mg b", 5175.0, False), ("NaD", 5893.0, False),
    ("[NII]", 6548.1, True), ("Hα", 6562.8, True), ("[NII]", 6583.5, True),
    ("[SII]", 6716.4, True), ("[SII]", 6730.8, True),
)
EMISSION_COLOUR, ABSORPTION_COLOUR = "#e8603c", "#3c8de8"


def smooth_spectrum(flux: np.ndarray, sigma: float, ivar: np.ndarray | None = None) -> np.ndarray:
    """Gaussian smoothing (sigma in pixels); inverse-variance weighted when ivar is known."""
    flux = np.nan_to_num(np.asarray(flux, dtype=np.float64))
    weights = np.ones_like(flux) if ivar is None else np.clip(np.nan_to_num(ivar), 0, None)
    if sigma <= 0:
        return np.where(weights > 0, flux, np.nan)
    numerator = gaussian_filter1d(flux * weights, sigma, mode="constant")
    denominator = gaussian_filter1d(weights, sigma, mode="constant")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 1e-12 * denominator.max(), numerator / denominator, np.nan)


def spectrum_problem(flux: np.ndarray | None) -> str | None:
    if flux is None:
        return "No spectrum for this galaxy"
    if not np.isfinite(flux).any() or not np.any(np.nan_to_num(flux)):
        return "Spectrum is empty (all zeros / NaN)"
    return None


class RestFrameAxis(pg.AxisItem):
    """A top axis labelled in rest-frame wavelength, ticks at round rest-frame values."""

    def __init__(self) -> None:
        super().__init__("top")
        self.redshift = 0.0

    def tickValues(self, minVal, maxVal, size):
        factor = 1.0 + self.redshift
        levels = super().tickValues(minVal / factor, maxVal / factor, size)
        return [(spacing * factor, [v * factor for v in values]) for spacing, values in levels]

    def tickStrings(self, values, scale, spacing):
        return [f"{v / (1.0 + self.redshift):.0f}" for v in values]


class SpectrumPlotView(QWidget):
    """Spectrum panel: raw flux, smoothed flux, line markers, rest-frame top axis."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.flux: np.ndarray | None = None
        self.ivar: np.ndarray | None = None
        self.redshift = 0.0
        self.smoothing = QDoubleSpinBox()
        self.smoothing.setRange(0.0, 50.0)
        self.smoothing.setValue(3.0)
        self.smoothing.setSingleStep(1.0)
        self.smoothing.setPrefix("σ ")
        self.smoothing.setSuffix(" px")
        self.smoothing.setToolTip("Gaussian smoothing width (0.8 Å pixels); ivar-weighted "
                                  "when the inverse variance is known")
        self.lines_box = QCheckBox("Lines")
        self.lines_box.setChecked(True)
        self.lines_box.setToolTip("Mark emission (red) and absorption (blue) lines at the "
                                  "galaxy's redshift")
        self.title = QLabel("")
        self.title.setObjectName("panelTitle")
        controls = QHBoxLayout()
        controls.addWidget(self.title, 1)
        controls.addWidget(QLabel("Smoothing"))
        controls.addWidget(self.smoothing)
        controls.addWidget(self.lines_box)
        self.rest_axis = RestFrameAxis()
        self.plot = pg.PlotWidget(axisItems={"top": self.rest_axis})
        self.plot.showAxis("top")
        self.plot.setLabel("bottom", "observed wavelength (Å)")
        self.plot.setLabel("top", "rest-frame wavelength (Å)")
        self.plot.setLabel("left", "flux (1e-17 erg/s/cm²/Å)")
        self.plot.setMouseEnabled(x=True, y=False)
        # peak-mode downsampling to the plot's width: the same picture, ~4x fewer segments
        self.plot.setDownsampling(auto=True, mode="peak")
        self.plot.setClipToView(True)
        self.raw_curve = self.plot.plot(pen=pg.mkPen((150, 150, 150, 110), width=1))
        self.smooth_curve = self.plot.plot(pen=pg.mkPen("#2a9d8f", width=1.6))
        self.line_items: list[pg.InfiniteLine] = []
        self.placeholder = QLabel("Click a galaxy on the map")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setObjectName("placeholder")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.plot)
        self.stack.addWidget(self.placeholder)
        self.stack.setCurrentWidget(self.placeholder)
        self.setMinimumHeight(240)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(controls)
        layout.addWidget(self.stack, 1)
        self.smoothing.valueChanged.connect(self._redraw)
        self.lines_box.toggled.connect(self._redraw)

    @property
    def showing_placeholder(self) -> bool:
        return self.stack.currentWidget() is self.placeholder

    def set_spectrum(self, flux: np.ndarray | None, redshift: float, ivar: np.ndarray | None = None,
                     title: str = "") -> None:
        self.flux, self.ivar = flux, ivar
        self.redshift = float(redshift) if np.isfinite(redshift) else 0.0
        self.rest_axis.redshift = self.redshift
        self.title.setText(title)
        self._redraw()

    def _redraw(self) -> None:
        problem = spectrum_problem(self.flux)
        if problem is not None:
            self.placeholder.setText(problem if self.title.text() else "Click a galaxy on the map")
            self.stack.setCurrentWidget(self.placeholder)
            return
        assert self.flux is not None
        smooth = smooth_spectrum(self.flux, self.smoothing.value(), self.ivar)
        self.raw_curve.setData(WAVELENGTH, np.nan_to_num(self.flux))
        self.smooth_curve.setData(WAVELENGTH, smooth, connect="finite")
        finite = smooth[np.isfinite(smooth)]
        lo, hi = np.percentile(finite, (0.5, 99.7)) if finite.size else (0.0, 1.0)
        pad = 0.15 * max(hi - lo, 1e-6)
        self.plot.setYRange(lo - pad, hi + 3.5 * pad, padding=0)
        self.plot.setXRange(WAVELENGTH[0], WAVELENGTH[-1], padding=0.01)
        self._draw_lines()
        self.stack.setCurrentWidget(self.plot)

    def _draw_lines(self) -> None:
        """Line markers are made once and then only moved (adding items to a plot is slow)."""
        if not self.line_items:
            for n, (name, _, emission) in enumerate(SPECTRAL_LINES):
                colour = EMISSION_COLOUR if emission else ABSORPTION_COLOUR
                line = pg.InfiniteLine(
                    0.0, angle=90, movable=False,
                    pen=pg.mkPen(colour, width=1, style=Qt.PenStyle.DashLine), label=name,
                    labelOpts={"position": 0.97 - 0.06 * (n % 4), "color": colour})
                self.plot.addItem(line, ignoreBounds=True)
                self.line_items.append(line)
        show = self.lines_box.isChecked()
        for line, (_, rest, _) in zip(self.line_items, SPECTRAL_LINES, strict=True):
            observed = rest * (1.0 + self.redshift)
            line.setValue(observed)
            line.setVisible(bool(show and WAVELENGTH[0] <= observed <= WAVELENGTH[-1]))
