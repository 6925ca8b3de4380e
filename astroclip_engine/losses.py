"""The CLIP objective: stateless symmetric InfoNCE on L2-normalised embeddings.

Under DDP the caller gathers the embeddings of all ranks first (e.g. Lightning's
`self.all_gather(x, sync_grads=True)` flattened to (world * B, D)), so that every galaxy in the
global batch is a negative for every other; this function then sees one big batch and needs no
distributed code of its own.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

MAX_LOGIT_SCALE = 100.0
"""CLIP's cap on the inverse temperature."""


def clip_loss(image_emb: Tensor, spectrum_emb: Tensor, logit_scale: Tensor | float) -> Tensor:
    """Mean of the image->spectrum and spectrum->image cross-entropies of scaled cosine logits.

    `image_emb` and `spectrum_emb` are (B, D), already L2-normalised, row i of each forming a
    pair; `logit_scale` is the inverse temperature (1 / 0.07 by default), clamped at 100.
    """
    if image_emb.shape != spectrum_emb.shape or image_emb.dim() != 2:
        raise ValueError(
            f"expected two (B, D) embeddings of equal shape, got {tuple(image_emb.shape)} "
            f"and {tuple(spectrum_emb.shape)}"
        )
    scale = torch.as_tensor(logit_scale, dtype=image_emb.dtype, device=image_emb.device)
    logits = scale.clamp(max=MAX_LOGIT_SCALE) * image_emb @ spectrum_emb.T
    labels = torch.arange(image_emb.shape[0], device=image_emb.device)
    return 0.5 * (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels))
