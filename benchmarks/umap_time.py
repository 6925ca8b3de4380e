"""UMAP wall time of `projection.fit_umap` (what `astroclip umap` runs): unseeded (the default,
every core) against seeded (`--seed`, bit-reproducible, single-threaded: the previous default),
with umap-learn's own unseeded `UMAP()` as the reference, D = 128.

Every path is compiled first (numba compiles once per process and per code path: a 5,000-point
fit each, above 4,096 points umap-learn switches to pynndescent, which compiles too); then the
variants alternate, and each figure is the median of the repeats. Sizes: 50,000 (2 repeats)
and 200,000 (1 repeat, without the reference: it is the same umap-learn call); quick: 10,000.
`init='pca'` above 50,000 points, for every variant alike.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import numpy as np

from astroclip_engine.projection import PCA_INIT_ABOVE, UmapParams, fit_umap
from benchmarks.knn_search import clustered_embeddings

SEED = 42


def _umap_learn(x: np.ndarray) -> np.ndarray:
    import umap

    init = "pca" if len(x) > PCA_INIT_ABOVE else "spectral"
    return umap.UMAP(n_neighbors=15, min_dist=0.1, init=init).fit_transform(x)


VARIANTS = {
    "umap-learn UMAP(), unseeded (reference)": _umap_learn,
    "fit_umap default (unseeded, all cores)": lambda x: fit_umap(x, UmapParams()),
    "fit_umap --seed 42 (reproducible; previous default)":
        lambda x: fit_umap(x, UmapParams(seed=SEED)),
}
REFERENCE = next(iter(VARIANTS))


def _timed(fn, x: np.ndarray) -> float:
    start = time.perf_counter()
    fn(x)
    return time.perf_counter() - start


def run(quick: bool = False, sizes: tuple[int, ...] = (), repeats: int = 2
        ) -> list[dict[str, Any]]:
    """`sizes`: run these sizes instead (every variant, `repeats` alternating repeats)."""
    rows: list[dict[str, Any]] = []
    warm = clustered_embeddings(5000, 128)
    for name, fn in VARIANTS.items():
        rows.append({"N": 5000, "variant": name, "wall_s": _timed(fn, warm),
                     "note": "compile run (numba, once per process and path)"})
    plan = ((10_000, 2, VARIANTS),) if quick else \
        ((50_000, 2, VARIANTS), (200_000, 1, dict(list(VARIANTS.items())[1:])))
    if sizes:
        plan = tuple((n, repeats, VARIANTS) for n in sizes)
    for n, repeats, variants in plan:
        x = clustered_embeddings(n, 128, seed=n)
        times: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(repeats):  # alternate the variants: load changes hit all alike
            for name, fn in variants.items():
                times[name].append(_timed(fn, x))
        medians = {name: statistics.median(t) for name, t in times.items()}
        ref = medians.get(REFERENCE, medians[next(iter(variants))])
        ref_name = REFERENCE if REFERENCE in medians else next(iter(variants))
        for name, wall in medians.items():
            rows.append({"N": n, "variant": name, "wall_s": wall, "vs_" + _short(ref_name):
                         wall / ref, "repeats": repeats,
                         "all_s": " / ".join(f"{t:.1f}" for t in times[name])})
    return rows


def _short(name: str) -> str:
    return "reference" if name == REFERENCE else "unseeded"


if __name__ == "__main__":
    import argparse

    from benchmarks.table import print_table

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sizes", type=int, nargs="*", default=[],
                        help="point counts to time instead of the defaults")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    print_table(run(args.quick, tuple(args.sizes), args.repeats))
