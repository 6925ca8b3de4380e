"""The two published AstroCLIP reproductions ("seeds"), rebuilt from their Lightning checkpoints.

Both pair Stein et al.'s MoCo-v2 ResNet-50 (`ResNet50Encoder` + its `fc` MLP head) with spender's
spectrum encoder (`SpenderEncoder` convolutions + attention) whose latent MLP was replaced
(docs/formats.md sections 5 and 6):

- seed A (adnansiddiquei/AstroCLIP): `encoders.0.*` ResNet-50 with `fc.2` resized to D,
  `encoders.1.encoder.*` spender with `mlp.0` Linear(256, H), ReLU, `mlp.2` Linear(H, D).
  Input: images transposed (x, y), centre crop 96, per-image per-band standardisation; spectra
  standardised per spectrum.
- seed B (av1518/AstroCLIP-Extention): `image_encoder.backbone.*` ResNet-50 (D = 128),
  `spectrum_encoder.spec_encoder.*` spender whose `mlp.additional_layers` repeats Linear,
  PReLU, Dropout. Input: raw flux, centre crop 96; raw spectra.

Sizes (ResNet blocks per stage, H, D, the MLP widths) come from the tensor shapes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import Tensor, nn

from astroclip_engine.data.transforms import center_crop
from astroclip_engine.errors import CheckpointError
from astroclip_engine.models.checkpoint_io import load_state_dict_checked
from astroclip_engine.models.image_encoder import ResNet50Encoder
from astroclip_engine.models.spectrum_encoder import SpenderEncoder

SEED_IMAGE_CROP = 96
_EPS = 1e-6


def sub_state(state: Mapping[str, Tensor], prefix: str, drop: tuple[str, ...] = ()) -> dict:
    """Keys under `prefix` with the prefix removed (keys starting with any of `drop` skipped)."""
    return {k[len(prefix):]: v.float() if v.is_floating_point() else v
            for k, v in state.items()
            if k.startswith(prefix) and not k[len(prefix):].startswith(drop)}


def standardise(x: Tensor, dims: tuple[int, ...]) -> Tensor:
    """seed A's `Standardize`: (x - (mean + eps)) / (std + eps), unbiased std over `dims`."""
    mean = x.mean(dim=dims, keepdim=True) + _EPS
    std = x.std(dim=dims, keepdim=True) + _EPS
    return (x - mean) / std


def resnet_from_state(state: Mapping[str, Tensor], path: Path, what: str) -> nn.Module:
    """ResNet-50-style encoder + MoCo `fc` head (fc.0 Linear, ReLU, fc.2 Linear) from keys."""
    blocks = []
    for stage in range(1, 5):
        found = {int(m.group(1)) for k in state
                 if (m := re.match(rf"layer{stage}\.(\d+)\.", k))}
        if not found:
            raise CheckpointError(path, f"{what}: no 'layer{stage}.*' ResNet keys")
        blocks.append(max(found) + 1)
    backbone = ResNet50Encoder(layers=tuple(blocks))  # type: ignore[arg-type]
    load_state_dict_checked(backbone, {k: v for k, v in state.items() if not k.startswith("fc.")},
                            path, f"{what} ResNet backbone")
    head = nn.Sequential(*linear_stack({k[3:]: v for k, v in state.items()
                                        if k.startswith("fc.")}, path, what, nn.ReLU))
    load_state_dict_checked(head, {k[3:]: v for k, v in state.items() if k.startswith("fc.")},
                            path, f"{what} projection head")
    return nn.Sequential(backbone, head)


def linear_stack(state: Mapping[str, Tensor], path: Path, what: str,
                 activation: type[nn.Module], step: int = 2, prelu: bool = False,
                 final_activation: bool = False) -> list[nn.Module]:
    """Sequential layers whose Linear weights sit at `0, step, 2*step, ...` with an activation
    (and for `step` 3 a Dropout) between them, sized from the weight shapes."""
    indices = sorted(int(k.split(".")[0]) for k in state if re.fullmatch(r"\d+\.weight", k)
                     and state[k].dim() == 2)
    if not indices:
        raise CheckpointError(path, f"{what}: no Linear layers in the MLP")
    layers: list[nn.Module] = []
    for position, index in enumerate(indices):
        if index != position * step:
            raise CheckpointError(path, f"{what}: unexpected MLP layer index {index}")
        out_features, in_features = state[f"{index}.weight"].shape
        layers.append(nn.Linear(in_features, out_features))
        if position < len(indices) - 1 or final_activation:
            layers.append(nn.PReLU(out_features) if prelu else activation())
            if step == 3:
                layers.append(nn.Dropout(0.0))
    return layers


