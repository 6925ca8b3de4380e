"""k-NN search at N = 200,000: our exact search vs the memory-bandwidth floor, scikit-learn and
hnswlib; and the hnswlib index `SimilaritySearch` uses at 1,000,000 galaxies.

Rows per embedding size D (128, 512): the floor (one pass over the N x D float32 keys: a
matrix-vector product), `knn.cosine_knn` (what `SimilaritySearch` runs) for one query and for a
batch of 256 (throughput), `SimilaritySearch.search` by TARGETID (end-to-end), scikit-learn's
brute-force cosine NearestNeighbors, and hnswlib (build time, latency, recall@16 against exact).
The floor, cosine_knn and search latencies are medians of single calls taken in alternation
(a load change hits all three alike), so their ratios to the floor hold on a busy machine.
At 1,000,000 x 128 (above `search.ANN_THRESHOLD`): `SimilaritySearch.search` answering from its
hnswlib index (build including the ef calibration, median latency, recall@16 against exact
search on 200 galaxies drawn apart from the calibration sample) at ef = 128 and at the calibrated
ef.
`quick=True` uses N = 20,000 (100,000 for the index) and fewer repetitions.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import numpy as np

from astroclip_engine.knn import cosine_knn, l2_normalize
from astroclip_engine.search import ANN_THRESHOLD, SimilaritySearch, measure_recall
from astroclip_engine.store import EmbeddingStore, StoreInfo, write_store

K = 16


def _ms(fn: Callable[[], object], reps: int) -> float:
    fn()
    start = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - start) / reps * 1e3


def _alternating_ms(fns: dict[str, Callable[[], object]], reps: int) -> dict[str, float]:
    """Median milliseconds per call of each function, the functions called in turn."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for rep in range(reps + 1):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            if rep:  # the first round warms caches
                times[name].append((time.perf_counter() - start) * 1e3)
    return {name: statistics.median(t) for name, t in times.items()}


