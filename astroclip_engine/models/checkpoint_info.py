"""`astroclip info` for model checkpoints: family, embedding size, parameter count.

Reads only the checkpoint's pickle (`safe_unpickle.read_pickled_checkpoint(read_meta=True)`):
tensor shapes and dtypes come from the pickle, storages are never read, so a 1.6 GB file is
described in about the time it takes to read its `data.pkl`.
"""

from __future__ import annotations

import zipfile
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from astroclip_engine.errors import CheckpointError
from astroclip_engine.models.published import (
    embedding_size,
    identify_checkpoint,
    is_studio_checkpoint,
)
from astroclip_engine.models.safe_unpickle import (
    TensorMeta,
    hyper_parameters_of,
    plain_value,
    read_pickled_checkpoint,
)

MAX_HPARAMS = 12


def is_torch_checkpoint(path: str | Path) -> bool:
    """A torch zip archive (any folder name) with a `data.pkl`."""
    path = Path(path)
    if not path.is_file() or not zipfile.is_zipfile(path):
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            return any(n.endswith("/data.pkl") for n in archive.namelist())
    except (OSError, zipfile.BadZipFile):
        return False


def describe_checkpoint(path: str | Path) -> dict[str, Any]:
    """What a checkpoint is, from its tensor metadata (no weights are read)."""
    path = Path(path)
    obj = read_pickled_checkpoint(path, read_meta=True)
    if is_studio_checkpoint(obj):
        return _describe_studio(path, obj)
    family, state = identify_checkpoint(obj, path)
    metas = [v for v in state.values() if isinstance(v, TensorMeta)]
    info: dict[str, Any] = {
        "file": str(path),
        "kind": "model checkpoint",
        "family": family.name,
        "description": family.description,
        "embeds": "images and spectra" if family.embeds else "one modality (backbone only)",
        "embedding_dim" if family.embeds else "feature_dim": embedding_size(family, state),
        "parameters": sum(m.numel for m in metas),
        "tensors": len(metas),
        "dtypes": dict(Counter(str(m.dtype).replace("torch.", "") for m in metas)),
        "saved_on": sorted({m.device for m in metas}),
        "top_level_keys": sorted(str(k) for k in obj) if isinstance(obj, Mapping) else [],
    }
    if isinstance(obj, Mapping) and "pytorch-lightning_version" in obj:
        info["lightning_version"] = str(obj["pytorch-lightning_version"])
        info["epoch"] = plain_value(obj.get("epoch"))
    hparams = hyper_parameters_of(obj)
    if hparams:
        info["hyper_parameters"] = dict(list(hparams.items())[:MAX_HPARAMS])
    return info


def _describe_studio(path: Path, obj: Mapping[str, Any]) -> dict[str, Any]:
    config = obj.get("config")
    if not isinstance(config, Mapping):
        hparams = obj.get("hyper_parameters")
        config = hparams.get("config") if isinstance(hparams, Mapping) else None
    model = plain_value(config.get("model")) if isinstance(config, Mapping) else {}
    model = model if isinstance(model, dict) else {}
    if model.get("task") == "pretrain_spectrum":
        return _describe_pretraining(path, obj, model)
    family, state = identify_checkpoint(obj, path)
    v2 = model.get("family") == "astroclip-v2" and family.name == "astroclip-v2"
    if family.name != "astroclip-studio" and not v2:
        raise CheckpointError(path, "an AstroCLIP Studio run configuration with weights of "
                                    f"another model ({family.name})")
    metas = [v for v in state.values() if isinstance(v, TensorMeta)]
    return {
        "file": str(path),
        "kind": "model checkpoint",
        "family": "astroclip-studio",
        "description": "AstroCLIP Studio model " + (
            "(official v2 architecture, heads trained here)" if v2 else
            f"({model.get('image_encoder')} + {model.get('spectrum_encoder')})"),
        "embeds": "images and spectra",
        "embedding_dim": model.get("embedding_dim") or embedding_size(family, state),
        "parameters": sum(m.numel for m in metas),
        "tensors": len(metas),
        "top_level_keys": sorted(str(k) for k in obj),
    }


def _describe_pretraining(path: Path, obj: Mapping[str, Any],
                          model: Mapping[str, Any]) -> dict[str, Any]:
    """An `astroclip pretrain --modality spectrum` checkpoint (docs/pretraining.md)."""
    state = obj.get("state_dict")
    metas = [v for v in state.values() if isinstance(v, TensorMeta)] \
        if isinstance(state, Mapping) else []
    return {
        "file": str(path),
        "kind": "pretraining checkpoint",
        "family": "astroclip-studio",
        "description": f"spectrum encoder {model.get('spectrum_encoder')} pretrained by masked "
                       "spectrum modelling (use with `astroclip train --spectrum-checkpoint`)",
        "embeds": "nothing yet (a backbone to align)",
        "parameters": sum(m.numel for m in metas),
        "tensors": len(metas),
        "epoch": plain_value(obj.get("epoch")),
        "top_level_keys": sorted(str(k) for k in obj),
    }
