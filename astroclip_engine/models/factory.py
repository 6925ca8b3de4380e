"""Making AstroCLIP models: `build_model(config)` (no IO), `load_pretrained(config)` (the
pretrained encoders the config names), and the trained-model files `save_astroclip` /
`load_astroclip` (layouts in models/checkpoint_io.py's docstring).

The model classes never read files; this module and models/checkpoint_io.py do
(docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import torch
from torch import nn

from astroclip_engine.atomic import atomic_path
from astroclip_engine.config import ModelConfig, RunConfig
from astroclip_engine.errors import CheckpointError, ConfigError
from astroclip_engine.models.checkpoint_io import (
    load_spender_encoder,
    load_state_dict_checked,
    load_stein_image_encoder,
    mapping_entry,
    safe_load,
)
from astroclip_engine.models.clip import AstroCLIP
from astroclip_engine.models.image_encoder import build_image_encoder
from astroclip_engine.models.spectrum_encoder import build_spectrum_encoder

EXPORT_FORMAT = "astroclip-studio"
EXPORT_VERSION = 1


def build_model(config: ModelConfig) -> AstroCLIP:
    """A freshly initialised AstroCLIP with the encoders `config` names (reads no file); an
    official v2 model (`models.v2.build`) when `config.family` is "astroclip-v2"."""
    if config.family == "astroclip-v2":
        from astroclip_engine.models.v2.build import build_v2

        return build_v2(config)  # type: ignore[return-value]
    return AstroCLIP(config, build_image_encoder(config.image_encoder),
                     build_spectrum_encoder(config.spectrum_encoder))


def load_pretrained(config: ModelConfig) -> AstroCLIP:
    """An AstroCLIP for training: the Stein ResNet-50 or an `astroclip pretrain` image encoder
    (`config.image_checkpoint`) and spender or pretrained SpecFormer (`config.spectrum_checkpoint`)
    encoders when named, fresh ones
    otherwise; for "astroclip-v2" the AstroDINO and SpecFormer backbones under fresh heads."""
    if config.family == "astroclip-v2":
        from astroclip_engine.models.v2.build import load_v2

        return load_v2(config)  # type: ignore[return-value]
    image = _image_encoder(config)
    if config.spectrum_checkpoint and config.spectrum_encoder.startswith("specformer"):
        # a checkpoint of `astroclip pretrain --modality spectrum`
        from astroclip_engine.models.pretrain_checkpoint import load_pretrained_specformer

        spectrum = load_pretrained_specformer(config.spectrum_checkpoint, config.spectrum_encoder)
    else:
        spectrum = _encoder(config, "spectrum", "spender", "spender", build_spectrum_encoder,
                            load_spender_encoder)
    return AstroCLIP(config, image, spectrum)


def _image_encoder(config: ModelConfig) -> nn.Module:
    """A fresh image encoder, or the one of model.image_checkpoint: an `astroclip pretrain
    --modality image` checkpoint of the same architecture, or Stein's ResNet-50."""
    if not config.image_checkpoint:
        return build_image_encoder(config.image_encoder)
    from astroclip_engine.models.pretrain_checkpoint import (
        load_pretrained_image_encoder,
        read_pretrain_checkpoint,
    )

    read = read_pretrain_checkpoint(config.image_checkpoint)
    if read is not None:
        return load_pretrained_image_encoder(config.image_checkpoint, config.image_encoder, read)
    if config.image_encoder != "resnet50":
        raise CheckpointError(Path(config.image_checkpoint),
                              f"not an `astroclip pretrain --modality image` checkpoint; "
                              f"model.image_encoder '{config.image_encoder}' takes only those "
                              f"(Stein's ResNet-50 checkpoint needs 'resnet50')")
    return load_stein_image_encoder(config.image_checkpoint)


def _encoder(config: ModelConfig, modality: str, needs: str, what: str,
             build: Callable[[str], nn.Module], load: Callable[[str], nn.Module]) -> nn.Module:
    """The `modality` encoder: loaded from model.<modality>_checkpoint if set, else built."""
    checkpoint = getattr(config, f"{modality}_checkpoint")
    kind = getattr(config, f"{modality}_encoder")
    if not checkpoint:
        return build(kind)
    if kind != needs:
        raise ConfigError(f"model.{modality}_checkpoint ({what}) needs "
                          f"model.{modality}_encoder '{needs}'")
    return load(checkpoint)


def save_astroclip(path: str | Path, model: AstroCLIP, run_config: RunConfig) -> Path:
    """Write the plain export layout atomically; returns the path."""
    path = Path(path)
    payload = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "config": run_config.to_dict(),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
    }
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
    return path


def load_astroclip(path: str | Path) -> tuple[AstroCLIP, RunConfig]:
    """A trained AstroCLIP (eval mode, CPU) and its RunConfig from a plain export or a
    Lightning checkpoint written by training/. A trained checkpoint holds every weight, so the
    pretrained files named in its config are not read again."""
    path = Path(path)
    config_dict, state = _astroclip_payload(path, safe_load(path))
    try:
        config = RunConfig.from_dict(dict(config_dict))
        model = build_model(config.model)
    except (ConfigError, TypeError, ValueError) as exc:
        raise CheckpointError(path, f"invalid run configuration in the checkpoint: {exc}") from exc
    load_state_dict_checked(model, state, path, "AstroCLIP model")
    return model.eval(), config


def _astroclip_payload(path: Path, checkpoint: object) -> tuple[Mapping, Mapping]:
    """(config dict, AstroCLIP state dict) of either checkpoint layout."""
    if not isinstance(checkpoint, Mapping):
        raise CheckpointError(path, "expected an AstroCLIP checkpoint dict")
    if checkpoint.get("format") == EXPORT_FORMAT:
        config_dict = checkpoint.get("config")
        state = mapping_entry(checkpoint, path, "state_dict", "an AstroCLIP export")
    elif "hyper_parameters" in checkpoint:
        hparams = checkpoint["hyper_parameters"]
        config_dict = hparams.get("config") if isinstance(hparams, Mapping) else None
        lightning_state = mapping_entry(checkpoint, path, "state_dict", "a Lightning checkpoint")
        state = {k[len("model."):]: v for k, v in lightning_state.items()
                 if k.startswith("model.")}
        if not state:
            raise CheckpointError(path, "Lightning state_dict has no 'model.*' keys (expected "
                                        "an AstroCLIP training checkpoint)")
    else:
        raise CheckpointError(path, "not an AstroCLIP checkpoint: expected format "
                                    f"{EXPORT_FORMAT!r} or Lightning 'hyper_parameters'")
    if not isinstance(config_dict, Mapping):
        raise CheckpointError(path, "no run configuration ('config') in the checkpoint")
    return config_dict, state
