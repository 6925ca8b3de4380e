"""How two models see the same galaxies: match two stores by TARGETID and score, per galaxy,
the fraction of its k nearest neighbours the two models share; Qt-free.

Neighbours are exact cosine k-NN (`knn.cosine_knn`) among the galaxies the two stores have in
common, computed in blocks of queries so memory stays O(block * N).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from astroclip_engine.errors import StoreError
from astroclip_engine.jobs import CancelToken, Progress, Reporter, null_reporter
from astroclip_engine.knn import cosine_knn, l2_normalize
from astroclip_engine.store import EmbeddingStore

DEFAULT_K = 16


@dataclass(frozen=True)
class Matched:
    """Rows of the galaxies two stores share: a[i] and b[i] are the same TARGETID."""

    a: np.ndarray
    b: np.ndarray

    def __len__(self) -> int:
        return int(self.a.size)


def match_targetids(ids_a: np.ndarray, ids_b: np.ndarray) -> Matched:
    """Rows (first occurrence) of the TARGETIDs present in both, in the order of `ids_a`."""
    ids_a, ids_b = np.asarray(ids_a, dtype=np.int64), np.asarray(ids_b, dtype=np.int64)
    unique_b, first_b = np.unique(ids_b, return_index=True)
    unique_a, first_a = np.unique(ids_a, return_index=True)
    _, in_a, in_b = np.intersect1d(unique_a, unique_b, assume_unique=True,
                                   return_indices=True)
    rows_a, rows_b = first_a[in_a], first_b[in_b]
    order = np.argsort(rows_a)
    return Matched(rows_a[order].astype(np.int64), rows_b[order].astype(np.int64))


def match_stores(a: EmbeddingStore, b: EmbeddingStore) -> Matched:
    """The galaxies two stores share; a StoreError naming both files when there are none."""
    matched = match_targetids(a.targetids, b.targetids)
    if not len(matched):
        raise StoreError(f"{b.path} has no galaxies in common with {a.path} (no TARGETID of "
                         f"its {len(b):,} galaxies is among the {len(a):,} of the open store)")
    return matched


def shared_fraction(idx_a: np.ndarray, idx_b: np.ndarray) -> np.ndarray:
    """Per row, the fraction of the k entries of `idx_a` that also appear in `idx_b`."""
    same = idx_a[:, :, None] == idx_b[:, None, :]
    return same.any(axis=2).mean(axis=1).astype(np.float32)


def neighbour_overlap(emb_a: np.ndarray, emb_b: np.ndarray, k: int = DEFAULT_K,
                      block: int = 2048, reporter: Reporter | None = None,
                      cancel: CancelToken | None = None) -> np.ndarray:
    """(n,) fraction of each galaxy's k neighbours (itself excluded) shared by two embeddings
    of the same n galaxies (row i of both is the same galaxy; any dimensions)."""
    if len(emb_a) != len(emb_b):
        raise ValueError(f"{len(emb_a)} and {len(emb_b)} galaxies: match the stores first")
    n = len(emb_a)
    if n < 2:
        return np.full(n, np.nan, dtype=np.float32)
    k = min(k, n - 1)
    a = np.ascontiguousarray(l2_normalize(np.asarray(emb_a, dtype=np.float32)))
    b = np.ascontiguousarray(l2_normalize(np.asarray(emb_b, dtype=np.float32)))
    report = reporter or null_reporter
    out = np.empty(n, dtype=np.float32)
    for start in range(0, n, block):
        if cancel is not None:
            cancel.raise_if_cancelled()
        rows = np.arange(start, min(start + block, n))
        idx_a, _ = cosine_knn(a[rows], a, k, exclude=rows)
        idx_b, _ = cosine_knn(b[rows], b, k, exclude=rows)
        out[rows] = shared_fraction(idx_a, idx_b)
        report(Progress("neighbour overlap", int(rows[-1]) + 1, n, f"k = {k}"))
    return out
