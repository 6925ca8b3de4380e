"""Any AstroCLIP checkpoint the studio can embed with: its own files, the official v2 model, the
seeds. `load_embedding_model(path)` returns an `EmbeddingModel` (preprocessing included);
`identify_checkpoint(obj)` names the family of a checkpoint read by `safe_unpickle`.

Families (docs/formats.md): `astroclip-studio` (this project's export / training checkpoints),
`astroclip-v2` (PolymathicAI `astroclip.ckpt`), `seed-a`, `seed-b` embed both modalities;
`specformer`, `astrodino`, `stein-moco` and `spender` are single-modality backbones that
`astroclip info` names but `embed` refuses.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from torch import Tensor, nn

from astroclip_engine.errors import CheckpointError
from astroclip_engine.models.safe_unpickle import (
    read_pickled_checkpoint,
    state_dict_of,
)


class EmbeddingModel(Protocol):
    """What embedding needs: raw data in, L2-normalised (B, D) embeddings out."""

    family: str
    embedding_dim: int

    def embed_images(self, raw: Tensor) -> Tensor: ...  # (B, 3, H, W) g, r, z nanomaggies

    def embed_spectra(self, raw: Tensor) -> Tensor: ...  # (B, L) flux on the DESI grid

    def to(self, *args: Any, **kwargs: Any) -> Any: ...

    def eval(self) -> Any: ...


@dataclass(frozen=True)
class Family:
    name: str
    description: str
    markers: tuple[str, ...]
    embeds: bool
    dim_key: str | None
    dim_axis: int = 0


FAMILIES: tuple[Family, ...] = (
    Family("astroclip-v2", "official AstroCLIP v2 (AstroDINO ViT + SpecFormer, cross-attention "
           "heads)", ("image_encoder.cross_attention.query",
                      "spectrum_encoder.cross_attention.query"),
           True, "image_encoder.mlp.decoder.weight"),
    Family("seed-a", "seed A (adnansiddiquei/AstroCLIP): Stein ResNet-50 + spender, ReLU MLP",
           ("encoders.0.conv1.weight", "encoders.1.encoder.conv1.0.weight"), True,
           "encoders.0.fc.2.weight"),
    Family("seed-b", "seed B (av1518/AstroCLIP-Extention): Stein ResNet-50 + spender, PReLU MLP",
           ("image_encoder.backbone.conv1.weight",
            "spectrum_encoder.spec_encoder.conv1.0.weight"), True,
           "image_encoder.backbone.fc.2.weight"),
    Family("astroclip-studio", "AstroCLIP Studio model (ResNet + spender encoders, projection "
           "heads)", ("image_head.fc2.weight", "spectrum_head.fc2.weight"), True,
           "image_head.fc2.weight"),
    Family("specformer", "official SpecFormer spectrum backbone (spectrum only)",
           ("data_embed.weight", "position_embed.weight"), False, "data_embed.weight"),
    Family("astrodino", "official AstroDINO ViT image backbone (image only)",
           ("backbone.patch_embed.proj.weight",), False, "backbone.patch_embed.proj.weight"),
    Family("stein-moco", "Stein et al. MoCo-v2 ResNet-50 (image only)",
           ("encoder_q.conv1.weight",), False, "encoder_q.fc.2.weight"),
    Family("spender", "spender spectrum encoder (spectrum only)", ("encoder.conv1.0.weight",),
           False, "encoder.mlp.9.weight"),
)


def _strip_model_prefix(state: Mapping[str, Any]) -> dict[str, Any]:
    """Lightning checkpoints of this project keep the AstroCLIP at `model.*`."""
    if any(k.startswith("model.image_head.") for k in state):
        return {k[len("model."):]: v for k, v in state.items() if k.startswith("model.")}
    return dict(state)


def identify_checkpoint(obj: Any, path: str | Path) -> tuple[Family, dict[str, Any]]:
    """(family, state dict) of a checkpoint object; CheckpointError when no family fits."""
    _where, state = state_dict_of(obj, path)
    state = _strip_model_prefix(state)
    for family in FAMILIES:
        if all(marker in state for marker in family.markers):
            return family, state
    shown = ", ".join(list(state)[:5])
    raise CheckpointError(path, f"unknown checkpoint layout: the state dict ({len(state)} "
                                f"tensors, e.g. {shown}) matches no AstroCLIP model family")


def embedding_size(family: Family, state: Mapping[str, Any]) -> int | None:
    """D of an embedding model, or the feature width of a backbone."""
    tensor = state.get(family.dim_key) if family.dim_key else None
    return int(tensor.shape[family.dim_axis]) if tensor is not None else None


def is_studio_checkpoint(obj: Any) -> bool:
    """This project's own files (export or training checkpoint) carry their run config."""
    if not isinstance(obj, Mapping):
        return False
    hparams = obj.get("hyper_parameters")
    return obj.get("format") == "astroclip-studio" or (
        isinstance(hparams, Mapping) and "config" in hparams)


class StudioModel(nn.Module):
    """This project's AstroCLIP with its own preprocessing (`data.transforms`)."""

    family = "astroclip-studio"

    def __init__(self, model: nn.Module, config: Any) -> None:
        super().__init__()
        self.model = model
        self.config = config
        self.embedding_dim = int(model.embedding_dim)

    def embed_images(self, raw: Tensor) -> Tensor:
        from astroclip_engine.data.transforms import prepare_images

        return self.model.encode_image(prepare_images(raw, self.config.model, train=False))

    def embed_spectra(self, raw: Tensor) -> Tensor:
        from astroclip_engine.data.transforms import prepare_spectra

        return self.model.encode_spectrum(prepare_spectra(raw, train=False))


def load_embedding_model(path: str | Path) -> EmbeddingModel:
    """An eval-mode CPU model that embeds both modalities, from any supported checkpoint.

    The project's own files are read with weights_only; foreign ones with the safe reader
    (nothing in them runs). Single-modality backbones and unknown layouts raise CheckpointError.
    """
    from astroclip_engine.models.factory import load_astroclip

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(path, "no such checkpoint file")
    obj = read_pickled_checkpoint(path) if zipfile.is_zipfile(path) else None
    if obj is None or is_studio_checkpoint(obj):
        model, config = load_astroclip(path)  # weights_only, with its own error messages
        return StudioModel(model, config).eval()
    family, state = identify_checkpoint(obj, path)
    if family.name == "seed-a":
        from astroclip_engine.models.seeds import build_seed_a

        return build_seed_a(state, path)
    if family.name == "seed-b":
        from astroclip_engine.models.seeds import build_seed_b

        return build_seed_b(state, path)
    if family.name == "astroclip-v2":
        from astroclip_engine.models.v2.model import AstroClipV2

        return AstroClipV2.from_state_dict(state, path).eval()
    if family.name == "astroclip-studio":
        raise CheckpointError(path, "AstroCLIP Studio weights without their run configuration "
                                    "('config'): re-export the model with the studio")
    raise CheckpointError(path, f"{family.description} embeds one modality only: give an "
                                "AstroCLIP checkpoint that embeds both images and spectra")
