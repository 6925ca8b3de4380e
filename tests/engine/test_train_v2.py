"""Preset `paper-v2`: the official v2 heads trained over frozen AstroDINO / SpecFormer files."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from astroclip_engine.config import load_preset
from astroclip_engine.errors import ConfigError
from astroclip_engine.models.specformer import SpecFormer
from astroclip_engine.models.v2.build import load_v2, resolve_sizes
from astroclip_engine.models.v2.model import AstroClipV2
from astroclip_engine.models.v2.vit import DinoViT
from astroclip_engine.training.module import warmup_cosine_factor
from tests.published_files import write_official_astrodino, write_official_specformer

TINY = {"vit_width": 64, "vit_depth": 4, "specformer_width": 128, "specformer_layers": 1,
        "specformer_heads": 2}


@pytest.fixture(scope="module")
def backbones(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Random tiny backbones in the official file layouts (ViT in 4 chunks, patch 12)."""
    torch.manual_seed(11)
    vit = DinoViT(img_size=144, patch=12, dim=TINY["vit_width"], depth=TINY["vit_depth"],
                  hidden=4 * TINY["vit_width"], chunks=4)
    spec = SpecFormer(embed_dim=TINY["specformer_width"], num_layers=1, num_heads=2)
    model = AstroClipV2(vit, spec, embed_dim=16)
    folder = tmp_path_factory.mktemp("backbones")
    return {"astrodino": write_official_astrodino(folder / "astrodino.ckpt", model),
            "specformer": write_official_specformer(folder / "specformer.ckpt", model)}


def _v2_config(backbones: dict[str, Path]):
    return load_preset("paper-v2").replace(model={
        "image_checkpoint": str(backbones["astrodino"]),
        "spectrum_checkpoint": str(backbones["specformer"]), "embedding_dim": 16})


def test_preset_is_the_paper_setup() -> None:
    config = load_preset("paper-v2").check()
    assert config.model.family == "astroclip-v2" and config.model.freeze_backbones
    assert config.model.embedding_dim == 1024
    assert (config.optim.optimizer, config.optim.lr, config.optim.weight_decay) == (
        "adamw", 1e-4, 0.05)
    assert config.optim.schedule == "cosine" and config.optim.warmup_fraction > 0
    assert (config.trainer.batch_size, config.trainer.gradient_clip_val) == (256, 1.0)


def test_sizes_come_from_the_files_and_mismatches_are_named(backbones) -> None:
    config = _v2_config(backbones).model
    resolved = resolve_sizes(config)
    assert {key: getattr(resolved, key) for key in TINY} == TINY
    with pytest.raises(ConfigError, match=r"model\.vit_width is 32 but the backbone"):
        load_v2(dataclasses.replace(config, vit_width=32))


def test_warmup_then_cosine() -> None:
    factor = warmup_cosine_factor(10, 4)
    assert [factor(s) for s in range(4)] == [0.25, 0.5, 0.75, 1.0]
    assert factor(4) == 1.0 and factor(10) == 0.0
    assert 0 < factor(7) < 1


def test_paper_v2_trains_the_heads_only_and_the_checkpoint_embeds(
        backbones, mock_survey, tmp_path, monkeypatch, capsys) -> None:
    from astroclip_engine.cli import main
    from astroclip_engine.training import run as run_module

    initial: dict[str, torch.Tensor] = {}

    def recording(config):
        model = load_v2(config)
        initial.update({k: v.detach().clone() for k, v in model.state_dict().items()})
        return model

    monkeypatch.setattr(run_module, "load_pretrained", recording)
    out = tmp_path / "run"
    assert main(["train", "--preset", "paper-v2", "--data", str(mock_survey), "--out", str(out),
                 "--image-checkpoint", str(backbones["astrodino"]),
                 "--spectrum-checkpoint", str(backbones["specformer"]),
                 "--embedding-dim", "16", "--batch-size", "16", "--max-epochs", "1",
                 "--limit-train-batches", "2", "--limit-val-batches", "1",
                 "--num-workers", "0", "--accelerator", "cpu", "--progress", "none"]) == 0
    last = out / "checkpoints" / "last.ckpt"
    saved = torch.load(last, map_location="cpu", weights_only=True)
    config = saved["hyper_parameters"]["config"]
    assert config["model"]["family"] == "astroclip-v2"
    assert {key: config["model"][key] for key in TINY} == TINY
    state = {k.removeprefix("model."): v for k, v in saved["state_dict"].items()}
    assert set(state) == set(initial)
    backbone = [k for k in state if ".backbone." in k]
    heads = [k for k in state if ".backbone." not in k]
    assert backbone and heads
    assert all(torch.equal(state[k], initial[k]) for k in backbone)
    assert any(not torch.equal(state[k], initial[k]) for k in heads)
    optimizer = saved["optimizer_states"][0]
    assert type(optimizer["state"]) is dict and len(optimizer["state"]) == len(
        [k for k in heads if state[k].is_floating_point()])
    assert optimizer["param_groups"][0]["weight_decay"] == 0.05

    capsys.readouterr()
    assert main(["info", str(last), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert (info["family"], info["embedding_dim"]) == ("astroclip-studio", 16)
    assert "official v2" in info["description"]

    emb = tmp_path / "emb.h5"
    assert main(["embed", "--checkpoint", str(last), "--data", str(mock_survey),
                 "--out", str(emb), "--device", "cpu"]) == 0
    with h5py.File(emb) as f:
        assert f["image"].shape == f["spectrum"].shape == (64, 16)
        assert np.allclose(np.linalg.norm(f["spectrum"][:], axis=1), 1, atol=1e-4)
