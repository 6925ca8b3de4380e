"""Menus, toolbar and keyboard shortcuts of the main window, and their file-dialog handlers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMenu, QToolBar

from astroclip_gui.dialogs.about import show_about
from astroclip_gui.dialogs.messages import show_info
from astroclip_gui.explorer.views.map_viewbox import BOX, LASSO, PAN
from astroclip_gui.style import STYLES

if TYPE_CHECKING:
    from astroclip_gui.main_window import MainWindow

STORE_FILTER = "AstroCLIP projects (project.yaml *.yaml *.h5 *.hdf5);;All files (*)"


class ExplorerActions:
    """Creates every QAction once (`self.actions[name]`) and the menus that show them."""

    def __init__(self, window: MainWindow) -> None:
        self.w = window
        self.actions: dict[str, QAction] = {}
        self._build_file_menu()
        view = window.menuBar().addMenu("&View")
        self._add(view, "back", "Back", self.w.state.back, "Alt+Left", "Previous active galaxy")
        self._add(view, "forward", "Forward", self.w.state.forward, "Alt+Right",
                  "Next active galaxy")
        self._add(view, "reset_view", "Reset zoom", lambda: window.map_view.viewbox.autoRange(),
                  "Ctrl+0", "Show the whole map")
        view.addSeparator()
        style_menu = view.addMenu("Style")
        group = QActionGroup(window)
        for name in STYLES:
            action = self._add(style_menu, f"style_{name}", name.capitalize(),
                               lambda n=name: window.set_style(n), tip=f"{name} theme")
            action.setCheckable(True)
            group.addAction(action)
        view.addSeparator()
        for dock in window.docks.values():
            view.addAction(dock.toggleViewAction())
        select = window.menuBar().addMenu("&Selection")
        self._add(select, "find", "Find galaxy…", self.find, QKeySequence.StandardKey.Find,
                  "Find by TARGETID or RA/Dec")
        self._add(select, "undo", "Undo selection", window.state.undo_selection,
                  QKeySequence.StandardKey.Undo, "Go back to the previous selection")
        self._add(select, "clear", "Clear selection", window.state.clear_selection, "Esc")
        select.addSeparator()
        modes = QActionGroup(window)
        for gesture, label, key in ((PAN, "Pan / click", "P"), (LASSO, "Lasso select", "L"),
                                    (BOX, "Box select", "B")):
            action = self._add(select, f"mode_{gesture}", label,
                               lambda g=gesture: window.map_view.set_gesture(g), key,
                               f"{label} (Shift adds, Alt subtracts)")
            action.setCheckable(True)
            modes.addAction(action)
        self.actions[f"mode_{PAN}"].setChecked(True)
        select.addSeparator()
        self._add(select, "save_subset", "Save selection as subset…", window.save_subset)
        self.w.training_menu = window.menuBar().addMenu("&Training")
        help_menu = window.menuBar().addMenu("&Help")
        self._add(help_menu, "about", "About AstroCLIP Studio", lambda: show_about(window))
        self._build_toolbar()
        window.state.historyChanged.connect(self._update_history)
        self._update_history()

    def _build_file_menu(self) -> None:
        w = self.w
        menu = w.menuBar().addMenu("&File")
        self.file_menu = menu
        self._add(menu, "open", "Open project or store…", self.open_project,
                  QKeySequence.StandardKey.Open, "Open a project folder, project.yaml or store")
        self._add(menu, "open_fits", "Open FITS…", self.open_fits, "Ctrl+Shift+O",
                  "Search with a DESI coadd or a Legacy Survey cutout")
        self.recent_menu = QMenu("Recent projects", w)
        menu.addMenu(self.recent_menu)
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        menu.addSeparator()
        self._add(menu, "export", "Export selection CSV…", self.export_selection, "Ctrl+E",
                  "targetid, map x/y, redshift and properties of the selected galaxies")
        self._add(menu, "export_neighbours", "Export neighbours CSV…", self.export_neighbours,
                  "Ctrl+Shift+E", "The current neighbour list with similarity scores")
        self._add(menu, "save_png", "Save map PNG…", self.save_png, "Ctrl+Shift+S")
        menu.addSeparator()
        self._add(menu, "quit", "Quit", w.close, QKeySequence.StandardKey.Quit)

    def _build_toolbar(self) -> None:
        bar = QToolBar("Main", self.w)
        bar.setObjectName("mainToolbar")
        for name in ("open", None, "back", "forward", None, f"mode_{PAN}", f"mode_{LASSO}",
                     f"mode_{BOX}", "undo", None, "find", "export"):
            if name is None:
                bar.addSeparator()
            else:
                bar.addAction(self.actions[name])
        self.w.addToolBar(bar)

    def _add(self, menu: QMenu, name: str, text: str, slot, shortcut=None, tip: str = "") \
            -> QAction:
        action = QAction(text, self.w)
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
        self.actions["back"].setEnabled(self.w.state.can_go_back())
        self.actions["forward"].setEnabled(self.w.state.can_go_forward())

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.w.session.recent():
            self.recent_menu.addAction(path).triggered.connect(
                lambda *_, p=path: self.w.controller.open_path(p))
        if self.recent_menu.isEmpty():
            self.recent_menu.addAction("(none)").setEnabled(False)

    # handlers that ask the user for a path -------------------------------------------------
    def open_project(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.w, "Open project or embeddings store", "",
                                              STORE_FILTER)
        if path:
            self.w.controller.open_path(path)

    def open_fits(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.w, "Open a DESI coadd or Legacy Survey cutout",
                                              "", "FITS files (*.fits *.fits.gz *.fit)")
        if path:
            self.w.controller.open_fits(path)

    def find(self) -> None:
        text, ok = QInputDialog.getText(self.w, "Find galaxy", "TARGETID, or RA Dec (degrees):")
        if ok and text.strip():
            self.w.controller.find_galaxy(text)

    def export_selection(self) -> None:
        if not len(self.w.state.selection):
            show_info(self.w, "Export selection", "Nothing is selected: draw a lasso or box.")
            return
        path = self._save_path("Export selection", "selection.csv", "CSV (*.csv)")
        if path:
            n = self.w.controller.export_selection(path)
            self.w.statusBar().showMessage(f"Exported {n:,} galaxies to {path}", 5000)

    def export_neighbours(self) -> None:
        path = self._save_path("Export neighbours", "neighbours.csv", "CSV (*.csv)")
        if path:
            n = self.w.controller.export_neighbours(path)
            self.w.statusBar().showMessage(f"Exported {n} neighbours to {path}", 5000)

    def save_png(self) -> None:
        path = self._save_path("Save map", "map.png", "PNG (*.png)")
        if path:
            self.w.save_map_png(path)

    def _save_path(self, title: str, name: str, filters: str) -> str:
        start = str(Path.home() / name)
        path, _ = QFileDialog.getSaveFileName(self.w, title, start, filters)
        return path
