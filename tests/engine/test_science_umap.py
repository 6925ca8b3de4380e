"""UMAP maps and clusterings written into a store, and their cache."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from astroclip_engine import projection
from astroclip_engine.cli import main
from astroclip_engine.errors import JobCancelled, StoreError
from astroclip_engine.jobs import CancelToken
from astroclip_engine.projection import UmapParams, project_store
from astroclip_engine.store import EmbeddingStore
from tests.engine.test_science_search import make_store, one_thread  # noqa: F401


def blobs(n_per: int = 150, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = np.array([[0, 0], [8, 0], [0, 8]])
    return np.concatenate([c + rng.normal(size=(n_per, 2)) for c in centres]).astype(np.float32)


def test_clusterers_find_separated_blobs() -> None:
    coords = blobs()
    truth = np.repeat(np.arange(3), 150)
    labels, info = projection.kmeans_silhouette(coords, sample=300)
    assert info["k"] == 3
    for method in (projection.dbscan, projection.hdbscan):
        labels, _ = method(coords)
        assert labels.dtype == np.int32
        assert len(set(labels.tolist()) - {-1}) == 3
        for c in range(3):  # each true blob is (mostly) one cluster
            values, counts = np.unique(labels[truth == c], return_counts=True)
            assert counts.max() > 0.9 * 150 and values[counts.argmax()] != -1


@pytest.mark.slow  # about 30 s of numba compilation in a fresh process
def test_umap_written_cached_and_clustered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    path = make_store(tmp_path / "emb.h5", n=300, dim=8)
    params = UmapParams(n_neighbors=10, min_dist=0.1, seed=3)
    result = project_store(path, "image", params, clusters=True)
    assert not result.cached and result.coords.shape == (300, 2)
    with EmbeddingStore(path) as store:
        coords = store.umap("image")
        attrs = store.umap_attrs("image")
        assert coords.shape == (300, 2) and coords.dtype == np.float32
        assert attrs["n_neighbors"] == 10 and attrs["seed"] == 3
        assert attrs["content_sha256"] == projection.array_sha256(
            projection.umap_input(store, "image"))
        assert set(store.cluster_names()) == {"kmeans_image", "dbscan_image", "hdbscan_image"}
        for name in store.cluster_names():
            labels = store.clusters(name)
            assert labels.shape == (300,) and labels.dtype == np.int32
        assert 2 <= store.cluster_attrs("kmeans_image")["k"] <= 10
        # the map keeps redshift structure: UMAP neighbours share redshift
        z = store.redshift
        near = np.argsort(((coords[:, None] - coords[None]) ** 2).sum(-1), axis=1)[:, 1:6]
        assert np.median(np.abs(z[near] - z[:, None])) < 0.5 * np.median(
            np.abs(z[:, None] - z[None]))

    def no_umap(*args: object, **kwargs: object) -> np.ndarray:
        raise AssertionError("UMAP recomputed although cached")

    monkeypatch.setattr(projection, "fit_umap", no_umap)
    mtime = path.stat().st_mtime_ns
    again = project_store(path, "image", params, clusters=True)
    assert again.cached and path.stat().st_mtime_ns == mtime  # nothing rewritten
    np.testing.assert_array_equal(again.coords, coords)
    with pytest.raises(AssertionError, match="recomputed"):
        project_store(path, "image", UmapParams(n_neighbors=12, seed=3))  # new params
    monkeypatch.undo()
    capsys.readouterr()
    assert main(["umap", str(path), "--n-neighbors", "10", "--seed", "3", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["cached"] is True


def test_joint_input_cancel_and_errors(tmp_path: Path) -> None:
    path = make_store(tmp_path / "emb.h5", n=40, dim=8)
    with EmbeddingStore(path) as store:
        joint = projection.umap_input(store, "joint")
        assert joint.shape == (40, 16)
        np.testing.assert_allclose(np.linalg.norm(joint[:, :8], axis=1), 1, atol=1e-5)
        with pytest.raises(StoreError, match="unknown map modality"):
            projection.umap_input(store, "photo")
    token = CancelToken()
    token.cancel()
    with pytest.raises(JobCancelled):
        project_store(path, "joint", cancel=token)
    with pytest.raises(StoreError, match="needs more than 50 galaxies"):
        project_store(path, "image", UmapParams(n_neighbors=50))
    with EmbeddingStore(path) as store:
        assert store.umap("joint") is None  # nothing half-written


def test_unseeded_by_default_seeded_is_reproducible(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default map uses every core (no random_state); --seed gives bit-identical maps on
    one thread; cuML is only an optional extra."""
    import umap

    seen: list[dict[str, object]] = []
    real = umap.UMAP

    def spy(**kwargs: object) -> object:
        seen.append(kwargs)
        return real(**kwargs)

    x = blobs(n_per=60)
    monkeypatch.setattr(umap, "UMAP", spy)
    monkeypatch.setenv("ASTROCLIP_UMAP_BACKEND", "cpu")
    assert projection.cuml_umap_class() is None
    projection.fit_umap(x, UmapParams(n_neighbors=10))
    assert seen[-1]["random_state"] is None and seen[-1]["n_jobs"] == -1
    first = projection.fit_umap(x, UmapParams(n_neighbors=10, seed=7))
    assert seen[-1]["random_state"] == 7 and seen[-1]["n_jobs"] == 1
    np.testing.assert_array_equal(first, projection.fit_umap(x, UmapParams(n_neighbors=10,
                                                                           seed=7)))
