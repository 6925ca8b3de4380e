"""Reading an `astroclip pretrain` run's checkpoint back as an encoder, for either modality
(`astroclip train --spectrum-checkpoint / --image-checkpoint RUN_DIR/checkpoints/best.ckpt`).

A pretraining checkpoint is a Lightning checkpoint with hyper_parameters {"config": RunConfig}
(model.task "pretrain_spectrum" or "pretrain_image") and the encoder's weights under "model.*".
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from torch import nn

from astroclip_engine.config import RunConfig
from astroclip_engine.errors import CheckpointError, ConfigError

ENCODER_KEY = {"pretrain_spectrum": "spectrum_encoder", "pretrain_image": "image_encoder"}
"""The model config key naming the pretrained encoder of each pretraining task."""


def read_pretrain_checkpoint(path: str | Path) -> tuple[RunConfig, dict] | None:
    """(run config, "model.*" state without the prefix), or None when the file is not an
    `astroclip pretrain` checkpoint (e.g. a published checkpoint that pickles classes)."""
    from astroclip_engine.models.checkpoint_io import safe_load

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(path, "no such checkpoint file")
    try:
        checkpoint = safe_load(path)
    except CheckpointError:
        return None
    return _parse(path, checkpoint)


def pretrain_config(path: str | Path) -> tuple[RunConfig, dict]:
    """(run config, "model.*" state with the prefix removed) of a pretraining checkpoint."""
    from astroclip_engine.models.checkpoint_io import safe_load

    read = _parse(Path(path), safe_load(path))
    if read is None:
        raise CheckpointError(Path(path), "not a pretraining checkpoint of `astroclip pretrain` "
                                          "(no 'hyper_parameters.config' or 'state_dict')")
    return read


def _parse(path: Path, checkpoint: object) -> tuple[RunConfig, dict] | None:
    hparams = checkpoint.get("hyper_parameters") if isinstance(checkpoint, Mapping) else None
    config_dict = hparams.get("config") if isinstance(hparams, Mapping) else None
    state = checkpoint.get("state_dict") if isinstance(checkpoint, Mapping) else None
    if not isinstance(config_dict, Mapping) or not isinstance(state, Mapping):
        return None
    try:
        config = RunConfig.from_dict(dict(config_dict))
    except (ConfigError, TypeError) as exc:
        raise CheckpointError(path, f"invalid run configuration in the checkpoint: {exc}") from exc
    weights = {k[len("model."):]: v for k, v in state.items() if k.startswith("model.")}
    return config, weights


def checked_pretrain_weights(path: str | Path, task: str, expected: str,
                             read: tuple[RunConfig, dict] | None = None) -> dict:
    """The encoder weights of a `task` pretraining checkpoint whose encoder is `expected`;
    a CheckpointError naming the file for another modality or architecture."""
    config, weights = read or pretrain_config(path)
    modality = task.removeprefix("pretrain_")
    if config.model.task != task:
        raise CheckpointError(Path(path), f"expected a {modality} pretraining checkpoint, got a "
                                          f"'{config.model.task}' run")
    key = ENCODER_KEY[task]
    if getattr(config.model, key) != expected:
        raise CheckpointError(Path(path), f"the checkpoint holds a "
                                          f"'{getattr(config.model, key)}', the run expects "
                                          f"model.{key} '{expected}'")
    return weights


def load_pretrained_image_encoder(path: str | Path, expected: str,
                                  read: tuple[RunConfig, dict] | None = None) -> nn.Module:
    """The image encoder of a `pretrain --modality image` checkpoint; its architecture must be
    `expected` (the alignment config's model.image_encoder)."""
    from astroclip_engine.models.checkpoint_io import load_state_dict_checked
    from astroclip_engine.models.image_encoder import build_image_encoder

    weights = checked_pretrain_weights(path, "pretrain_image", expected, read)
    model = build_image_encoder(expected)  # type: ignore[arg-type]
    load_state_dict_checked(model, weights, Path(path), "pretrained image encoder")
    return model


def load_pretrained_specformer(path: str | Path, expected: str) -> nn.Module:
    """The SpecFormer of a `pretrain --modality spectrum` checkpoint; its architecture must be
    `expected` (the alignment config's model.spectrum_encoder)."""
    from astroclip_engine.models.checkpoint_io import load_state_dict_checked
    from astroclip_engine.models.specformer import build_specformer

    weights = checked_pretrain_weights(path, "pretrain_spectrum", expected)
    model = build_specformer(expected)
    load_state_dict_checked(model, weights, Path(path), "pretrained SpecFormer")
    return model
