"""Names the clusters of the open project (engine `cluster_labels`), fills the cluster table,
draws names and density contours on the map, and selects a cluster whose row is clicked."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QObject

from astroclip_engine.cluster_labels import ClusterSummary, summarise_clusters
from astroclip_gui.explorer.catalogue_columns import MORPHOLOGY_COLUMN, morphology_names
from astroclip_gui.explorer.density_contours import density_contours
from astroclip_gui.explorer.loader import CLUSTER_PREFIX
from astroclip_gui.explorer.state import AppState
from astroclip_gui.explorer.views.cluster_table import ClusterTableWidget
from astroclip_gui.explorer.views.map_annotations import MapAnnotations


class ClusterLink(QObject):
    """Cluster names, table and contours of the current map."""

    def __init__(self, state: AppState, table: ClusterTableWidget, annotations: MapAnnotations,
                 describe: Callable[[int], str]) -> None:
        super().__init__(table)
        self.state, self.table, self.annotations, self.describe = state, table, annotations, \
            describe
        self.clustering = ""
        self.summaries: list[ClusterSummary] = []
        self._contours_of: str | None = None
        state.projectChanged.connect(lambda _: self._project())
        state.mapModalityChanged.connect(lambda _: self._map_changed())
        table.clusteringChosen.connect(self.show_clustering)
        table.clusterClicked.connect(self.select_cluster)
        table.labelsToggled.connect(annotations.show_labels)
        table.contoursToggled.connect(self._toggle_contours)

    def clusterings(self) -> list[str]:
        loaded = self.state.loaded
        return [] if loaded is None else loaded.store.cluster_names()

    def _project(self) -> None:
        self._contours_of = None
        self.annotations.set_contours([])
        names = self.clusterings()
        self.table.set_clusterings(names, self._preferred(names))
        self.show_clustering(self._preferred(names))
        self._toggle_contours(self.table.contours_box.isChecked())

    def _map_changed(self) -> None:
        """Another map: its matching clustering (kmeans_image for the image map, ...)."""
        names = self.clusterings()
        preferred = self._preferred(names)
        self.table.set_clusterings(names, preferred)
        self.show_clustering(preferred)
        self._contours_of = None
        self._toggle_contours(self.table.contours_box.isChecked())

    def _preferred(self, names: list[str]) -> str:
        modality = self.state.map_modality
        for method in ("kmeans", "hdbscan", "dbscan"):
            if f"{method}_{modality}" in names:
                return f"{method}_{modality}"
        if self.clustering in names:
            return self.clustering
        return names[0] if names else ""

    def show_clustering(self, name: str) -> None:
        loaded = self.state.loaded
        self.clustering = name
        if loaded is None or not name:
            self.summaries = []
        else:
            columns = {k: v for k, v in loaded.columns.items()
                       if k not in loaded.categorical and k.lower() not in ("ra", "dec")}
            morphology = loaded.columns.get(MORPHOLOGY_COLUMN)
            self.summaries = summarise_clusters(
                loaded.columns[CLUSTER_PREFIX + name], loaded.maps[self.state.map_modality],
                columns, None if morphology is None else morphology.astype(np.int64),
                morphology_names())
        self.table.set_summaries(self.summaries, self.describe)
        self.annotations.set_labels([(*s.centre, s.name) for s in self.summaries])

    def select_cluster(self, label: int) -> None:
        loaded = self.state.loaded
        if loaded is not None and self.clustering:
            labels = loaded.columns[CLUSTER_PREFIX + self.clustering]
            self.state.select(np.flatnonzero(labels == label))

    def _toggle_contours(self, visible: bool) -> None:
        loaded = self.state.loaded
        if visible and loaded is not None and self._contours_of != self.state.map_modality:
            self.annotations.set_contours(density_contours(loaded.maps[self.state.map_modality]))
            self._contours_of = self.state.map_modality
        self.annotations.show_contours(visible)
