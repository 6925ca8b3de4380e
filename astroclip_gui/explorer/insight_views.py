"""The explorer's insight views, added to the main window in one place: the cross-filtered
property panel, the cluster table with names and contours on the map, and a second model's
map for comparing two stores (File ▸ Compare with another store…)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QFileDialog, QMainWindow, QWidget

from astroclip_gui.explorer.actions import STORE_FILTER
from astroclip_gui.explorer.cluster_link import ClusterLink
from astroclip_gui.explorer.compare_link import CompareLink
from astroclip_gui.explorer.cross_filter_link import CrossFilterLink
from astroclip_gui.explorer.views.cluster_table import ClusterTableWidget
from astroclip_gui.explorer.views.compare_view import CompareView
from astroclip_gui.explorer.views.map_annotations import MapAnnotations
from astroclip_gui.explorer.views.property_panel import PropertyPanelWidget


@dataclass
class InsightViews:
    panel: PropertyPanelWidget
    cross_filter: CrossFilterLink
    cluster_table: ClusterTableWidget
    annotations: MapAnnotations
    clusters: ClusterLink
    compare_view: CompareView
    compare: CompareLink
    docks: dict[str, QDockWidget]


def install_insight_views(window) -> InsightViews:
    """Create the views, their docks, links and menu entries on a MainWindow."""
    state = window.state
    panel = PropertyPanelWidget()
    table = ClusterTableWidget()
    annotations = MapAnnotations(window.map_view.plot)
    compare_view = CompareView()
    views = InsightViews(
        panel, CrossFilterLink(state, panel), table, annotations,
        ClusterLink(state, table, annotations, window.controller.describe),
        compare_view, CompareLink(state, window.runner, compare_view), {})
    left, bottom = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.BottomDockWidgetArea
    for key, title, widget, area in (("cross_filter", "Property ranges", panel, left),
                                     ("compare", "Second model", compare_view, left),
                                     ("clusters", "Clusters", table, bottom)):
        views.docks[key] = _dock(window, key, title, widget, area)
    window.tabifyDockWidget(window.docks["spectrum"], views.docks["clusters"])
    window.docks["spectrum"].raise_()
    views.docks["compare"].hide()
    window.docks.update(views.docks)
    _add_menu_entries(window, views)
    views.compare.errorRaised.connect(window._error)
    views.compare.columnsChanged.connect(lambda: _refresh_colour_choices(window))
    views.compare.compared.connect(lambda _: _show_compare_dock(window, views.docks))
    state.colourByChanged.connect(lambda _: _refresh_colour_choices(window))
    return views


def ask_compare_path(window: QMainWindow, views: InsightViews) -> None:
    path, _ = QFileDialog.getOpenFileName(
        window, "Compare with another store of the same galaxies", "", STORE_FILTER)
    if path:
        views.compare.open(path)


def _dock(window: QMainWindow, key: str, title: str, widget: QWidget,
          area: Qt.DockWidgetArea) -> QDockWidget:
    dock = QDockWidget(title, window)
    dock.setObjectName(f"dock_{key}")
    dock.setWidget(widget)
    window.addDockWidget(area, dock)
    return dock


def _show_compare_dock(window: QMainWindow, docks: dict[str, QDockWidget]) -> None:
    """The second map beside the main one, tabbed with the property ranges."""
    if not docks["compare"].isVisible():
        window.tabifyDockWidget(docks["cross_filter"], docks["compare"])
    docks["compare"].show()
    docks["compare"].raise_()


def _add_menu_entries(window, views: InsightViews) -> None:
    actions = window.actions
    compare = QAction("Compare with another store…", window)
    compare.setStatusTip("Open a second model's store of the same galaxies beside this map")
    compare.triggered.connect(lambda *_: ask_compare_path(window, views))
    actions.file_menu.insertAction(actions.actions["export"], compare)
    actions.actions["compare"] = compare
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    for dock in views.docks.values():
        view_menu.addAction(dock.toggleViewAction())


def _refresh_colour_choices(window) -> None:
    loaded = window.state.loaded
    if loaded is not None:
        window.map_controls.set_choices(list(loaded.columns), list(loaded.maps),
                                        window.state.colour_by, window.state.map_modality)
