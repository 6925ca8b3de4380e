"""The LightningModule: one shared `_step` for training and validation, plus the zero-shot
k-NN redshift R^2 of every validation epoch.

- Invalid pairs (`transforms.valid_pair_mask`: empty spectra, redshift outside [0, 0.8]) are
  dropped per batch on the device before encoding.
- Under DDP the embeddings of every rank are gathered with gradients
  (`self.all_gather(..., sync_grads=True)`), so the negatives span the global batch and the
  gradients equal those of one process holding the whole batch. Ranks may keep different numbers
  of valid pairs, so each rank pads its embeddings back to the loader's batch size before the
  gather and the gathered validity mask removes the padding.
- Optimiser: Adam or AdamW (`config.optim.optimizer`; lr, weight decay from `config.optim`) over
  the trainable parameters, with `config.optim.schedule` "cosine" (cosine annealing from lr to 0
  over all steps, updated every step, after a linear warm-up over `warmup_fraction` of them;
  extending `max_epochs` on resume stretches it over the new total) or "constant".
- `model.family` "astroclip-v2" (preset paper-v2) trains the official v2 model: its own
  preprocessing and the fixed logit scale 15.5.
- Validation R^2: leave-one-out k-NN regression of the redshift on the validation embeddings
  (`knn.knn_regress`, k = `config.trainer.val_knn_k`, uniform, cosine). For a query galaxy its
  own row is excluded from the keys, in-modal and cross-modal alike (its own partner in the other
  modality would otherwise give away its redshift). Logged as val/r2_<query>_<key>, e.g.
  val/r2_image_spectrum: image queries, spectrum keys.
"""

from __future__ import annotations

import math
from typing import Any

import lightning as L
import numpy as np
import torch
from torch import Tensor

from astroclip_engine.config import RunConfig
from astroclip_engine.data.transforms import prepare_images, prepare_spectra, valid_pair_mask
from astroclip_engine.knn import knn_regress, r2_score
from astroclip_engine.losses import clip_loss
from astroclip_engine.modalities import MODALITY_PAIRS
from astroclip_engine.models.clip import AstroCLIP
from astroclip_engine.models.factory import build_model
from astroclip_engine.models.v2.model import LOGIT_SCALE as V2_LOGIT_SCALE
from astroclip_engine.models.v2.model import AstroClipV2

R2_PAIRS = MODALITY_PAIRS
"""(query modality, key modality) of the validation R^2 metrics."""


