"""Menus, toolbar and keyboard shortcuts of the main window, and their file-dialog handlers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QMainWindow,
    QMenu,
    QToolBar,
)

from astroclip_gui.dialogs.about import show_about
from astroclip_gui.dialogs.messages import show_info
from astroclip_gui.explorer.controller import ExplorerController
from astroclip_gui.explorer.state import AppState
from astroclip_gui.explorer.views.embedding_map import EmbeddingMapView
from astroclip_gui.explorer.views.map_viewbox import BOX, LASSO, PAN
from astroclip_gui.session import Session
from astroclip_gui.style import STYLES

STORE_FILTER = "AstroCLIP projects (project.yaml *.yaml *.h5 *.hdf5);;All files (*)"


@dataclass(frozen=True)
class WindowCommands:
    """The main-window operations that menus trigger (the window implements them)."""

    set_style: Callable[[str], None]
    save_subset: Callable[[], None]
    save_map_png: Callable[[str], None]


class ExplorerActions:
    """Creates every QAction once (`self.actions[name]`) and the menus that show them.

    It sees only what it is given: the window (as a plain QMainWindow, for menus, toolbar,
    status bar and dialog parents), the state, the controller, the session's recent projects,
    the map view, the docks to list under View, and the window's own commands.
    """

    def __init__(self, window: QMainWindow, state: AppState, controller: ExplorerController,
                 session: Session, map_view: EmbeddingMapView, docks: Iterable[QDockWidget],
                 commands: WindowCommands) -> None:
        self.window, self.state, self.controller = window, state, controller
        self.session, self.map_view, self.commands = session, map_view, commands
        self.actions: dict[str, QAction] = {}
        self.file_menu = self._build_file_menu()
        self._build_view_menu(docks)
        self._build_selection_menu()
        self.training_menu = window.menuBar().addMenu("&Training")
        help_menu = window.menuBar().addMenu("&Help")
        self._add(help_menu, "about", "About AstroCLIP Studio", lambda: show_about(window))
        self._build_toolbar()
        state.historyChanged.connect(self._update_history)
        self._update_history()

    def _build_file_menu(self) -> QMenu:
        menu = self.window.menuBar().addMenu("&File")
        self._add(menu, "open", "Open project or store…", self.open_project,
                  QKeySequence.StandardKey.Open, "Open a project folder, project.yaml or store")
        self._add(menu, "open_fits", "Open FITS…", self.open_fits, "Ctrl+Shift+O",
                  "Search with a DESI coadd or a Legacy Survey cutout")
        self.recent_menu = QMenu("Recent projects", self.window)
        menu.addMenu(self.recent_menu)
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        menu.addSeparator()
        self._add(menu, "export", "Export selection CSV…", self.export_selection, "Ctrl+E",
                  "targetid, map x/y, redshift and properties of the selected galaxies")
        self._add(menu, "export_neighbours", "Export neighbours CSV…", self.export_neighbours,
                  "Ctrl+Shift+E", "The current neighbour list with similarity scores")
        self._add(menu, "save_png", "Save map PNG…", self.save_png, "Ctrl+Shift+S")
        menu.addSeparator()
        self._add(menu, "quit", "Quit", self.window.close, QKeySequence.StandardKey.Quit)
        return menu

    def _build_view_menu(self, docks: Iterable[QDockWidget]) -> None:
        view = self.window.menuBar().addMenu("&View")
        self._add(view, "back", "Back", self.state.back, "Alt+Left", "Previous active galaxy")
        self._add(view, "forward", "Forward", self.state.forward, "Alt+Right",
                  "Next active galaxy")
        self._add(view, "reset_view", "Reset zoom", lambda: self.map_view.viewbox.autoRange(),
                  "Ctrl+0", "Show the whole map")
        view.addSeparator()
        style_menu = view.addMenu("Style")
        group = QActionGroup(self.window)
        for name in STYLES:
            action = self._add(style_menu, f"style_{name}", name.capitalize(),
                               lambda n=name: self.commands.set_style(n), tip=f"{name} theme")
            action.setCheckable(True)
            group.addAction(action)
        view.addSeparator()
        for dock in docks:
            view.addAction(dock.toggleViewAction())

    def _build_selection_menu(self) -> None:
        select = self.window.menuBar().addMenu("&Selection")
        self._add(select, "find", "Find galaxy…", self.find, QKeySequence.StandardKey.Find,
                  "Find by TARGETID or RA/Dec")
        self._add(select, "undo", "Undo selection", self.state.undo_selection,
                  QKeySequence.StandardKey.Undo, "Go back to the previous selection")
        self._add(select, "clear", "Clear selection", self.state.clear_selection, "Esc")
        select.addSeparator()
        modes = QActionGroup(self.window)
        for gesture, label, key in ((PAN, "Pan / click", "P"), (LASSO, "Lasso select", "L"),
                                    (BOX, "Box select", "B")):
            action = self._add(select, f"mode_{gesture}", label,
                               lambda g=gesture: self.map_view.set_gesture(g), key,
                               f"{label} (Shift adds, Alt subtracts)")
            action.setCheckable(True)
            modes.addAction(action)
        self.actions[f"mode_{PAN}"].setChecked(True)
        select.addSeparator()
        self._add(select, "save_subset", "Save selection as subset…", self.commands.save_subset)

    def _build_toolbar(self) -> None:
        bar = QToolBar("Main", self.window)
        bar.setObjectName("mainToolbar")
        for name in ("open", None, "back", "forward", None, f"mode_{PAN}", f"mode_{LASSO}",
                     f"mode_{BOX}", "undo", None, "find", "export"):
            if name is None:
                bar.addSeparator()
            else:
                bar.addAction(self.actions[name])
        self.window.addToolBar(bar)

    def _add(self, menu: QMenu, name: str, text: str, slot, shortcut=None, tip: str = "") \
            -> QAction:
        action = QAction(text, self.window)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setToolTip(tip)
            action.setStatusTip(tip)
        action.triggered.connect(lambda *_: slot())
        menu.addAction(action)
        self.actions[name] = action
        return action

    def _update_history(self) -> None:
        self.actions["back"].setEnabled(self.state.can_go_back())
        self.actions["forward"].setEnabled(self.state.can_go_forward())

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.session.recent():
            self.recent_menu.addAction(path).triggered.connect(
                lambda *_, p=path: self.controller.open_path(p))
        if self.recent_menu.isEmpty():
            self.recent_menu.addAction("(none)").setEnabled(False)

    # handlers that ask the user for a path -------------------------------------------------
    def open_project(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open project or embeddings store",
                                              "", STORE_FILTER)
        if path:
            self.controller.open_path(path)

    def open_fits(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.window, "Open a DESI coadd or Legacy Survey cutout", "",
            "FITS files (*.fits *.fits.gz *.fit)")
        if path:
            self.controller.open_fits(path)

    def find(self) -> None:
        text, ok = QInputDialog.getText(self.window, "Find galaxy",
                                        "TARGETID, or RA Dec (degrees):")
        if ok and text.strip():
            self.controller.find_galaxy(text)

    def export_selection(self) -> None:
        if not len(self.state.selection):
            show_info(self.window, "Export selection",
                      "Nothing is selected: draw a lasso or box.")
            return
        path = self._save_path("Export selection", "selection.csv", "CSV (*.csv)")
        if path:
            n = self.controller.export_selection(path)
            self.window.statusBar().showMessage(f"Exported {n:,} galaxies to {path}", 5000)

    def export_neighbours(self) -> None:
        path = self._save_path("Export neighbours", "neighbours.csv", "CSV (*.csv)")
        if path:
            n = self.controller.export_neighbours(path)
            self.window.statusBar().showMessage(f"Exported {n} neighbours to {path}", 5000)

    def save_png(self) -> None:
        path = self._save_path("Save map", "map.png", "PNG (*.png)")
        if path:
            self.commands.save_map_png(path)

    def _save_path(self, title: str, name: str, filters: str) -> str:
        start = str(Path.home() / name)
        path, _ = QFileDialog.getSaveFileName(self.window, title, start, filters)
        return path
