"""Plot and status helpers shared by the app's views: labelled pyqtgraph plots in the current
style's colours, legends under their titles, and the colours of run states."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QLabel

STATE_COLOURS = {
    "running": "#1f6feb", "cancelling": "#bf8700", "finished": "#1a7f37",
    "failed": "#cf222e", "cancelled": "#6e7781", "created": "#6e7781", "idle": "#6e7781",
}


def make_plot(title: str, x_label: str, y_label: str) -> pg.PlotWidget:
    """A labelled pyqtgraph plot in the app's current plot colours (pg config options, which
    the app's light/dark style sets)."""
    foreground = pg.mkColor(pg.getConfigOption("foreground"))
    plot = pg.PlotWidget(background=pg.getConfigOption("background"))
    plot.setTitle(title, color=foreground.name(), size="10pt")
    for side, label in (("bottom", x_label), ("left", y_label)):
        axis = plot.getAxis(side)
        axis.setPen(pg.mkPen(foreground))
        axis.setTextPen(pg.mkPen(foreground))
        axis.setLabel(label, color=foreground.name())
        axis.enableAutoSIPrefix(False)
    plot.showGrid(x=True, y=True, alpha=0.15)
    plot.setMinimumSize(220, 170)
    plot.setMouseEnabled(x=True, y=False)
    return plot


LINE, DOT, SQUARE = "\u2501\u2501", "\u2501\u25cf\u2501", "\u2501\u25a0\u2501"
"""Legend swatches: a line, and a line with a round or a square marker."""
TITLE_HEIGHT, LEGEND_ROW_HEIGHT = 22, 14


def set_title_legend(plot: pg.PlotWidget, title: str, entries: list[tuple[str, str, str]],
                     per_row: int = 4) -> str:
    """Title the plot with legend rows under the title, outside the curves' area.
    `entries` are (label, colour, swatch: LINE or DOT); returns the title's HTML."""
    foreground = pg.mkColor(pg.getConfigOption("foreground")).name()
    swatches = [f'<span style="color:{colour}; font-weight:700">{swatch}</span>&nbsp;{label}'
                for label, colour, swatch in entries]
    rows = ["&nbsp;&nbsp;&nbsp;".join(swatches[i:i + per_row])
            for i in range(0, len(swatches), per_row)]
    html = f'<span style="color:{foreground}">{title}</span>' + "".join(
        f'<br><span style="color:{foreground}; font-size:8pt">{row}</span>' for row in rows)
    plot.setTitle(html, size="10pt")
    height = TITLE_HEIGHT + LEGEND_ROW_HEIGHT * len(rows)  # pyqtgraph fixes one line's height
    item = plot.getPlotItem()
    item.titleLabel.setMaximumHeight(height)
    item.layout.setRowFixedHeight(0, height)
    return html


def state_badge(label: QLabel, state: str) -> None:
    """Colour a QLabel as a small status pill."""
    colour = STATE_COLOURS.get(state, "#6e7781")
    label.setText(state)
    label.setStyleSheet(f"QLabel {{ background: {colour}; color: white; border-radius: 8px;"
                        " padding: 2px 10px; font-weight: 600; }")
