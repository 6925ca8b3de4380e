"""A ViewBox with pan, lasso and box gestures; a finished gesture emits its polygon."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem

from astroclip_gui.explorer.selection import SelectMode, box_polygon

PAN, LASSO, BOX = "pan", "lasso", "box"


def mode_from_modifiers(modifiers: Qt.KeyboardModifier) -> SelectMode:
    """Shift adds to the selection, Alt subtracts, no modifier replaces it."""
    if modifiers & Qt.KeyboardModifier.ShiftModifier:
        return SelectMode.ADD
    if modifiers & Qt.KeyboardModifier.AltModifier:
        return SelectMode.SUBTRACT
    return SelectMode.REPLACE


class MapViewBox(pg.ViewBox):
    """Left-drag pans (pan mode) or draws a lasso / box whose polygon is emitted on release."""

    polygonDrawn = Signal(object, object)  # (M, 2) polygon in data coordinates, SelectMode

    def __init__(self) -> None:
        super().__init__(lockAspect=False)
        self.gesture = PAN
        self._points: list[QPointF] = []
        self._outline = QGraphicsPathItem()
        pen = QPen(QColor(255, 200, 0), 0)
        pen.setCosmetic(True)
        pen.setWidthF(1.5)
        pen.setStyle(Qt.PenStyle.DashLine)
        self._outline.setPen(pen)
        self._outline.setZValue(100)
        self.addItem(self._outline, ignoreBounds=True)

    def set_gesture(self, gesture: str) -> None:
        if gesture not in (PAN, LASSO, BOX):
            raise ValueError(f"unknown gesture {gesture!r}")
        self.gesture = gesture
        self.setMouseEnabled(True, True)

    def mouseDragEvent(self, ev, axis=None) -> None:
        if self.gesture == PAN or ev.button() != Qt.MouseButton.LeftButton:
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        here = self.mapSceneToView(ev.scenePos())
        if ev.isStart():
            self._points = [self.mapSceneToView(ev.buttonDownScenePos())]
        if self.gesture == LASSO:
            self._points.append(here)
        else:
            self._points = [self._points[0], here]
        self._draw_outline()
        if ev.isFinish():
            polygon = self.current_polygon()
            self._points = []
            self._outline.setPath(QPainterPath())
            if polygon is not None:
                self.polygonDrawn.emit(polygon, mode_from_modifiers(ev.modifiers()))

    def current_polygon(self) -> np.ndarray | None:
        if self.gesture == BOX and len(self._points) == 2:
            a, b = self._points
            return box_polygon(a.x(), a.y(), b.x(), b.y())
        if len(self._points) >= 3:
            return np.array([[p.x(), p.y()] for p in self._points], dtype=np.float64)
        return None

    def _draw_outline(self) -> None:
        path = QPainterPath()
        polygon = self.current_polygon()
        if polygon is not None:
            path.moveTo(*polygon[0])
            for x, y in polygon[1:]:
                path.lineTo(x, y)
            path.closeSubpath()
        self._outline.setPath(path)
