"""The explorer's single doorway to the engine's data, display and search functions.

Each function here is the ONE place the GUI calls a given engine capability:
`open_paired` -> data.open.open_dataset, `to_rgb` -> data.transforms.legacy_rgb,
`NeighbourSearch` -> search.SimilaritySearch (exact cosine k-NN, ANN for huge stores).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from astroclip_engine.data.open import open_dataset
from astroclip_engine.data.transforms import legacy_rgb
from astroclip_engine.knn import cosine_knn
from astroclip_engine.search import SimilaritySearch
from astroclip_engine.store import EmbeddingStore

# The GUI only runs tiny tensor ops (display RGB of one cutout): intra-op threads make each
# call 40x slower on a busy 2-core machine (172 vs 4 ms measured) and compete with the UI.
torch.set_num_threads(1)


def open_paired(path: str | Path) -> Any:
    """Open a paired dataset (anything with read_image(i) / read_spectrum(i))."""
    return open_dataset(path)


def to_rgb(image: np.ndarray, kind: str = "flux") -> np.ndarray:
    """(..., 3, H, W) g, r, z nanomaggies -> (..., H, W, 3) float RGB in [0, 1] (legacy survey
    mapping). kind "rgb": the image is already display RGB in band order (B, G, R; a published
    file's, `data.published_pairs`) and is only reordered."""
    if kind == "rgb":
        rgb = np.moveaxis(np.asarray(image, dtype=np.float32)[..., ::-1, :, :], -3, -1)
        return np.clip(np.nan_to_num(rgb), 0.0, 1.0)
    return legacy_rgb(np.asarray(image, dtype=np.float32), channels_last=True)


def image_kind(dataset: Any) -> str:
    """"rgb" for datasets whose images are already display RGB, else "flux"."""
    return str(getattr(dataset, "image_kind", "flux"))


def background_threads() -> int:
    """Threads a background job may use: every core but one (kept for the GUI thread)."""
    import os

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, (cores or 1) - 1)


@dataclass(frozen=True)
class Neighbours:
    """Result of one similarity search (store indices, best first)."""

    query: int | None
    indices: np.ndarray
    scores: np.ndarray
    query_modality: str
    key_modality: str
    largest: bool


class NeighbourSearch:
    """Neighbours of a store galaxy or of an external embedding, in store indices."""

    def __init__(self, store: EmbeddingStore) -> None:
        self.store = store
        self.engine = SimilaritySearch(store, build_on_demand=False)

    def build_indexes(self, reporter: Any = None, cancel: Any = None) -> None:
        """Build (or load) the ANN index of each modality of a huge store; meanwhile searches
        are exact. Runs in a worker: at a million galaxies a build takes minutes, on every core
        but one, so that clicks keep a core (docs/benchmarks.md, gui_load)."""
        if not self.engine.uses_ann():
            return
        for modality in ("image", "spectrum"):
            if cancel is not None:
                cancel.raise_if_cancelled()
            self.engine.build_index(modality, threads=background_threads())  # type: ignore[arg-type]

    def around(self, index: int, query_modality: str, key_modality: str, k: int,
               largest: bool = True, within: np.ndarray | None = None) -> Neighbours:
        """The k galaxies most (or least) similar to galaxy `index` (never itself), among the
        store rows `within` only when given (the property panel's brushed galaxies)."""
        if within is not None:
            return self._around_within(index, query_modality, key_modality, k, largest, within)
        k = max(1, min(k, self.engine.n_keys - 1))
        result = self.engine.search(query_modality, key_modality,  # type: ignore[arg-type]
                                    row=index, k=k, largest=largest)
        return Neighbours(index, result.rows, result.similarities, query_modality, key_modality,
                          largest)

    def around_vector(self, vector: np.ndarray, query_modality: str, key_modality: str, k: int,
                      largest: bool = True) -> Neighbours:
        """Neighbours of an external embedding (e.g. a FITS file embedded on the fly)."""
        k = max(1, min(k, self.engine.n_keys))
        result = self.engine.search(query_modality, key_modality,  # type: ignore[arg-type]
                                    vector=vector, k=k, largest=largest)
        return Neighbours(None, result.rows, result.similarities, query_modality, key_modality,
                          largest)

    def _around_within(self, index: int, query_modality: str, key_modality: str, k: int,
                       largest: bool, within: np.ndarray) -> Neighbours:
        """Exact search among the searchable rows of `within` (one pass over all keys; the
        others are masked out)."""
        keep = np.zeros(len(self.store), dtype=bool)
        keep[np.asarray(within, dtype=np.int64)] = True
        if query_modality == key_modality:
            keep[index] = False
        allowed = keep[self.engine.key_rows]
        k = min(k, int(np.count_nonzero(allowed)))
        if k < 1:
            empty = np.empty(0, dtype=np.int64)
            return Neighbours(index, empty, np.empty(0, dtype=np.float32), query_modality,
                              key_modality, largest)
        query = self.engine.embeddings(query_modality)[index][None, :]  # type: ignore[arg-type]
        keys = self.engine.keys(key_modality)  # type: ignore[arg-type]
        idx, sims = cosine_knn(query, keys, k, largest=largest, allowed=allowed)
        rows = self.engine.key_rows[idx[0]]
        return Neighbours(index, rows, sims[0], query_modality, key_modality, largest)
