"""Random-weight files in the exact layouts of the published AstroCLIP artifacts (docs/formats.md).

Same key names and ranks as the real files, smaller widths where the real ones are huge (the
ResNet-50 keeps its widths but gets one block per stage). Hyper-parameters pickle classes of
made-up foreign modules (`models`, `astroclip.models.astroclip`, ...) registered only while
saving, as the real files pickle the authors' classes; storages are tagged `cuda:0` as on a GPU.
"""

from __future__ import annotations

import contextlib
import itertools
import sys
import types
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import h5py
import numpy as np
import torch
from torch import nn

from astroclip_engine.models.image_encoder import ResNet50Encoder
from astroclip_engine.models.spectrum_encoder import SpenderEncoder

SMALL_RESNET = (1, 1, 1, 1)


@contextlib.contextmanager
def foreign_module(name: str, **classes: type) -> Iterator[types.ModuleType]:
    """Register `name` (and its parents) with `classes` re-homed into it, for pickling only."""
    added = []
    parts = name.split(".")
    for depth in range(1, len(parts) + 1):
        module_name = ".".join(parts[:depth])
        if module_name not in sys.modules:
            sys.modules[module_name] = types.ModuleType(module_name)
            added.append(module_name)
    module = sys.modules[name]
    for class_name, cls in classes.items():
        cls.__module__, cls.__qualname__, cls.__name__ = name, class_name, class_name
        setattr(module, class_name, cls)
    try:
        yield module
    finally:
        for module_name in added:
            sys.modules.pop(module_name, None)


def save_on_gpu(obj: Any, path: Path) -> Path:
    """torch.save with every storage tagged `cuda:0` (what a GPU run writes)."""
    with mock.patch("torch.serialization.location_tag", lambda storage: "cuda:0"):
        torch.save(obj, path)
    return path


def lightning_top(state: dict[str, torch.Tensor], version: str) -> dict[str, Any]:
    return {"epoch": 3, "global_step": 120, "pytorch-lightning_version": version,
            "state_dict": OrderedDict(state), "loops": {"fit_loop": {"state_dict": {}}},
            "callbacks": {"ModelCheckpoint{'monitor': 'val/loss', 'mode': 'min'}":
                          {"best_model_score": torch.tensor(1.5)}},
            "optimizer_states": [{"state": {}, "param_groups": [{"lr": 5e-4, "params": [0]}]}],
            "lr_schedulers": []}


def resnet_state(prefix: str, dim: int, generator: torch.Generator) -> dict[str, torch.Tensor]:
    backbone = ResNet50Encoder(layers=SMALL_RESNET)
    state = {f"{prefix}{k}": _randomised(v, generator) for k, v in backbone.state_dict().items()}
    state[f"{prefix}fc.0.weight"] = torch.randn(2048, 2048, generator=generator) * 0.02
    state[f"{prefix}fc.0.bias"] = torch.zeros(2048)
    state[f"{prefix}fc.2.weight"] = torch.randn(dim, 2048, generator=generator) * 0.02
    state[f"{prefix}fc.2.bias"] = torch.zeros(dim)
    return state


def spender_conv_state(prefix: str, generator: torch.Generator) -> dict[str, torch.Tensor]:
    encoder = SpenderEncoder()
    return {f"{prefix}{k}": _randomised(v, generator) for k, v in encoder.state_dict().items()
            if k.startswith(("conv1.", "conv2.", "conv3."))}


