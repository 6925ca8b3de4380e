"""`knn.cosine_knn` against a full sort: one query (matrix-vector path) and blocks, most and
least similar, with exclusion and ties."""

from __future__ import annotations

import numpy as np
import pytest

from astroclip_engine.knn import cosine_knn, l2_normalize


def _reference(queries, keys, k, exclude, largest):
    sims = queries @ keys.T
    sims[np.arange(len(queries)), exclude] = -np.inf if largest else np.inf
    order = np.argsort(-sims if largest else sims, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(sims, order, axis=1)


@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("n_queries", [1, 7])
def test_matches_full_sort(largest: bool, n_queries: int) -> None:
    rng = np.random.default_rng(0)
    keys = l2_normalize(rng.normal(size=(500, 16))).astype(np.float32)
    keys[100:110] = keys[3]  # ties: equal similarities come back in index order
    queries = keys[[3, 5, 8, 13, 21, 34, 55][:n_queries]]
    exclude = np.array([3, 5, 8, 13, 21, 34, 55][:n_queries])
    idx, sim = cosine_knn(queries, keys, 12, exclude=exclude, largest=largest, block=3)
    ref_idx, ref_sim = _reference(queries, keys, 12, exclude, largest)
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_allclose(sim, ref_sim, rtol=1e-6)
    assert all(e not in row for e, row in zip(exclude, idx, strict=True))
