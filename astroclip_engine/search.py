"""Cosine similarity search over an embeddings store, in any query/key modality combination.

Exact search (`knn.cosine_knn`: one matmul + argpartition, at the memory-bandwidth floor) is
the default. Above `ann_threshold` keys an hnswlib index is built once, saved beside the store
(`<store>.<modality>.hnsw`, atomically, with a JSON sidecar naming the embeddings it indexes)
and used for most-similar queries. Its recall@16 against exact search is measured on a sample,
and the query breadth `ef` is doubled until it reaches TARGET_RECALL (the chosen ef is saved
with the index).
Least-similar queries are always exact (an HNSW graph only knows near neighbours).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from astroclip_engine.atomic import atomic_path, atomic_write_text
from astroclip_engine.errors import StoreError
from astroclip_engine.knn import cosine_knn, l2_normalize
from astroclip_engine.store import MODALITIES, EmbeddingStore, Modality, array_sha256

ANN_THRESHOLD = 500_000
"""Key-set size above which an approximate (hnswlib) index is used by default."""
TARGET_RECALL = 0.95
"""Recall@16 the hnswlib query breadth is calibrated to (when MAX_EF allows)."""
MAX_EF = 2048


@dataclass(frozen=True)
class SearchResult:
    """Neighbours of one query, best first."""

    rows: np.ndarray  # int64 (k,) store rows
    targetids: np.ndarray  # int64 (k,)
    similarities: np.ndarray  # float32 (k,) cosine similarity
    redshifts: np.ndarray  # float32 (k,)
    approximate: bool = False

    def to_records(self) -> list[dict[str, float | int]]:
        return [
            {"targetid": int(t), "row": int(r), "similarity": float(s), "redshift": float(z)}
            for t, r, s, z in zip(self.targetids, self.rows, self.similarities, self.redshifts,
                                  strict=True)
        ]


class SimilaritySearch:
    """k-NN queries against one store (keys are the store's valid rows unless told otherwise)."""

    def __init__(
        self,
        store: EmbeddingStore,
        *,
        include_invalid: bool = False,
        ann_threshold: int = ANN_THRESHOLD,
        ann_ef: int = 128,
        build_on_demand: bool = True,
    ) -> None:
        """`build_on_demand=False`: a query never builds the ANN index (minutes at 1M keys);
        it searches exactly until `build_index` (run it in the background) has finished."""
        self.store = store
        self.build_on_demand = build_on_demand
        self.key_rows = np.arange(len(store)) if include_invalid else np.flatnonzero(store.valid)
        self.ann_threshold = ann_threshold
        self.ann_ef = ann_ef
        self.recall: dict[str, float] = {}
        self._keys: dict[str, np.ndarray] = {}
        self._all: dict[str, np.ndarray] = {}
        self._ann: dict[str, object] = {}
        self.ef: dict[str, int] = {}
        self._position = np.full(len(store), -1, dtype=np.int64)
        self._position[self.key_rows] = np.arange(len(self.key_rows))

    @property
    def n_keys(self) -> int:
        return len(self.key_rows)

    def embeddings(self, modality: Modality) -> np.ndarray:
        """All rows of one modality, L2-normalised (cached)."""
        _check_modality(modality)
        if modality not in self._all:
            self._all[modality] = l2_normalize(self.store.embeddings(modality)).astype(np.float32)
        return self._all[modality]

    def keys(self, modality: Modality) -> np.ndarray:
        """The searchable rows of one modality, L2-normalised, C-contiguous (cached)."""
        if modality not in self._keys:
            self._keys[modality] = np.ascontiguousarray(self.embeddings(modality)[self.key_rows])
        return self._keys[modality]

    def uses_ann(self) -> bool:
        return self.n_keys > self.ann_threshold

    def index_ready(self, modality: Modality) -> bool:
        return modality in self._ann

    def search(
        self,
        query: Modality,
        key: Modality,
        *,
        targetid: int | None = None,
        row: int | None = None,
        vector: np.ndarray | None = None,
        k: int = 16,
        largest: bool = True,
    ) -> SearchResult:
        """The k keys most (or least) similar to a galaxy of the store (by TARGETID or by row)
        or to a query vector.

        A galaxy never finds itself in same-modality search; in cross-modal search its own
        partner is a legitimate (usually the first) answer.
        """
        _check_modality(query)
        _check_modality(key)
        if sum(x is not None for x in (targetid, row, vector)) != 1:
            raise StoreError("give exactly one of a TARGETID, a store row or a query vector")
        exclude = -1
        if targetid is not None:
            row = self.store.index_of(targetid)
        if row is not None:
            if not 0 <= row < len(self.store):
                raise StoreError(f"{self.store.path}: row {row} is outside the store "
                                 f"(0..{len(self.store) - 1})")
            q = self.embeddings(query)[row]
            if query == key:
                exclude = int(self._position[row])
        else:
            q = np.asarray(vector, dtype=np.float32).reshape(-1)
            if q.shape[0] != self.store.info.embedding_dim:
                raise StoreError(
                    f"query vector has {q.shape[0]} dimensions but {self.store.path} holds "
                    f"{self.store.info.embedding_dim}-d embeddings: it was made by another model"
                )
            q = l2_normalize(q)
        available = self.n_keys - (1 if exclude >= 0 else 0)
        if not 1 <= k <= available:
            raise StoreError(f"k = {k} but only {available} galaxies can be returned from "
                             f"{self.store.path} (k must be between 1 and {available})")
        if largest and self.uses_ann() and (self.build_on_demand or self.index_ready(key)):
            positions, sims = self._ann_query(key, q, k, exclude)
            approximate = True
        else:
            ex = np.array([exclude]) if exclude >= 0 else None
            idx, sim = cosine_knn(q[None, :], self.keys(key), k, exclude=ex, largest=largest)
            positions, sims, approximate = idx[0], sim[0], False
        rows = self.key_rows[positions]
        return SearchResult(rows=rows, targetids=self.store.targetids[rows], similarities=sims,
                            redshifts=self.store.redshift[rows], approximate=approximate)

    # -- approximate index -------------------------------------------------------------------

    def index_path(self, modality: Modality) -> Path:
        return self.store.path.with_name(f"{self.store.path.name}.{modality}.hnsw")

    def build_index(self, modality: Modality, *, m: int = 16, ef_construction: int = 100,
                    recall_sample: int = 200, seed: int = 0, threads: int = -1) -> float:
        """Build (or load) the hnswlib index of one modality, with its query breadth `ef`
        calibrated to TARGET_RECALL; returns the measured recall@16. `threads`: insertion
        threads (-1 = every core; fewer leaves cores to an interactive caller)."""
        import hnswlib

        keys = self.keys(modality)
        path, meta_path = self.index_path(modality), self._meta_path(modality)
        fingerprint = array_sha256(keys)
        index = hnswlib.Index(space="ip", dim=keys.shape[1])
        meta = _read_json(meta_path)
        if path.exists() and meta.get("keys_sha256") == fingerprint and "ef" in meta:
            index.load_index(str(path), max_elements=keys.shape[0])
            recall, ef = float(meta["recall_at_16"]), int(meta["ef"])
        else:
            index.init_index(max_elements=keys.shape[0], ef_construction=ef_construction, M=m,
                             random_seed=seed)
            index.add_items(keys, np.arange(keys.shape[0]), num_threads=threads)
            ef, recall = _calibrate_ef(index, keys, self.ann_ef, recall_sample, seed)
            with atomic_path(path) as tmp:
                index.save_index(str(tmp))
            atomic_write_text(meta_path, json.dumps(
                {"keys_sha256": fingerprint, "n": int(keys.shape[0]), "m": m,
                 "ef_construction": ef_construction, "ef": ef, "recall_at_16": recall},
                indent=2))
        index.set_ef(ef)
        self._ann[modality], self.ef[modality] = index, ef
        self.recall[modality] = recall
        return recall

    def _meta_path(self, modality: Modality) -> Path:
        return self.index_path(modality).with_suffix(".json")

    def _ann_query(self, key: Modality, q: np.ndarray, k: int,
                   exclude: int) -> tuple[np.ndarray, np.ndarray]:
        if key not in self._ann:
            self.build_index(key)
        index = self._ann[key]
        want = k + (1 if exclude >= 0 else 0)
        index.set_ef(max(self.ef[key], want))  # type: ignore[attr-defined]
        labels, distances = index.knn_query(q[None, :], k=want)  # type: ignore[attr-defined]
        labels, sims = labels[0].astype(np.int64), (1.0 - distances[0]).astype(np.float32)
        keep = labels != exclude
        return labels[keep][:k], sims[keep][:k]


def _calibrate_ef(index: object, keys: np.ndarray, ef: int, sample: int, seed: int
                  ) -> tuple[int, float]:
    """The smallest ef (doubling from `ef`, up to MAX_EF) whose recall@16 reaches
    TARGET_RECALL on `sample` keys, and that recall."""
    while True:
        index.set_ef(ef)  # type: ignore[attr-defined]
        recall = measure_recall(index, keys, sample, seed, k=16)
        if recall >= TARGET_RECALL or ef >= MAX_EF:
            return ef, recall
        ef *= 2


def measure_recall(index: object, keys: np.ndarray, sample: int = 200, seed: int = 0,
                   k: int = 10) -> float:
    """Mean recall@k of an ANN index against exact search, on `sample` keys used as queries."""
    rng = np.random.default_rng(seed)
    picks = rng.choice(keys.shape[0], size=min(sample, keys.shape[0]), replace=False)
    k = min(k, keys.shape[0])
    exact, _ = cosine_knn(keys[picks], keys, k, block=16)  # 16 x N similarities at a time
    approx, _ = index.knn_query(keys[picks], k=k)  # type: ignore[attr-defined]
    hits = [len(set(a.tolist()) & set(e.tolist())) for a, e in zip(approx, exact, strict=True)]
    return float(np.mean(hits) / k)


def _check_modality(modality: str) -> None:
    if modality not in MODALITIES:
        raise StoreError(f"unknown modality {modality!r}; expected one of {MODALITIES}")


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
