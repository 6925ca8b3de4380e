"""The second model's map, linked galaxy by galaxy to the main map (two models side by side).

Above the map: which embeddings the neighbour overlap compares (A's and B's modality) and
whether both maps are coloured by it.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from astroclip_gui.explorer.views.embedding_map import EmbeddingMapView

MODALITY_CHOICES = ("image", "spectrum")


class CompareView(QWidget):
    """Header, overlap controls and the second store's map (`self.map_view`)."""

    modalitiesChosen = Signal(str, str)  # modality of A, of B
    overlapColourToggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.header = QLabel("File ▸ Compare with another store… opens a second model's store")
        self.header.setWordWrap(True)
        self.modality_a = _combo("Embedding of the open store whose neighbours are compared")
        self.modality_b = _combo("Embedding of the second store whose neighbours are compared")
        self.colour_box = QCheckBox("colour by neighbour overlap")
        self.colour_box.setToolTip("Fraction of each galaxy's k = 16 neighbours both models "
                                   "share (both maps)")
        controls = QHBoxLayout()
        for label, widget in (("overlap of A", self.modality_a), ("with B", self.modality_b)):
            controls.addWidget(QLabel(label))
            controls.addWidget(widget)
        controls.addWidget(self.colour_box)
        controls.addStretch(1)
        self.map_view = EmbeddingMapView()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.header)
        layout.addLayout(controls)
        layout.addWidget(self.map_view, 1)
        for box in (self.modality_a, self.modality_b):
            box.currentTextChanged.connect(self._emit_modalities)
        self.colour_box.toggled.connect(self.overlapColourToggled)

    def set_modalities(self, a: str, b: str) -> None:
        for box, value in ((self.modality_a, a), (self.modality_b, b)):
            box.blockSignals(True)
            box.setCurrentText(value)
            box.blockSignals(False)

    def _emit_modalities(self) -> None:
        self.modalitiesChosen.emit(self.modality_a.currentText(), self.modality_b.currentText())


def _combo(tip: str) -> QComboBox:
    box = QComboBox()
    box.addItems(MODALITY_CHOICES)
    box.setToolTip(tip)
    return box
