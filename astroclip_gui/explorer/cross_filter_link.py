"""Links the property panel with the state both ways: brushes filter the galaxies (the map
highlights them, the neighbour search keeps to them), and the panel shows the brushed set's
and the map selection's distributions over the whole sample's."""

from __future__ import annotations

from PySide6.QtCore import QObject

from astroclip_gui.explorer.catalogue_columns import MORPHOLOGY_COLUMN, morphology_names
from astroclip_gui.explorer.cross_filter import CrossFilter, panel_columns
from astroclip_gui.explorer.loader import LoadedProject
from astroclip_gui.explorer.state import AppState
from astroclip_gui.explorer.views.property_panel import PropertyPanelWidget


class CrossFilterLink(QObject):
    """Owns the CrossFilter of the open project; panel -> state (brush), state -> panel."""

    def __init__(self, state: AppState, panel: PropertyPanelWidget) -> None:
        super().__init__(panel)
        self.state, self.panel = state, panel
        self.filter: CrossFilter | None = None
        state.projectChanged.connect(self._project)
        state.brushChanged.connect(lambda _: self.refresh())
        state.selectionChanged.connect(lambda _: self.refresh())
        panel.brushChanged.connect(self._brush)
        panel.brushCleared.connect(self._clear)

    def _project(self, loaded: LoadedProject | None) -> None:
        if loaded is None:
            self.filter = None
            self.panel.set_filter(None, [])
            return
        names = panel_columns(loaded.columns, loaded.categorical)
        names.sort(key=lambda n: n != "redshift")
        self.filter = CrossFilter({n: loaded.columns[n] for n in names},
                                  loaded.categorical & set(names))
        self.panel.set_filter(self.filter, names, {MORPHOLOGY_COLUMN: morphology_names()})
        self.refresh()

    def _brush(self, name: str, low: float, high: float) -> None:
        if self.filter is not None:
            self.filter.set_brush(name, low, high)
            self.state.set_brush(self.filter.brushed())

    def _clear(self, name: str) -> None:
        if self.filter is None:
            return
        if name:
            self.filter.clear_brush(name)
        else:
            self.filter.clear()
        self.state.set_brush(self.filter.brushed())

    def refresh(self) -> None:
        """Redraw the overlays: the brushed set's and the selection's histograms."""
        cf = self.filter
        if cf is None:
            return
        brush, selection = self.state.brush, self.state.selection.indices
        parts = [f"{cf.n:,} galaxies"]
        if brush is not None:
            parts.append(f"{len(brush):,} in the ranges (orange)")
        if len(selection):
            parts.append(f"{len(selection):,} selected on the map (cyan)")
        self.panel.show_distributions(
            None if brush is None else cf.histograms(brush),
            cf.histograms(selection) if len(selection) else None, " · ".join(parts))
