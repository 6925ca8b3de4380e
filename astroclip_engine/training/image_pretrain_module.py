"""The LightningModule of MoCo-v2 image pretraining (`astroclip pretrain --modality image`), the
self-supervision Stein et al. (2021) gave their Legacy Survey ResNet-50.

Two views of each galaxy are drawn with the Legacy Survey augmentations: `survey_augment`
(random PSF blur and per-band sky noise, on the fluxes) then `prepare_images(train=True)`
(rotation, flips, shift, pixel noise, crop), exactly the preprocessing the encoder later sees
inside AstroCLIP. The query encoder (`model`) and a 2-layer MLP projector give the query; a
momentum copy of both (`key_model`, `key_projector`, updated as m * key + (1 - m) * query) gives
the key; the InfoNCE loss at temperature `model.temperature` contrasts each query with its key
and a queue of `QUEUE_SIZE` earlier keys. Projector output: `model.embedding_dim` (128).

Logged: train/loss, val/loss (the same loss with fixed augmentations, the queue left as it is)
and val/r2_image_image, the leave-one-out cosine k-NN redshift R^2 of the query encoder's pooled
features (the "image encoder alone" number). Checkpoints hold hyper_parameters
{"config": RunConfig.to_dict()} and "model.*" encoder weights
(`models.pretrain_checkpoint.load_pretrained_image_encoder` reads them).

Not done: the shuffled BatchNorm of MoCo under DDP (each rank normalises its own batch).
"""

from __future__ import annotations

import copy
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from astroclip_engine.config import RunConfig
from astroclip_engine.constants import REDSHIFT_RANGE
from astroclip_engine.data.transforms import prepare_images, survey_augment
from astroclip_engine.models.image_encoder import build_image_encoder
from astroclip_engine.training.pretrain_common import EncoderPretrainModule

QUEUE_SIZE = 4096
MOMENTUM = 0.99


def projector(in_features: int, out_features: int) -> nn.Sequential:
    """MoCo-v2's 2-layer MLP head: Linear -> ReLU -> Linear."""
    return nn.Sequential(nn.Linear(in_features, in_features), nn.ReLU(inplace=True),
                         nn.Linear(in_features, out_features))


class ImagePretrainModule(EncoderPretrainModule):
    """MoCo-v2 pretraining of one image encoder (`model.image_encoder`)."""

    r2_metric = "r2_image_image"

    def __init__(self, config: RunConfig | dict[str, Any]) -> None:
        super().__init__(config)
        model_config = self.run_config.model
        self.model = build_image_encoder(model_config.image_encoder)
        self.projector = projector(self.model.num_features, model_config.embedding_dim)
        self.key_model = copy.deepcopy(self.model).requires_grad_(False)
        self.key_projector = copy.deepcopy(self.projector).requires_grad_(False)
        queue = F.normalize(torch.randn(QUEUE_SIZE, model_config.embedding_dim), dim=1)
        self.register_buffer("queue", queue)
        self.register_buffer("queue_next", torch.zeros((), dtype=torch.long))

    def _view(self, raw: Tensor, train: bool, generator: torch.Generator | None = None) -> Tensor:
        cfg = self.run_config
        if not (train and cfg.data.augment):
            return prepare_images(raw, cfg.model, train=False)
        augmented = survey_augment(raw, generator)
        return prepare_images(augmented, cfg.model, train=True, generator=generator,
                              noise_sigma=cfg.data.image_noise)

    def _query(self, views: Tensor) -> Tensor:
        return F.normalize(self.projector(self.model(views)), dim=1)

    @torch.no_grad()
    def _key(self, views: Tensor) -> Tensor:
        return F.normalize(self.key_projector(self.key_model(views)), dim=1)

    def moco_loss(self, query: Tensor, key: Tensor) -> Tensor:
        """InfoNCE of each query against its key (positive) and the queue (negatives)."""
        positive = (query * key).sum(dim=1, keepdim=True)
        negative = query @ self.queue.clone().detach().T
        logits = torch.cat([positive, negative], dim=1) / self.run_config.model.temperature
        return F.cross_entropy(logits, torch.zeros(len(query), dtype=torch.long,
                                                   device=query.device))

    @torch.no_grad()
    def _momentum_update(self) -> None:
        pairs = ((self.model, self.key_model), (self.projector, self.key_projector))
        for query_net, key_net in pairs:
            for q, k in zip(query_net.parameters(), key_net.parameters(), strict=True):
                k.mul_(MOMENTUM).add_(q.detach(), alpha=1 - MOMENTUM)
            for q, k in zip(query_net.buffers(), key_net.buffers(), strict=True):
                k.copy_(q)

    @torch.no_grad()
    def _enqueue(self, keys: Tensor) -> None:
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            keys = self.all_gather(keys).reshape(-1, keys.shape[-1])
        keys = keys[-QUEUE_SIZE:]
        slots = (self.queue_next + torch.arange(len(keys), device=keys.device)) % QUEUE_SIZE
        self.queue[slots] = keys.to(self.queue.dtype)
        self.queue_next.copy_((self.queue_next + len(keys)) % QUEUE_SIZE)

    def training_step(self, batch: dict[str, Tensor], batch_idx: int) -> Tensor | None:
        raw = batch["image"]
        if raw.shape[0] < 2:
            return None
        query = self._query(self._view(raw, train=True))
        self._momentum_update()
        key = self._key(self._view(raw, train=True))
        loss = self.moco_loss(query, key)
        self._enqueue(key)
        self.log("train/loss", loss, on_step=True, on_epoch=True, prog_bar=True,
                 batch_size=raw.shape[0], sync_dist=True)
        return loss

    def validation_step(self, batch: dict[str, Tensor], batch_idx: int) -> None:
        raw = batch["image"]
        # fixed augmentations per batch, so validation losses of different epochs compare
        generator = torch.Generator().manual_seed(batch_idx)
        query = self._query(self._view(raw, train=True, generator=generator))
        key = self._key(self._view(raw, train=True, generator=generator))
        self.log("val/loss", self.moco_loss(query, key), on_epoch=True,
                 batch_size=raw.shape[0], sync_dist=True)
        redshift = batch["redshift"].reshape(-1).float()
        known = torch.isfinite(redshift) & (redshift >= REDSHIFT_RANGE[0]) & (
            redshift <= REDSHIFT_RANGE[1])
        if bool(known.any()):
            features = self.model.forward_features(self._view(raw[known], train=False))
            self.collect_validation(features, redshift[known])
