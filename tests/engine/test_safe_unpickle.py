"""The safe reader rebuilds tensors and plain data only; foreign classes stay inert."""

from __future__ import annotations

import argparse
import sys
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from astroclip_engine.errors import CheckpointError
from astroclip_engine.models.safe_unpickle import (
    Inert,
    TensorMeta,
    hyper_parameters_of,
    read_pickled_checkpoint,
    state_dict_of,
)
from tests.published_files import foreign_module, save_on_gpu


class _Head(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(4, 2)


def test_tensors_views_dtypes_and_gpu_tags_come_back_on_cpu(tmp_path: Path) -> None:
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    state = OrderedDict(w=base, view=base[1:, ::2], t=base.t(), half=torch.ones(3).half(),
                        b=torch.tensor([True, False]), i=torch.arange(3),
                        scalar=torch.tensor(2.5, dtype=torch.float64),
                        p=nn.Parameter(torch.ones(2)))
    path = save_on_gpu({"state_dict": state}, tmp_path / "gpu.ckpt")
    loaded = read_pickled_checkpoint(path)["state_dict"]
    for key, value in state.items():
        assert loaded[key].device.type == "cpu" and loaded[key].dtype == value.dtype
        assert torch.equal(loaded[key], value.detach()), key
    assert loaded["view"].untyped_storage().data_ptr() == loaded["w"].untyped_storage().data_ptr()
    meta = read_pickled_checkpoint(path, read_meta=True)["state_dict"]
    assert meta["view"] == TensorMeta(torch.float32, (3, 3), "cuda:0")


def test_foreign_classes_become_inert_and_are_never_imported(tmp_path: Path) -> None:
    with foreign_module("astroclip.models.astroclip", ImageHead=_Head):
        obj = {"state_dict": {"x": torch.zeros(2)},
               "hyper_parameters": {"image_encoder": _Head(), "lr": np.float64(1e-4),
                                    "ns": argparse.Namespace(epochs=100), "losses": np.ones(3),
                                    "dtype": torch.float32, "device": torch.device("cuda", 0)}}
        torch.save(obj, tmp_path / "astroclip.ckpt")
    assert "astroclip.models.astroclip" not in sys.modules
    loaded = read_pickled_checkpoint(tmp_path / "astroclip.ckpt")
    head = loaded["hyper_parameters"]["image_encoder"]
    assert isinstance(head, Inert) and type(head).origin == "astroclip.models.astroclip.ImageHead"
    assert "astroclip.models.astroclip" not in sys.modules and "astroclip" not in sys.modules
    hparams = hyper_parameters_of(loaded)
    assert hparams["image_encoder"] == "<astroclip.models.astroclip.ImageHead>"
    assert hparams["lr"] == 1e-4 and hparams["ns"] == {"epochs": 100}
    assert hparams["device"] == "cuda:0" and hparams["dtype"] == "torch.float32"
    assert state_dict_of(loaded, "f")[0] == "state_dict"


def test_unreadable_files_are_refused_with_the_file_named(tmp_path: Path) -> None:
    legacy = tmp_path / "legacy.pt"
    torch.save({"w": torch.zeros(2)}, legacy, _use_new_zipfile_serialization=False)
    truncated = tmp_path / "truncated.ckpt"
    torch.save({"state_dict": {"w": torch.zeros(1000)}}, truncated)
    truncated.write_bytes(truncated.read_bytes()[:2000])
    for path in (legacy, truncated, tmp_path / "missing.ckpt"):
        with pytest.raises(CheckpointError) as raised:
            read_pickled_checkpoint(path)
        assert str(path) in str(raised.value)
    with pytest.raises(CheckpointError, match="no recognisable state dict"):
        state_dict_of({"hyper_parameters": {"lr": 1}}, tmp_path / "x")
