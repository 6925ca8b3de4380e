"""Two models side by side: opens a second store of the same galaxies (in a worker), shows its
map in the compare view and links both maps galaxy by galaxy (selection, lasso, click, active
galaxy and neighbours); the neighbour-overlap score becomes a column both maps can be
coloured by."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from astroclip_gui.explorer.compare import OVERLAP_COLUMN, Comparison, compare_stores
from astroclip_gui.explorer.selection import SelectMode, points_in_polygon
from astroclip_gui.explorer.state import AppState
from astroclip_gui.explorer.views.compare_view import CompareView
from astroclip_gui.workers import Job, JobFailure, JobRunner


class CompareLink(QObject):
    """The comparison of the open store (A) with a second one (B)."""

    errorRaised = Signal(str, str, str)  # title, message, details
    compared = Signal(object)  # Comparison
    columnsChanged = Signal()  # the overlap column was added to the open project

    def __init__(self, state: AppState, runner: JobRunner, view: CompareView) -> None:
        super().__init__(view)
        self.state, self.runner, self.view = state, runner, view
        self.comparison: Comparison | None = None
        self._previous_colour = "redshift"
        b = view.map_view
        state.projectChanged.connect(lambda _: self.reset())
        state.selectionChanged.connect(lambda _: self._show_selection())
        state.brushChanged.connect(lambda _: self._show_selection())
        state.activeChanged.connect(lambda _: self._show_marks())
        state.neighboursChanged.connect(lambda _: self._show_marks())
        state.colourByChanged.connect(lambda _: self._recolour())
        b.pointClicked.connect(self._clicked_in_b)
        b.polygonSelected.connect(self._lasso_in_b)
        view.modalitiesChosen.connect(lambda a, m: self.open(self.comparison.path, (a, m))
                                      if self.comparison is not None else None)
        view.overlapColourToggled.connect(self.colour_by_overlap)

    def open(self, path: str | Path, modalities: tuple[str, str] | None = None,
             k: int = 16) -> Job | None:
        """Compare the open store with the one at `path` (in a worker); `modalities`: which
        embeddings of each give the neighbours (default: the view's choices)."""
        if modalities is None:
            modalities = (self.view.modality_a.currentText(), self.view.modality_b.currentText())
        loaded = self.state.loaded
        if loaded is None:
            self.errorRaised.emit("Compare stores", "Open a project first: its galaxies are "
                                  "matched with the second store's.", "")
            return None
        store = loaded.store
        return self.runner.submit(
            f"Comparing with {Path(path).name}",
            lambda reporter, cancel: compare_stores(store, path, modalities, k, reporter, cancel),
            self._done, self._failed)

    def reset(self) -> None:
        self.comparison = None
        self.view.header.setText("File ▸ Compare with another store… opens a second model's "
                                 "store of the same galaxies")
        self.view.map_view.set_data(np.zeros((0, 2)), np.zeros(0))

    def _failed(self, failure: JobFailure) -> None:
        self.errorRaised.emit("Cannot compare stores", failure.message, failure.details)

    def _done(self, comparison: Comparison) -> None:
        loaded = self.state.loaded
        if loaded is None or len(comparison.a_to_b) != loaded.n:
            return  # another project was opened meanwhile
        self.comparison = comparison
        loaded.columns[OVERLAP_COLUMN] = comparison.overlap_a
        modality = "joint" if "joint" in comparison.maps else next(iter(comparison.maps))
        self.view.set_modalities(*comparison.modalities)
        self.view.map_view.set_data(comparison.maps[modality], self._values_b(),
                                    self._categorical(), self.state.colour_by)
        self.view.map_view.plot.setLabel("bottom", f"B: {modality} map 1")
        self.view.map_view.plot.setLabel("left", f"B: {modality} map 2")
        matched = comparison.overlap_a[comparison.a_to_b >= 0]
        self.view.header.setText(
            f"B: {comparison.path.name} · {comparison.n_matched:,} of {loaded.n:,} galaxies "
            f"matched by TARGETID · mean overlap of k = {comparison.k} neighbours "
            f"({comparison.modalities[0]} vs {comparison.modalities[1]}): "
            f"{float(np.nanmean(matched)):.2f}")
        self.columnsChanged.emit()
        self._show_selection()
        self._show_marks()
        if self.view.colour_box.isChecked():
            self.colour_by_overlap(True)
        self.compared.emit(comparison)

    def colour_by_overlap(self, on: bool) -> None:
        loaded = self.state.loaded
        if loaded is None or OVERLAP_COLUMN not in loaded.columns:
            return
        if on and self.state.colour_by != OVERLAP_COLUMN:
            self._previous_colour = self.state.colour_by
            self.state.set_colour_by(OVERLAP_COLUMN)
        elif not on and self.state.colour_by == OVERLAP_COLUMN:
            self.state.set_colour_by(self._previous_colour)

    # B follows A ---------------------------------------------------------------------------
    def _values_b(self) -> np.ndarray:
        """A's colour column carried over to B's galaxies (NaN where B has no match)."""
        c, loaded = self.comparison, self.state.loaded
        assert c is not None and loaded is not None
        values = np.full(c.n_b, np.nan, dtype=np.float32)
        matched = c.b_to_a >= 0
        values[matched] = loaded.columns[self.state.colour_by][c.b_to_a[matched]]
        return values

    def _categorical(self) -> bool:
        loaded = self.state.loaded
        return loaded is not None and self.state.colour_by in loaded.categorical

    def _recolour(self) -> None:
        if self.comparison is not None:
            self.view.map_view.set_values(self._values_b(), self._categorical(),
                                          self.state.colour_by)
        self.view.colour_box.blockSignals(True)
        self.view.colour_box.setChecked(self.state.colour_by == OVERLAP_COLUMN)
        self.view.colour_box.blockSignals(False)

    def _show_selection(self) -> None:
        if self.comparison is not None:
            self.view.map_view.set_selection(self.comparison.to_b(self.state.highlighted()))

    def _show_marks(self) -> None:
        c = self.comparison
        if c is None:
            return
        active = int(c.a_to_b[self.state.active]) if self.state.active >= 0 else -1
        result = self.state.neighbours
        neighbours = c.to_b(result.indices) if result is not None else np.empty(0, np.int64)
        self.view.map_view.set_overlays(active, neighbours)

    # A follows B ---------------------------------------------------------------------------
    def _clicked_in_b(self, index_b: int) -> None:
        if self.comparison is not None and self.comparison.b_to_a[index_b] >= 0:
            self.state.set_active(int(self.comparison.b_to_a[index_b]))

    def _lasso_in_b(self, polygon: np.ndarray, mode: SelectMode) -> None:
        if self.comparison is not None:
            inside = points_in_polygon(self.view.map_view.xy, polygon)
            self.state.select(self.comparison.to_a(inside), mode)
