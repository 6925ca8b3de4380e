"""Checkpoint IO: Stein and spender loaders, safe loading, AstroCLIP save/load layouts."""

from __future__ import annotations

import argparse
import os
import sys
import types
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from astroclip_engine.config import ModelConfig, RunConfig
from astroclip_engine.errors import CheckpointError
from astroclip_engine.models.checkpoints import (
    file_sha256,
    load_astroclip,
    load_spender_encoder,
    load_state_dict_checked,
    load_stein_head,
    load_stein_image_encoder,
    safe_load,
    save_astroclip,
)
from astroclip_engine.models.clip import AstroCLIP
from astroclip_engine.models.factory import build_model, load_pretrained
from astroclip_engine.models.image_encoder import ResNet50Encoder, SmallResNetEncoder
from astroclip_engine.models.spectrum_encoder import SpenderEncoder

SMALL = ModelConfig(image_encoder="resnet_small", spectrum_encoder="spender_small",
                    embedding_dim=8, image_crop=32)


@pytest.fixture(scope="module")
def stein_ckpt(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A Lightning MoCo-v2 checkpoint laid out as Stein's resnet50.ckpt (small queues)."""
    torch.manual_seed(1)
    backbone = ResNet50Encoder().state_dict()
    head = {"fc.0.weight": torch.randn(2048, 2048) * 0.01, "fc.0.bias": torch.zeros(2048),
            "fc.2.weight": torch.randn(128, 2048) * 0.01, "fc.2.bias": torch.zeros(128)}
    state: OrderedDict[str, torch.Tensor] = OrderedDict()
    for prefix in ("encoder_q.", "encoder_k."):  # shared storage: saved once
        state.update({prefix + k: v for k, v in {**backbone, **head}.items()})
    state["queue"] = F.normalize(torch.randn(128, 64), dim=0)
    state["queue_ptr"] = torch.zeros(1, dtype=torch.long)
    state["val_queue"] = F.normalize(torch.randn(128, 64), dim=0)
    state["val_queue_ptr"] = torch.zeros(1, dtype=torch.long)
    checkpoint = {
        "epoch": 10, "global_step": 1000, "pytorch-lightning_version": "1.5.10",
        "state_dict": state,
        "callbacks": {"ModelCheckpoint{'monitor': None}": {"best_model_score": None,
                                                          "dirpath": "/x"}},
        "optimizer_states": [{"state": {}, "param_groups": [{"lr": 0.03, "params": [0]}]}],
        "lr_schedulers": [{"T_max": 10, "base_lrs": [0.03], "last_epoch": 10}],
        "hparams_name": "kwargs",
        "hyper_parameters": argparse.Namespace(base_encoder="resnet50", emb_dim=128,
                                               softmax_temperature=0.2, use_mlp=True),
    }
    path = tmp_path_factory.mktemp("stein") / "resnet50.ckpt"
    torch.save(checkpoint, path)
    return path, {**backbone, **head}


def test_stein_backbone_and_head(stein_ckpt: tuple[Path, dict]) -> None:
    path, weights = stein_ckpt
    encoder = load_stein_image_encoder(path)
    assert not encoder.training
    for key in ("conv1.weight", "layer4.2.bn3.running_var", "layer2.0.downsample.1.weight"):
        assert torch.equal(encoder.state_dict()[key], weights[key])
    head = load_stein_head(path)
    assert torch.equal(head[2].weight, weights["fc.2.weight"])
    x = torch.rand(1, 3, 96, 96)
    with torch.no_grad():
        assert head(encoder.forward_features(x)).shape == (1, 128)


def test_astroclip_loads_stein_when_configured(stein_ckpt: tuple[Path, dict]) -> None:
    path, weights = stein_ckpt
    config = ModelConfig(image_encoder="resnet50", spectrum_encoder="spender_small",
                         image_checkpoint=str(path), embedding_dim=4)
    model = load_pretrained(config)
    assert torch.equal(model.image_encoder.conv1.weight, weights["conv1.weight"])
    # Stein's file with the small ResNet: refused, naming the file and the encoder it needs
    with pytest.raises(CheckpointError, match=r"resnet50\.ckpt.*image_encoder 'resnet_small'"):
        load_pretrained(config.__class__(**{**config.__dict__, "image_encoder": "resnet_small"}))


def _spender_state(encoder: SpenderEncoder) -> dict[str, torch.Tensor]:
    state = {f"encoder.{k}": v.clone() for k, v in encoder.state_dict().items()}
    state["encoder.instrument.wave_obs"] = torch.linspace(3600, 9824, 7781)
    state["encoder.instrument.skyline_mask"] = torch.zeros(7781, dtype=torch.bool)
    state["decoder.wave_rest"] = torch.linspace(2000, 9824, 9780)
    state["decoder.mlp.0.weight"] = torch.randn(64, encoder.n_latent)
    state["decoder.mlp.0.bias"] = torch.zeros(64)
    return state


@pytest.mark.parametrize("as_list", [False, True])
def test_spender_current_layout(tmp_path: Path, as_list: bool) -> None:
    torch.manual_seed(2)
    reference = SpenderEncoder(n_latent=6).eval()
    state = _spender_state(reference)
    path = tmp_path / "spender.desi-edr.galaxyae.pt"
    torch.save({"model": [state, state] if as_list else state,
                "losses": np.random.rand(2, 5, 3)}, path)
    encoder = load_spender_encoder(path)
    assert encoder.n_latent == 6
    x = torch.randn(2, 7781)
    with torch.no_grad():
        assert torch.allclose(encoder(x), reference(x), atol=1e-6)


def test_spender_old_layout(tmp_path: Path) -> None:
    """mlp.mlp names, 257-wide first layer (redshift appended), LeakyReLU MLP, weight branch."""
    torch.manual_seed(3)
    reference = SpenderEncoder(n_latent=10).eval()
    state = {}
    for key, value in _spender_state(reference).items():
        if key.startswith("encoder.mlp.") and key.split(".")[2] in {"1", "4", "7"}:
            continue  # LeakyReLU: no parameters
        state[key.replace("encoder.mlp.", "encoder.mlp.mlp.")] = value
    redshift_column = torch.randn(128, 1)
    state["encoder.mlp.mlp.0.weight"] = torch.cat([state["encoder.mlp.mlp.0.weight"],
                                                   redshift_column], dim=1)
    state["encoder.conv1w.0.weight"] = torch.randn(64, 1, 5)
    path = tmp_path / "old.pt"
    torch.save({"model": state, "losses": [1.0, 2.0]}, path)
    encoder = load_spender_encoder(path)
    x = torch.randn(2, 7781)
    with torch.no_grad():
        h = reference.forward_features(x)
        mlp = reference.mlp
        for linear in (0, 3, 6):
            h = F.leaky_relu(mlp[linear](h), 0.01)
        expected = mlp[9](h)
        assert torch.allclose(encoder(x), expected, atol=1e-5)


def test_spender_bad_files(tmp_path: Path) -> None:
    path = tmp_path / "x.pt"
    torch.save({"weights": {}}, path)
    with pytest.raises(CheckpointError, match="'model'"):
        load_spender_encoder(path)
    torch.save({"model": {"decoder.mlp.0.weight": torch.zeros(3, 3)}}, path)
    with pytest.raises(CheckpointError, match=r"no 'encoder\.\*' weights"):
        load_spender_encoder(path)
    state = _spender_state(SpenderEncoder())
    state["encoder.conv2.0.weight"] = torch.zeros(256, 64, 11)  # wrong architecture
    torch.save({"model": state}, path)
    with pytest.raises(CheckpointError, match=r"shape mismatches: conv2\.0\.weight") as info:
        load_spender_encoder(path)
    assert str(path) in str(info.value)


def test_wrong_architecture_lists_keys(tmp_path: Path) -> None:
    state = SmallResNetEncoder().state_dict()
    with pytest.raises(CheckpointError) as info:
        load_state_dict_checked(ResNet50Encoder(), state, tmp_path / "a.ckpt", "ResNet-50")
    message = str(info.value)
    assert "a.ckpt" in message and "missing keys: conv1.weight" in message
    assert "unexpected keys: stem.0.weight" in message and "more" in message


def test_stein_checkpoint_without_encoder_q(tmp_path: Path) -> None:
    path = tmp_path / "other.ckpt"
    torch.save({"state_dict": {"backbone.conv.weight": torch.zeros(1)}}, path)
    with pytest.raises(CheckpointError, match="encoder_q"):
        load_stein_image_encoder(path)


class Payload:
    """A pickled custom class with code that would run on a plain torch.load."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_pickled_code_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    path = tmp_path / "evil.ckpt"
    torch.save({"state_dict": {"w": torch.zeros(2)}, "x": Payload(str(marker))}, path)
    with pytest.raises(CheckpointError, match="refused") as info:
        safe_load(path)
    assert "system" in str(info.value) and str(path) in str(info.value)
    assert not marker.exists()


class Custom:
    pass


def test_pickled_class_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "custom.ckpt"
    torch.save({"model": Custom()}, path)
    with pytest.raises(CheckpointError, match="Custom"):
        load_spender_encoder(path)


def test_lightning1_attribute_dict_reads_without_lightning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Old Lightning pickled hparams as its AttributeDict; read it back with no Lightning."""
    names = ["pytorch_lightning", "pytorch_lightning.utilities",
             "pytorch_lightning.utilities.parsing"]
    for name in names:
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))

    class AttributeDict(dict):
        pass

    AttributeDict.__module__, AttributeDict.__qualname__ = names[-1], "AttributeDict"
    sys.modules[names[-1]].AttributeDict = AttributeDict  # type: ignore[attr-defined]
    path = tmp_path / "old.ckpt"
    torch.save({"hyper_parameters": AttributeDict(emb_dim=128), "state_dict": {}}, path)
    for name in names:
        monkeypatch.delitem(sys.modules, name)
    assert dict(safe_load(path)["hyper_parameters"]) == {"emb_dim": 128}


