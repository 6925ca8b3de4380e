"""The cluster table: one row per cluster (name, size, property medians, example galaxies),
with the clustering to show and the map overlays' toggles above it.

Clicking a row emits `clusterClicked(label)`; the glue selects that cluster on the map.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from astroclip_engine.cluster_labels import ClusterSummary

LABEL_ROLE = Qt.ItemDataRole.UserRole


class ClusterTableWidget(QWidget):
    """Clustering chooser, 'names on map' and 'density contours' toggles, and the table."""

    clusterClicked = Signal(int)  # cluster label
    clusteringChosen = Signal(str)
    labelsToggled = Signal(bool)
    contoursToggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clustering_box = QComboBox()
        self.clustering_box.setToolTip("Which clustering of the store to name")
        self.labels_box = QCheckBox("names on map")
        self.labels_box.setChecked(True)
        self.labels_box.setToolTip("Draw each cluster's name at its centre")
        self.contours_box = QCheckBox("density contours")
        self.contours_box.setToolTip("Lines enclosing 50, 80 and 95 % of the galaxies")
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Clustering"))
        controls.addWidget(self.clustering_box, 1)
        controls.addWidget(self.labels_box)
        controls.addWidget(self.contours_box)
        self.table = QTableWidget(0, 0)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setToolTip("Click a cluster to select it on the map")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(controls)
        layout.addWidget(self.table, 1)
        self.table.cellClicked.connect(self._row_clicked)
        self.clustering_box.currentTextChanged.connect(self._emit_clustering)
        self.labels_box.toggled.connect(self.labelsToggled)
        self.contours_box.toggled.connect(self.contoursToggled)

    def set_clusterings(self, names: list[str], current: str) -> None:
        self.clustering_box.blockSignals(True)
        self.clustering_box.clear()
        self.clustering_box.addItems(names)
        self.clustering_box.setCurrentText(current)
        self.clustering_box.blockSignals(False)

    def set_summaries(self, summaries: list[ClusterSummary], describe) -> None:
        """Fill the table; `describe(index)` names an example galaxy (its TARGETID)."""
        medians = list(summaries[0].medians) if summaries else []
        headers = ["cluster", "name", "size", *[f"median {m}" for m in medians], "examples"]
        self.table.clear()
        self.table.setColumnCount(len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        self.table.setRowCount(len(summaries))
        for row, summary in enumerate(summaries):
            cells = [str(summary.label), summary.name, f"{summary.size:,}",
                     *[_number(summary.medians[m]) for m in medians],
                     " ".join(describe(int(i)) for i in summary.examples[:3])]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(LABEL_ROLE, summary.label)
                self.table.setItem(row, col, item)
        self.table.resizeColumnsToContents()

    def click_row(self, row: int) -> None:
        """Select a row as a click does (tests)."""
        self.table.selectRow(row)
        self._row_clicked(row, 0)

    def _row_clicked(self, row: int, _column: int) -> None:
        item = self.table.item(row, 0)
        if item is not None:
            self.clusterClicked.emit(int(item.data(LABEL_ROLE)))

    def _emit_clustering(self, text: str) -> None:
        if text:
            self.clusteringChosen.emit(text)


def _number(value: float) -> str:
    return f"{value:.3g}" if np.isfinite(value) else "–"
