"""The main window: composes the map, the docks, menus and status bar, and subscribes views
to the app state (behaviour lives in controller.py, state in state.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QInputDialog,
    QLabel,
    QMainWindow,
    QVBoxLayout,
    QWidget,
)

from astroclip_engine.atomic import atomic_path
from astroclip_gui.dialogs.messages import show_error, show_info
from astroclip_gui.explorer.actions import ExplorerActions, WindowCommands
from astroclip_gui.explorer.controller import ExplorerController
from astroclip_gui.explorer.insight_views import install_insight_views
from astroclip_gui.explorer.loader import LoadedProject
from astroclip_gui.explorer.state import AppState
from astroclip_gui.explorer.views.embedding_map import EmbeddingMapView
from astroclip_gui.explorer.views.galaxy_image import GalaxyImageView
from astroclip_gui.explorer.views.map_controls import MapControlsWidget
from astroclip_gui.explorer.views.neighbours import NeighbourGalleryWidget
from astroclip_gui.explorer.views.properties_table import PropertiesTableWidget
from astroclip_gui.explorer.views.spectrum_plot import SpectrumPlotView
from astroclip_gui.explorer.views.subsets import SubsetListWidget
from astroclip_gui.session import Session
from astroclip_gui.style import app_icon, apply_style
from astroclip_gui.widgets.job_status import JobStatusWidget
from astroclip_gui.workers import JobRunner


class MainWindow(QMainWindow):
    """AstroCLIP Studio's explorer window."""

    def __init__(self, session: Session | None = None) -> None:
        super().__init__()
        self.setWindowTitle("AstroCLIP Studio")
        self.setWindowIcon(app_icon())
        self.resize(1500, 950)
        self.session = session or Session()
        self.state = AppState()
        self.runner = JobRunner(self)
        self.controller = ExplorerController(self.state, self.runner, self.session)
        self.controller.ask_dataset = self._ask_dataset
        self.messages: list[QWidget] = []  # dialogs shown (tests inspect them)
        self.map_view = EmbeddingMapView()
        self.map_controls = MapControlsWidget()
        self.image_view = GalaxyImageView()
        self.spectrum_view = SpectrumPlotView()
        self.properties = PropertiesTableWidget()
        self.gallery = NeighbourGalleryWidget()
        self.gallery.thumbnail_source = self.controller.thumbnails
        self.gallery.describe = self.controller.describe
        self.gallery.caption = self.controller.caption
        self.subsets = SubsetListWidget()
        self._compose()
        self.actions = ExplorerActions(
            self, self.state, self.controller, self.session, self.map_view, self.docks.values(),
            WindowCommands(self.set_style, self.save_subset, self.save_map_png))
        self.training_menu = self.actions.training_menu
        self.insights = install_insight_views(self)
        self._subscribe()
        self.style_name = apply_style(QApplication.instance(), str(self.session.get("style",
                                      "dark")), self.plot_widgets())
        self.actions.actions[f"style_{self.style_name}"].setChecked(True)

    # composition ---------------------------------------------------------------------------
    def _compose(self) -> None:
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.map_controls)
        layout.addWidget(self.map_view, 1)
        self.setCentralWidget(central)
        self.docks: dict[str, QDockWidget] = {}
        area_enum = Qt.DockWidgetArea
        right, bottom = area_enum.RightDockWidgetArea, area_enum.BottomDockWidgetArea
        for key, title, widget, area in (
                ("image", "Galaxy image", self.image_view, right),
                ("properties", "Properties", self.properties, right),
                ("spectrum", "Spectrum", self.spectrum_view, bottom),
                ("neighbours", "Neighbours", self.gallery, right),
                ("subsets", "Subsets", self.subsets, right)):
            dock = QDockWidget(title, self)
            dock.setObjectName(f"dock_{key}")
            dock.setWidget(widget)
            self.addDockWidget(area, dock)
            self.docks[key] = dock
        self.tabifyDockWidget(self.docks["properties"], self.docks["subsets"])
        self.docks["properties"].raise_()
        self.count_label = QLabel("No project")
        self.hover_label = QLabel("")
        self.job_status = JobStatusWidget(self.runner)
        self.statusBar().addWidget(self.count_label)
        self.statusBar().addWidget(self.hover_label, 1)
        self.statusBar().addPermanentWidget(self.job_status)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not getattr(self, "_docks_sized", False):
            self._docks_sized = True
            height = self.height()
            self.resizeDocks([self.docks["spectrum"]], [int(height * 0.3)],
                             Qt.Orientation.Vertical)
            self.resizeDocks([self.docks["image"], self.docks["properties"],
                              self.docks["neighbours"]], [300, 170, 330], Qt.Orientation.Vertical)
            self.resizeDocks([self.docks["image"]], [int(self.width() * 0.33)],
                             Qt.Orientation.Horizontal)

    def plot_widgets(self) -> list[QWidget]:
        return [self.map_view, self.image_view.canvas, self.spectrum_view.plot]

    def _subscribe(self) -> None:
        s, c, m = self.state, self.controller, self.map_view
        s.projectChanged.connect(self._show_project)
        s.colourByChanged.connect(lambda _: self._recolour())
        s.mapModalityChanged.connect(lambda _: self._show_map())
        s.activeChanged.connect(self._show_active)
        s.neighboursChanged.connect(self._show_neighbours)
        s.selectionChanged.connect(self._show_selection)
        s.brushChanged.connect(lambda _: self._show_selection(s.selection))
        s.subsetsChanged.connect(lambda: self.subsets.set_subsets(s.subsets))
        s.searchParamsChanged.connect(self.gallery.show_params)
        m.pointClicked.connect(s.set_active)
        m.pointHovered.connect(self._show_hover)
        m.polygonSelected.connect(c.select_polygon)
        self.gallery.galaxyClicked.connect(s.set_active)
        self.gallery.paramsEdited.connect(lambda changes: s.set_params(**changes))
        mc = self.map_controls
        mc.colourByChosen.connect(s.set_colour_by)
        mc.modalityChosen.connect(s.set_map_modality)
        mc.sizeChanged.connect(m.set_point_size)
        mc.opacityChanged.connect(m.set_opacity)
        mc.clipChanged.connect(lambda clip: m.set_colour_options(clip=clip))
        mc.logChanged.connect(lambda log: m.set_colour_options(log=log))
        mc.colormapChanged.connect(lambda name: m.set_colour_options(colormap=name))
        mc.densityModeChanged.connect(m.set_density_mode)
        self.subsets.saveRequested.connect(self.save_subset)
        self.subsets.restoreRequested.connect(lambda name: s.select(s.subsets[name]))
        self.subsets.deleteRequested.connect(s.remove_subset)
        c.errorRaised.connect(self._error)
        c.infoRaised.connect(lambda title, text: self.messages.append(show_info(self, title,
                                                                                text)))
        c.projectOpened.connect(self._restore_project_session)

    # views follow the state ----------------------------------------------------------------
    def _show_project(self, loaded: LoadedProject | None) -> None:
        self.gallery.clear_cache()
        self.gallery.set_neighbours(None)
        self._show_active(-1)
        if loaded is None:
            return
        self.setWindowTitle(f"AstroCLIP Studio — {loaded.project.name}")
        self.map_controls.set_choices(list(loaded.columns), list(loaded.maps),
                                      self.state.colour_by, self.state.map_modality)
        self._show_map()
        self.count_label.setText(f"{loaded.n:,} galaxies")

    def _show_map(self) -> None:
        loaded = self.state.loaded
        if loaded is None:
            return
        column = self.state.colour_by
        self.map_view.set_data(loaded.maps[self.state.map_modality], loaded.columns[column],
                               column in loaded.categorical, column)
        self.map_view.plot.setLabel("bottom", f"{self.state.map_modality} map 1")
        self.map_view.plot.setLabel("left", f"{self.state.map_modality} map 2")
        self._show_selection(self.state.selection)
        self._mark_map()

    def _recolour(self) -> None:
        loaded, column = self.state.loaded, self.state.colour_by
        if loaded is not None:
            self.map_view.set_values(loaded.columns[column], column in loaded.categorical, column)
            self.session.set("colour_by", column)

    def _show_active(self, index: int) -> None:
        external = self.state.external
        if index >= 0:
            image, spectrum = self.controller.read_galaxy(index)
            loaded = self.state.loaded
            assert loaded is not None
            z = float(loaded.store.redshift[index])
            title = f"TARGETID {int(loaded.store.targetids[index])} · z = {z:.4f}"
            self.image_view.set_image(image, title, self.controller.image_kind())
            self.spectrum_view.set_spectrum(spectrum, z, None, title)
            self.properties.set_rows(self.controller.property_rows(index))
            self.session.set("active_targetid", int(loaded.store.targetids[index]))
        elif external is not None:
            title = f"FITS · TARGETID {external.targetid} · z = {external.redshift:.4f}"
            self.image_view.set_image(external.image, title)
            self.spectrum_view.set_spectrum(external.spectrum, external.redshift, external.ivar,
                                            title)
            self.properties.set_rows([("TARGETID", external.targetid), ("RA", external.ra),
                                      ("Dec", external.dec), ("redshift", external.redshift),
                                      *external.properties.items()])
        else:
            self.image_view.set_image(None)
            self.spectrum_view.set_spectrum(None, 0.0)
            self.properties.set_rows([])
        # The controller subscribed first, so its search already ran: when it found this
        # galaxy's neighbours, _show_neighbours has marked the map (once per click).
        neighbours = self.state.neighbours
        if neighbours is None or neighbours.query != index:
            self._mark_map()

    def _show_neighbours(self, result) -> None:
        self._mark_map()
        self.gallery.set_neighbours(result)

    def _mark_map(self) -> None:
        result = self.state.neighbours
        indices = result.indices if result is not None else np.empty(0, dtype=np.int64)
        self.map_view.set_overlays(self.state.active, indices)

    def _show_selection(self, selection) -> None:
        self.map_view.set_selection(self.state.highlighted())
        loaded = self.state.loaded
        if loaded is not None:
            text = f"{loaded.n:,} galaxies"
            if len(selection):
                text += f" · {len(selection):,} selected"
            if self.state.brush is not None:
                text += f" · {len(self.state.brush):,} in the property ranges"
            self.count_label.setText(text)

    def _show_hover(self, index: int) -> None:
        loaded = self.state.loaded
        if index < 0 or loaded is None:
            self.hover_label.setText("")
            self.map_view.setToolTip("")
            return
        column = self.state.colour_by
        text = (f"TARGETID {int(loaded.store.targetids[index])} · z = "
                f"{float(loaded.store.redshift[index]):.4f} · {column} = "
                f"{float(loaded.columns[column][index]):.4g}")
        self.hover_label.setText(text)
        self.map_view.setToolTip(text)
        self.state.set_hover(index)

    # actions that need the window ----------------------------------------------------------
    def open(self, path: str | Path):
        return self.controller.open_path(path)

    def set_style(self, name: str) -> None:
        self.style_name = apply_style(QApplication.instance(), name, self.plot_widgets())
        self.session.set("style", self.style_name)

    def save_subset(self, name: str | None = None) -> None:
        if not len(self.state.selection):
            self.messages.append(show_info(self, "Save subset", "Nothing is selected."))
            return
        if name is None:
            name, ok = QInputDialog.getText(self, "Save subset", "Name of the subset:",
                                            text=f"subset {len(self.state.subsets) + 1}")
            if not ok or not name.strip():
                return
        self.state.add_subset(name.strip(), self.state.selection.indices)

    def save_map_png(self, path: str | Path) -> None:
        with atomic_path(path, suffix=".png") as tmp:
            if not self.map_view.grab().save(str(tmp), "PNG"):
                raise OSError(f"{path}: could not write the PNG")

    def _error(self, title: str, message: str, details: str) -> None:
        self.messages.append(show_error(self, title, message, details))

    def _ask_dataset(self, recorded: str) -> str | None:
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getOpenFileName(
            self, f"Where is the dataset? (was {Path(recorded).name})", str(Path(recorded).parent),
            "Datasets (*.h5 *.hdf5 *.parquet);;All files (*)")
        return path or None

    # session -------------------------------------------------------------------------------
    def _restore_project_session(self, loaded: LoadedProject) -> None:
        colour = str(self.session.get("colour_by", ""))
        if colour in loaded.columns and colour != self.state.colour_by:
            self.map_controls.colour_box.setCurrentText(colour)
        tid = self.session.get("active_targetid", None)
        if tid not in (None, ""):
            matches = np.flatnonzero(loaded.store.targetids == int(tid))
            if matches.size:
                self.state.set_active(int(matches[0]))

    def restore_session(self) -> None:
        """Reopen the last project (asynchronously)."""
        geometry = self.session.get("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        last = self.session.get("last_project")
        if last and Path(str(last)).exists():
            self.open(str(last))

    def closeEvent(self, event: QCloseEvent) -> None:
        self.session.set("geometry", self.saveGeometry())
        self.session.sync()
        self.runner.cancel_all()
        self.runner.wait(5000)
        super().closeEvent(event)
