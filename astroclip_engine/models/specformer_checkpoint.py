"""Reading a spectrum pretraining run's checkpoint back as a SpecFormer (for `astroclip train
--spectrum-checkpoint RUN_DIR/checkpoints/best.ckpt`); the reader of both modalities is
`models/pretrain_checkpoint.py`."""

from __future__ import annotations

from pathlib import Path

from astroclip_engine.models.pretrain_checkpoint import checked_pretrain_weights, pretrain_config
from astroclip_engine.models.specformer import SpecFormer, build_specformer

__all__ = ["load_pretrained_specformer", "pretrain_config"]


def load_pretrained_specformer(path: str | Path, expected: str) -> SpecFormer:
    """The SpecFormer of a `pretrain --modality spectrum` checkpoint; its architecture must be
    `expected` (the alignment config's model.spectrum_encoder)."""
    from astroclip_engine.models.checkpoint_io import load_state_dict_checked

    weights = checked_pretrain_weights(path, "pretrain_spectrum", expected)
    model = build_specformer(expected)
    load_state_dict_checked(model, weights, Path(path), "pretrained SpecFormer")
    return model