def test_truncated_and_garbage_files(tmp_path: Path) -> None:
    good = tmp_path / "good.pt"
    torch.save({"state_dict": {"w": torch.randn(1000)}}, good)
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"\x00not a checkpoint" * 10)
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    for path in (truncated, garbage, empty, tmp_path / "missing.pt"):
        with pytest.raises(CheckpointError) as info:
            safe_load(path)
        assert str(path) in str(info.value)
    assert safe_load(good)["state_dict"]["w"].shape == (1000,)


def test_file_sha256(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"abc")
    assert file_sha256(path) == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
    with pytest.raises(CheckpointError):
        file_sha256(tmp_path / "nope")


def _outputs(model: AstroCLIP) -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(5)
    with torch.no_grad():
        return model(torch.rand(2, 3, 32, 32), torch.randn(2, 7781))


def test_astroclip_export_roundtrip(tmp_path: Path) -> None:
    model = AstroCLIP(SMALL).eval()
    config = RunConfig(name="demo", model=SMALL)
    path = save_astroclip(tmp_path / "model.pt", model, config)
    loaded, loaded_config = load_astroclip(path)
    assert loaded_config == config and not loaded.training
    for a, b in zip(_outputs(model), _outputs(loaded), strict=True):
        assert torch.allclose(a, b)
    assert not list(tmp_path.glob(".model.pt.*"))  # atomic: no temp file left


