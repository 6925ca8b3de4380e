"""Reading checkpoint files safely: `safe_load`, checked state dicts, the pretrained encoders.

Every file is read with `torch.load(weights_only=True)`: tensors, containers and primitives,
plus the explicit allow-list `SAFE_GLOBALS` of plain types real checkpoints hold. A file that
pickles code or any other class is refused with CheckpointError, never executed.

AstroCLIP checkpoint layouts `models.factory.load_astroclip` reads (the contract with training/):
- plain export (`save_astroclip`): {"format": "astroclip-studio", "version": 1,
  "config": RunConfig.to_dict(), "state_dict": AstroCLIP.state_dict()};
- Lightning checkpoint (training/): {"state_dict": {"model.<AstroCLIP key>": tensor, ...},
  "hyper_parameters": {"config": RunConfig.to_dict()}, ...}; the LightningModule keeps the
  AstroCLIP at attribute `model` and calls `save_hyperparameters({"config": cfg.to_dict()})`.
  Other state_dict keys (not "model.*") are ignored.
A trained checkpoint holds every weight, so the pretrained files named in its config
(model.image_checkpoint / spectrum_checkpoint) are not read again.
"""

from __future__ import annotations

import argparse
import hashlib
import pickle
import re
import zipfile
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from astroclip_engine.errors import CheckpointError
from astroclip_engine.models.image_encoder import ResNet50Encoder
from astroclip_engine.models.spectrum_encoder import SpenderEncoder

MAX_LISTED_KEYS = 8


_multiarray = np._core.multiarray if hasattr(np, "_core") else np.core.multiarray


SafeGlobal = Callable[..., Any] | tuple[Callable[..., Any], str]
SAFE_GLOBALS: list[SafeGlobal] = [
    # Lightning 1.x hparams: an argparse Namespace, or Lightning's AttributeDict (a plain dict
    # subclass, read back as an OrderedDict without importing Lightning).
    argparse.Namespace,
    (OrderedDict, "pytorch_lightning.utilities.parsing.AttributeDict"),
    (OrderedDict, "lightning.fabric.utilities.data.AttributeDict"),
    (OrderedDict, "lightning_fabric.utilities.data.AttributeDict"),
    # numpy arrays and scalars (spender's "losses" is a float64 ndarray), numpy 1.x and 2.x names.
    (_multiarray._reconstruct, "numpy._core.multiarray._reconstruct"),
    (_multiarray._reconstruct, "numpy.core.multiarray._reconstruct"),
    (_multiarray.scalar, "numpy._core.multiarray.scalar"),
    (_multiarray.scalar, "numpy.core.multiarray.scalar"),
    np.ndarray,
    np.dtype,
    *(type(np.dtype(t)) for t in ("f2", "f4", "f8", "i1", "i2", "i4", "i8", "u1", "bool")),
]
"""Plain, code-free types a Stein (pl_bolts MoCo, Lightning 1.x), spender or Lightning 2.x
checkpoint may pickle besides tensors and builtins (which weights_only always allows)."""