def _randomised(value: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    if value.is_floating_point() and value.dim() > 1:
        return torch.randn(value.shape, generator=generator) * 0.05
    return value.clone()


def write_seed_a(path: Path, dim: int = 16, seed: int = 0) -> Path:
    """seed A Lightning 1.9.5 checkpoint: no hyper_parameters, weights_only-loadable."""
    g = torch.Generator().manual_seed(seed)
    hidden = 128 if dim <= 128 else 256
    state = resnet_state("encoders.0.", dim, g)
    state.update(spender_conv_state("encoders.1.encoder.", g))
    state["encoders.1.encoder.mlp.0.weight"] = torch.randn(hidden, 256, generator=g) * 0.05
    state["encoders.1.encoder.mlp.0.bias"] = torch.zeros(hidden)
    state["encoders.1.encoder.mlp.2.weight"] = torch.randn(dim, hidden, generator=g) * 0.05
    state["encoders.1.encoder.mlp.2.bias"] = torch.zeros(dim)
    return save_on_gpu(lightning_top(state, "1.9.5"), path)


class _OutputExtractor(nn.Module):
    def __init__(self, backbone: nn.Module) -> None:
        super().__init__()
        self.backbone = backbone


class _AlternateSpender(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.spec_encoder = nn.Sequential(nn.Linear(4, 4), nn.PReLU(4), nn.Dropout(0.1))


class _Compose:
    def __init__(self, transforms: list[Any]) -> None:
        self.transforms = transforms


class _CenterCrop(nn.Module):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = (size, size)


def write_seed_b(path: Path, widths: tuple[int, ...] = (256, 128, 128, 128), seed: int = 1,
                 payload: Any = None) -> Path:
    """seed B Lightning 2.2.4 checkpoint whose hyper_parameters pickle foreign modules
    (`models.OutputExtractor`, `models.AlternateSpender`, torchvision transforms)."""
    g = torch.Generator().manual_seed(seed)
    state: dict[str, torch.Tensor] = {"temperature": torch.tensor(np.log(15.5))}
    state.update(resnet_state("image_encoder.backbone.", 128, g))
    prefix = "spectrum_encoder.spec_encoder."
    state[prefix + "instrument.wave_obs"] = torch.linspace(3600, 9824, 7781, dtype=torch.float64)
    state.update(spender_conv_state(prefix, g))
    for step, (w_in, w_out) in enumerate(itertools.pairwise(widths)):
        state[f"{prefix}mlp.additional_layers.{3 * step}.weight"] = torch.randn(
            w_out, w_in, generator=g) * 0.05
        state[f"{prefix}mlp.additional_layers.{3 * step}.bias"] = torch.zeros(w_out)
        state[f"{prefix}mlp.additional_layers.{3 * step + 1}.weight"] = torch.full((w_out,), 0.25)
    with foreign_module("models", OutputExtractor=_OutputExtractor,
                        AlternateSpender=_AlternateSpender), \
            foreign_module("torchvision.transforms.transforms", Compose=_Compose,
                           CenterCrop=_CenterCrop):
        hparams = {"image_encoder": _OutputExtractor(nn.Linear(3, 3)),
                   "spectrum_encoder": _AlternateSpender(),
                   "image_transforms": _Compose([_CenterCrop(96)]), "lr": 0.0005}
        if payload is not None:
            hparams["extra"] = payload
        top = {**lightning_top(state, "2.2.4"), "hparams_name": "kwargs",
               "hyper_parameters": hparams}
        return save_on_gpu(top, path)


def write_official_hdf5(path: Path, n: int = 40, dim: int = 32, seed: int = 2,
                        spectrum_length: int = 64) -> Path:
    """`embed_astroclip.py` layout: image/spectrum embeddings, object_id, the RGB image crops
    and the spectra (7781 bins in the real files)."""
    rng = np.random.default_rng(seed)
    with h5py.File(path, "w") as f:
        f.create_dataset("image_embeddings", data=rng.normal(size=(n, dim)).astype("f4"))
        f.create_dataset("spectrum_embeddings", data=rng.normal(size=(n, dim)).astype("f4"))
        f.create_dataset("object_id", data=np.arange(1000, 1000 + n, dtype="i8"))
        f.create_dataset("image", data=rng.random((n, 3, 16, 16), dtype="f4"))
        f.create_dataset("spectrum", data=rng.random((n, spectrum_length, 1), dtype="f4"))
    return path


def write_official_table(path: Path, n: int = 40, dim: int = 32, seed: int = 3) -> Path:
    """`provabgs_paired_test_embeddings.hdf5` layout: astropy's compound `__astropy_table__`."""
    rng = np.random.default_rng(seed)
    dtype = np.dtype([("TARGETID", "i8"), ("Z_HP", "f8"), ("PROVABGS_LOGMSTAR_BF", "f8"),
                      ("Z_MW", "f8"), ("TAGE_MW", "f8"), ("AVG_SFR", "f8"), ("LOG_MSTAR", "f8"),
                      ("sSFR", "f8"), ("targetid", "i8"),
                      ("astroclip_image_embeddings", "f4", (dim,)),
                      ("astrodino_embeddings", "f4", (dim,)), ("stein_embeddings", "f4", (8,)),
                      ("astroclip_spectrum_embeddings", "f4", (dim,)),
                      ("specformer_embeddings", "f4", (24,))])
    table = np.zeros(n, dtype=dtype)
    table["TARGETID"] = table["targetid"] = np.arange(5000, 5000 + n)
    table["Z_HP"] = rng.uniform(0.05, 0.5, n)
    table["LOG_MSTAR"] = table["PROVABGS_LOGMSTAR_BF"] = rng.uniform(9, 11.5, n)
    table["Z_MW"] = np.log(rng.uniform(0.005, 0.03, n))
    table["TAGE_MW"] = rng.uniform(1, 10, n)
    table["AVG_SFR"] = rng.uniform(0.1, 10, n)
    for name in ("astroclip_image_embeddings", "astrodino_embeddings", "stein_embeddings",
                 "astroclip_spectrum_embeddings", "specformer_embeddings"):
        table[name] = rng.normal(size=table[name].shape)
    with h5py.File(path, "w") as f:
        f.create_dataset("__astropy_table__", data=table)
    return path


def write_seed_b_npz(path: Path, n: int = 40, dim: int = 16, seed: int = 4) -> Path:
    """seed B `embeddings-main.npz` (np.savez, uncompressed)."""
    rng = np.random.default_rng(seed)
    np.savez(path, images=rng.random((n, 8, 8, 3), dtype="f4"),
             im_embeddings=rng.normal(size=(n, dim)).astype("f4"),
             spectra=rng.normal(size=(n, dim)).astype("f4"),
             redshifts=rng.uniform(0, 0.6, n).astype("f4"),
             source_spec=rng.random((n, 32, 1), dtype="f4"),
             targetid=np.arange(9000, 9000 + n, dtype="i8"))
    return path


# --- the official v2 files (small widths: ViT 128-d x 8 blocks in 4 chunks, SpecFormer 256-d) --

V2_SMALL = {"vit_dim": 128, "vit_depth": 8, "spec_dim": 256, "spec_layers": 2, "embed_dim": 128}


def small_v2(seed: int = 5):
    """A random small AstroClipV2 with the official layout (patch 12, 144 px, 4 chunks)."""
    from astroclip_engine.models.specformer import SpecFormer
    from astroclip_engine.models.v2.model import AstroClipV2
    from astroclip_engine.models.v2.vit import DinoViT

    torch.manual_seed(seed)
    vit = DinoViT(img_size=144, patch=12, dim=V2_SMALL["vit_dim"], depth=V2_SMALL["vit_depth"],
                  hidden=4 * V2_SMALL["vit_dim"], chunks=4)
    spec = SpecFormer(embed_dim=V2_SMALL["spec_dim"], num_layers=V2_SMALL["spec_layers"],
                      num_heads=V2_SMALL["spec_dim"] // 128)
    model = AstroClipV2(vit, spec, embed_dim=V2_SMALL["embed_dim"])
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.endswith(("pos_embed", "cls_token", "mask_token", "gamma")):
                param.normal_(0, 0.1)
    return model.eval()


class _ImageHead(nn.Module):
    pass


class _SpectrumHead(nn.Module):
    pass


class _DinoVisionTransformer(nn.Module):
    pass


class _AstroClipCollator:
    def __init__(self) -> None:
        self.center_crop = 144
        self.to_rgb = {"m": 0.03, "Q": 20}


class _AttributeDict(dict):
    pass


def write_official_astroclip(path: Path, model: Any = None) -> Path:
    """`astroclip.ckpt`: Lightning 2.x, hyper_parameters pickling the official head modules
    (with a nested dinov2 ViT), the datamodule's collator, AdamW state for the head only."""
    model = model if model is not None else small_v2()
    state = OrderedDict((k, v.detach().clone()) for k, v in model.state_dict().items())
    with foreign_module("astroclip.models.astroclip", ImageHead=_ImageHead,
                        SpectrumHead=_SpectrumHead), \
            foreign_module("dinov2.models.vision_transformer",
                           DinoVisionTransformer=_DinoVisionTransformer), \
            foreign_module("astroclip.data.datamodule", AstroClipCollator=_AstroClipCollator), \
            foreign_module("lightning.fabric.utilities.data", AttributeDict=_AttributeDict):
        image_head = _ImageHead()
        image_head.backbone = _DinoVisionTransformer()
        spectrum_head = _SpectrumHead()
        spectrum_head._hparams = _AttributeDict(embed_dim=V2_SMALL["spec_dim"], num_heads=2)
        top = {**lightning_top(state, "2.2.4"), "hparams_name": "kwargs",
               "hyper_parameters": {"image_encoder": image_head,
                                    "spectrum_encoder": spectrum_head, "temperature": 15.5,
                                    "lr": 1e-4, "weight_decay": 0.05, "epochs": 100,
                                    "eta_min": 5e-7, "logit_scale": 15.5,
                                    "learnable_logit_scale": False},
               "datamodule_hparams_name": "kwargs",
               "datamodule_hyper_parameters": {"batch_size": 256, "num_workers": 8,
                                               "collate_fn": _AstroClipCollator()}}
        return save_on_gpu(top, path)


def write_official_specformer(path: Path, model: Any = None) -> Path:
    """`specformer.ckpt`: {"hyper_parameters": the 11 init kwargs, "state_dict": no prefix}."""
    model = model if model is not None else small_v2()
    backbone = model.spectrum_encoder.backbone
    hparams = {"input_dim": 22, "embed_dim": backbone.embed_dim, "num_layers": len(backbone.blocks),
               "num_heads": backbone.blocks[0].attention.num_heads, "max_len": 800,
               "mask_num_chunks": 6, "mask_chunk_width": 50, "slice_section_length": 20,
               "slice_overlap": 10, "dropout": 0.0, "norm_first": False}
    return save_on_gpu({"hyper_parameters": hparams,
                        "state_dict": OrderedDict(backbone.state_dict())}, path)


def write_official_astrodino(path: Path, model: Any = None) -> Path:
    """`astrodino.ckpt`: {"teacher": backbone.* (chunked blocks) + dino_head.*}."""
    model = model if model is not None else small_v2()
    teacher = OrderedDict((f"backbone.{k}", v) for k, v in
                          model.image_encoder.backbone.state_dict().items())
    for index, shape in (("0", (64, 128)), ("2", (64, 64)), ("4", (16, 64))):
        teacher[f"dino_head.mlp.{index}.weight"] = torch.randn(shape)
        teacher[f"dino_head.mlp.{index}.bias"] = torch.zeros(shape[0])
    teacher["dino_head.last_layer.weight_g"] = torch.ones(256, 1)
    teacher["dino_head.last_layer.weight_v"] = torch.randn(256, 16)
    return save_on_gpu({"teacher": teacher}, path)
