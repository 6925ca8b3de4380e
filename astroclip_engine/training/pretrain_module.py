"""The LightningModule of masked spectrum pretraining (`astroclip pretrain --modality spectrum`).

Batches come from the same `PairedDataModule` as alignment; only the spectra are used (images
are read but ignored). Spectra are prepared exactly as for alignment and embedding
(`transforms.prepare_spectra`, with the same training noise), so the pretrained SpecFormer sees
the inputs it will later see inside AstroCLIP. Loss: `SpecFormer.masked_loss`, logged as
train/loss and val/loss. Each validation epoch also logs val/r2_spectrum_spectrum, the
leave-one-out cosine k-NN redshift R^2 of the mean-pooled features (the "SpecFormer alone" number).

Checkpoints hold hyper_parameters {"config": RunConfig.to_dict()} and "model.*" SpecFormer
weights (`models.pretrain_checkpoint.load_pretrained_specformer` reads them).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor

from astroclip_engine.config import RunConfig
from astroclip_engine.data.transforms import prepare_spectra, valid_pair_mask
from astroclip_engine.models.specformer import build_specformer
from astroclip_engine.training.pretrain_common import EncoderPretrainModule


class SpectrumPretrainModule(EncoderPretrainModule):
    """Masked-modelling pretraining of one SpecFormer."""

    r2_metric = "r2_spectrum_spectrum"

    def __init__(self, config: RunConfig | dict[str, Any],
                 spectrum_stddev: np.ndarray | Tensor | None = None) -> None:
        stddev = None if spectrum_stddev is None else torch.as_tensor(spectrum_stddev).float()
        spectrum_stddev = None  # Lightning compares __init__ arguments with the saved dict
        super().__init__(config)
        self.model = build_specformer(self.run_config.model.spectrum_encoder)
        self.register_buffer("spectrum_stddev", stddev, persistent=False)

    def _spectra(self, batch: dict[str, Tensor], train: bool) -> tuple[Tensor, Tensor] | None:
        valid = valid_pair_mask(batch["spectrum"], batch["redshift"])
        if int(valid.sum()) < 2:
            return None
        cfg = self.run_config.data
        spectra = prepare_spectra(batch["spectrum"][valid], train=train and cfg.augment,
                                  stddev=self.spectrum_stddev, noise_scale=cfg.spectrum_noise)
        return spectra, batch["redshift"][valid].float()

    def training_step(self, batch: dict[str, Tensor], batch_idx: int) -> Tensor | None:
        prepared = self._spectra(batch, train=True)
        if prepared is None:
            return None
        loss = self.model.masked_loss(prepared[0])
        self.log("train/loss", loss, on_step=True, on_epoch=True, prog_bar=True,
                 batch_size=prepared[0].shape[0], sync_dist=True)
        return loss

    def validation_step(self, batch: dict[str, Tensor], batch_idx: int) -> None:
        prepared = self._spectra(batch, train=False)
        if prepared is None:
            return
        spectra, redshift = prepared
        # a fixed mask per batch, so validation losses of different epochs compare
        generator = torch.Generator().manual_seed(batch_idx)
        loss = self.model.masked_loss(spectra, generator=generator)
        self.log("val/loss", loss, on_epoch=True, batch_size=spectra.shape[0], sync_dist=True)
        self.collect_validation(self.model.forward_features(spectra), redshift)
