"""Model-input preprocessing: RGB mappings, crops, augmentations, spectrum standardisation.

The one place preprocessing lives: training and embedding both call `prepare_images` and
`prepare_spectra` on batched tensors already on the device. Everything is torch-only and
deterministic when `train=False`; random draws use `generator` when given.

Decisions (documented here once):
- Images smaller than `config.image_crop` (a mock made with a small `--size`) are neither padded
  nor resized: the crop is clamped to the image size. Both encoders are fully convolutional with
  global pooling, and keeping the 0.262"/pixel scale matters more than a fixed input size.
- `resnet_small` input: each band divided by its typical DECaLS per-pixel sky noise
  (`SKY_NOISE`, nanomaggies) and arcsinh-stretched. This fixed per-channel standardisation keeps
  colours and fluxes (a per-image standardisation would erase both, and with them the redshift).
- The +-5 px "roll" is an integer translation folded into the same sampling grid as the rotation
  and flips; it equals `torch.roll` inside the crop, which never reaches the wrapped border
  (rotation of the crop plus the shift stays inside a 152 px cutout). Pixels from outside the
  image (only when the crop is clamped to a small image) are zero, i.e. empty sky.
- Spectra are returned as (B, L); both spectrum encoders accept (B, L) or (B, 1, L).
"""

from __future__ import annotations

import math
from typing import TypeVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from astroclip_engine.config import ModelConfig
from astroclip_engine.constants import REDSHIFT_RANGE

RGB_SCALES: tuple[float, float, float] = (6.0, 3.4, 2.2)
"""Per-band (g, r, z) scales of the legacysurvey RGB mapping."""
RGB_M = 0.03
RGB_Q = 20.0
SKY_NOISE: tuple[float, float, float] = (0.003, 0.0045, 0.012)
"""Typical DECaLS DR9 per-pixel noise in g, r, z (nanomaggies; Stein et al. noise fits)."""
MAX_ROLL = 5
MAX_ROTATION_DEG = 45.0
IMAGE_NOISE = 0.03
SPECTRUM_NOISE = 0.3

ArrayT = TypeVar("ArrayT", np.ndarray, Tensor)


