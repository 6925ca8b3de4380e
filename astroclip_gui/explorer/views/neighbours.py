"""The neighbour gallery: search controls and thumbnails with similarity scores."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from astroclip_gui.explorer.engine_access import Neighbours
from astroclip_gui.explorer.state import SearchParams
from astroclip_gui.explorer.thumbnails import THUMB_PX

INDEX_ROLE = Qt.ItemDataRole.UserRole
# store indices -> (H, W, 3) RGB in [0, 1] for each (None where there is no image)
ThumbnailSource = Callable[[list[int]], list[np.ndarray | None]]


def rgb_to_pixmap(rgb: np.ndarray, size: int = THUMB_PX) -> QPixmap:
    """(H, W, 3) floats in [0, 1] (row 0 = bottom, as on the sky) -> a square pixmap."""
    data = np.ascontiguousarray((np.clip(rgb[::-1], 0, 1) * 255).astype(np.uint8))
    h, w, _ = data.shape
    image = QImage(data.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
    if max(w, h) == size:
        return QPixmap.fromImage(image)
    return QPixmap.fromImage(image).scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio,
                                           Qt.TransformationMode.SmoothTransformation)


def placeholder_pixmap(size: int = THUMB_PX) -> QPixmap:
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(60, 60, 60))
    return pixmap


class NeighbourGalleryWidget(QWidget):
    """Controls (query/key modality, k, most/least) above a grid of neighbour thumbnails."""

    galaxyClicked = Signal(int)
    paramsEdited = Signal(object)  # dict of SearchParams changes

    def __init__(self, parent: QWidget | None = None, cache_size: int = 512) -> None:
        super().__init__(parent)
        self.thumbnail_source: ThumbnailSource | None = None
        self.describe: Callable[[int], str] = lambda i: f"#{i}"
        self.caption: Callable[[int], str] = lambda i: ""
        self._cache: OrderedDict[int, QPixmap] = OrderedDict()
        self._cache_size = cache_size
        self.query_box = _combo(["image", "spectrum"], "Modality of the clicked galaxy's embedding")
        self.key_box = _combo(["image", "spectrum"], "Modality searched among all galaxies")
        self.k_box = QSpinBox()
        self.k_box.setRange(1, 256)
        self.k_box.setValue(16)
        self.k_box.setPrefix("k = ")
        self.k_box.setToolTip("Number of neighbours")
        self.order_box = _combo(["most similar", "least similar"], "Nearest or farthest galaxies")
        controls = QHBoxLayout()
        for label, widget in (("query", self.query_box), ("→ key", self.key_box)):
            controls.addWidget(QLabel(label))
            controls.addWidget(widget)
        controls.addWidget(self.k_box)
        controls.addWidget(self.order_box)
        controls.addStretch(1)
        self.list = QListWidget()
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setIconSize(QSize(THUMB_PX, THUMB_PX))
        self.list.setGridSize(QSize(THUMB_PX + 22, THUMB_PX + 40))
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setMovement(QListView.Movement.Static)
        self.list.setWordWrap(True)
        self.list.setToolTip("Click a thumbnail to make that galaxy active")
        self.summary = QLabel("No search yet")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(controls)
        layout.addWidget(self.summary)
        layout.addWidget(self.list, 1)
        self.list.itemClicked.connect(lambda item: self.galaxyClicked.emit(item.data(INDEX_ROLE)))
        self.query_box.currentTextChanged.connect(
            lambda v: self.paramsEdited.emit({"query_modality": v}))
        self.key_box.currentTextChanged.connect(
            lambda v: self.paramsEdited.emit({"key_modality": v}))
        self.k_box.valueChanged.connect(lambda v: self.paramsEdited.emit({"k": int(v)}))
        self.order_box.currentIndexChanged.connect(
            lambda i: self.paramsEdited.emit({"largest": i == 0}))

    def show_params(self, params: SearchParams) -> None:
        """Reflect the state's parameters without re-emitting edits."""
        for widget, value in ((self.query_box, params.query_modality),
                              (self.key_box, params.key_modality)):
            widget.blockSignals(True)
            widget.setCurrentText(value)
            widget.blockSignals(False)
        self.k_box.blockSignals(True)
        self.k_box.setValue(params.k)
        self.k_box.blockSignals(False)
        self.order_box.blockSignals(True)
        self.order_box.setCurrentIndex(0 if params.largest else 1)
        self.order_box.blockSignals(False)

    def clear_cache(self) -> None:
        self._cache.clear()

    def set_neighbours(self, result: Neighbours | None) -> None:
        self.list.clear()
        if result is None:
            self.summary.setText("No search yet: click a galaxy on the map")
            return
        order = "most" if result.largest else "least"
        self.summary.setText(f"{len(result.indices)} {order} similar · {result.query_modality} "
                             f"→ {result.key_modality} · cosine similarity")
        self._fill_cache([int(i) for i in result.indices])
        for index, score in zip(result.indices, result.scores, strict=True):
            item = QListWidgetItem(self.thumbnail(int(index)),
                                   f"{score:.3f}\n{self.caption(int(index))}")
            item.setData(INDEX_ROLE, int(index))
            item.setToolTip(f"{self.describe(int(index))}\ncosine similarity {score:.4f}")
            self.list.addItem(item)

    def thumbnail(self, index: int) -> QIcon:
        if index not in self._cache:
            self._fill_cache([index])
        self._cache.move_to_end(index)
        return QIcon(self._cache[index])

    def _fill_cache(self, indices: list[int]) -> None:
        """Read and convert the thumbnails not cached yet, all in one batch."""
        missing = list(dict.fromkeys(i for i in indices if i not in self._cache))
        if not missing:
            return
        rgbs = self.thumbnail_source(missing) if self.thumbnail_source else [None] * len(missing)
        for index, rgb in zip(missing, rgbs, strict=True):
            self._cache[index] = rgb_to_pixmap(rgb) if rgb is not None else placeholder_pixmap()
        while len(self._cache) > max(self._cache_size, len(indices)):
            self._cache.popitem(last=False)


def _combo(items: list[str], tip: str) -> QComboBox:
    box = QComboBox()
    box.addItems(items)
    box.setToolTip(tip)
    return box