class AstroCLIPModule(L.LightningModule):
    """Trains `self.model` (an AstroCLIP) with the symmetric InfoNCE loss.

    Checkpoints hold hyper_parameters {"config": RunConfig.to_dict()} and "model.*" weights, the
    layout `models.checkpoints.load_astroclip` reads.
    """

    def __init__(self, config: RunConfig | dict[str, Any],
                 spectrum_stddev: np.ndarray | Tensor | None = None,
                 model: AstroCLIP | None = None) -> None:
        """`model`: the AstroCLIP to train (models.factory.load_pretrained for a new run);
        a fresh `build_model` one if not given."""
        super().__init__()
        config_dict = config.to_dict() if isinstance(config, RunConfig) else config
        # Lightning compares every __init__ argument with the saved dict: keep arrays out of it
        stddev = None if spectrum_stddev is None else torch.as_tensor(spectrum_stddev).float()
        spectrum_stddev = None
        self.save_hyperparameters({"config": config_dict})
        self.run_config = RunConfig.from_dict(config_dict)
        self.model = model if model is not None else build_model(self.run_config.model)
        self.register_buffer("spectrum_stddev", stddev, persistent=False)
        self._val_outputs: list[dict[str, Tensor]] = []

    # -- the shared step ---------------------------------------------------------------------

    def _step(self, batch: dict[str, Tensor], stage: str) -> dict[str, Tensor] | None:
        """Preprocess, encode, gather across ranks, and compute the loss of one batch."""
        cfg = self.run_config
        train = stage == "train"
        augment = train and cfg.data.augment
        valid = valid_pair_mask(batch["spectrum"], batch["redshift"])
        rows = valid.nonzero().squeeze(1)
        distributed = self.trainer.world_size > 1
        if rows.numel() < 2 and not distributed:
            return None
        if rows.numel() == 0:  # keep the collectives of every rank aligned; masked out below
            rows = torch.zeros(1, dtype=torch.long, device=valid.device)
        image_emb, spectrum_emb = self._encode(batch["image"][rows], batch["spectrum"][rows],
                                               augment)
        if distributed:
            size = batch["spectrum"].shape[0]
            all_image, keep = self._gather_padded(image_emb, rows, valid, size)
            all_spectrum, _ = self._gather_padded(spectrum_emb, rows, valid, size)
            all_image, all_spectrum = all_image[keep], all_spectrum[keep]
        else:
            all_image, all_spectrum = image_emb, spectrum_emb
        logit_scale = self._logit_scale()
        if all_image.shape[0] < 2:  # DDP only: no pairs anywhere; a zero loss keeps the graph
            loss = 0.0 * (image_emb.sum() + spectrum_emb.sum() + logit_scale)
        else:
            loss = clip_loss(all_image, all_spectrum, logit_scale)
        n_pairs = float(all_image.shape[0])
        # The loss is already that of the global batch; sync_dist only averages equal values.
        self.log(f"{stage}/loss", loss, on_step=train, on_epoch=True, prog_bar=True,
                 sync_dist=True, batch_size=int(n_pairs))
        if train:
            self.log("train/logit_scale", logit_scale.detach(), on_step=True, on_epoch=False)
            self.log("train/lr", self._current_lr(), on_step=True, on_epoch=False)
        return {"loss": loss, "image_emb": image_emb.detach(),
                "spectrum_emb": spectrum_emb.detach(), "rows": rows, "valid": valid}

    def _encode(self, images: Tensor, spectra: Tensor, augment: bool) -> tuple[Tensor, Tensor]:
        """L2-normalised (image, spectrum) embeddings of raw pairs, each model with its own
        preprocessing: the official one for v2 (ToRGB + crop 144; SpecFormer standardises its
        input itself; no augmentation), `data.transforms` otherwise."""
        cfg = self.run_config
        if isinstance(self.model, AstroClipV2):
            normalize = torch.nn.functional.normalize
            return (normalize(self.model.encode_image(self.model.prepare_images(images)), dim=-1),
                    normalize(self.model.encode_spectrum(spectra.float()), dim=-1))
        images = prepare_images(images, cfg.model, train=augment,
                                noise_sigma=cfg.data.image_noise)
        spectra = prepare_spectra(spectra, train=augment, stddev=self.spectrum_stddev,
                                  noise_scale=cfg.data.spectrum_noise)
        return self.model.encode_image(images), self.model.encode_spectrum(spectra)

    def _logit_scale(self) -> Tensor:
        """The model's inverse temperature; v2's is fixed at 15.5 (as the official loss)."""
        if isinstance(self.model, AstroClipV2):
            return torch.tensor(V2_LOGIT_SCALE, device=self.device)
        return self.model.logit_scale

    def _gather_padded(self, emb: Tensor, rows: Tensor, valid: Tensor,
                       size: int) -> tuple[Tensor, Tensor]:
        """(world * size, D) embeddings of all ranks (zeros where invalid) and the validity mask."""
        padded = emb.new_zeros(size, emb.shape[1]).index_copy(0, rows, emb)
        gathered = self.all_gather(padded, sync_grads=True).reshape(-1, emb.shape[1])
        keep = self.all_gather(valid).reshape(-1)
        return gathered, keep

    def _current_lr(self) -> float:
        optimizers = self.trainer.optimizers if self._trainer is not None else []
        return float(optimizers[0].param_groups[0]["lr"]) if optimizers else float("nan")

    # -- Lightning hooks ---------------------------------------------------------------------

    def training_step(self, batch: dict[str, Tensor], batch_idx: int) -> dict[str, Tensor] | None:
        out = self._step(batch, "train")
        if out is None:
            return None
        return {"loss": out["loss"]}

    def validation_step(self, batch: dict[str, Tensor], batch_idx: int) -> None:
        out = self._step(batch, "val")
        if out is None:
            return
        size = batch["spectrum"].shape[0]
        valid = torch.zeros(size, dtype=torch.bool, device=out["valid"].device)
        valid[out["rows"]] = out["valid"][out["rows"]]
        keep = {"valid": valid, "redshift": batch["redshift"].float(), "index": batch["index"]}
        for name in ("image_emb", "spectrum_emb"):
            emb = out[name].float()
            keep[name] = emb.new_zeros(size, emb.shape[1]).index_copy(0, out["rows"], emb)
        self._val_outputs.append(keep)

    def on_validation_epoch_start(self) -> None:
        self._val_outputs = []

    def on_validation_epoch_end(self) -> None:
        if not self._val_outputs or self.trainer.sanity_checking:
            self._val_outputs = []
            return
        merged = {k: torch.cat([o[k] for o in self._val_outputs]) for k in self._val_outputs[0]}
        self._val_outputs = []
        if self.trainer.world_size > 1:
            merged = {k: self.all_gather(v).flatten(0, 1) for k, v in merged.items()}
        for name, value in validation_r2(merged, self.run_config.trainer.val_knn_k).items():
            self.log(f"val/r2_{name}", value, sync_dist=True)  # equal on every rank

    def configure_optimizers(self) -> dict[str, Any]:
        optim = self.run_config.optim
        params = [p for p in self.parameters() if p.requires_grad]
        make = torch.optim.AdamW if optim.optimizer == "adamw" else torch.optim.Adam
        optimizer = make(params, lr=optim.lr, weight_decay=optim.weight_decay)
        if optim.schedule == "constant":
            return {"optimizer": optimizer}
        total = max(1, int(self.trainer.estimated_stepping_batches))
        factor = (warmup_cosine_factor(total, int(optim.warmup_fraction * total))
                  if optim.warmup_fraction > 0 else cosine_factor(total))
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
        return {"optimizer": optimizer,
                "lr_scheduler": {"scheduler": scheduler, "interval": "step", "frequency": 1}}


