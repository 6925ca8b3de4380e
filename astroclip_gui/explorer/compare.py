"""A second store of the same galaxies, for two models side by side; Qt-free (runs in a worker).

The second store is matched to the open one by TARGETID: `a_to_b[i]` is the row in B of the
open store's galaxy i (-1 when B lacks it), `b_to_a` the reverse; `overlap` is each matched
galaxy's neighbour-overlap score (`astroclip_engine.neighbour_overlap`), NaN elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from astroclip_engine.jobs import CancelToken, Progress, Reporter, null_reporter
from astroclip_engine.neighbour_overlap import DEFAULT_K, match_stores, neighbour_overlap
from astroclip_engine.projection import project_store
from astroclip_engine.store import EmbeddingStore
from astroclip_gui.explorer.loader import read_maps

OVERLAP_COLUMN = "neighbour overlap"


@dataclass
class Comparison:
    """The open store (A) and a second one (B) linked galaxy by galaxy."""

    path: Path
    maps: dict[str, np.ndarray]  # B's 2-D maps
    a_to_b: np.ndarray
    b_to_a: np.ndarray
    overlap_a: np.ndarray  # (N_A,) score per galaxy of A, NaN where unmatched
    modalities: tuple[str, str]
    k: int
    n_b: int

    @property
    def n_matched(self) -> int:
        return int(np.count_nonzero(self.a_to_b >= 0))

    @property
    def overlap_b(self) -> np.ndarray:
        out = np.full(self.n_b, np.nan, dtype=np.float32)
        matched = self.b_to_a >= 0
        out[matched] = self.overlap_a[self.b_to_a[matched]]
        return out

    def to_b(self, indices: np.ndarray) -> np.ndarray:
        mapped = self.a_to_b[np.asarray(indices, dtype=np.int64)]
        return np.unique(mapped[mapped >= 0])

    def to_a(self, indices: np.ndarray) -> np.ndarray:
        mapped = self.b_to_a[np.asarray(indices, dtype=np.int64)]
        return np.unique(mapped[mapped >= 0])


def compare_stores(store_a: EmbeddingStore, path_b: str | Path,
                   modalities: tuple[str, str] = ("image", "image"), k: int = DEFAULT_K,
                   reporter: Reporter | None = None,
                   cancel: CancelToken | None = None) -> Comparison:
    """Open B, match it to A by TARGETID (StoreError when nothing matches), make B's joint map
    if it has none, and score every matched galaxy's neighbour overlap."""
    report = reporter or null_reporter
    path_b = Path(path_b)
    with EmbeddingStore(path_b) as store_b:
        matched = match_stores(store_a, store_b)
        maps = read_maps(store_b)
        n_b = len(store_b)
        emb_b = store_b.embeddings(modalities[1])[matched.b]  # type: ignore[arg-type]
    if not maps:
        report(Progress("compare", 0, None, f"{path_b.name} has no map: computing it once"))
        project_store(path_b, "joint", reporter=report, cancel=cancel)
        with EmbeddingStore(path_b) as store_b:
            maps = read_maps(store_b)
    emb_a = store_a.embeddings(modalities[0])[matched.a]  # type: ignore[arg-type]
    scores = neighbour_overlap(emb_a, emb_b, k, reporter=report, cancel=cancel)
    a_to_b = np.full(len(store_a), -1, dtype=np.int64)
    a_to_b[matched.a] = matched.b
    b_to_a = np.full(n_b, -1, dtype=np.int64)
    b_to_a[matched.b] = matched.a
    overlap = np.full(len(store_a), np.nan, dtype=np.float32)
    overlap[matched.a] = scores
    return Comparison(path_b, maps, a_to_b, b_to_a, overlap, modalities, k, n_b)
