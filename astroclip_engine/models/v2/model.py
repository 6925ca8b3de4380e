"""The official AstroCLIP v2 model: AstroDINO ViT + SpecFormer, each with an alignment head.

`AstroClipV2.from_state_dict` reads every size from the tensor shapes of an `astroclip.ckpt`
state dict and loads it with strict key checks (names as in docs/formats.md section 1).
`from_backbones` builds a fresh model (new heads) over `astrodino.ckpt` and `specformer.ckpt`
for training the heads (preset `paper-v2`). Preprocessing is the official one: legacysurvey RGB
(ToRGB, m = 0.03, Q = 20) and a 144 px centre crop for images, SpecFormer's own for spectra.
The logit scale is fixed at 15.5 (not a tensor in the file).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from torch import Tensor, nn

from astroclip_engine.data.transforms import center_crop, legacy_rgb
from astroclip_engine.errors import CheckpointError
from astroclip_engine.models.checkpoint_io import load_state_dict_checked
from astroclip_engine.models.specformer import SpecFormer
from astroclip_engine.models.v2.heads import AlignmentHead
from astroclip_engine.models.v2.vit import DinoViT

LOGIT_SCALE = 15.5
IMAGE_CROP = 144


def _strip(state: Mapping[str, Tensor], prefix: str) -> dict[str, Tensor]:
    return {k[len(prefix):]: v.float() if v.is_floating_point() else v
            for k, v in state.items() if k.startswith(prefix)}


class AstroClipV2(nn.Module):
    """`image_encoder` (ImageHead) and `spectrum_encoder` (SpectrumHead) as in the official
    `AstroClipModel`; `embed_images` / `embed_spectra` take raw flux and return L2-normalised
    embeddings."""

    family = "astroclip-v2"

    def __init__(self, vit: DinoViT, specformer: SpecFormer, embed_dim: int = 1024,
                 hidden: int | None = None) -> None:
        super().__init__()
        hidden = hidden or 4 * embed_dim
        self.image_encoder = AlignmentHead(vit, vit.embed_dim, embed_dim, hidden, residual=False)
        self.spectrum_encoder = AlignmentHead(specformer, specformer.embed_dim, embed_dim,
                                              hidden, residual=True)
        self.embedding_dim = embed_dim
        self.logit_scale = math.log(LOGIT_SCALE)

    def encode_image(self, x: Tensor) -> Tensor:
        """Prepared RGB crops (B, 3, 144, 144) -> unnormalised (B, D), as the official model."""
        return self.image_encoder.head(self.image_encoder.backbone.patch_tokens(x))

    def encode_spectrum(self, spectra: Tensor) -> Tensor:
        """Raw flux (B, L) or (B, L, 1) -> unnormalised (B, D)."""
        return self.spectrum_encoder.head(self.spectrum_encoder.backbone(spectra))

    def prepare_images(self, raw: Tensor) -> Tensor:
        """(B, 3, H, W) g, r, z nanomaggies -> official RGB (R = z, G = r, B = g), 144 crop."""
        return center_crop(legacy_rgb(raw.float()), IMAGE_CROP).contiguous()

    def embed_images(self, raw: Tensor) -> Tensor:
        return nn.functional.normalize(self.encode_image(self.prepare_images(raw)), dim=-1)

    def embed_spectra(self, raw: Tensor) -> Tensor:
        return nn.functional.normalize(self.encode_spectrum(raw), dim=-1)

    def set_backbones_frozen(self, frozen: bool = True) -> None:
        for head in (self.image_encoder, self.spectrum_encoder):
            head.backbone.requires_grad_(not frozen)

    @classmethod
    def from_state_dict(cls, state: Mapping[str, Tensor], path: str | Path) -> AstroClipV2:
        """The model of an official `astroclip.ckpt` state dict, loaded strictly."""
        try:
            vit = DinoViT.from_state_dict(_strip(state, "image_encoder.backbone."))
            specformer = SpecFormer.from_state_dict(_strip(state, "spectrum_encoder.backbone."))
            decoder = state["image_encoder.mlp.decoder.weight"]
            model = cls(vit, specformer, embed_dim=int(decoder.shape[0]),
                        hidden=int(decoder.shape[1]))
        except (KeyError, StopIteration, ValueError, RuntimeError) as exc:
            raise CheckpointError(path, f"incomplete AstroCLIP v2 state dict ({exc})") from exc
        load_state_dict_checked(model, {k: v.float() if v.is_floating_point() else v
                                        for k, v in state.items()}, path, "AstroCLIP v2 model")
        return model

    @classmethod
    def from_backbones(cls, astrodino: str | Path, specformer: str | Path,
                       embed_dim: int = 1024) -> AstroClipV2:
        """Fresh heads over the official backbone files (read safely, loaded strictly)."""
        vit = load_astrodino(astrodino)
        spec = load_specformer(specformer)
        return cls(vit, spec, embed_dim=embed_dim)


def load_astrodino(path: str | Path) -> DinoViT:
    """`astrodino.ckpt` ({"teacher": {backbone.*, dino_head.*}}) -> DinoViT, strict."""
    from astroclip_engine.models.safe_unpickle import read_pickled_checkpoint, state_dict_of

    _where, state = state_dict_of(read_pickled_checkpoint(path), path)
    backbone = _strip({k.removeprefix("module."): v for k, v in state.items()}, "backbone.")
    if "patch_embed.proj.weight" not in backbone:
        raise CheckpointError(path, "no 'backbone.patch_embed.*' keys (expected AstroDINO's "
                                    "teacher checkpoint)")
    vit = DinoViT.from_state_dict(backbone)
    load_state_dict_checked(vit, backbone, path, "AstroDINO ViT")
    return vit


def load_specformer(path: str | Path) -> SpecFormer:
    """`specformer.ckpt` ({"hyper_parameters", "state_dict"}) -> SpecFormer, strict."""
    from astroclip_engine.models.safe_unpickle import (
        hyper_parameters_of,
        read_pickled_checkpoint,
        state_dict_of,
    )

    obj: Any = read_pickled_checkpoint(path)
    _where, state = state_dict_of(obj, path)
    state = {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
    if "data_embed.weight" not in state:
        raise CheckpointError(path, "no 'data_embed.weight' (expected a SpecFormer checkpoint)")
    model = SpecFormer.from_state_dict(state, hyper_parameters_of(obj))
    load_state_dict_checked(model, state, path, "SpecFormer")
    return model
