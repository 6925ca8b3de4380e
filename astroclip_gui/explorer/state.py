"""Observable application state (glue/napari style): a plain object that emits Qt signals.

Views never talk to each other: they call setters here and subscribe to the signals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from astroclip_gui.explorer.engine_access import Neighbours
from astroclip_gui.explorer.loader import LoadedProject
from astroclip_gui.explorer.selection import Selection, SelectionHistory, SelectMode

QUERY_KEY_PAIRS = (("image", "image"), ("spectrum", "spectrum"), ("image", "spectrum"),
                   ("spectrum", "image"))


@dataclass(frozen=True)
class SearchParams:
    query_modality: str = "image"
    key_modality: str = "image"
    k: int = 16
    largest: bool = True


class AppState(QObject):
    """The single source of truth of the explorer."""

    projectChanged = Signal(object)  # LoadedProject | None
    colourByChanged = Signal(str)
    mapModalityChanged = Signal(str)
    activeChanged = Signal(int)  # store index, -1 for none
    externalChanged = Signal(object)  # GalaxySample from a FITS file, or None
    neighboursChanged = Signal(object)  # Neighbours | None
    searchParamsChanged = Signal(object)  # SearchParams
    selectionChanged = Signal(object)  # Selection
    subsetsChanged = Signal()
    historyChanged = Signal()
    hoverChanged = Signal(int)
    brushChanged = Signal(object)  # sorted indices inside the property brushes, or None

    def __init__(self) -> None:
        super().__init__()
        self.loaded: LoadedProject | None = None
        self.colour_by = "redshift"
        self.map_modality = "joint"
        self.active = -1
        self.external: Any | None = None
        self.neighbours: Neighbours | None = None
        self.params = SearchParams()
        self.selection_history = SelectionHistory()
        self.subsets: dict[str, np.ndarray] = {}
        self.brush: np.ndarray | None = None
        self._history: list[int] = []
        self._history_pos = -1

    # project -----------------------------------------------------------------------------
    def set_project(self, loaded: LoadedProject | None) -> None:
        if self.loaded is not None and self.loaded is not loaded:
            self.loaded.store.close()
            if self.loaded.dataset is not None:
                self.loaded.dataset.close()
        self.loaded = loaded
        self.active, self.external, self.neighbours = -1, None, None
        self._history, self._history_pos = [], -1
        self.selection_history.reset()
        self.subsets = {}
        self.brush = None
        if loaded is not None:
            if self.colour_by not in loaded.columns:
                self.colour_by = "redshift"
            if self.map_modality not in loaded.maps:
                self.map_modality = next(iter(loaded.maps))
        self.projectChanged.emit(loaded)

    def set_dataset(self, dataset: Any) -> None:
        """Attach the source dataset once its (moved) file was found; refreshes the views."""
        assert self.loaded is not None
        self.loaded.dataset = dataset
        self.activeChanged.emit(self.active)
        self.neighboursChanged.emit(self.neighbours)

    def set_colour_by(self, column: str) -> None:
        if self.loaded is not None and column not in self.loaded.columns:
            raise KeyError(f"no column {column!r} to colour by")
        self.colour_by = column
        self.colourByChanged.emit(column)

    def set_map_modality(self, modality: str) -> None:
        if self.loaded is not None and modality not in self.loaded.maps:
            raise KeyError(f"this store has no {modality!r} map")
        self.map_modality = modality
        self.mapModalityChanged.emit(modality)

    # active galaxy, neighbours, history ----------------------------------------------------
    def set_active(self, index: int, record: bool = True) -> None:
        if self.loaded is None or not 0 <= index < self.loaded.n:
            return
        if record:
            del self._history[self._history_pos + 1:]
            if not self._history or self._history[-1] != index:
                self._history.append(index)
            self._history_pos = len(self._history) - 1
            self.historyChanged.emit()
        self.active = index
        self.external = None
        self.activeChanged.emit(index)

    def set_external(self, sample: Any, neighbours: Neighbours | None) -> None:
        """Show an object that is not in the store (a FITS file) and its neighbours."""
        self.active, self.external = -1, sample
        self.externalChanged.emit(sample)
        self.activeChanged.emit(-1)
        self.set_neighbours(neighbours)

    def set_neighbours(self, neighbours: Neighbours | None) -> None:
        self.neighbours = neighbours
        self.neighboursChanged.emit(neighbours)

    def set_params(self, **changes: Any) -> None:
        self.params = SearchParams(**{**self.params.__dict__, **changes})
        self.searchParamsChanged.emit(self.params)

    def can_go_back(self) -> bool:
        return self._history_pos > 0

    def can_go_forward(self) -> bool:
        return self._history_pos < len(self._history) - 1

    def back(self) -> None:
        if self.can_go_back():
            self._history_pos -= 1
            self.historyChanged.emit()
            self.set_active(self._history[self._history_pos], record=False)

    def forward(self) -> None:
        if self.can_go_forward():
            self._history_pos += 1
            self.historyChanged.emit()
            self.set_active(self._history[self._history_pos], record=False)

    # selections and subsets ---------------------------------------------------------------
    @property
    def selection(self) -> Selection:
        return self.selection_history.current

    def select(self, indices: np.ndarray, mode: SelectMode = SelectMode.REPLACE,
               polygon: np.ndarray | None = None) -> None:
        self.selectionChanged.emit(self.selection_history.apply(indices, mode, polygon))

    def undo_selection(self) -> None:
        if self.selection_history.undo() is not None:
            self.selectionChanged.emit(self.selection)

    def clear_selection(self) -> None:
        if len(self.selection):
            self.select(np.empty(0, dtype=np.int64))

    def set_brush(self, indices: np.ndarray | None) -> None:
        """The galaxies inside the property panel's ranges (None: no range is set)."""
        self.brush = None if indices is None else np.asarray(indices, dtype=np.int64)
        self.brushChanged.emit(self.brush)

    def highlighted(self) -> np.ndarray:
        """What the map highlights: the selection, narrowed to the brushed galaxies if any."""
        selection = self.selection.indices
        if self.brush is None:
            return selection
        if not len(selection):
            return self.brush
        return np.intersect1d(selection, self.brush, assume_unique=True)

    def add_subset(self, name: str, indices: np.ndarray) -> None:
        self.subsets[name] = np.asarray(indices, dtype=np.int64)
        self.subsetsChanged.emit()

    def remove_subset(self, name: str) -> None:
        if self.subsets.pop(name, None) is not None:
            self.subsetsChanged.emit()

    def set_subsets(self, subsets: dict[str, np.ndarray]) -> None:
        self.subsets = dict(subsets)
        self.subsetsChanged.emit()

    def set_hover(self, index: int) -> None:
        self.hoverChanged.emit(index)