def file_sha256(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file (identifies the checkpoint behind an embeddings store)."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            while block := handle.read(chunk):
                digest.update(block)
    except OSError as exc:
        raise CheckpointError(path, f"cannot read file ({exc.strerror or exc})") from exc
    return digest.hexdigest()


def safe_load(path: str | Path, allow: Iterable[SafeGlobal] = ()) -> Any:
    """`torch.load(path, weights_only=True, map_location="cpu")` with `SAFE_GLOBALS` + `allow`.

    Missing, truncated or corrupt files and files that pickle code or other classes raise
    CheckpointError naming the file (and the refused globals).
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(path, "no such checkpoint file")
    try:
        with torch.serialization.safe_globals([*SAFE_GLOBALS, *allow]):
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        if "weights_only" in str(exc) or "global" in str(exc).lower():
            raise CheckpointError(path, _unsafe_message(path, exc)) from exc
        raise CheckpointError(path, f"corrupt checkpoint ({_first_line(exc)})") from exc
    except (RuntimeError, EOFError, ValueError, OSError, zipfile.BadZipFile, KeyError,
            IndexError, TypeError, AttributeError, UnicodeDecodeError) as exc:
        raise CheckpointError(
            path, f"not a readable PyTorch checkpoint (truncated or corrupt?): {_first_line(exc)}"
        ) from exc


def _unsafe_message(path: Path, exc: Exception) -> str:
    try:
        names = torch.serialization.get_unsafe_globals_in_checkpoint(path)
    except Exception:  # only used to improve the message
        names = []
    allowed = {_global_name(g) for g in SAFE_GLOBALS}
    names = [n for n in names if n not in allowed]
    detail = re.search(r"WeightsUnpickler error:\s*(\S[^\n]*)", str(exc))
    what = ", ".join(names) if names else (detail.group(1) if detail else _first_line(exc))
    return (f"refused to load: the file pickles code or classes outside the allow-list ({what}); "
            "only tensors and plain data are read (weights_only=True)")


def _global_name(item: SafeGlobal) -> str:
    if isinstance(item, tuple):
        return item[1]
    return f"{item.__module__}.{item.__qualname__}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def load_state_dict_checked(module: nn.Module, state_dict: Mapping[str, Tensor],
                            path: str | Path, what: str = "model") -> None:
    """`module.load_state_dict(state_dict, strict=True)`, but a mismatch (wrong architecture)
    raises CheckpointError listing missing keys, unexpected keys and shape mismatches."""
    expected = module.state_dict()
    missing = [k for k in expected if k not in state_dict]
    unexpected = [k for k in state_dict if k not in expected]
    shapes = [
        f"{k} {tuple(v.shape)} (expected {tuple(expected[k].shape)})"
        for k, v in state_dict.items()
        if k in expected and isinstance(v, Tensor) and v.shape != expected[k].shape
    ]
    problems = []
    for label, keys in (("missing keys", missing), ("unexpected keys", unexpected),
                        ("shape mismatches", shapes)):
        if keys:
            shown = ", ".join(keys[:MAX_LISTED_KEYS])
            more = f" and {len(keys) - MAX_LISTED_KEYS} more" if len(keys) > MAX_LISTED_KEYS else ""
            problems.append(f"{len(keys)} {label}: {shown}{more}")
    if problems:
        raise CheckpointError(
            path, f"weights do not fit the {what} (wrong architecture?): " + "; ".join(problems)
        )
    module.load_state_dict(state_dict, strict=True)


def mapping_entry(obj: Any, path: Path, key: str, expectation: str) -> Mapping[str, Any]:
    value = obj.get(key) if isinstance(obj, Mapping) else None
    if not isinstance(value, Mapping):
        raise CheckpointError(path, f"expected {expectation} with a {key!r} mapping")
    return value


def _float32(state: Mapping[str, Tensor]) -> dict[str, Tensor]:
    return {k: v.float() if v.is_floating_point() else v for k, v in state.items()}


# --- Stein et al. (2021) MoCo-v2 ResNet-50 -------------------------------------------------


@dataclass(frozen=True)
class SteinCheckpoint:
    """The query encoder of Stein's MoCo checkpoint, split into backbone and projection head."""

    backbone: dict[str, Tensor]
    head: dict[str, Tensor]
    hyper_parameters: dict[str, Any]


def read_stein_checkpoint(path: str | Path) -> SteinCheckpoint:
    """Split `state_dict["encoder_q.*"]` of a Lightning MoCo checkpoint into torchvision backbone
    keys and the `fc.*` head; a bare torchvision state_dict is accepted too."""
    path = Path(path)
    checkpoint = safe_load(path)
    state = checkpoint.get("state_dict", checkpoint) if isinstance(checkpoint, Mapping) else None
    if not isinstance(state, Mapping):
        raise CheckpointError(path, "expected a Lightning checkpoint dict with a 'state_dict'")
    prefix = "encoder_q."
    query = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
    if not query:
        if "conv1.weight" not in state:
            raise CheckpointError(path, "state_dict has no 'encoder_q.*' keys (expected Stein's "
                                        "MoCo ResNet-50 checkpoint or a torchvision ResNet-50)")
        query = dict(state)
    backbone = _float32({k: v for k, v in query.items() if not k.startswith("fc.")})
    head = _float32({k[3:]: v for k, v in query.items() if k.startswith("fc.")})
    hparams = checkpoint.get("hyper_parameters", {}) if isinstance(checkpoint, Mapping) else {}
    hparams = vars(hparams) if isinstance(hparams, argparse.Namespace) else dict(hparams or {})
    return SteinCheckpoint(backbone, head, hparams)


def load_stein_image_encoder(path: str | Path) -> ResNet50Encoder:
    """Stein's `resnet50.ckpt` backbone as a ResNet50Encoder (2048-d features), in eval mode."""
    encoder = ResNet50Encoder()
    load_state_dict_checked(encoder, read_stein_checkpoint(path).backbone, path,
                            "ResNet-50 image encoder")
    return encoder.eval()


def load_stein_head(path: str | Path) -> nn.Sequential:
    """Stein's MoCo projection head: fc.0 Linear 2048->2048, ReLU, fc.2 Linear 2048->emb_dim."""
    head_state = read_stein_checkpoint(path).head
    weight = head_state.get("2.weight")
    if weight is None or weight.dim() != 2:
        raise CheckpointError(path, "no MoCo MLP head 'encoder_q.fc.0/fc.2' in the checkpoint")
    hidden_in = head_state["0.weight"].shape if "0.weight" in head_state else (0, 0)
    head = nn.Sequential(nn.Linear(hidden_in[1], hidden_in[0]), nn.ReLU(),
                         nn.Linear(weight.shape[1], weight.shape[0]))
    load_state_dict_checked(head, head_state, path, "MoCo projection head")
    return head.eval()


# --- spender (Liang, Melchior et al. 2023) ------------------------------------------------

_OLD_WEIGHT_BRANCH = ("conv1w.", "conv2w.", "conv3w.")
_LEAKY_RELU_SLOPE = 0.01


def spender_encoder_state(path: str | Path) -> dict[str, Tensor]:
    """The `encoder.*` weights of a spender file as SpenderEncoder keys.

    Handles {"model": state_dict or [state_dict, ...]} (first model used), drops
    `encoder.instrument.*` (wavelength grid, sky mask, LSF) and the old inverse-variance
    attention branch `conv1w..conv3w` (a no-op without weights), renames old `mlp.mlp.*` keys,
    cuts the redshift column of old 257-wide first MLP layers, and gives old LeakyReLU MLPs
    (no PReLU weights) PReLU slopes of 0.01, which is exactly LeakyReLU.
    """
    path = Path(path)
    checkpoint = safe_load(path)
    model = checkpoint.get("model") if isinstance(checkpoint, Mapping) else None
    if isinstance(model, list | tuple) and model:
        model = model[0]
    if not isinstance(model, Mapping):
        raise CheckpointError(path, "expected a spender file: a dict whose 'model' is a state_dict "
                                    "or a list of state_dicts")
    state: dict[str, Tensor] = {}
    for key, value in model.items():
        if not key.startswith("encoder.") or not isinstance(value, Tensor):
            continue
        key = key[len("encoder."):].replace("mlp.mlp.", "mlp.")
        if key.startswith("instrument.") or key.startswith(_OLD_WEIGHT_BRANCH):
            continue
        state[key] = value
    if not state:
        raise CheckpointError(path, "no 'encoder.*' weights in the spender model state_dict")
    first = state.get("mlp.0.weight")
    if first is not None and first.dim() == 2 and first.shape[1] == 257:
        state["mlp.0.weight"] = first[:, :256]
    for index in (1, 4, 7):
        linear = state.get(f"mlp.{index - 1}.bias")
        if f"mlp.{index}.weight" not in state and linear is not None:
            state[f"mlp.{index}.weight"] = torch.full_like(linear, _LEAKY_RELU_SLOPE)
    return _float32(state)


def spender_latent_size(path: str | Path, encoder_state: Mapping[str, Tensor]) -> int:
    """S, from the encoder's last layer (equal to `decoder.mlp.0.weight.shape[1]`)."""
    last = encoder_state.get("mlp.9.weight")
    if last is None or last.dim() != 2:
        raise CheckpointError(path, "no 'encoder.mlp.9.weight' (expected spender's 4-layer MLP "
                                    "256->128->64->32->S)")
    return int(last.shape[0])


def load_spender_encoder(path: str | Path) -> SpenderEncoder:
    """A spender file's encoder (e.g. `desi_edr_galaxy`, S = 6) as a SpenderEncoder, eval mode."""
    state = spender_encoder_state(path)
    encoder = SpenderEncoder(n_latent=spender_latent_size(path, state))
    load_state_dict_checked(encoder, state, path, "spender spectrum encoder")
    return encoder.eval()
