"""The controls above the map: colour column, map modality, size, opacity, clipping, density."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QWidget,
)

CLIPS = {"1–99 %": (1.0, 99.0), "5–95 %": (5.0, 95.0), "0.1–99.9 %": (0.1, 99.9),
         "full range": (0.0, 100.0)}
COLORMAPS = ("viridis", "plasma", "cividis", "turbo", "CET-D1")
DENSITY_MODES = {"auto": "auto", "points": "points", "density": "density"}


class MapControlsWidget(QWidget):
    """Every control emits a plain signal; the main window routes them to state or view."""

    colourByChosen = Signal(str)
    modalityChosen = Signal(str)
    sizeChanged = Signal(float)
    opacityChanged = Signal(float)
    clipChanged = Signal(object)  # (low, high) percentiles
    logChanged = Signal(bool)
    colormapChanged = Signal(str)
    densityModeChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.colour_box = _combo("Column that colours the points")
        self.modality_box = _combo("Which UMAP: image, spectrum or joint embedding")
        self.colormap_box = _combo("Colour map", COLORMAPS)
        self.clip_box = _combo("Percentile clipping of the colour scale", list(CLIPS))
        self.log_box = QCheckBox("log")
        self.log_box.setToolTip("Logarithmic colour scale (positive values only)")
        self.size_box = QDoubleSpinBox()
        self.size_box.setRange(1.0, 20.0)
        self.size_box.setValue(4.0)
        self.size_box.setSuffix(" px")
        self.size_box.setToolTip("Point size")
        self.opacity_slider = QSlider(Qt.Orientation.Horizontal)
        self.opacity_slider.setRange(5, 100)
        self.opacity_slider.setValue(85)
        self.opacity_slider.setFixedWidth(90)
        self.opacity_slider.setToolTip("Point opacity")
        self.density_box = _combo("Density image when zoomed out on huge maps (auto), always "
                                  "points, or always density", list(DENSITY_MODES))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        for label, widget in (("Map", self.modality_box), ("Colour by", self.colour_box),
                              ("", self.colormap_box), ("clip", self.clip_box),
                              ("", self.log_box), ("size", self.size_box),
                              ("opacity", self.opacity_slider), ("view", self.density_box)):
            if label:
                layout.addWidget(QLabel(label))
            layout.addWidget(widget)
        layout.addStretch(1)
        self.colour_box.currentTextChanged.connect(self._emit_colour)
        self.modality_box.currentTextChanged.connect(self._emit_modality)
        self.colormap_box.currentTextChanged.connect(self.colormapChanged)
        self.clip_box.currentTextChanged.connect(lambda t: self.clipChanged.emit(CLIPS[t]))
        self.log_box.toggled.connect(self.logChanged)
        self.size_box.valueChanged.connect(self.sizeChanged)
        self.opacity_slider.valueChanged.connect(lambda v: self.opacityChanged.emit(v / 100))
        self.density_box.currentTextChanged.connect(self.densityModeChanged)

    def set_choices(self, columns: list[str], modalities: list[str], colour: str,
                    modality: str) -> None:
        for box, items, current in ((self.colour_box, columns, colour),
                                    (self.modality_box, modalities, modality)):
            box.blockSignals(True)
            box.clear()
            box.addItems(items)
            box.setCurrentText(current)
            box.blockSignals(False)

    def _emit_colour(self, text: str) -> None:
        if text:
            self.colourByChosen.emit(text)

    def _emit_modality(self, text: str) -> None:
        if text:
            self.modalityChosen.emit(text)


def _combo(tip: str, items: list[str] | tuple[str, ...] = ()) -> QComboBox:
    box = QComboBox()
    box.addItems(list(items))
    box.setToolTip(tip)
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    return box
