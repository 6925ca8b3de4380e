"""What every self-supervised pretraining module shares (`astroclip pretrain`): the optimiser
and learning-rate schedule, and the validation k-NN redshift R^2 of the frozen encoder's pooled
features. `SpectrumPretrainModule` and `ImagePretrainModule` derive from `EncoderPretrainModule`.
"""

from __future__ import annotations

from typing import Any

import lightning as L
import numpy as np
import torch
from torch import Tensor

from astroclip_engine.config import RunConfig
from astroclip_engine.knn import knn_regress, l2_normalize, r2_score
from astroclip_engine.training.module import cosine_factor


def knn_redshift_r2(features: Tensor, redshift: Tensor, k: int) -> float | None:
    """Leave-one-out cosine k-NN redshift R^2 of (n, F) features (None below 4 galaxies)."""
    z = redshift.numpy().astype(np.float64)
    if len(z) < 4:
        return None
    normed = l2_normalize(features.float().numpy())
    k = min(k, len(z) - 2)
    return float(r2_score(z, knn_regress(normed, z, normed, k=k, exclude=np.arange(len(z)))))


class EncoderPretrainModule(L.LightningModule):
    """Base of the pretraining modules: `self.run_config`, AdamW with the run's schedule, and
    `val/<r2_metric>` from the (features, redshift) pairs `collect_validation` gathered."""

    r2_metric = "r2"

    def __init__(self, config: RunConfig | dict[str, Any]) -> None:
        super().__init__()
        config_dict = config.to_dict() if isinstance(config, RunConfig) else config
        self.save_hyperparameters({"config": config_dict})
        self.run_config = RunConfig.from_dict(config_dict)
        self._val: list[tuple[Tensor, Tensor]] = []

    def collect_validation(self, features: Tensor, redshift: Tensor) -> None:
        """Keep one validation batch's pooled features and redshifts for the epoch's R^2."""
        self._val.append((features.detach().float().cpu(), redshift.detach().float().cpu()))

    def on_validation_epoch_start(self) -> None:
        self._val = []

    def on_validation_epoch_end(self) -> None:
        if len(self._val) == 0 or self.trainer.sanity_checking:
            return
        features = torch.cat([f for f, _ in self._val])
        redshift = torch.cat([z for _, z in self._val])
        self._val = []
        r2 = knn_redshift_r2(features, redshift, self.run_config.trainer.val_knn_k)
        if r2 is not None:
            self.log(f"val/{self.r2_metric}", r2, sync_dist=True)

    def configure_optimizers(self) -> dict[str, Any]:
        optim = self.run_config.optim
        params = [p for p in self.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(params, lr=optim.lr, weight_decay=optim.weight_decay)
        if optim.schedule == "constant":
            return {"optimizer": optimizer}
        total = max(1, int(self.trainer.estimated_stepping_batches))
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, cosine_factor(total))
        return {"optimizer": optimizer,
                "lr_scheduler": {"scheduler": scheduler, "interval": "step", "frequency": 1}}
