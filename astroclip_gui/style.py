"""Light and dark styles: a Qt style sheet from resources/style plus pyqtgraph colours."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QWidget

from astroclip_engine.resources import resource_path

STYLES = ("dark", "light")
DISABLED_STYLE = "QPushButton:disabled { color: #8c959f; }"
"""Greys out disabled push buttons (the wizard and the training views)."""
PLOT_COLOURS = {"dark": ("#1b1f24", "#d0d4d9"), "light": ("#ffffff", "#30343a")}


def app_icon() -> QIcon:
    return QIcon(str(resource_path("icons", "astroclip.svg")))


def apply_style(app: QApplication, name: str, plots: list[QWidget] | None = None) -> str:
    """Apply a style by name (unknown names fall back to dark); returns the applied name."""
    name = name if name in STYLES else "dark"
    app.setStyleSheet(resource_path("style", f"{name}.qss").read_text())
    background, foreground = PLOT_COLOURS[name]
    pg.setConfigOptions(background=background, foreground=foreground)
    for widget in plots or []:
        _recolour_plot_widget(widget, background, foreground)
    return name


def _recolour_plot_widget(widget: QWidget, background: str, foreground: str) -> None:
    if isinstance(widget, pg.GraphicsView):
        widget.setBackground(background)
        for item in widget.scene().items():
            if isinstance(item, pg.AxisItem):
                item.setPen(foreground)
                item.setTextPen(foreground)
