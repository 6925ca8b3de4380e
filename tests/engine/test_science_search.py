"""Similarity search on synthetic stores whose embeddings are a noisy function of redshift and
the physical properties (so neighbours in embedding space are neighbours in redshift)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from astroclip_engine.cli import main
from astroclip_engine.errors import StoreError
from astroclip_engine.search import SimilaritySearch
from astroclip_engine.store import EmbeddingStore, StoreInfo, check_compatible, write_store


@pytest.fixture(autouse=True, scope="module")
def one_thread() -> Iterator[None]:
    """Science tests run single-threaded: on a shared 2-core machine, BLAS and torch thread
    pools spin against other processes (a 2 s CNN fit took 28 s with 2 threads)."""
    from threadpoolctl import threadpool_limits

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(1):
        yield
    torch.set_num_threads(previous)


def synthetic_catalogue(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Redshift and PROVABGS-like properties with physical correlations and 10 % NaN."""
    rng = np.random.default_rng(seed)
    z = rng.uniform(0.02, 0.6, n)
    log_mstar = 9.5 + 2.0 * rng.random(n) + 1.5 * z
    t_age = 1.0 + 10.0 * rng.random(n)
    out = {
        "redshift": z,
        "log_mstar": log_mstar,
        "log_z_mw": -0.3 + 0.3 * (log_mstar - 10.5) + 0.05 * rng.normal(size=n),
        "t_age": t_age,
        "log_ssfr": -9.0 - 0.15 * t_age + 0.1 * rng.normal(size=n),
    }
    for name in ("log_mstar", "log_z_mw", "t_age", "log_ssfr"):
        out[name][rng.random(n) < 0.1] = np.nan
    return out


