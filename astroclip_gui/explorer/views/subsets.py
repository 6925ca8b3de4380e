"""Named subsets: save the current selection under a name, restore or delete it."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QListWidget, QPushButton, QVBoxLayout, QWidget

NAME_ROLE = Qt.ItemDataRole.UserRole


class SubsetListWidget(QWidget):
    """A list of subsets with buttons; the app state owns the data."""

    saveRequested = Signal()
    restoreRequested = Signal(str)
    deleteRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setToolTip("Double-click a subset to select it on the map")
        self.save_button = QPushButton("Save selection…")
        self.save_button.setToolTip("Store the current selection as a named subset")
        self.delete_button = QPushButton("Delete")
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.delete_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self.save_button.clicked.connect(self.saveRequested)
        self.delete_button.clicked.connect(self._delete_current)
        self.list.itemDoubleClicked.connect(
            lambda item: self.restoreRequested.emit(item.data(NAME_ROLE)))

    def set_subsets(self, subsets: dict[str, np.ndarray]) -> None:
        self.list.clear()
        for name, indices in subsets.items():
            self.list.addItem(f"{name}  ({len(indices):,})")
            self.list.item(self.list.count() - 1).setData(NAME_ROLE, name)

    def _delete_current(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.deleteRequested.emit(item.data(NAME_ROLE))
