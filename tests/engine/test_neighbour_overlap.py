"""Per-galaxy neighbour overlap of two models, matched by TARGETID."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from astroclip_engine.errors import StoreError
from astroclip_engine.knn import cosine_knn, l2_normalize
from astroclip_engine.neighbour_overlap import (
    match_stores,
    match_targetids,
    neighbour_overlap,
    shared_fraction,
)
from astroclip_engine.store import EmbeddingStore
from tests.synthetic import build_synthetic_project


def test_match_targetids_keeps_order_of_a_and_first_occurrences():
    matched = match_targetids(np.array([10, 11, 12, 13, 11]), np.array([13, 99, 10, 10]))
    assert matched.a.tolist() == [0, 3]
    assert matched.b.tolist() == [2, 0]
    assert len(match_targetids(np.array([1, 2]), np.array([3]))) == 0


def test_shared_fraction():
    a = np.array([[1, 2, 3, 4], [5, 6, 7, 8]])
    b = np.array([[4, 3, 9, 9], [5, 6, 7, 8]])
    assert shared_fraction(a, b).tolist() == [0.5, 1.0]


def test_overlap_of_a_model_with_itself_and_with_noise():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(300, 8)).astype(np.float32)
    assert np.all(neighbour_overlap(a, a * 3.0, k=16, block=64) == 1.0)  # scale-free
    noise = rng.normal(size=(300, 8)).astype(np.float32)
    unrelated = neighbour_overlap(a, noise, k=16, block=64)
    assert unrelated.mean() < 0.2  # chance is 16 / 299
    # a rotation keeps cosine neighbours; a little jitter keeps most of them
    q, _ = np.linalg.qr(rng.normal(size=(8, 8)))
    assert np.allclose(neighbour_overlap(a, a @ q, k=16, block=64), 1.0)
    jitter = neighbour_overlap(a, a + rng.normal(0, 0.1, a.shape), k=16, block=100)
    assert 0.5 < jitter.mean() < 1.0


def test_overlap_matches_a_direct_computation_across_blocks():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(130, 5)), rng.normal(size=(130, 7))
    rows = np.arange(130)
    ia, _ = cosine_knn(l2_normalize(a), l2_normalize(a), 16, exclude=rows)
    ib, _ = cosine_knn(l2_normalize(b), l2_normalize(b), 16, exclude=rows)
    expected = [len(set(x) & set(y)) / 16 for x, y in zip(ia, ib, strict=True)]
    assert np.allclose(neighbour_overlap(a, b, k=16, block=50), expected)


def test_overlap_needs_matched_rows():
    with pytest.raises(ValueError, match="match the stores"):
        neighbour_overlap(np.zeros((3, 2)), np.zeros((4, 2)))


def test_stores_without_common_galaxies_are_refused(tmp_path):
    a = build_synthetic_project(tmp_path / "a", n=40, image_size=16, dim=8, seed=0)
    b = build_synthetic_project(tmp_path / "b", n=40, image_size=16, dim=8, seed=1)
    with h5py.File(b.parent / "embeddings.h5", "r+") as f:  # other galaxies
        f["targetid"][...] = f["targetid"][...] + 10**12
    with EmbeddingStore(a.parent / "embeddings.h5") as sa, \
            EmbeddingStore(b.parent / "embeddings.h5") as sb:
        same = match_stores(sa, sa)
        assert np.array_equal(same.a, np.arange(40)) and np.array_equal(same.b, np.arange(40))
        with pytest.raises(StoreError, match="no galaxies in common"):
            match_stores(sa, sb)


def test_cosine_knn_keeps_to_allowed_keys():
    rng = np.random.default_rng(2)
    keys = l2_normalize(rng.normal(size=(200, 6)).astype(np.float32))
    allowed = rng.random(200) < 0.3
    allowed[:5] = False  # the queries themselves
    idx, sims = cosine_knn(keys[:5], keys, 8, exclude=np.arange(5), allowed=allowed)
    assert allowed[idx].all()
    subset = np.flatnonzero(allowed & (np.arange(200) >= 5))
    _, sub_sims = cosine_knn(keys[:5], keys[subset], 8)
    assert np.allclose(sims, sub_sims)
    with pytest.raises(ValueError, match="only"):
        cosine_knn(keys[:1], keys, int(allowed.sum()) + 1, allowed=allowed)
