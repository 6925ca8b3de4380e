"""A two-column table of the active galaxy's catalogue values."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem


def format_value(value: object) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        number = float(value)
        if not math.isfinite(number):
            return "—"
        return f"{number:.5g}"
    return str(value)


class PropertiesTableWidget(QTableWidget):
    """Read-only name/value rows."""

    def __init__(self, parent=None) -> None:
        super().__init__(0, 2, parent)
        self.setHorizontalHeaderLabels(["property", "value"])
        self.verticalHeader().hide()
        self.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setStretchLastSection(True)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setToolTip("Catalogue values of the active galaxy (— = unknown)")

    def set_rows(self, rows: Iterable[tuple[str, object]]) -> None:
        rows = list(rows)
        self.setRowCount(len(rows))
        for r, (name, value) in enumerate(rows):
            self.setItem(r, 0, QTableWidgetItem(name))
            self.setItem(r, 1, QTableWidgetItem(format_value(value)))

    def value_of(self, name: str) -> str | None:
        for r in range(self.rowCount()):
            if self.item(r, 0).text() == name:
                return self.item(r, 1).text()
        return None
