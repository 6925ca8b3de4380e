"""Encoders: torchvision/spender name compatibility, output shapes, small variants."""

from __future__ import annotations

import pytest
import torch

from astroclip_engine.errors import ConfigError
from astroclip_engine.models.image_encoder import (
    ResNet50Encoder,
    SmallResNetEncoder,
    build_image_encoder,
)
from astroclip_engine.models.spectrum_encoder import (
    SmallSpectrumEncoder,
    SpenderEncoder,
    build_spectrum_encoder,
)

TORCHVISION_RESNET50_PARAMS = 25_557_032
"""torchvision.models.resnet50() parameter count (with its 2048 -> 1000 fc)."""


def torchvision_resnet50_keys() -> list[str]:
    """torchvision's ResNet-50 state_dict keys, written out from the architecture."""

    def bn(prefix: str) -> list[str]:
        names = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")
        return [f"{prefix}.{name}" for name in names]

    keys = ["conv1.weight", *bn("bn1")]
    for layer, blocks in zip(range(1, 5), (3, 4, 6, 3), strict=True):
        for block in range(blocks):
            prefix = f"layer{layer}.{block}"
            for i in (1, 2, 3):
                keys += [f"{prefix}.conv{i}.weight", *bn(f"{prefix}.bn{i}")]
            if block == 0:
                keys += [f"{prefix}.downsample.0.weight", *bn(f"{prefix}.downsample.1")]
    return [*keys, "fc.weight", "fc.bias"]


@pytest.fixture(scope="module")
def resnet50() -> ResNet50Encoder:
    torch.manual_seed(0)
    return ResNet50Encoder().eval()


def test_resnet50_has_torchvision_names_and_shapes(resnet50: ResNet50Encoder) -> None:
    state = resnet50.state_dict()
    expected = [k for k in torchvision_resnet50_keys() if not k.startswith("fc.")]
    assert list(state) == expected
    shapes = {
        "conv1.weight": (64, 3, 7, 7),
        "layer1.0.conv1.weight": (64, 64, 1, 1),
        "layer1.0.downsample.0.weight": (256, 64, 1, 1),
        "layer2.0.conv2.weight": (128, 128, 3, 3),
        "layer3.5.bn3.running_var": (1024,),
        "layer4.2.conv3.weight": (2048, 512, 1, 1),
    }
    for key, shape in shapes.items():
        assert tuple(state[key].shape) == shape, key
    n_params = sum(p.numel() for p in resnet50.parameters())
    assert n_params == TORCHVISION_RESNET50_PARAMS - (2048 * 1000 + 1000)


def test_resnet50_loads_torchvision_layout_strictly(resnet50: ResNet50Encoder) -> None:
    state = {k: torch.randn_like(v.float()).to(v.dtype) for k, v in resnet50.state_dict().items()}
    other = ResNet50Encoder()
    other.load_state_dict(state, strict=True)
    assert torch.equal(other.layer4[2].bn3.running_mean, state["layer4.2.bn3.running_mean"])


def test_resnet50_features(resnet50: ResNet50Encoder) -> None:
    with torch.no_grad():
        out = resnet50.forward_features(torch.rand(2, 3, 96, 96))
    assert out.shape == (2, resnet50.num_features) == (2, 2048)
    assert torch.isfinite(out).all()
    assert (out >= 0).all()  # global average of ReLU outputs


@pytest.mark.parametrize("size", [64, 96, 144])
def test_small_resnet(size: int) -> None:
    encoder = SmallResNetEncoder()
    n_params = sum(p.numel() for p in encoder.parameters())
    assert 200_000 <= n_params <= 1_000_000
    out = encoder.forward_features(torch.rand(3, 3, size, size))
    assert out.shape == (3, encoder.num_features)
    out.sum().backward()
    assert encoder.stem[0].weight.grad is not None


def test_build_image_encoder_names() -> None:
    assert isinstance(build_image_encoder("resnet_small"), SmallResNetEncoder)
    with pytest.raises(ConfigError, match="unknown image encoder"):
        build_image_encoder("vit")  # type: ignore[arg-type]


def test_spender_layout_matches_spender() -> None:
    encoder = SpenderEncoder(n_latent=6)
    keys = list(encoder.state_dict())
    expected = []
    for i, ch in zip((1, 2, 3), (128, 256, 512), strict=True):
        expected += [f"conv{i}.0.weight", f"conv{i}.0.bias", f"conv{i}.2.weight"]
        assert encoder.state_dict()[f"conv{i}.2.weight"].shape == (ch,)
    for linear, prelu in ((0, 1), (3, 4), (6, 7)):
        expected += [f"mlp.{linear}.weight", f"mlp.{linear}.bias", f"mlp.{prelu}.weight"]
    expected += ["mlp.9.weight", "mlp.9.bias"]
    assert keys == expected
    assert encoder.state_dict()["conv3.0.weight"].shape == (512, 256, 21)
    assert encoder.state_dict()["mlp.9.weight"].shape == (6, 32)
    assert isinstance(encoder.mlp[10], torch.nn.Identity)


def test_spender_shapes_on_desi_grid() -> None:
    encoder = SpenderEncoder(n_latent=6).eval()
    x = torch.randn(2, 7781)
    with torch.no_grad():
        values, weights = encoder.attention(x)
        features = encoder.forward_features(x)
        latents = encoder(x.unsqueeze(1))
    assert values.shape == weights.shape == (2, 256, 142)
    assert torch.allclose(weights.sum(-1), torch.ones(2, 256), atol=1e-5)
    assert features.shape == (2, encoder.num_features) == (2, 256)
    assert latents.shape == (2, 6)
    # The attention-weighted mean lies between the min and max of the values.
    assert (features <= values.amax(-1) + 1e-5).all() and (features >= values.amin(-1) - 1e-5).all()


def test_small_spectrum_encoder() -> None:
    encoder = build_spectrum_encoder("spender_small")
    assert isinstance(encoder, SmallSpectrumEncoder)
    values, _ = encoder.attention(torch.randn(2, 7781))
    assert values.shape[-1] == 122
    out = encoder.forward_features(torch.randn(2, 1, 7781))
    assert out.shape == (2, encoder.num_features)
    big = sum(p.numel() for p in SpenderEncoder().parameters())
    assert sum(p.numel() for p in encoder.parameters()) < big / 5
    with pytest.raises(ValueError, match=r"\(B, L\)"):
        encoder.forward_features(torch.randn(2, 3, 7781))