def cosine_factor(total_steps: int):
    """LR multiplier at step s: 0.5 * (1 + cos(pi * s / total)), 0 from `total_steps` on."""

    def factor(step: int) -> float:
        return 0.5 * (1.0 + math.cos(math.pi * min(step, total_steps) / total_steps))

    return factor


def warmup_cosine_factor(total_steps: int, warmup_steps: int):
    """LR multiplier: linear from 1 / warmup to 1 over `warmup_steps`, then the cosine of
    `cosine_factor` over the remaining steps."""
    cosine = cosine_factor(max(1, total_steps - warmup_steps))

    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        return cosine(step - warmup_steps)

    return factor


def validation_r2(outputs: dict[str, Tensor], k: int) -> dict[str, float]:
    """Leave-one-out k-NN redshift R^2 for the four (query, key) modality pairs.

    `outputs` holds image_emb, spectrum_emb (N, D), redshift, index and valid (N,); rows that are
    invalid or repeat an index (DistributedSampler padding) are dropped. NaN when fewer than 3.
    """
    valid = outputs["valid"].cpu().numpy().astype(bool)
    index = outputs["index"].cpu().numpy()[valid]
    _, first = np.unique(index, return_index=True)
    pick = np.flatnonzero(valid)[np.sort(first)]
    n = len(pick)
    if n < 3:
        return {f"{q}_{key}": float("nan") for q, key in R2_PAIRS}
    k = min(k, n - 2)
    z = outputs["redshift"].cpu().numpy()[pick].astype(np.float64)
    emb = {m: outputs[f"{m}_emb"].float().cpu().numpy()[pick] for m in ("image", "spectrum")}
    exclude = np.arange(n)
    return {
        f"{q}_{key}": r2_score(z, knn_regress(emb[key], z, emb[q], k=k, exclude=exclude))
        for q, key in R2_PAIRS
    }