def clustered_embeddings(n: int, dim: int, seed: int = 0) -> np.ndarray:
    """Unit vectors from a mixture of 64 clusters (embeddings are not uniform noise)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(64, dim)).astype(np.float32)
    x = centres[rng.integers(0, 64, n)] + 0.7 * rng.normal(size=(n, dim)).astype(np.float32)
    return l2_normalize(x).astype(np.float32)


def _rows_for(n: int, dim: int, reps: int, folder: Path,
              ann_reference: bool = True) -> list[dict[str, Any]]:
    keys = clustered_embeddings(n, dim)
    q = keys[12345 % n]
    batch = keys[:256]
    rows: list[dict[str, Any]] = []

    def row(method: str, latency_ms: float | str, **extra: Any) -> None:
        rows.append({"N": n, "D": dim, "method": method, "latency_ms": latency_ms, **extra})

    path = folder / f"emb_{dim}.h5"
    _write(path, keys)
    with EmbeddingStore(path) as store:
        search = SimilaritySearch(store)
        search.keys("image")
        ms = _alternating_ms({
            "floor": lambda: keys @ q,
            "exact": lambda: cosine_knn(q[None], keys, K),
            "search": lambda: search.search("image", "image", targetid=777, k=K)}, reps)
    floor = ms["floor"]
    row("floor: one pass (keys @ q)", floor, vs_floor=1.0)
    row("exact cosine_knn, 1 query", ms["exact"], vs_floor=ms["exact"] / floor)
    batch_ms = _ms(lambda: cosine_knn(batch, keys, K, block=256), max(1, reps // 10))
    row("exact cosine_knn, batch 256", batch_ms / 256, vs_floor=batch_ms / 256 / floor,
        queries_per_s=256 / batch_ms * 1e3)
    row("SimilaritySearch.search (exact)", ms["search"], vs_floor=ms["search"] / floor)
    from sklearn.neighbors import NearestNeighbors

    nn = NearestNeighbors(n_neighbors=K, metric="cosine", algorithm="brute").fit(keys)
    sk = _ms(lambda: nn.kneighbors(q[None]), max(2, reps // 5))
    row("sklearn NearestNeighbors brute cosine", sk, vs_floor=sk / floor)
    if not ann_reference:
        return rows
    import hnswlib

    start = time.perf_counter()
    index = hnswlib.Index(space="ip", dim=dim)
    index.init_index(max_elements=n, ef_construction=100, M=16, random_seed=0)
    index.add_items(keys, np.arange(n))
    build_s = time.perf_counter() - start
    for ef in (64, 128):
        index.set_ef(ef)
        ann = _ms(lambda: index.knn_query(q[None], k=K), reps)
        row(f"hnswlib M=16 ef={ef}", ann, vs_floor=ann / floor, build_s=build_s,
            recall_at_16=measure_recall(index, keys, sample=200, k=K))
    return rows


def _write(path: Path, keys: np.ndarray) -> None:
    n = len(keys)
    write_store(path, image=keys, spectrum=keys, targetid=np.arange(n), row=np.arange(n),
                split=np.zeros(n, np.int8), redshift=np.zeros(n, np.float32),
                info=StoreInfo(keys.shape[1], "bench", "bench", ""))


def _index_rows(n: int, dim: int, reps: int, folder: Path) -> list[dict[str, Any]]:
    """`SimilaritySearch` past its ANN threshold: index build (with the ef calibration to
    recall@16 >= 0.95), latency and recall@16 at ef = 128 and at the calibrated ef."""
    keys = clustered_embeddings(n, dim, seed=1)
    path = folder / f"emb_{n}_{dim}.h5"
    _write(path, keys)
    rows: list[dict[str, Any]] = []
    with EmbeddingStore(path) as store:
        search = SimilaritySearch(store, ann_threshold=min(ANN_THRESHOLD, n - 1))
        start = time.perf_counter()
        search.build_index("image")
        build_s = time.perf_counter() - start
        picks = np.random.default_rng(2).choice(n, size=200, replace=False)
        exact, _ = cosine_knn(keys[picks], keys, K, exclude=picks)
        q = keys[12345]
        calibrated = search.ef["image"]
        for ef in sorted({128, calibrated}):
            search.ef["image"] = ef
            hits = [len(set(search.search("image", "image", targetid=int(r), k=K).rows.tolist())
                        & set(truth.tolist())) / K for r, truth in zip(picks, exact, strict=True)]
            ms = _alternating_ms({"floor": lambda: keys @ q, "ann": lambda: search.search(
                "image", "image", targetid=12345, k=K)}, reps)
            if not rows:
                rows.append({"N": n, "D": dim, "method": "floor: one pass (keys @ q)",
                             "latency_ms": ms["floor"], "vs_floor": 1.0})
            label = "calibrated" if ef == calibrated else "fixed"
            rows.append({"N": n, "D": dim, "latency_ms": ms["ann"],
                         "method": f"SimilaritySearch.search (hnswlib, {label} ef={ef})",
                         "vs_floor": ms["ann"] / ms["floor"], "build_s": build_s,
                         "recall_at_16": float(np.mean(hits))})
    return rows


def run(quick: bool = False, n: int | None = None, index_n: int | None = None,
        ann_reference: bool = True) -> list[dict[str, Any]]:
    """`n` / `index_n` override the sizes (index_n = 0 skips the index rows);
    `ann_reference=False` skips the plain hnswlib rows at `n` (minutes of index builds)."""
    reps = 10 if quick else 50
    n = n or (20_000 if quick else 200_000)
    index_n = (100_000 if quick else 1_000_000) if index_n is None else index_n
    rows: list[dict[str, Any]] = []
    with TemporaryDirectory() as tmp:
        for dim in (128, 512):
            rows += _rows_for(n, dim, reps, Path(tmp), ann_reference)
        if index_n:
            rows += _index_rows(index_n, 128, reps, Path(tmp))
    return rows


if __name__ == "__main__":
    import argparse

    from benchmarks.table import print_table

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--n", type=int, help="galaxies of the exact-search rows")
    parser.add_argument("--index-n", type=int, help="galaxies of the index rows (0: none)")
    parser.add_argument("--no-ann-reference", action="store_true",
                        help="skip the plain hnswlib rows at --n (their builds take minutes)")
    args = parser.parse_args()
    print_table(run(args.quick, args.n, args.index_n, not args.no_ann_reference))
