"""UMAP wall time of `projection.fit_umap` (what `astroclip umap` runs) at 50k and 200k
galaxies, D = 128 (quick: 10k and 20k).

The first row is the one-off numba compilation every new process pays (a 5,000-point fit: above
4,096 points umap-learn switches to pynndescent, which compiles too).
Seeded runs (the default, reproducible) are single-threaded; `init='pca'` is used above 50,000.
"""

from __future__ import annotations

import time
from typing import Any

from astroclip_engine.projection import PCA_INIT_ABOVE, UmapParams, fit_umap
from benchmarks.knn_search import clustered_embeddings


def run(quick: bool = False) -> list[dict[str, Any]]:
    sizes = (10_000, 20_000) if quick else (50_000, 200_000)
    params = UmapParams()
    rows: list[dict[str, Any]] = []
    start = time.perf_counter()
    fit_umap(clustered_embeddings(5000, 128), params)
    rows.append({"N": 5000, "D": 128, "init": "spectral", "wall_s": time.perf_counter() - start,
                 "note": "includes numba compilation (once per process)"})
    for n in sizes:
        x = clustered_embeddings(n, 128, seed=n)
        start = time.perf_counter()
        fit_umap(x, params)
        rows.append({"N": n, "D": 128, "init": "pca" if n > PCA_INIT_ABOVE else "spectral",
                     "wall_s": time.perf_counter() - start, "note": "seed 42, compiled"})
    return rows


if __name__ == "__main__":
    import argparse

    from benchmarks.table import print_table

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    print_table(run(quick=parser.parse_args().quick))
