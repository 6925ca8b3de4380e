"""Image transforms: RGB formulas, crops, augmentation, determinism."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from astroclip_engine.config import ModelConfig
from astroclip_engine.data.transforms import (
    augment_crop,
    legacy_rgb,
    prepare_images,
    stein_rgb,
)

STEIN = ModelConfig(image_encoder="resnet50", image_crop=96)
SMALL = ModelConfig(image_encoder="resnet_small", image_crop=64)


def _pixel_reference(g: float, r: float, z: float, stein: bool) -> list[float]:
    """data/transforms.py's Stein mapping, one pixel, written out by hand; returned as R, G, B."""
    scales, m, q = {"g": 6.0, "r": 3.4, "z": 2.2}, 0.03, 20.0
    values = {"g": g, "r": r, "z": z}
    intensity = sum(max(0.0, values[b] * scales[b] + m) for b in "grz") / 3
    f = math.asinh(q * intensity) / math.sqrt(q)
    intensity = intensity or 1e-6
    out = []
    for band in "zrg":
        x = values[band]
        value = x * (scales[band] + m * f / intensity) if stein else \
            (x * scales[band] + m) * f / intensity
        out.append(min(1.0, max(0.0, value)))
    return out


@pytest.mark.parametrize("pixel", [(0.01, 0.02, 0.05), (0.5, 1.0, 2.0), (-0.01, 0.0, 0.003)])
def test_rgb_formulas(pixel: tuple[float, float, float]) -> None:
    image = np.array(pixel, dtype=np.float32).reshape(3, 1, 1)
    legacy = legacy_rgb(image)
    stein = stein_rgb(torch.from_numpy(image))
    assert isinstance(legacy, np.ndarray) and isinstance(stein, torch.Tensor)
    assert legacy[:, 0, 0] == pytest.approx(_pixel_reference(*pixel, stein=False), abs=1e-5)
    assert stein[:, 0, 0].tolist() == pytest.approx(_pixel_reference(*pixel, stein=True), abs=1e-5)


def test_rgb_layouts_and_nan(realdata) -> None:
    from astropy.io import fits

    cutout = fits.getdata(realdata / "legacysurvey" / "astroclip_dr9_grz_357.9087_-54.8817.fits")
    image = np.asarray(cutout, dtype=np.float32)[:, 52:204, 52:204]
    image[0, 0, 0] = np.nan
    rgb = legacy_rgb(image, channels_last=True)
    assert rgb.shape == (152, 152, 3) and np.isfinite(rgb).all()
    assert rgb.min() >= 0 and rgb.max() <= 1
    assert 0.0 < rgb.mean() < 0.5  # mostly sky, a bright galaxy in the middle
    assert rgb[76, 76].sum() > rgb[5, 5].sum()
    batched = stein_rgb(torch.from_numpy(image)[None])
    assert batched.shape == (1, 3, 152, 152)


def test_prepare_images_eval_is_centre_crop_and_deterministic() -> None:
    raw = torch.rand(2, 3, 152, 152) * 0.1
    out = prepare_images(raw, STEIN, train=False)
    assert out.shape == (2, 3, 96, 96)
    assert torch.equal(out, prepare_images(raw, STEIN, train=False))
    assert torch.allclose(out, stein_rgb(raw)[..., 28:124, 28:124])
    small = prepare_images(raw, SMALL, train=False)
    assert small.shape == (2, 3, 64, 64)
    # resnet_small keeps colours: a redder galaxy stays redder (z band higher after stretch).
    red = torch.zeros(1, 3, 152, 152)
    red[:, 2] = 0.1
    assert prepare_images(red, SMALL, train=False)[0, 2].mean() > 1.0


def test_small_images_are_not_padded() -> None:
    raw = torch.rand(2, 3, 48, 48)
    assert prepare_images(raw, SMALL, train=False).shape == (2, 3, 48, 48)
    assert prepare_images(raw, SMALL, train=True).shape == (2, 3, 48, 48)


def test_train_augmentation_is_seeded() -> None:
    raw = torch.rand(3, 3, 152, 152) * 0.1

    def run(seed: int) -> torch.Tensor:
        return prepare_images(raw, STEIN, train=True, generator=torch.Generator().manual_seed(seed))

    assert torch.equal(run(1), run(1))
    assert not torch.allclose(run(1), run(2))
    assert run(1).shape == (3, 3, 96, 96)


def test_augmentation_moves_a_point_by_rotation_and_shift_only() -> None:
    """A source 20 px right of the centre stays 20 px (+-5 px shift) from the centre."""
    ys, xs = torch.meshgrid(torch.arange(152.0), torch.arange(152.0), indexing="ij")
    blob = torch.exp(-((ys - 75.5) ** 2 + (xs - 95.5) ** 2) / (2 * 2.0**2))
    image = blob.expand(16, 1, 152, 152)
    out = augment_crop(image, 96, generator=torch.Generator().manual_seed(0))
    assert out.shape == (16, 1, 96, 96)
    assert torch.allclose(out.sum(dim=(1, 2, 3)), blob.sum().expand(16), rtol=0.01)
    ys, xs = torch.meshgrid(torch.arange(96.0), torch.arange(96.0), indexing="ij")
    weight = out[:, 0] / out[:, 0].sum(dim=(1, 2), keepdim=True)
    cy, cx = (weight * ys).sum(dim=(1, 2)), (weight * xs).sum(dim=(1, 2))
    radius = torch.hypot(cy - 47.5, cx - 47.5)
    slack = 5 * math.sqrt(2) + 0.5
    assert (radius > 20 - slack).all() and (radius < 20 + slack).all()
    angles = torch.atan2(cy - 47.5, cx - 47.5)
    assert angles.std() > 0.3  # rotations and flips actually vary


def test_prepare_images_rejects_bad_shapes() -> None:
    with pytest.raises(ValueError, match=r"\(B, 3, H, W\)"):
        prepare_images(torch.zeros(3, 152, 152), STEIN, train=False)
    with pytest.raises(ValueError, match="g, r, z"):
        legacy_rgb(np.zeros((4, 8, 8)))
