"""Explorer behaviour between the state, the engine and the workers (no widget code here).

Views call these methods; results land in `AppState`, whose signals the views follow.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from astroclip_engine.errors import AstroClipError
from astroclip_engine.project import Project
from astroclip_gui.explorer.engine_access import image_kind, open_paired, to_rgb
from astroclip_gui.explorer.export import export_rows_csv
from astroclip_gui.explorer.find import find_index
from astroclip_gui.explorer.fits_query import FitsQueryResult, embed_fits
from astroclip_gui.explorer.loader import LoadedProject, load_project
from astroclip_gui.explorer.project_files import project_key, recorded_dataset_path
from astroclip_gui.explorer.selection import SelectMode, points_in_polygon
from astroclip_gui.explorer.state import AppState
from astroclip_gui.explorer.thumbnails import THUMB_PX, downsample
from astroclip_gui.session import Session
from astroclip_gui.workers import Job, JobFailure, JobRunner

log = logging.getLogger(__name__)
BRUSH_SEARCH_DELAY_MS = 150


class ExplorerController(QObject):
    """Opens projects, runs searches, finds galaxies, exports; reports problems as signals."""

    errorRaised = Signal(str, str, str)  # title, message, details
    infoRaised = Signal(str, str)  # title, message
    projectOpened = Signal(object)  # LoadedProject

    def __init__(self, state: AppState, runner: JobRunner, session: Session) -> None:
        super().__init__()
        self.state = state
        self.runner = runner
        self.session = session
        self.ask_dataset: Callable[[str], str | None] = lambda recorded: None
        state.activeChanged.connect(lambda _: self.run_search())
        state.searchParamsChanged.connect(lambda _: self.run_search())
        # a drag moves the brush many times a second: search once it rests
        self._brush_search = QTimer(self)
        self._brush_search.setSingleShot(True)
        self._brush_search.setInterval(BRUSH_SEARCH_DELAY_MS)
        self._brush_search.timeout.connect(self.run_search)
        state.brushChanged.connect(lambda _: self._brush_search.start())
        state.subsetsChanged.connect(self._save_subsets)
        runner.jobFailed.connect(self._job_failed)

    # projects ------------------------------------------------------------------------------
    def open_path(self, path: str | Path) -> Job | None:
        """Open a project folder, project.yaml or store in a worker; errors become a dialog."""
        try:
            project = Project.load(path)
        except AstroClipError as exc:
            self.errorRaised.emit("Cannot open project", str(exc), "")
            return None
        mapping = self.session.dataset_mapping()
        return self.runner.submit(
            f"Opening {project.name}",
            lambda reporter, cancel: load_project(project, mapping, reporter, cancel),
            self._project_loaded, self._open_failed)

    def _open_failed(self, failure: JobFailure) -> None:
        self.errorRaised.emit("Cannot open project", failure.message, failure.details)

    def _project_loaded(self, loaded: LoadedProject) -> None:
        if loaded.dataset is None and recorded_dataset_path(loaded.project, loaded.store):
            self._relink_dataset(loaded)
        elif loaded.dataset is None:  # e.g. imported published embeddings: nothing to relink
            self.infoRaised.emit("No dataset", "This project records no source dataset: the "
                                 "map, search and properties work; images and spectra are not "
                                 "shown.")
        self.state.set_project(loaded)
        key = project_key(loaded.project)
        self.session.add_recent(key)
        self.session.set("last_project", key)
        self.state.set_subsets(self.session.load_subsets(key, loaded.n))
        self.projectOpened.emit(loaded)
        search = loaded.search
        if search is not None and search.engine.uses_ann():
            self.runner.submit("Indexing neighbours", search.build_indexes)

    def _relink_dataset(self, loaded: LoadedProject) -> None:
        recorded = recorded_dataset_path(loaded.project, loaded.store)
        chosen = self.ask_dataset(recorded)
        if not chosen:
            self.infoRaised.emit("Dataset not found", f"The galaxies' source file {recorded} "
                                 "is missing: images and spectra will not be shown.")
            return
        try:
            loaded.dataset = open_paired(chosen)
        except Exception as exc:  # a wrong file picked: say so, keep the map usable
            self.errorRaised.emit("Cannot open dataset", str(exc), "")
            return
        self.session.remember_dataset(recorded, str(chosen))

    # search --------------------------------------------------------------------------------
    def run_search(self) -> None:
        loaded, active = self.state.loaded, self.state.active
        if loaded is None or loaded.search is None or active < 0:
            return
        p = self.state.params
        try:
            result = loaded.search.around(active, p.query_modality, p.key_modality, p.k, p.largest,
                                          within=self.state.brush)
        except (AstroClipError, ValueError) as exc:
            self.errorRaised.emit("Search failed", str(exc), "")
            return
        self.state.set_neighbours(result)

    def select_polygon(self, polygon: np.ndarray, mode: SelectMode) -> np.ndarray:
        loaded = self.state.loaded
        if loaded is None:
            return np.empty(0, dtype=np.int64)
        inside = points_in_polygon(loaded.maps[self.state.map_modality], polygon)
        self.state.select(inside, mode, polygon)
        return inside

    def find_galaxy(self, text: str) -> int:
        """Make the galaxy named by a TARGETID or 'RA Dec' active; -1 (and a message) if none."""
        loaded = self.state.loaded
        if loaded is None:
            return -1
        try:
            index = find_index(text, loaded.store, loaded.ra_dec)
        except (AstroClipError, ValueError) as exc:
            self.infoRaised.emit("Find galaxy", str(exc))
            return -1
        self.state.set_active(index)
        return index

    # galaxy data ---------------------------------------------------------------------------
    def read_galaxy(self, index: int) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Image and spectrum of a store row (None where missing or unreadable)."""
        loaded = self.state.loaded
        if loaded is None or loaded.dataset is None:
            return None, None
        row = int(loaded.store.rows[index])
        return (_safe(lambda: loaded.dataset.read_image(row)),
                _safe(lambda: loaded.dataset.read_spectrum(row)))

    def thumbnails(self, indices: list[int], size: int = THUMB_PX) -> list[np.ndarray | None]:
        """Display RGB of several galaxies at thumbnail size (None where missing or empty):
        single-row reads, then one batched RGB conversion at display resolution."""
        loaded = self.state.loaded
        if loaded is None or loaded.dataset is None:
            return [None] * len(indices)
        images = [_safe(lambda i=i: loaded.dataset.read_image(int(loaded.store.rows[i])))
                  for i in indices]
        shown = [k for k, image in enumerate(images) if image is not None
                 and np.any((image != 0) & ~np.isnan(image))]
        out: list[np.ndarray | None] = [None] * len(indices)
        shapes = {images[k].shape for k in shown}
        kind = image_kind(loaded.dataset)
        if len(shapes) == 1:  # the usual case: one conversion for the whole gallery
            rgb = to_rgb(downsample(np.stack([images[k] for k in shown]), size), kind)
            for j, k in enumerate(shown):
                out[k] = rgb[j]
        else:
            for k in shown:
                out[k] = to_rgb(downsample(images[k], size), kind)
        return out

    def image_kind(self) -> str:
        """How the loaded dataset's images are displayed ("flux" or "rgb", see to_rgb)."""
        loaded = self.state.loaded
        return image_kind(loaded.dataset if loaded is not None else None)

    def describe(self, index: int) -> str:
        loaded = self.state.loaded
        return f"{int(loaded.store.targetids[index])}" if loaded is not None else ""

    def caption(self, index: int) -> str:
        loaded = self.state.loaded
        return f"z {float(loaded.store.redshift[index]):.3f}" if loaded is not None else ""

    def property_rows(self, index: int) -> list[tuple[str, object]]:
        loaded = self.state.loaded
        if loaded is None:
            return []
        store = loaded.store
        rows: list[tuple[str, object]] = [
            ("TARGETID", int(store.targetids[index])), ("row", int(store.rows[index])),
            ("split", "train" if store.split[index] == 0 else "test")]
        rows += [(name, float(values[index])) for name, values in loaded.columns.items()
                 if name != "split"]
        xy = loaded.maps[self.state.map_modality][index]
        rows += [("map x", float(xy[0])), ("map y", float(xy[1]))]
        return rows

    # export --------------------------------------------------------------------------------
    def export_selection(self, path: str | Path) -> int:
        loaded = self.state.loaded
        if loaded is None:
            return 0
        return self._export(path, self.state.selection.indices, None)

    def export_neighbours(self, path: str | Path) -> int:
        result = self.state.neighbours
        if self.state.loaded is None or result is None:
            return 0
        return self._export(path, result.indices, result.scores)

    def _export(self, path: str | Path, indices: np.ndarray, scores: np.ndarray | None) -> int:
        loaded = self.state.loaded
        assert loaded is not None
        columns = {k: v for k, v in loaded.columns.items() if k != "split"}
        columns = {"split": loaded.store.split, **columns}
        return export_rows_csv(path, indices, loaded.store.targetids,
                               loaded.maps[self.state.map_modality], columns, scores)

    # FITS ----------------------------------------------------------------------------------
    def open_fits(self, path: str | Path) -> Job | None:
        loaded = self.state.loaded
        if loaded is None:
            self.infoRaised.emit("Open FITS", "Open a project first: its model embeds the file "
                                 "and its galaxies are searched.")
            return None
        checkpoint, search, params = loaded.project.checkpoint, loaded.search, self.state.params
        return self.runner.submit(
            f"Embedding {Path(path).name}",
            lambda reporter, cancel: embed_fits(path, checkpoint, search, params, reporter,
                                                cancel),
            self._fits_done)

    def _fits_done(self, result: FitsQueryResult) -> None:
        self.state.set_external(result.sample, result.neighbours)
        if result.neighbours is None:
            self.infoRaised.emit(
                "No model to search with",
                "This project has no checkpoint (project.yaml key 'checkpoint'), so the FITS "
                "object is shown but cannot be embedded to find its neighbours.")

    # persistence ---------------------------------------------------------------------------
    def _save_subsets(self) -> None:
        loaded = self.state.loaded
        if loaded is not None:
            self.session.save_subsets(project_key(loaded.project), self.state.subsets)

    def _job_failed(self, failure: JobFailure) -> None:
        self.errorRaised.emit(f"{failure.title} failed", failure.message, failure.details)


def _safe(read: Callable[[], np.ndarray]) -> np.ndarray | None:
    try:
        return np.asarray(read(), dtype=np.float32)
    except Exception as exc:  # a damaged row must not take the app down
        log.warning("cannot read galaxy data: %s", exc)
        return None