def synthetic_embeddings(cat: dict[str, np.ndarray], dim: int, seed: int = 0,
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Image and spectrum embeddings in one space: the same nonlinear map of the latents plus
    modality noise (spectra are the cleaner modality, as in the paper)."""
    rng = np.random.default_rng(seed + 1)
    latents = np.column_stack([np.nan_to_num((v - np.nanmean(v)) / np.nanstd(v))
                               for v in cat.values()])
    features = np.column_stack([latents, np.sin(2 * latents), latents[:, :1] ** 2])
    w = rng.normal(size=(features.shape[1], dim))
    base = features @ w
    image = base + 0.4 * rng.normal(size=base.shape) * base.std()
    spectrum = base + 0.1 * rng.normal(size=base.shape) * base.std()
    return image.astype(np.float32), spectrum.astype(np.float32)


def make_store(path: Path, n: int = 400, dim: int = 16, seed: int = 0, n_invalid: int = 4,
               checkpoint_sha: str = "abc", dataset_path: str = "",
               extra: dict[str, np.ndarray] | None = None) -> Path:
    cat = synthetic_catalogue(n, seed)
    image, spectrum = synthetic_embeddings(cat, dim, seed)
    valid = np.ones(n, bool)
    valid[:n_invalid] = False
    split = (np.arange(n) >= int(0.8 * n)).astype(np.int8)
    props = {k: v for k, v in cat.items() if k != "redshift"} | (extra or {})
    write_store(path, image=image, spectrum=spectrum, targetid=np.arange(n) + 1000,
                row=np.arange(n), split=split, redshift=cat["redshift"], properties=props,
                valid=valid, info=StoreInfo(dim, "model.ckpt", checkpoint_sha, dataset_path))
    return path


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_store(tmp_path_factory.mktemp("search") / "emb.h5")


DIRECTIONS = [("image", "image"), ("spectrum", "spectrum"), ("image", "spectrum"),
              ("spectrum", "image")]


@pytest.mark.parametrize(("query", "key"), DIRECTIONS)
def test_neighbours_share_redshift(store_path: Path, query: str, key: str) -> None:
    with EmbeddingStore(store_path) as store:
        search = SimilaritySearch(store)
        rng = np.random.default_rng(1)
        dz_near, dz_far = [], []
        for tid in rng.choice(store.targetids[10:], size=20, replace=False):
            z0 = store.redshift[store.index_of(tid)]
            near = search.search(query, key, targetid=int(tid), k=8)
            far = search.search(query, key, targetid=int(tid), k=8, largest=False)
            assert np.all(np.diff(near.similarities) <= 1e-6)  # best first
            assert np.all(np.diff(far.similarities) >= -1e-6)  # worst first
            if query == key:
                assert tid not in near.targetids  # never finds itself
            dz_near.append(np.median(np.abs(near.redshifts - z0)))
            dz_far.append(np.median(np.abs(far.redshifts - z0)))
            assert store.valid[near.rows].all()  # all-zero spectra are not searched
        assert np.median(dz_near) < 0.06
        assert np.median(dz_far) > 3 * np.median(dz_near)


def test_cross_modal_partner_is_found(store_path: Path) -> None:
    with EmbeddingStore(store_path) as store:
        search = SimilaritySearch(store)
        hits = [tid in search.search("spectrum", "image", targetid=int(tid), k=5).targetids
                for tid in store.targetids[10:60]]
        assert np.mean(hits) > 0.5


def test_query_by_vector_matches_targetid(store_path: Path) -> None:
    with EmbeddingStore(store_path) as store:
        search = SimilaritySearch(store)
        tid = int(store.targetids[50])
        vector = store.embeddings("image")[50] * 3.0  # scale must not matter
        by_vector = search.search("image", "image", vector=vector, k=5)
        by_id = search.search("image", "image", targetid=tid, k=4)
        assert by_vector.targetids[0] == tid  # a vector has no "self" to exclude
        np.testing.assert_array_equal(by_vector.targetids[1:], by_id.targetids)


def test_errors(store_path: Path, tmp_path: Path) -> None:
    with EmbeddingStore(store_path) as store:
        search = SimilaritySearch(store)
        with pytest.raises(StoreError, match="TARGETID 7 is not in this store"):
            search.search("image", "image", targetid=7)
        with pytest.raises(StoreError, match="k = 396"):
            search.search("image", "image", targetid=1010, k=len(search.key_rows))
        with pytest.raises(StoreError, match="another model"):
            search.search("image", "image", vector=np.ones(8), k=3)
        with pytest.raises(StoreError, match="unknown modality"):
            search.search("photo", "image", targetid=1010)  # type: ignore[arg-type]
    other = make_store(tmp_path / "other.h5", dim=8, checkpoint_sha="zzz")
    with EmbeddingStore(store_path) as a, EmbeddingStore(other) as b, \
            pytest.raises(StoreError, match="embedding size 8"):
        check_compatible([a, b])
    not_store = tmp_path / "x.h5"
    not_store.write_bytes(b"hello")
    with pytest.raises(StoreError, match="not a readable HDF5"):
        EmbeddingStore(not_store)


def test_ann_index_built_saved_and_reused(tmp_path: Path) -> None:
    path = make_store(tmp_path / "big.h5", n=1500, dim=16)
    with EmbeddingStore(path) as store:
        search = SimilaritySearch(store, ann_threshold=1000)
        assert search.uses_ann()
        result = search.search("image", "image", targetid=1100, k=10)
        assert result.approximate and 1100 not in result.targetids
        recall = search.recall["image"]
        assert recall > 0.8
        assert search.index_path("image").exists()
        exact = SimilaritySearch(store).search("image", "image", targetid=1100, k=10)
        assert len(set(exact.targetids) & set(result.targetids)) >= 7
        assert not SimilaritySearch(store).search("image", "image", targetid=1100,
                                                  k=3, largest=True).approximate
    with EmbeddingStore(path) as store:  # second open: the saved index is loaded, not rebuilt
        again = SimilaritySearch(store, ann_threshold=1000)
        mtime = again.index_path("image").stat().st_mtime_ns
        again.search("image", "image", targetid=1100, k=10)
        assert again.index_path("image").stat().st_mtime_ns == mtime
        assert again.recall["image"] == recall


def test_search_is_exact_until_a_background_index_is_built(tmp_path: Path) -> None:
    """The explorer's mode: a click never waits minutes for an index build."""
    path = make_store(tmp_path / "big.h5", n=1500, dim=16)
    with EmbeddingStore(path) as store:
        search = SimilaritySearch(store, ann_threshold=1000, build_on_demand=False)
        first = search.search("image", "image", targetid=1100, k=10)
        assert not first.approximate and not search.index_ready("image")
        assert not search.index_path("image").exists()
        search.build_index("image")
        assert search.index_ready("image")
        assert search.search("image", "image", targetid=1100, k=10).approximate


def test_cli_search(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", str(store_path), "--targetid", "1200", "--k", "5", "--query",
                 "spectrum", "--key", "image", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["neighbours"]) == 5
    assert {"targetid", "similarity", "redshift"} <= set(out["neighbours"][0])
    assert main(["search", str(store_path), "--targetid", "1200", "--k", "3"]) == 0
    assert "similarity" in capsys.readouterr().out
    assert main(["search", str(store_path), "--targetid", "5", "--k", "3"]) == 2
    assert "TARGETID 5 is not in this store" in capsys.readouterr().err


def test_ann_query_breadth_is_doubled_until_the_target_recall(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    from astroclip_engine import search as search_module

    recalls = iter([0.5, 0.8, 0.96])
    seen: list[int] = []

    def fake_recall(index, keys, sample=200, seed=0, k=10):
        seen.append(index.ef)
        return next(recalls)

    monkeypatch.setattr(search_module, "measure_recall", fake_recall)
    path = make_store(tmp_path / "big.h5", n=1200, dim=8)
    with EmbeddingStore(path) as store:
        search = SimilaritySearch(store, ann_threshold=1000, ann_ef=32)
        assert search.build_index("image") == 0.96
        assert seen == [32, 64, 128] and search.ef["image"] == 128
    with EmbeddingStore(path) as store:  # the calibrated ef is saved with the index
        again = SimilaritySearch(store, ann_threshold=1000)
        again.build_index("image")
        assert again.ef["image"] == 128 and again.recall["image"] == 0.96
