"""The checkpoint API in one import: safe reading and the pretrained encoders
(models/checkpoint_io.py) and the AstroCLIP model files (models/factory.py).

Every file is read with `torch.load(weights_only=True)` plus an explicit allow-list of plain
types; a file that pickles code is refused with CheckpointError, never executed.
"""

from __future__ import annotations

from astroclip_engine.models.checkpoint_io import (
    SAFE_GLOBALS,
    SafeGlobal,
    SteinCheckpoint,
    file_sha256,
    load_spender_encoder,
    load_state_dict_checked,
    load_stein_head,
    load_stein_image_encoder,
    read_stein_checkpoint,
    safe_load,
    spender_encoder_state,
    spender_latent_size,
)
from astroclip_engine.models.factory import (
    EXPORT_FORMAT,
    EXPORT_VERSION,
    build_model,
    load_astroclip,
    load_pretrained,
    save_astroclip,
)

__all__ = [
    "EXPORT_FORMAT", "EXPORT_VERSION", "SAFE_GLOBALS", "SafeGlobal", "SteinCheckpoint",
    "build_model", "file_sha256", "load_astroclip", "load_pretrained", "load_spender_encoder",
    "load_state_dict_checked", "load_stein_head", "load_stein_image_encoder",
    "read_stein_checkpoint", "safe_load", "save_astroclip", "spender_encoder_state",
    "spender_latent_size",
]
