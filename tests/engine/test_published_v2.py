"""The official AstroCLIP v2 files open with strict key checks and embed like the original."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from astroclip_engine.errors import CheckpointError
from astroclip_engine.models.published import load_embedding_model
from astroclip_engine.models.specformer import SpecFormer
from astroclip_engine.models.v2.model import AstroClipV2, load_astrodino, load_specformer
from astroclip_engine.models.v2.vit import DinoViT
from tests.published_files import (
    V2_SMALL,
    small_v2,
    write_official_astroclip,
    write_official_astrodino,
    write_official_specformer,
)


@pytest.fixture(scope="module")
def official(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("official")
    model = small_v2()
    return {"astroclip": write_official_astroclip(folder / "astroclip.ckpt", model),
            "specformer": write_official_specformer(folder / "specformer.ckpt", model),
            "astrodino": write_official_astrodino(folder / "astrodino.ckpt", model)}


def test_full_size_architecture_matches_the_published_parameter_counts() -> None:
    with torch.device("meta"):
        vit, spec = DinoViT(), SpecFormer()
        model = AstroClipV2(vit, spec)
    state = model.state_dict()
    assert len(state) == 446 and sum(v.numel() for v in state.values()) == 370_798_358
    assert sum(v.numel() for v in vit.state_dict().values()) == 302_954_496
    assert sum(v.numel() for v in spec.state_dict().values()) == 43_177_750
    assert "blocks.3.23.ls2.gamma" in vit.state_dict() and "blocks.23.norm1.weight" not in state
    assert state["image_encoder.cross_attention.multihead_attn.in_proj_weight"].shape == (
        3072, 1024)
    assert state["spectrum_encoder.cross_attention.multihead_attn.k_proj_weight"].shape == (
        1024, 768)


def test_info_reads_metadata_of_each_official_file(official, capsys) -> None:
    from astroclip_engine.cli import main

    expected = {"astroclip": ("astroclip-v2", "embedding_dim", V2_SMALL["embed_dim"]),
                "specformer": ("specformer", "feature_dim", V2_SMALL["spec_dim"]),
                "astrodino": ("astrodino", "feature_dim", V2_SMALL["vit_dim"])}
    for name, path in official.items():
        assert main(["info", str(path), "--json"]) == 0
        info = json.loads(capsys.readouterr().out)
        family, key, size = expected[name]
        assert info["family"] == family and info[key] == size and info["saved_on"] == ["cuda:0"]
    assert main(["info", str(official["astroclip"])]) == 0
    assert "<astroclip.models.astroclip.ImageHead>" in capsys.readouterr().out
    assert "astroclip.models.astroclip" not in sys.modules and "dinov2" not in sys.modules


def test_astroclip_ckpt_embeds_exactly_like_the_model_that_wrote_it(official) -> None:
    reference = small_v2()
    loaded = load_embedding_model(official["astroclip"])
    images, spectra = torch.rand(3, 3, 152, 152) * 0.1, torch.rand(3, 7781) * 5
    with torch.inference_mode():
        assert torch.allclose(loaded.embed_images(images), reference.embed_images(images),
                              atol=1e-6)
        assert torch.allclose(loaded.embed_spectra(spectra), reference.embed_spectra(spectra),
                              atol=1e-6)
        tokens = reference.spectrum_encoder.backbone.tokens(spectra)
    assert tokens.shape == (3, 778, 22)  # 777 windows of 20 + the scale token, 2 extra columns
    assert torch.allclose(tokens[:, 0, 0], (spectra.mean(1) - 2) / 2)
    assert loaded.logit_scale == pytest.approx(np.log(15.5))


def test_backbone_files_load_strictly_and_mismatches_are_named(official, tmp_path) -> None:
    reference = small_v2()
    vit = load_astrodino(official["astrodino"])
    spec = load_specformer(official["specformer"])
    for got, want in ((vit, reference.image_encoder.backbone),
                      (spec, reference.spectrum_encoder.backbone)):
        for (k1, v1), (k2, v2) in zip(got.state_dict().items(), want.state_dict().items(),
                                      strict=True):
            assert k1 == k2 and torch.equal(v1, v2)
    fresh = AstroClipV2.from_backbones(official["astrodino"], official["specformer"],
                                       embed_dim=32)
    assert fresh.embedding_dim == 32
    with pytest.raises(CheckpointError, match=r"no 'data_embed"):
        load_specformer(official["astrodino"])
    broken = torch.load(official["specformer"], weights_only=True, map_location="cpu")
    del broken["state_dict"]["head.bias"]
    torch.save(broken, tmp_path / "broken.ckpt")
    with pytest.raises(CheckpointError, match=r"missing keys: head\.bias"):
        load_specformer(tmp_path / "broken.ckpt")


def test_embed_cli_with_the_official_model(official, mock_survey, tmp_path, capsys) -> None:
    from astroclip_engine.cli import main

    out = tmp_path / "v2.h5"
    assert main(["embed", "--checkpoint", str(official["astroclip"]), "--data",
                 str(mock_survey), "--out", str(out), "--device", "cpu"]) == 0
    with h5py.File(out) as f:
        assert f["image"].shape == f["spectrum"].shape == (64, V2_SMALL["embed_dim"])
        assert np.allclose(np.linalg.norm(f["spectrum"][:], axis=1), 1, atol=1e-4)
    capsys.readouterr()
    assert main(["embed", "--checkpoint", str(official["specformer"]), "--data",
                 str(mock_survey), "--out", str(tmp_path / "no.h5")]) == 2
    assert "one modality" in capsys.readouterr().err
