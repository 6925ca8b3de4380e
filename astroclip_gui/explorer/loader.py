"""Open a project off the GUI thread: store, colour columns, maps, source dataset; Qt-free."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from astroclip_engine.errors import StoreError
from astroclip_engine.jobs import CancelToken, Progress, Reporter, null_reporter
from astroclip_engine.modalities import EXPLORER_MAPS
from astroclip_engine.project import Project
from astroclip_engine.projection import project_store
from astroclip_engine.store import EmbeddingStore
from astroclip_gui.explorer.catalogue_columns import MORPHOLOGY_COLUMN, catalogue_columns
from astroclip_gui.explorer.engine_access import NeighbourSearch, open_paired
from astroclip_gui.explorer.project_files import dataset_path_for

SPLIT_COLUMN = "split"
CLUSTER_PREFIX = "cluster: "


@dataclass
class LoadedProject:
    """Everything the views need about an open project."""

    project: Project
    store: EmbeddingStore
    dataset: Any | None  # PairedDataset; None while its file is missing
    columns: dict[str, np.ndarray]  # colour-by candidates
    categorical: set[str]
    maps: dict[str, np.ndarray]  # 2-D coordinates per modality (N, 2)
    search: NeighbourSearch | None = None
    ra_dec: tuple[np.ndarray, np.ndarray] | None = None
    missing_dataset: str | None = None  # the recorded path when the dataset file moved

    @property
    def n(self) -> int:
        return len(self.store)


def load_project(project: Project, remapped: dict[str, str] | None = None,
                 reporter: Reporter | None = None,
                 cancel: CancelToken | None = None) -> LoadedProject:
    """Read everything but the embeddings (those load lazily on the first search)."""
    report = reporter or null_reporter
    report(Progress("open project", 0, 4, f"reading {project.store.name}"))
    store = _open_with_map(project.store, report, cancel)
    try:
        if len(store) == 0:
            raise StoreError(f"{store.path}: the embeddings store holds no galaxies")
        columns, categorical = colour_columns(store)
        report(Progress("open project", 1, 4, "maps"))
        if cancel is not None:
            cancel.raise_if_cancelled()
        maps = read_maps(store)
        report(Progress("open project", 2, 4, "dataset"))
        dataset, missing = None, None
        try:
            dataset_path = dataset_path_for(project, store, remapped)
            dataset = open_paired(dataset_path)
            add_catalogue_columns(columns, categorical, dataset_path, store.targetids)
        except FileNotFoundError as exc:
            missing = str(exc)
        report(Progress("open project", 3, 4, "search"))
        loaded = LoadedProject(project, store, dataset, columns, categorical, maps,
                               NeighbourSearch(store), _ra_dec(columns), missing)
    except BaseException:
        store.close()
        raise
    report(Progress("open project", 4, 4, "done"))
    return loaded


def colour_columns(store: EmbeddingStore) -> tuple[dict[str, np.ndarray], set[str]]:
    """Every per-galaxy column the map can be coloured by, and which of them are categorical."""
    columns: dict[str, np.ndarray] = dict(store.properties())
    columns[SPLIT_COLUMN] = store.split.astype(np.float32)
    categorical = {SPLIT_COLUMN}
    for name in store.cluster_names():
        key = CLUSTER_PREFIX + name
        columns[key] = store.clusters(name).astype(np.float32)
        categorical.add(key)
    return columns, categorical


def add_catalogue_columns(columns: dict[str, np.ndarray], categorical: set[str],
                          dataset_path: Path, targetids: np.ndarray) -> None:
    """Colour and morphology from the dataset's sidecar table (catalogue_columns.py)."""
    extra = {k: v for k, v in catalogue_columns(dataset_path, targetids).items()
             if k not in columns}
    columns.update(extra)
    if MORPHOLOGY_COLUMN in extra:
        categorical.add(MORPHOLOGY_COLUMN)


def read_maps(store: EmbeddingStore) -> dict[str, np.ndarray]:
    """The store's UMAP coordinates per modality (joint first)."""
    maps: dict[str, np.ndarray] = {}
    for modality in EXPLORER_MAPS:
        xy = store.umap(modality)
        if xy is not None:
            if xy.shape != (len(store), 2):
                raise StoreError(f"{store.path} [umap/{modality}]: shape {xy.shape}, expected "
                                 f"({len(store)}, 2)")
            maps[modality] = np.ascontiguousarray(xy, dtype=np.float32)
    return maps


def _open_with_map(path: Path, report: Reporter, cancel: CancelToken | None) -> EmbeddingStore:
    """Open a store; if it has no UMAP yet, compute the joint one (stored for next time)."""
    store = EmbeddingStore(path)
    if read_maps(store):
        return store
    store.close()
    report(Progress("open project", 0, 4, "no UMAP in this store: computing it once"))
    project_store(path, "joint", reporter=report, cancel=cancel)
    return EmbeddingStore(path)


def _ra_dec(columns: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray] | None:
    for ra, dec in (("ra", "dec"), ("RA", "DEC")):
        if ra in columns and dec in columns:
            return columns[ra], columns[dec]
    return None
