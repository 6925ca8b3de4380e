"""`astroclip embed` end to end on the tiny mock survey with a tiny randomly initialised model:
store layout, resume after a cancellation, refusal to resume someone else's partial file, the
`valid` flag, and single-object search from a real DESI coadd."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest

from astroclip_engine.cli import main
from astroclip_engine.config import load_preset
from astroclip_engine.constants import N_SPECTRUM_BINS
from astroclip_engine.data.release import ReleaseDataset
from astroclip_engine.data.release_writer import ReleaseWriter
from astroclip_engine.embed import embed_dataset, partial_path
from astroclip_engine.errors import JobCancelled, StoreError
from astroclip_engine.jobs import CancelToken, Progress
from astroclip_engine.store import EmbeddingStore
from tests.engine.test_science_search import one_thread  # noqa: F401 (autouse fixture)

DIM = 8


def save_tiny_model(path: Path, seed: int = 0) -> Path:
    import torch

    from astroclip_engine.models.checkpoints import save_astroclip
    from astroclip_engine.models.factory import build_model

    config = load_preset("demo-cpu").replace(model={"embedding_dim": DIM})
    torch.manual_seed(seed)
    return save_astroclip(path, build_model(config.model), config)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_model(tmp_path_factory.mktemp("ckpt") / "tiny.ckpt")


class CancelAfter:
    """A reporter that cancels the job once `rows` rows are embedded."""

    def __init__(self, rows: int) -> None:
        self.token, self.rows, self.events = CancelToken(), rows, []

    def __call__(self, progress: Progress) -> None:
        self.events.append(progress)
        if progress.current >= self.rows:
            self.token.cancel()


def test_embed_resume_after_cancel(mock_survey: Path, checkpoint: Path, tmp_path: Path) -> None:
    out = tmp_path / "emb.h5"
    stop = CancelAfter(32)
    with pytest.raises(JobCancelled):
        embed_dataset(checkpoint, mock_survey, out, batch_size=16, device="cpu",
                      reporter=stop, cancel=stop.token)
    assert not out.exists()
    with h5py.File(partial_path(out), "r") as f:
        assert f.attrs["rows_done"] == 32 and f.attrs["n_rows"] == 64
        first_rows = f["image"][:32]
    resumed = CancelAfter(10**9)
    embed_dataset(checkpoint, mock_survey, out, batch_size=16, device="cpu", reporter=resumed)
    assert resumed.events[0].current == 32  # resumed, not restarted
    assert not partial_path(out).exists()
    fresh = tmp_path / "fresh.h5"
    embed_dataset(checkpoint, mock_survey, fresh, batch_size=64, device="cpu")
    with EmbeddingStore(out) as store, EmbeddingStore(fresh) as ref, \
            ReleaseDataset(mock_survey) as ds:
        assert len(store) == 64 and store.info.embedding_dim == DIM
        np.testing.assert_allclose(store.embeddings("image")[:32], first_rows)
        for modality in ("image", "spectrum"):
            np.testing.assert_allclose(store.embeddings(modality), ref.embeddings(modality),
                                       atol=1e-5)  # resuming changes nothing
            np.testing.assert_allclose(np.linalg.norm(store.embeddings(modality), axis=1), 1,
                                       atol=1e-5)
        np.testing.assert_array_equal(store.targetids, ds.targetids)
        np.testing.assert_array_equal(store.split == 1, np.isin(np.arange(64),
                                                                ds.split_indices("test")))
        assert {"log_mstar", "log_ssfr"} <= set(store.property_names())  # sidecar joined
        assert store.info.dataset_path == str(mock_survey.resolve())


def test_refuses_foreign_partial(mock_survey: Path, checkpoint: Path, tmp_path: Path) -> None:
    out = tmp_path / "emb.h5"
    stop = CancelAfter(16)
    with pytest.raises(JobCancelled):
        embed_dataset(checkpoint, mock_survey, out, batch_size=16, device="cpu",
                      reporter=stop, cancel=stop.token)
    other = save_tiny_model(tmp_path / "other.ckpt", seed=1)
    with pytest.raises(StoreError, match=r"refusing to resume .* checkpoint_sha256"):
        embed_dataset(other, mock_survey, out, batch_size=16, device="cpu")
    embed_dataset(other, mock_survey, out, batch_size=32, device="cpu", restart=True)
    assert out.exists() and not partial_path(out).exists()


def test_zero_spectra_flagged_and_cli(checkpoint: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(0)
    n = 20
    spectra = rng.normal(1, 0.1, size=(n, N_SPECTRUM_BINS)).astype(np.float32)
    spectra[[2, 7]] = 0.0
    data = tmp_path / "tiny.h5"
    with ReleaseWriter(data, image_size=64) as writer:
        writer.append("0", rng.normal(size=(n, 3, 64, 64)).astype(np.float32), spectra,
                      rng.uniform(0, 0.5, n), np.arange(n) + 5)
    out = tmp_path / "emb.h5"
    assert main(["embed", "--checkpoint", str(checkpoint), "--data", str(data), "--out",
                 str(out), "--batch-size", "8", "--device", "cpu"]) == 0
    with EmbeddingStore(out) as store:
        np.testing.assert_array_equal(np.flatnonzero(~store.valid), [2, 7])
        assert np.isfinite(store.embeddings("spectrum")).all()  # embedded all the same
    capsys.readouterr()
    assert main(["search", str(out), "--targetid", "10", "--k", "17", "--json"]) == 0
    found = {n["targetid"] for n in json.loads(capsys.readouterr().out)["neighbours"]}
    assert not found & {7, 12}  # invalid rows are not searched, nor the query itself
    assert main(["search", str(out), "--targetid", "10", "--k", "18"]) == 2
    assert "k = 18" in capsys.readouterr().err


def test_search_real_desi_coadd(realdata: Path, checkpoint: Path, mock_survey: Path,
                                tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "emb.h5"
    embed_dataset(checkpoint, mock_survey, out, batch_size=64, device="cpu")
    coadd = realdata / "desi_spectra" / "coadd-4-80613-thru20210324.fits"
    redrock = realdata / "desi_spectra" / "redrock-4-80613-thru20210324.fits"
    capsys.readouterr()
    assert main(["search", str(out), "--fits", str(coadd), "--redrock", str(redrock),
                 "--checkpoint", str(checkpoint), "--key", "spectrum", "--k", "5",
                 "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["query"]["targetid"] == 39633345008634465
    assert result["query"]["modality"] == "spectrum"
    assert abs(result["query"]["redshift"] - 0.36874) < 1e-3
    assert len(result["neighbours"]) == 5
    cutout = realdata / "legacysurvey" / "astroclip_dr9_grz_357.9087_-54.8817.fits"
    assert main(["search", str(out), "--fits", str(cutout), "--checkpoint", str(checkpoint),
                 "--key", "image", "--k", "3", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["query"]["modality"] == "image"
    other_dim = tmp_path / "d16.ckpt"
    import torch

    from astroclip_engine.models.checkpoints import save_astroclip
    from astroclip_engine.models.factory import build_model

    config = load_preset("demo-cpu").replace(model={"embedding_dim": 16})
    torch.manual_seed(0)
    save_astroclip(other_dim, build_model(config.model), config)
    assert main(["search", str(out), "--fits", str(coadd), "--checkpoint",
                 str(other_dim)]) == 2
    assert "makes 16-d embeddings" in capsys.readouterr().err