def spender_from_state(state: Mapping[str, Tensor], path: Path, what: str, mlp: nn.Module,
                       mlp_state: Mapping[str, Tensor]) -> SpenderEncoder:
    """spender convolutions + attention from `state` (conv*), with `mlp` as the latent MLP."""
    encoder = SpenderEncoder()
    encoder.mlp = mlp
    full = {k: v for k, v in state.items() if k.startswith(("conv1.", "conv2.", "conv3."))}
    full.update({f"mlp.{k}": v for k, v in mlp_state.items()})
    load_state_dict_checked(encoder, full, path, f"{what} spectrum encoder")
    return encoder


class _PReLUMLP(nn.Module):
    """seed B's `MLP`: `additional_layers` = (Linear, PReLU, Dropout) per width step."""

    def __init__(self, layers: list[nn.Module]) -> None:
        super().__init__()
        self.additional_layers = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.additional_layers(x)


class SeedModel(nn.Module):
    """A seed's image and spectrum encoders with their preprocessing; outputs L2-normalised."""

    def __init__(self, family: str, image: nn.Module, spectrum: SpenderEncoder,
                 standardised: bool, transpose_images: bool) -> None:
        super().__init__()
        self.family = family
        self.image = image
        self.spectrum = spectrum
        self.standardised = standardised
        self.transpose_images = transpose_images
        self.embedding_dim = int(image[1][-1].out_features)

    def embed_images(self, raw: Tensor) -> Tensor:
        """(B, 3, H, W) g, r, z nanomaggies -> (B, D)."""
        x = torch.nan_to_num(raw.float())
        if self.transpose_images:
            x = x.transpose(-1, -2)
        x = center_crop(x, SEED_IMAGE_CROP).contiguous()
        if self.standardised:
            x = standardise(x, (-1, -2))
        return nn.functional.normalize(self.image(x), dim=-1)

    def embed_spectra(self, raw: Tensor) -> Tensor:
        """(B, L) or (B, L, 1) flux -> (B, D)."""
        x = torch.nan_to_num(raw.float()).reshape(len(raw), -1)
        if self.standardised:
            x = standardise(x, (-1,))
        emb = self.spectrum.mlp(self.spectrum.forward_features(x))
        return nn.functional.normalize(emb, dim=-1)


def build_seed_a(state: Mapping[str, Tensor], path: Path) -> SeedModel:
    """seed A from its Lightning `state_dict` (`encoders.0.*`, `encoders.1.encoder.*`)."""
    image = resnet_from_state(sub_state(state, "encoders.0."), path, "seed A image")
    spectrum_state = sub_state(state, "encoders.1.encoder.", drop=("instrument.",))
    mlp_state = {k[4:]: v for k, v in spectrum_state.items() if k.startswith("mlp.")}
    mlp = nn.Sequential(*linear_stack(mlp_state, path, "seed A spectrum MLP", nn.ReLU))
    spectrum = spender_from_state(spectrum_state, path, "seed A", mlp, mlp_state)
    return SeedModel("seed-a", image, spectrum, standardised=True, transpose_images=True).eval()


def build_seed_b(state: Mapping[str, Tensor], path: Path) -> SeedModel:
    """seed B from its Lightning `state_dict` (`image_encoder.backbone.*`,
    `spectrum_encoder.spec_encoder.*`; the fixed `temperature` is not needed to embed)."""
    image = resnet_from_state(sub_state(state, "image_encoder.backbone."), path, "seed B image")
    spectrum_state = sub_state(state, "spectrum_encoder.spec_encoder.", drop=("instrument.",))
    prefix = "mlp.additional_layers."
    mlp_state = {k[len(prefix):]: v for k, v in spectrum_state.items() if k.startswith(prefix)}
    mlp = _PReLUMLP(linear_stack(mlp_state, path, "seed B spectrum MLP", nn.PReLU, step=3,
                                 prelu=True, final_activation=True))
    spectrum = spender_from_state(spectrum_state, path, "seed B", mlp,
                                  {f"additional_layers.{k}": v for k, v in mlp_state.items()})
    return SeedModel("seed-b", image, spectrum, standardised=False, transpose_images=False).eval()
