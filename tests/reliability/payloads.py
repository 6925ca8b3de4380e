"""Hostile checkpoint files: pickles that would run code if anything unpickled them."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import torch


class ShellPayload:
    """Unpickling this runs `touch MARKER` (os.system): the classic pickle attack."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


class ModuleClass:
    """A harmless class that lives in a module: unpickling it needs an import."""

    def __init__(self) -> None:
        self.value = 1


def write_payloads(folder: Path, marker: Path) -> dict[str, Path]:
    """Several hostile files: code hidden where each loader looks first."""
    folder.mkdir(parents=True, exist_ok=True)
    evil = ShellPayload(marker)
    tensor = torch.zeros(2)
    files = {
        "bare payload": evil,
        "lightning checkpoint": {"state_dict": {"model.x": tensor}, "epoch": 0,
                                 "hyper_parameters": {"config": evil}},
        "astroclip export": {"format": "astroclip-studio", "version": 1, "config": evil,
                             "state_dict": {"x": tensor}},
        "stein checkpoint": {"state_dict": {"encoder_q.conv1.weight": tensor},
                             "hyper_parameters": evil},
        "spender file": {"model": [{"encoder.conv1.0.weight": tensor}], "losses": evil},
        "module class": {"state_dict": {"model.x": tensor}, "hyper_parameters": ModuleClass()},
    }
    paths = {}
    for name, obj in files.items():
        path = folder / (name.replace(" ", "_") + ".ckpt")
        torch.save(obj, path)
        paths[name] = path
    legacy = folder / "legacy_format.ckpt"
    torch.save({"state_dict": evil}, legacy, _use_new_zipfile_serialization=False)
    paths["legacy (non-zip) torch file"] = legacy
    raw = folder / "raw_pickle.ckpt"
    raw.write_bytes(pickle.dumps({"state_dict": evil}))
    paths["raw pickle"] = raw
    return paths
