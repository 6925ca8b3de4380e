"""UMAP maps and clusterings of a store's embeddings, written back into the store.

`/umap/<modality>` holds (N, 2) float32 coordinates for every row (invalid ones too, so the map
lines up with the store); its attrs hold the parameters and `content_sha256`, a hash of the
exact input embeddings, so the same content and parameters are never computed twice. "joint" is
the concatenation of both L2-normalised embeddings. `/clusters/<method>_<modality>` hold int32
labels (-1 = noise) from KMeans (k chosen by silhouette on a subsample), DBSCAN and HDBSCAN on the
UMAP coordinates.

Writing uses `store.update_store`: a copy of the store is changed and atomically renamed over the
original. A crash leaves the old store intact, and a reader holding the file open is unaffected.
UMAP itself cannot be interrupted mid-fit; cancellation is honoured between stages.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from astroclip_engine.errors import StoreError
from astroclip_engine.jobs import CancelToken, Progress, Reporter, null_reporter
from astroclip_engine.knn import l2_normalize
from astroclip_engine.modalities import MAP_MODALITIES, MapModality  # noqa: F401 (re-export)
from astroclip_engine.store import EmbeddingStore, array_sha256, update_store

PCA_INIT_ABOVE = 50_000
"""Above this many points UMAP starts from PCA instead of the (slow) spectral layout."""


@dataclass(frozen=True)
class UmapParams:
    n_neighbors: int = 15
    min_dist: float = 0.1
    seed: int | None = None
    """None (the default) runs umap-learn on every core (or cuML on a GPU when installed); a
    fixed seed gives bit-reproducible maps, but umap-learn is then single-threaded (slower)."""


@dataclass
class ProjectionResult:
    modality: str
    coords: np.ndarray
    cached: bool
    clusters: dict[str, np.ndarray] = field(default_factory=dict)
    cluster_info: dict[str, dict[str, Any]] = field(default_factory=dict)


def umap_input(store: EmbeddingStore, modality: str) -> np.ndarray:
    """The (N, D) or (N, 2D) float32 array UMAP sees for a modality."""
    if modality not in MAP_MODALITIES:
        raise StoreError(f"unknown map modality {modality!r}; expected one of {MAP_MODALITIES}")
    if modality == "joint":
        return np.hstack([l2_normalize(store.embeddings("image")),
                          l2_normalize(store.embeddings("spectrum"))]).astype(np.float32)
    return l2_normalize(store.embeddings(modality)).astype(np.float32)  # type: ignore[arg-type]


@dataclass(frozen=True)
class UmapBackend:
    """Which UMAP runs: cuML's on a GPU (`gpu_class`) or umap-learn, and a note for users."""

    note: str
    gpu_class: Any | None = None


def umap_backend(seed: int | None) -> UmapBackend:
    """cuML's GPU UMAP when unseeded and cuML is installed and importable (an optional extra,
    `pip install astroclip-studio[gpu]`; `ASTROCLIP_UMAP_BACKEND=cpu` forces umap-learn), else
    umap-learn: on every core unseeded, on one core seeded (bit-reproducible)."""
    import os

    if seed is not None:
        return UmapBackend(f"umap-learn, seed {seed}: reproducible, one core")
    if os.environ.get("ASTROCLIP_UMAP_BACKEND", "auto").lower() == "cpu":
        return UmapBackend("umap-learn on every core (ASTROCLIP_UMAP_BACKEND=cpu)")
    try:
        from cuml.manifold import UMAP
    except ModuleNotFoundError as exc:
        if (exc.name or "cuml").split(".")[0] == "cuml":
            return UmapBackend("umap-learn on every core")  # the extra is not installed
        return UmapBackend(f"umap-learn on every core (cuML unusable: {exc})")
    except Exception as exc:  # installed without a working CUDA runtime
        return UmapBackend(f"umap-learn on every core (cuML unusable: {exc})")
    return UmapBackend("cuML on the GPU", UMAP)


def cuml_umap_class() -> Any | None:
    """cuML's GPU UMAP class when it is usable for an unseeded map, else None."""
    return umap_backend(None).gpu_class


def fit_umap(x: np.ndarray, params: UmapParams,
             backend: UmapBackend | None = None) -> np.ndarray:
    """2-D UMAP coordinates of the rows of `x` (euclidean on unit vectors = cosine order).
    A cuML fit that fails (no usable GPU) falls back to umap-learn with a warning."""
    if len(x) <= params.n_neighbors:
        raise StoreError(f"UMAP with n_neighbors = {params.n_neighbors} needs more than "
                         f"{params.n_neighbors} galaxies, the store has {len(x)}")
    backend = backend or umap_backend(params.seed)
    if backend.gpu_class is not None:
        try:
            reducer = backend.gpu_class(n_neighbors=params.n_neighbors,
                                        min_dist=params.min_dist, n_components=2,
                                        init="spectral")
            return np.asarray(reducer.fit_transform(x), dtype=np.float32)
        except Exception as exc:  # e.g. cuML installed on a machine without a CUDA device
            import warnings

            warnings.warn(f"cuML UMAP failed ({exc}); using umap-learn on every core",
                          RuntimeWarning, stacklevel=2)
    import umap

    init = "pca" if len(x) > PCA_INIT_ABOVE else "spectral"
    reducer = umap.UMAP(n_neighbors=params.n_neighbors, min_dist=params.min_dist,
                        random_state=params.seed, init=init, n_components=2,
                        n_jobs=1 if params.seed is not None else -1)
    return reducer.fit_transform(x).astype(np.float32)


