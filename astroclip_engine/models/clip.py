"""The AstroCLIP model: two backbones, two projection heads and the learned or fixed temperature.

open_clip-style API: `encode_image(x, normalize=True)`, `encode_spectrum(x, normalize=True)`,
`forward(images, spectra) -> (image_emb, spectrum_emb)` (both L2-normalised), and `logit_scale`
(the inverse temperature to pass to `losses.clip_loss`). Inputs are already preprocessed by
`data.transforms.prepare_images` / `prepare_spectra`.

The temperature is stored in log space as the parameter `log_logit_scale` (trainable only when
`config.learnable_temperature`); the `logit_scale` property returns exp(log_logit_scale) clamped
at 100, as CLIP does.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from astroclip_engine.config import ModelConfig
from astroclip_engine.errors import ConfigError
from astroclip_engine.losses import MAX_LOGIT_SCALE
from astroclip_engine.models.heads import image_head, spectrum_head
from astroclip_engine.models.image_encoder import build_image_encoder
from astroclip_engine.models.spectrum_encoder import build_spectrum_encoder


class AstroCLIP(nn.Module):
    """Image and spectrum encoders + heads mapping both modalities into one D-dimensional space.

    Receives its encoders (models/factory.py builds them, fresh or pretrained) and reads no
    file; with no encoders given it builds fresh ones of the kinds `config` names.
    """

    def __init__(self, config: ModelConfig, image_encoder: nn.Module | None = None,
                 spectrum_encoder: nn.Module | None = None) -> None:
        super().__init__()
        if config.temperature <= 0:
            raise ConfigError(f"model.temperature must be > 0, got {config.temperature}")
        self.config = config
        self.image_encoder = image_encoder or build_image_encoder(config.image_encoder)
        self.spectrum_encoder = spectrum_encoder or build_spectrum_encoder(config.spectrum_encoder)
        dim = config.embedding_dim
        self.image_head = image_head(self.image_encoder.num_features, dim)
        self.spectrum_head = spectrum_head(self.spectrum_encoder.num_features, dim)
        self.log_logit_scale = nn.Parameter(
            torch.tensor(math.log(1.0 / config.temperature)),
            requires_grad=config.learnable_temperature,
        )
        self._frozen = False
        if config.freeze_backbones:
            self.set_backbones_frozen(True)

    @property
    def embedding_dim(self) -> int:
        return self.config.embedding_dim

    @property
    def logit_scale(self) -> Tensor:
        """Inverse temperature exp(log_logit_scale) clamped at 100 (differentiable if learnable)."""
        return self.log_logit_scale.exp().clamp(max=MAX_LOGIT_SCALE)

    def encode_image(self, images: Tensor, normalize: bool = True) -> Tensor:
        """(B, 3, H, W) prepared images -> (B, D) embeddings."""
        emb = self.image_head(self.image_encoder.forward_features(images))
        return nn.functional.normalize(emb, dim=-1) if normalize else emb

    def encode_spectrum(self, spectra: Tensor, normalize: bool = True) -> Tensor:
        """(B, L) or (B, 1, L) prepared spectra -> (B, D) embeddings."""
        emb = self.spectrum_head(self.spectrum_encoder.forward_features(spectra))
        return nn.functional.normalize(emb, dim=-1) if normalize else emb

    def forward(self, images: Tensor, spectra: Tensor) -> tuple[Tensor, Tensor]:
        return self.encode_image(images), self.encode_spectrum(spectra)

    @property
    def backbones_frozen(self) -> bool:
        return self._frozen

    def set_backbones_frozen(self, frozen: bool) -> None:
        """Stop (or restart) gradients into both encoders; frozen encoders stay in eval mode so
        BatchNorm statistics and dropout do not change (heads and temperature still train)."""
        self._frozen = frozen
        for encoder in (self.image_encoder, self.spectrum_encoder):
            encoder.requires_grad_(not frozen)
            encoder.train(self.training and not frozen)

    def train(self, mode: bool = True) -> AstroCLIP:
        super().train(mode)
        if self._frozen:
            self.image_encoder.eval()
            self.spectrum_encoder.eval()
        return self
