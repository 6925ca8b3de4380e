"""Reading a pretraining run's checkpoint back as an encoder (for `astroclip train
--spectrum-checkpoint RUN_DIR/checkpoints/best.ckpt`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from astroclip_engine.config import RunConfig
from astroclip_engine.errors import CheckpointError, ConfigError
from astroclip_engine.models.specformer import SpecFormer, build_specformer


def pretrain_config(path: str | Path) -> tuple[RunConfig, dict]:
    """(run config, "model.*" state with the prefix removed) of a pretraining checkpoint."""
    from astroclip_engine.models.checkpoint_io import safe_load

    path = Path(path)
    checkpoint = safe_load(path)
    hparams = checkpoint.get("hyper_parameters") if isinstance(checkpoint, Mapping) else None
    config_dict = hparams.get("config") if isinstance(hparams, Mapping) else None
    state = checkpoint.get("state_dict") if isinstance(checkpoint, Mapping) else None
    if not isinstance(config_dict, Mapping) or not isinstance(state, Mapping):
        raise CheckpointError(path, "not a pretraining checkpoint of `astroclip pretrain` "
                                    "(no 'hyper_parameters.config' or 'state_dict')")
    try:
        config = RunConfig.from_dict(dict(config_dict))
    except (ConfigError, TypeError) as exc:
        raise CheckpointError(path, f"invalid run configuration in the checkpoint: {exc}") from exc
    weights = {k[len("model."):]: v for k, v in state.items() if k.startswith("model.")}
    return config, weights


def load_pretrained_specformer(path: str | Path, expected: str) -> SpecFormer:
    """The SpecFormer of a `pretrain --modality spectrum` checkpoint; its architecture must be
    `expected` (the alignment config's model.spectrum_encoder)."""
    from astroclip_engine.models.checkpoint_io import load_state_dict_checked

    config, weights = pretrain_config(path)
    if config.model.task != "pretrain_spectrum":
        raise CheckpointError(Path(path), f"expected a spectrum pretraining checkpoint, got a "
                                          f"'{config.model.task}' run")
    if config.model.spectrum_encoder != expected:
        raise CheckpointError(Path(path), f"the checkpoint holds a "
                                          f"'{config.model.spectrum_encoder}', the run expects "
                                          f"model.spectrum_encoder '{expected}'")
    model = build_specformer(expected)
    load_state_dict_checked(model, weights, Path(path), "pretrained SpecFormer")
    return model
