"""AstroCLIP v2 from a run configuration (`model.family: astroclip-v2`, preset `paper-v2`).

`resolve_sizes` fills the config's v2 size fields from the backbone files' tensor shapes (read
without loading the weights) so that config.yaml and the training checkpoints record the exact
architecture; `build_v2` makes a fresh model of those sizes (reads no file; what
`models.factory.load_astroclip` rebuilds); `load_v2` puts the AstroDINO and SpecFormer weights
under fresh heads for training, backbones frozen when `freeze_backbones`.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

from astroclip_engine.config import ModelConfig
from astroclip_engine.errors import ConfigError
from astroclip_engine.models.specformer import DEFAULT_HEAD_DIM, SpecFormer
from astroclip_engine.models.v2.model import IMAGE_CROP, AstroClipV2
from astroclip_engine.models.v2.vit import DinoViT

OFFICIAL_SIZES: dict[str, int] = {"vit_width": 1024, "vit_depth": 24, "specformer_width": 768,
                                  "specformer_layers": 6, "specformer_heads": 6}
"""The released backbones: AstroDINO ViT-L/12 (1024-d, 24 blocks), SpecFormer 768-d x 6 x 6."""

VIT_PATCH = 12
VIT_CHUNKS = 4


def _layer_count(state: dict[str, Any], pattern: str) -> int:
    return len({m.group(1) for k in state if (m := re.match(pattern, k))})


def astrodino_sizes(path: str | Path) -> dict[str, int]:
    """vit_width and vit_depth of an `astrodino.ckpt`, from tensor shapes only."""
    from astroclip_engine.models.safe_unpickle import read_pickled_checkpoint, state_dict_of

    _where, state = state_dict_of(read_pickled_checkpoint(path, read_meta=True), path)
    state = {k.removeprefix("module.").removeprefix("backbone."): v for k, v in state.items()}
    if "patch_embed.proj.weight" not in state:
        raise ConfigError(f"{path}: no 'backbone.patch_embed.*' keys (expected AstroDINO's "
                          "teacher checkpoint for model.image_checkpoint)")
    depth = (_layer_count(state, r"blocks\.(\d+\.\d+)\.norm1\.weight$")
             or _layer_count(state, r"blocks\.(\d+)\.norm1\.weight$"))
    return {"vit_width": int(state["patch_embed.proj.weight"].shape[0]), "vit_depth": depth}


def specformer_sizes(path: str | Path) -> dict[str, int]:
    """specformer_width, _layers and _heads of a `specformer.ckpt` (heads from its
    hyper-parameters, else width / 128 as in the official model)."""
    from astroclip_engine.models.safe_unpickle import (
        hyper_parameters_of,
        read_pickled_checkpoint,
        state_dict_of,
    )

    obj = read_pickled_checkpoint(path, read_meta=True)
    _where, state = state_dict_of(obj, path)
    if "data_embed.weight" not in state:
        raise ConfigError(f"{path}: no 'data_embed.weight' (expected a SpecFormer checkpoint "
                          "for model.spectrum_checkpoint)")
    width = int(state["data_embed.weight"].shape[0])
    heads = hyper_parameters_of(obj).get("num_heads")
    return {"specformer_width": width,
            "specformer_layers": _layer_count(state, r"blocks\.(\d+)\."),
            "specformer_heads": heads if isinstance(heads, int) and heads > 0
            else max(1, width // DEFAULT_HEAD_DIM)}


def resolve_sizes(config: ModelConfig) -> ModelConfig:
    """`config` with every unset v2 size taken from its backbone files (official sizes where
    no file is named); other families unchanged."""
    if config.family != "astroclip-v2":
        return config
    found = dict(OFFICIAL_SIZES)
    if config.image_checkpoint:
        found.update(astrodino_sizes(config.image_checkpoint))
    if config.spectrum_checkpoint:
        found.update(specformer_sizes(config.spectrum_checkpoint))
    changes = {key: value for key, value in found.items() if getattr(config, key) is None}
    return dataclasses.replace(config, **changes)


def _size(config: ModelConfig, key: str) -> int:
    value = getattr(config, key)
    return OFFICIAL_SIZES[key] if value is None else int(value)


def build_v2(config: ModelConfig) -> AstroClipV2:
    """A fresh AstroCLIP v2 of the config's sizes (unset ones official); reads no file."""
    width = _size(config, "vit_width")
    vit = DinoViT(img_size=IMAGE_CROP, patch=VIT_PATCH, dim=width,
                  depth=_size(config, "vit_depth"), hidden=4 * width, chunks=VIT_CHUNKS)
    spec = SpecFormer(embed_dim=_size(config, "specformer_width"),
                      num_layers=_size(config, "specformer_layers"),
                      num_heads=_size(config, "specformer_heads"))
    model = AstroClipV2(vit, spec, embed_dim=config.embedding_dim)
    model.set_backbones_frozen(config.freeze_backbones)
    return model


def load_v2(config: ModelConfig) -> AstroClipV2:
    """The model to train: `build_v2` with the AstroDINO (`image_checkpoint`) and SpecFormer
    (`spectrum_checkpoint`) weights loaded strictly when named. A size set in the config that
    differs from the file's is a ConfigError."""
    from astroclip_engine.models.v2.model import load_astrodino, load_specformer

    resolved = resolve_sizes(config)
    for key, value in resolve_sizes(dataclasses.replace(
            config, **dict.fromkeys(OFFICIAL_SIZES))).__dict__.items():
        if key in OFFICIAL_SIZES and getattr(resolved, key) != value:
            raise ConfigError(f"model.{key} is {getattr(resolved, key)} but the backbone "
                              f"checkpoint has {value}; leave it unset to take the file's")
    model = build_v2(resolved)
    if config.image_checkpoint:
        model.image_encoder.backbone = load_astrodino(config.image_checkpoint)
    if config.spectrum_checkpoint:
        model.spectrum_encoder.backbone = load_specformer(config.spectrum_checkpoint)
    model.set_backbones_frozen(config.freeze_backbones)
    return model