def _rgb_parts(image: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Scaled bands x*s (..., 3, H, W), band mean I and asinh factor f (both (..., 1, H, W))."""
    if image.dim() < 3 or image.shape[-3] != 3:
        raise ValueError(f"expected a (..., 3, H, W) g, r, z image, got {tuple(image.shape)}")
    scales = torch.tensor(RGB_SCALES, dtype=image.dtype, device=image.device).view(3, 1, 1)
    scaled = image * scales
    intensity = torch.clamp(scaled + RGB_M, min=0).mean(dim=-3, keepdim=True)
    f = torch.asinh(RGB_Q * intensity) / math.sqrt(RGB_Q)
    intensity = intensity + (intensity == 0) * 1e-6
    return scaled, intensity, f


def _apply(image: ArrayT, fn, channels_last: bool) -> ArrayT:
    is_numpy = isinstance(image, np.ndarray)
    x = torch.from_numpy(np.asarray(image, dtype=np.float32)) if is_numpy else image
    x = torch.nan_to_num(x.float(), nan=0.0, posinf=0.0, neginf=0.0)
    out = fn(x).flip(-3)  # g, r, z -> R = z, G = r, B = g
    if channels_last:
        out = out.movedim(-3, -1)
    return out.numpy() if is_numpy else out


def legacy_rgb(image: ArrayT, channels_last: bool = False) -> ArrayT:
    """legacysurvey display RGB of (..., 3, H, W) g, r, z nanomaggies, values in [0, 1].

    channel = (x*s + m) * f / I with I = band mean of max(0, x*s + m), f = asinh(Q I)/sqrt(Q);
    output channels R = z, G = r, B = g, as (..., 3, H, W) or (..., H, W, 3) if `channels_last`.
    numpy in -> numpy out, torch in -> torch out.
    """

    def fn(x: Tensor) -> Tensor:
        scaled, intensity, f = _rgb_parts(x)
        return torch.clamp((scaled + RGB_M) * f / intensity, 0.0, 1.0)

    return _apply(image, fn, channels_last)


def stein_rgb(image: ArrayT, channels_last: bool = False) -> ArrayT:
    """Stein et al.'s RGB variant (the input his ResNet-50 was trained on), values in [0, 1].

    out = x * (s + m * f / I), same I and f as `legacy_rgb`; channels R = z, G = r, B = g.
    """

    def fn(x: Tensor) -> Tensor:
        scales = torch.tensor(RGB_SCALES, dtype=x.dtype, device=x.device).view(3, 1, 1)
        _, intensity, f = _rgb_parts(x)
        return torch.clamp(x * (scales + RGB_M * f / intensity), 0.0, 1.0)

    return _apply(image, fn, channels_last)


def stretch_small(image: Tensor) -> Tensor:
    """`resnet_small` input: asinh(x / sky noise) per band (g, r, z order kept)."""
    noise = torch.tensor(SKY_NOISE, dtype=image.dtype, device=image.device).view(3, 1, 1)
    return torch.asinh(image / noise)


def center_crop(images: Tensor, size: int) -> Tensor:
    """Central size x size window of (..., H, W) (the whole image if it is smaller)."""
    height, width = images.shape[-2:]
    top, left = max(0, (height - size) // 2), max(0, (width - size) // 2)
    return images[..., top:top + min(size, height), left:left + min(size, width)]


def _uniform(shape: tuple[int, ...], low: float, high: float, device: torch.device,
             generator: torch.Generator | None) -> Tensor:
    where = generator.device if generator is not None else device
    return (torch.rand(shape, generator=generator, device=where) * (high - low) + low).to(device)


def _normal(shape: tuple[int, ...], device: torch.device,
            generator: torch.Generator | None) -> Tensor:
    where = generator.device if generator is not None else device
    return torch.randn(shape, generator=generator, device=where).to(device)


def augment_crop(images: Tensor, size: int, generator: torch.Generator | None = None) -> Tensor:
    """Random flips, rotation (+-45 deg, bilinear) and +-5 px shift, sampled straight into the
    central size x size window (one `grid_sample` per batch)."""
    batch, _, height, width = images.shape
    size_y, size_x = min(size, height), min(size, width)
    device, dtype = images.device, images.dtype
    angle = _uniform((batch,), -MAX_ROTATION_DEG, MAX_ROTATION_DEG, device, generator)
    angle = torch.deg2rad(angle).to(dtype)
    flips = torch.where(_uniform((batch, 2), 0.0, 1.0, device, generator) < 0.5, -1.0, 1.0)
    shift = torch.floor(_uniform((batch, 2), -MAX_ROLL, MAX_ROLL + 1, device, generator))
    cos, sin = torch.cos(angle), torch.sin(angle)
    # Output pixel offsets (from the crop centre, in pixels) -> source pixel coordinates.
    ys = torch.arange(size_y, device=device, dtype=dtype) - (size_y - 1) / 2
    xs = torch.arange(size_x, device=device, dtype=dtype) - (size_x - 1) / 2
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    fx = gx[None] * flips[:, 0, None, None].to(dtype)
    fy = gy[None] * flips[:, 1, None, None].to(dtype)
    cx = (width - 1) / 2 + shift[:, 0, None, None].to(dtype)
    cy = (height - 1) / 2 + shift[:, 1, None, None].to(dtype)
    src_x = cos[:, None, None] * fx - sin[:, None, None] * fy + cx
    src_y = sin[:, None, None] * fx + cos[:, None, None] * fy + cy
    grid = torch.stack(((2 * src_x + 1) / width - 1, (2 * src_y + 1) / height - 1), dim=-1)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def prepare_images(raw: Tensor, config: ModelConfig, train: bool,
                   generator: torch.Generator | None = None,
                   noise_sigma: float = IMAGE_NOISE) -> Tensor:
    """(B, 3, H, W) g, r, z nanomaggies -> encoder input (B, 3, crop, crop), float32.

    resnet50 (Stein): `stein_rgb` in [0, 1]; resnet_small: `stretch_small`. Then, when `train`,
    random flips/rotation/shift and Gaussian noise (sigma `noise_sigma`); always a centre crop
    of `config.image_crop` (clamped to the image size). NaN/inf pixels count as 0.
    """
    if raw.dim() != 4 or raw.shape[1] != 3:
        raise ValueError(f"expected images of shape (B, 3, H, W), got {tuple(raw.shape)}")
    x = torch.nan_to_num(raw.float(), nan=0.0, posinf=0.0, neginf=0.0)
    # resnet50: channels z, r, g in [0, 1], the order and mapping Stein's ToRGB fed his network.
    x = stein_rgb(x) if config.image_encoder == "resnet50" else stretch_small(x)
    if not train:
        return center_crop(x, config.image_crop).contiguous()
    x = augment_crop(x, config.image_crop, generator)
    if noise_sigma > 0:
        x = x + noise_sigma * _normal(tuple(x.shape), x.device, generator)
    return x


MAX_PSF_SIGMA_PX = 1.0
"""Largest extra Gaussian PSF blur (pixels) of `survey_augment`."""
MAX_NOISE_SCALE = 1.0
"""Largest extra sky noise of `survey_augment`, in units of each band's `SKY_NOISE`."""


def psf_blur(raw: Tensor, sigma: Tensor) -> Tensor:
    """(B, C, H, W) images blurred by a Gaussian of per-image width `sigma` (B,) in pixels
    (separable, zero padding; sigma 0 leaves an image unchanged)."""
    batch, channels, height, width = raw.shape
    radius = max(1, math.ceil(3 * float(sigma.max())))
    offsets = torch.arange(-radius, radius + 1, device=raw.device, dtype=raw.dtype)
    safe = torch.clamp(sigma, min=1e-3).to(raw.dtype)[:, None]
    kernel = torch.exp(-0.5 * (offsets[None] / safe) ** 2)
    kernel = kernel / kernel.sum(dim=1, keepdim=True)  # (B, k)
    weight = kernel.repeat_interleave(channels, dim=0)[:, None]  # (B*C, 1, k)
    x = raw.reshape(1, batch * channels, height, width)
    x = F.conv2d(x, weight[..., None], padding=(radius, 0), groups=batch * channels)
    x = F.conv2d(x, weight[:, :, None], padding=(0, radius), groups=batch * channels)
    return x.reshape(batch, channels, height, width)


def survey_augment(raw: Tensor, generator: torch.Generator | None = None,
                   max_sigma_px: float = MAX_PSF_SIGMA_PX,
                   max_noise: float = MAX_NOISE_SCALE) -> Tensor:
    """Observing-condition augmentations of (B, 3, H, W) g, r, z nanomaggies (before
    `prepare_images`): a Gaussian PSF blur of random width in [0, max_sigma_px] px per image,
    then Gaussian sky noise with a random level per image and band, in [0, max_noise] times
    that band's typical DECaLS noise (`SKY_NOISE`). Self-supervised image pretraining uses it."""
    x = torch.nan_to_num(raw.float(), nan=0.0, posinf=0.0, neginf=0.0)
    batch = x.shape[0]
    if max_sigma_px > 0:
        x = psf_blur(x, _uniform((batch,), 0.0, max_sigma_px, x.device, generator))
    if max_noise > 0:
        sky = torch.tensor(SKY_NOISE, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
        level = _uniform((batch, 3), 0.0, max_noise, x.device, generator)[..., None, None]
        x = x + level * sky * _normal(tuple(x.shape), x.device, generator)
    return x


def prepare_spectra(raw: Tensor, train: bool, stddev: Tensor | None = None,
                    noise_scale: float = SPECTRUM_NOISE,
                    generator: torch.Generator | None = None) -> Tensor:
    """(B, L) or (B, L, 1) flux -> (B, L) standardised per spectrum (zero mean, unit std).

    When `train` and `stddev` (the (L,) per-bin std of standardised training spectra, from
    `astroclip stddev`) is given, adds `noise_scale * stddev * N(0, 1)`. All-zero spectra stay
    zero (before noise); non-finite bins count as 0.
    """
    x = raw.squeeze(-1) if raw.dim() == 3 and raw.shape[-1] == 1 else raw
    if x.dim() != 2:
        raise ValueError(f"expected spectra of shape (B, L) or (B, L, 1), got {tuple(raw.shape)}")
    x = torch.nan_to_num(x.float(), nan=0.0, posinf=0.0, neginf=0.0)
    mean = x.mean(dim=1, keepdim=True)
    std = x.std(dim=1, keepdim=True)
    x = (x - mean) / torch.clamp(std, min=1e-8)
    if train and stddev is not None and noise_scale > 0:
        stddev = torch.as_tensor(stddev, dtype=x.dtype, device=x.device)
        if stddev.shape != x.shape[1:]:
            raise ValueError(f"stddev has shape {tuple(stddev.shape)}, expected ({x.shape[1]},)")
        x = x + noise_scale * stddev * _normal(tuple(x.shape), x.device, generator)
    return x


def valid_pair_mask(spectra: Tensor, redshifts: Tensor) -> Tensor:
    """(B,) bool: True where the spectrum is finite and not all zero and the redshift lies in
    `constants.REDSHIFT_RANGE` (inclusive). The seeds drop the other pairs from every batch."""
    x = spectra.reshape(spectra.shape[0], -1)
    finite = torch.isfinite(x).all(dim=1)
    nonzero = (torch.nan_to_num(x) != 0).any(dim=1)
    z = redshifts.reshape(-1)
    in_range = torch.isfinite(z) & (z >= REDSHIFT_RANGE[0]) & (z <= REDSHIFT_RANGE[1])
    return finite & nonzero & in_range
