"""AstroCLIP model and the symmetric InfoNCE loss."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from astroclip_engine.config import ModelConfig
from astroclip_engine.errors import ConfigError
from astroclip_engine.losses import clip_loss
from astroclip_engine.models.clip import AstroCLIP
from astroclip_engine.models.heads import spectrum_head

SMALL = ModelConfig(image_encoder="resnet_small", spectrum_encoder="spender_small",
                    embedding_dim=8, image_crop=32)


def _unit(n: int, d: int, seed: int) -> torch.Tensor:
    return F.normalize(torch.randn(n, d, generator=torch.Generator().manual_seed(seed)), dim=1)


def test_loss_matches_definition() -> None:
    a, b = _unit(6, 16, 0), _unit(6, 16, 1)
    logits = 10.0 * a @ b.T
    expected = 0.0
    for i in range(6):
        row, column = torch.log_softmax(logits[i], 0), torch.log_softmax(logits[:, i], 0)
        expected -= 0.5 * (row[i] + column[i])
    assert clip_loss(a, b, 10.0) == pytest.approx(float(expected) / 6, rel=1e-5)


def test_loss_aligned_low_random_high_and_symmetric() -> None:
    a = _unit(32, 64, 2)
    aligned = clip_loss(a, a, 1 / 0.07)
    shuffled = clip_loss(a, a[torch.randperm(32, generator=torch.Generator().manual_seed(0))],
                         1 / 0.07)
    assert aligned < 0.01
    assert shuffled > math.log(32) / 2
    b = _unit(32, 64, 3)
    assert clip_loss(a, b, 14.0) == pytest.approx(float(clip_loss(b, a, 14.0)), rel=1e-6)
    # The scale is clamped at 100, like CLIP.
    assert clip_loss(a, b, 1e4) == pytest.approx(float(clip_loss(a, b, 100.0)), rel=1e-6)
    with pytest.raises(ValueError, match="equal shape"):
        clip_loss(a, b[:5], 1.0)


def test_model_encodes_normalised_and_gradients_flow() -> None:
    model = AstroCLIP(SMALL.__class__(**{**SMALL.__dict__, "learnable_temperature": True}))
    images, spectra = torch.rand(4, 3, 32, 32), torch.randn(4, 7781)
    image_emb, spectrum_emb = model(images, spectra)
    assert image_emb.shape == spectrum_emb.shape == (4, 8)
    assert torch.allclose(image_emb.norm(dim=1), torch.ones(4), atol=1e-5)
    assert torch.allclose(spectrum_emb.norm(dim=1), torch.ones(4), atol=1e-5)
    raw = model.encode_spectrum(spectra, normalize=False)
    assert not torch.allclose(raw.norm(dim=1), torch.ones(4))
    clip_loss(image_emb, spectrum_emb, model.logit_scale).backward()
    assert model.log_logit_scale.grad is not None
    assert model.image_encoder.stem[0].weight.grad.abs().sum() > 0
    assert model.spectrum_encoder.conv1[0].weight.grad.abs().sum() > 0


def test_temperature_fixed_by_default() -> None:
    model = AstroCLIP(SMALL)
    assert float(model.logit_scale) == pytest.approx(1 / 0.07)
    assert not model.log_logit_scale.requires_grad
    with pytest.raises(ConfigError, match="temperature"):
        AstroCLIP(SMALL.__class__(**{**SMALL.__dict__, "temperature": 0.0}))


def test_heads_follow_design() -> None:
    assert spectrum_head(256, 128).fc1.out_features == 128
    assert spectrum_head(256, 512).fc1.out_features == 256
    model = AstroCLIP(SMALL)
    assert model.image_head.fc1.in_features == model.image_head.fc1.out_features == 128


def test_freezing_backbones() -> None:
    model = AstroCLIP(SMALL)
    model.set_backbones_frozen(True)
    model.train()
    assert model.backbones_frozen and model.training
    assert not model.image_encoder.training and not model.spectrum_encoder.training
    assert not any(p.requires_grad for p in model.image_encoder.parameters())
    assert all(p.requires_grad for p in model.image_head.parameters())
    bn = model.image_encoder.stem[1]
    before = bn.running_mean.clone()
    image_emb, spectrum_emb = model(torch.rand(4, 3, 32, 32) * 5, torch.randn(4, 7781))
    clip_loss(image_emb, spectrum_emb, model.logit_scale).backward()
    assert torch.equal(bn.running_mean, before)  # eval-mode BatchNorm
    assert model.image_head.fc1.weight.grad is not None
    model.set_backbones_frozen(False)
    assert model.image_encoder.training
    assert all(p.requires_grad for p in model.image_encoder.parameters())
    model(torch.rand(4, 3, 32, 32) * 5, torch.randn(4, 7781))
    assert not torch.equal(bn.running_mean, before)


def test_freeze_from_config() -> None:
    model = AstroCLIP(SMALL.__class__(**{**SMALL.__dict__, "freeze_backbones": True})).train()
    assert model.backbones_frozen and not model.spectrum_encoder.training