def test_astroclip_lightning_layout(tmp_path: Path) -> None:
    config = RunConfig(model=SMALL.__class__(**{**SMALL.__dict__,
                                                "learnable_temperature": True,
                                                "image_checkpoint": "/nowhere/resnet50.ckpt"}))
    model = build_model(config.model).eval()
    with torch.no_grad():
        model.log_logit_scale.fill_(2.0)
    state = {f"model.{k}": v for k, v in model.state_dict().items()}
    state["other.buffer"] = torch.zeros(1)
    path = tmp_path / "last.ckpt"
    torch.save({"epoch": 1, "state_dict": state, "hparams_name": "kwargs",
                "hyper_parameters": {"config": config.to_dict()}}, path)
    loaded, loaded_config = load_astroclip(path)  # does not read image_checkpoint
    assert loaded_config == config
    assert float(loaded.logit_scale.detach()) == pytest.approx(np.exp(2.0))
    for a, b in zip(_outputs(model), _outputs(loaded), strict=True):
        assert torch.allclose(a, b)


def test_astroclip_bad_checkpoints(tmp_path: Path) -> None:
    path = tmp_path / "x.ckpt"
    torch.save({"state_dict": {}}, path)
    with pytest.raises(CheckpointError, match="not an AstroCLIP checkpoint"):
        load_astroclip(path)
    torch.save({"state_dict": {"encoder.w": torch.zeros(1)},
                "hyper_parameters": {"config": RunConfig().to_dict()}}, path)
    with pytest.raises(CheckpointError, match="model"):
        load_astroclip(path)
    torch.save({"format": "astroclip-studio", "config": {"bogus": 1}, "state_dict": {}}, path)
    with pytest.raises(CheckpointError, match="invalid run configuration"):
        load_astroclip(path)
    other = AstroCLIP(SMALL.__class__(**{**SMALL.__dict__, "embedding_dim": 16}))
    save_astroclip(path, other, RunConfig(model=SMALL))  # weights for D=16, config says 8
    with pytest.raises(CheckpointError, match="shape mismatches"):
        load_astroclip(path)
