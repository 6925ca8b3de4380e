"""Published checkpoints (seeds A and B) open safely: info, strict weights, embed, FITS query."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from astroclip_engine.errors import CheckpointError
from astroclip_engine.models import safe_unpickle
from astroclip_engine.models.checkpoint_info import describe_checkpoint
from astroclip_engine.models.published import load_embedding_model
from tests.published_files import write_seed_a, write_seed_b


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("seeds")
    return {"seed-a": write_seed_a(folder / "astroclip-epoch=24-min.ckpt", dim=16),
            "seed-a-512": write_seed_a(folder / "seed_a_d512.ckpt", dim=512),
            "seed-b": write_seed_b(folder / "epoch=49-hpc-alt-1.ckpt",
                                   widths=(256, 256, 256, 128))}


def _file_state(path: Path) -> dict[str, torch.Tensor]:
    return safe_unpickle.read_pickled_checkpoint(path)["state_dict"]


def test_info_names_family_size_and_parameters_without_reading_weights(
        seeds, capsys, monkeypatch) -> None:
    from astroclip_engine.cli import main

    def no_storage(*_args):
        raise AssertionError("info read a storage")

    monkeypatch.setattr(safe_unpickle, "_read_storage", no_storage)
    expected = {"seed-a": ("seed-a", 16), "seed-a-512": ("seed-a", 512), "seed-b": ("seed-b", 128)}
    for name, path in seeds.items():
        assert main(["info", str(path), "--json"]) == 0
        info = json.loads(capsys.readouterr().out)
        assert (info["family"], info["embedding_dim"]) == expected[name]
        assert info["saved_on"] == ["cuda:0"]
        total = sum(t.numel for t in safe_unpickle.read_pickled_checkpoint(
            path, read_meta=True)["state_dict"].values())
        assert info["parameters"] == total > 10_000_000
    assert main(["info", str(seeds["seed-b"])]) == 0
    text = capsys.readouterr().out
    assert "family: seed-b" in text and "<models.AlternateSpender>" in text
    assert "models" not in sys.modules  # the foreign module was never imported


def test_seed_weights_load_strictly_from_gpu_tagged_files(seeds) -> None:
    model = load_embedding_model(seeds["seed-a-512"])
    state = _file_state(seeds["seed-a-512"])
    assert model.family == "seed-a" and model.embedding_dim == 512
    assert torch.equal(model.image[1][2].weight, state["encoders.0.fc.2.weight"])
    assert model.spectrum.mlp[0].weight.shape == (256, 256)  # H = 256 for D > 128
    assert torch.equal(model.spectrum.conv3[0].weight, state["encoders.1.encoder.conv3.0.weight"])
    seed_b = load_embedding_model(seeds["seed-b"])
    b_state = _file_state(seeds["seed-b"])
    layers = seed_b.spectrum.mlp.additional_layers
    key = "spectrum_encoder.spec_encoder.mlp.additional_layers.7.weight"
    assert torch.equal(layers[7].weight, b_state[key]) and layers[6].out_features == 128
    assert b_state["temperature"].dtype == torch.float64


def test_seed_embeddings_follow_their_preprocessing(seeds) -> None:
    model = load_embedding_model(seeds["seed-a"])
    images = torch.rand(3, 3, 152, 152)
    with torch.inference_mode():
        emb = model.embed_images(images)
        scaled = model.embed_images(images * 7 + 2)  # per-band standardisation: invariant
        transposed = model.embed_images(images.transpose(-1, -2))
    assert emb.shape == (3, 16)
    assert torch.allclose(emb.norm(dim=-1), torch.ones(3), atol=1e-5)
    assert torch.allclose(emb, scaled, atol=1e-4)
    assert not torch.allclose(emb, transposed, atol=1e-3)
    seed_b = load_embedding_model(seeds["seed-b"])
    with torch.inference_mode():
        b1, b2 = seed_b.embed_images(images), seed_b.embed_images(images * 7 + 2)
    assert not torch.allclose(b1, b2, atol=1e-3)  # seed B sees raw flux


def test_embed_cli_writes_a_store_with_each_seed(seeds, mock_survey, tmp_path, capsys) -> None:
    from astroclip_engine.cli import main

    for name in ("seed-a", "seed-b"):
        out = tmp_path / f"{name}.h5"
        assert main(["embed", "--checkpoint", str(seeds[name]), "--data", str(mock_survey),
                     "--out", str(out), "--device", "cpu", "--batch-size", "32"]) == 0
        with h5py.File(out) as f:
            image, spectrum = f["image"][:], f["spectrum"][:]
            assert image.shape == spectrum.shape == (64, 16 if name == "seed-a" else 128)
            assert np.allclose(np.linalg.norm(image, axis=1), 1, atol=1e-4)
            assert f.attrs["checkpoint"] == str(seeds[name])
    capsys.readouterr()


def test_fits_query_with_a_seed_checkpoint(seeds, realdata) -> None:
    from astroclip_engine.embed import embed_fits

    coadd = realdata / "desi_spectra" / "coadd-4-80613-thru20210324.fits"
    for name in ("seed-a", "seed-b"):
        samples, modality, vectors, sha = embed_fits(seeds[name], coadd)
        assert modality == "spectrum" and len(samples) == len(vectors) >= 1
        assert vectors.shape[1] == (16 if name == "seed-a" else 128) and len(sha) == 64
    cutout = realdata / "legacysurvey" / "astroclip_dr9_grz_357.9087_-54.8817.fits"
    _samples, modality, vectors, _sha = embed_fits(seeds["seed-b"], cutout)
    assert modality == "image" and vectors.shape == (1, 128)


def test_backbones_and_unknown_layouts_are_refused(tmp_path) -> None:
    stein = tmp_path / "resnet50.ckpt"
    torch.save({"state_dict": {"encoder_q.conv1.weight": torch.zeros(64, 3, 7, 7)}}, stein)
    with pytest.raises(CheckpointError, match="one modality"):
        load_embedding_model(stein)
    other = tmp_path / "other.ckpt"
    torch.save({"state_dict": {"encoder.layer.weight": torch.zeros(2)}}, other)
    with pytest.raises(CheckpointError, match="matches no AstroCLIP model family"):
        load_embedding_model(other)
    empty = tmp_path / "empty.ckpt"
    torch.save({"epoch": 1, "hyper_parameters": {"lr": 1e-3}}, empty)
    with pytest.raises(CheckpointError, match="no recognisable state dict"):
        describe_checkpoint(empty)


def test_info_and_embedding_model_for_the_studios_own_export(tmp_path) -> None:
    from astroclip_engine.config import load_preset
    from astroclip_engine.models.factory import build_model, save_astroclip

    config = load_preset("demo-cpu")
    path = save_astroclip(tmp_path / "model.ckpt", build_model(config.model), config)
    info = describe_checkpoint(path)
    assert info["family"] == "astroclip-studio"
    assert info["embedding_dim"] == config.model.embedding_dim
    model = load_embedding_model(path)
    with torch.inference_mode():
        emb = model.embed_spectra(torch.rand(2, 7781))
    assert emb.shape == (2, config.model.embedding_dim)