def kmeans_silhouette(coords: np.ndarray, k_range: range = range(2, 11), sample: int = 4000,
                      seed: int = 0) -> tuple[np.ndarray, dict[str, Any]]:
    """KMeans with the k of best silhouette score (scored on a subsample)."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    rng = np.random.default_rng(seed)
    sub = coords[rng.choice(len(coords), size=min(sample, len(coords)), replace=False)]
    scores = {}
    for k in k_range:
        if k >= len(sub):
            break
        labels = KMeans(n_clusters=k, n_init=3, random_state=seed).fit_predict(sub)
        scores[k] = float(silhouette_score(sub, labels))
    if not scores:
        raise StoreError(f"too few galaxies ({len(coords)}) to cluster")
    best = max(scores, key=lambda k: scores[k])
    labels = KMeans(n_clusters=best, n_init=3, random_state=seed).fit_predict(coords)
    return labels.astype(np.int32), {"method": "kmeans", "k": best,
                                     "silhouette": scores[best]}


def dbscan(coords: np.ndarray, min_samples: int = 10) -> tuple[np.ndarray, dict[str, Any]]:
    """DBSCAN with eps from the data: 1.5 x the median distance to the min_samples-th neighbour."""
    from sklearn.cluster import DBSCAN
    from sklearn.neighbors import NearestNeighbors

    min_samples = min(min_samples, len(coords) - 1)
    distances, _ = NearestNeighbors(n_neighbors=min_samples + 1).fit(coords).kneighbors(coords)
    eps = float(1.5 * np.median(distances[:, -1]))
    labels = DBSCAN(eps=max(eps, 1e-6), min_samples=min_samples).fit_predict(coords)
    return labels.astype(np.int32), {"method": "dbscan", "eps": eps, "min_samples": min_samples}


def hdbscan(coords: np.ndarray, min_cluster_size: int | None = None) -> tuple[np.ndarray,
                                                                              dict[str, Any]]:
    """sklearn HDBSCAN; min_cluster_size defaults to max(10, N / 200)."""
    from sklearn.cluster import HDBSCAN

    size = min_cluster_size or max(10, len(coords) // 200)
    labels = HDBSCAN(min_cluster_size=size, copy=True).fit_predict(coords)
    return labels.astype(np.int32), {"method": "hdbscan", "min_cluster_size": size}


def project_store(
    store_path: str | Path,
    modality: str = "image",
    params: UmapParams | None = None,
    *,
    clusters: bool = False,
    force: bool = False,
    reporter: Reporter | None = None,
    cancel: CancelToken | None = None,
) -> ProjectionResult:
    """Compute (or reuse) the UMAP of one modality, optionally cluster it, and store both."""
    params = params or UmapParams()
    report = reporter or null_reporter
    total = 4 if clusters else 3
    report(Progress("umap", 0, total, f"reading {modality} embeddings"))
    with EmbeddingStore(store_path) as store:
        x = umap_input(store, modality)
        existing = store.umap(modality)
        attrs = store.umap_attrs(modality)
        stored_clusters = {name: store.clusters(name) for name in store.cluster_names()}
        cluster_attrs = {n: store.cluster_attrs(n) for n in stored_clusters}
    key = _cache_key(array_sha256(x), params)
    writes: dict[str, tuple[np.ndarray, dict[str, Any]]] = {}
    cached = existing is not None and attrs.get("cache_key") == key and not force
    if cached:
        coords = existing
    else:
        _check(cancel)
        backend = umap_backend(params.seed)
        report(Progress("umap", 1, total, f"UMAP of {len(x)} x {x.shape[1]} ({backend.note})"))
        coords = fit_umap(x, params, backend)
        writes[f"umap/{modality}"] = (coords, {
            **{k: ("none" if v is None else v) for k, v in asdict(params).items()},
            "content_sha256": array_sha256(x), "cache_key": key, "modality": modality,
            "n_input_dims": x.shape[1]})
    result = ProjectionResult(modality, coords, cached)
    if clusters:
        _check(cancel)
        report(Progress("umap", 2, total, "clustering"))
        for method, fn in (("kmeans", kmeans_silhouette), ("dbscan", dbscan),
                           ("hdbscan", hdbscan)):
            _check(cancel)
            name = f"{method}_{modality}"
            if name in stored_clusters and cluster_attrs[name].get("cache_key") == key \
                    and f"umap/{modality}" not in writes:
                labels, info = stored_clusters[name], cluster_attrs[name]
            else:
                labels, info = fn(coords)
                writes[f"clusters/{name}"] = (labels, {**info, "cache_key": key,
                                                       "map": f"umap/{modality}"})
            result.clusters[name], result.cluster_info[name] = labels, _plain(info)
    _check(cancel)
    if writes:
        report(Progress("umap", total - 1, total, "writing"))
        update_store(store_path, writes)
    report(Progress("umap", total, total))
    return result


def _cache_key(content_sha256: str, params: UmapParams) -> str:
    text = f"{content_sha256}|{params.n_neighbors}|{params.min_dist}|{params.seed}"
    return hashlib.sha256(text.encode()).hexdigest()


def _plain(info: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.item() if isinstance(v, np.generic) else v) for k, v in info.items()
            if k != "cache_key"}


def _check(cancel: CancelToken | None) -> None:
    if cancel is not None:
        cancel.raise_if_cancelled()
