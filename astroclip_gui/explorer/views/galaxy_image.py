"""The active galaxy's image: legacy-survey RGB or one band with a chosen stretch."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QStackedWidget, QVBoxLayout, QWidget

from astroclip_engine.constants import BANDS
from astroclip_gui.explorer.engine_access import to_rgb

RGB = "RGB (legacy)"
STRETCHES = ("asinh", "linear", "log")


def stretch_band(band: np.ndarray, stretch: str) -> np.ndarray:
    """One band -> [0, 1] after percentile clipping (0.5-99.8 %) and the chosen stretch."""
    finite = band[np.isfinite(band)]
    lo, hi = np.percentile(finite, (0.5, 99.8)) if finite.size else (0.0, 1.0)
    v = np.clip((np.nan_to_num(band) - lo) / max(hi - lo, 1e-12), 0, 1)
    if stretch == "asinh":
        return np.arcsinh(10 * v) / np.arcsinh(10)
    if stretch == "log":
        return np.log10(1 + 1000 * v) / np.log10(1001)
    if stretch == "linear":
        return v
    raise ValueError(f"unknown stretch {stretch!r}; expected one of {STRETCHES}")


def render_image(image: np.ndarray, band: str, stretch: str) -> np.ndarray:
    """(3, H, W) nanomaggies -> (H, W, 3) or (H, W) floats in [0, 1] for display."""
    if band == RGB:
        return to_rgb(image)
    return stretch_band(image[BANDS.index(band)], stretch)


def image_problem(image: np.ndarray | None) -> str | None:
    """Why an image cannot be shown, or None if it can."""
    if image is None:
        return "No image for this galaxy"
    if not np.isfinite(image).any() or not np.any(np.nan_to_num(image)):
        return "Image is empty (all zeros / NaN)"
    return None


class GalaxyImageView(QWidget):
    """Image panel with band and stretch choices and a placeholder for missing data."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image: np.ndarray | None = None
        self.band_box = QComboBox()
        self.band_box.addItems([RGB, *BANDS])
        self.band_box.setToolTip("Legacy Surveys RGB (R = z, G = r, B = g) or a single band")
        self.stretch_box = QComboBox()
        self.stretch_box.addItems(STRETCHES)
        self.stretch_box.setToolTip("Stretch of a single band (the RGB mapping is asinh)")
        self.title = QLabel("No galaxy selected")
        self.title.setObjectName("panelTitle")
        controls = QHBoxLayout()
        controls.addWidget(self.title, 1)
        controls.addWidget(self.band_box)
        controls.addWidget(self.stretch_box)
        self.canvas = pg.GraphicsLayoutWidget()
        self.viewbox = self.canvas.addViewBox(lockAspect=True, enableMouse=True)
        self.item = pg.ImageItem(axisOrder="row-major")
        self.viewbox.addItem(self.item)
        self.placeholder = QLabel("Click a galaxy on the map")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setObjectName("placeholder")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.canvas)
        self.stack.addWidget(self.placeholder)
        self.stack.setCurrentWidget(self.placeholder)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(controls)
        layout.addWidget(self.stack, 1)
        self.band_box.currentTextChanged.connect(self._redraw)
        self.stretch_box.currentTextChanged.connect(self._redraw)
        self._redraw()

    @property
    def showing_placeholder(self) -> bool:
        return self.stack.currentWidget() is self.placeholder

    def set_image(self, image: np.ndarray | None, title: str = "") -> None:
        """Show a (3, H, W) g, r, z image (None or all zeros shows a placeholder)."""
        self.image = image
        self.title.setText(title)
        self._redraw()

    def _redraw(self) -> None:
        self.stretch_box.setEnabled(self.band_box.currentText() != RGB)
        problem = image_problem(self.image)
        if problem is not None:
            self.placeholder.setText(problem if self.title.text() else "Click a galaxy on the map")
            self.stack.setCurrentWidget(self.placeholder)
            return
        assert self.image is not None
        shown = render_image(self.image, self.band_box.currentText(),
                             self.stretch_box.currentText())
        self.item.setImage((shown * 255).astype(np.uint8), levels=(0, 255))
        self.viewbox.autoRange(padding=0)
        self.stack.setCurrentWidget(self.canvas)
