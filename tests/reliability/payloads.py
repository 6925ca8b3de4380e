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


# --- payloads aimed at the safe reader of foreign checkpoints (models/safe_unpickle.py) -------


class SetStatePayload:
    """Importable (this module), and its `__setstate__` runs `touch MARKER`: any reader that
    imports the class and applies BUILD would run it."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __getstate__(self):
        return {"marker": self.marker}

    def __setstate__(self, state):
        os.system(f"touch {state['marker']}")


class TensorSubclassPayload:
    """Pretends to be a tensor subclass: `_rebuild_from_type_v2(os.system, ...)`."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return torch._tensor._rebuild_from_type_v2, (os.system, torch.Tensor,
                                                      (f"touch {self.marker}",), {})


def _torch_zip(path: Path, pickle_bytes: bytes, storages: dict[str, bytes] | None = None) -> Path:
    """A torch zip archive around hand-written pickle bytes."""
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("archive/data.pkl", pickle_bytes)
        archive.writestr("archive/version", "3\n")
        for key, data in (storages or {}).items():
            archive.writestr(f"archive/data/{key}", data)
    return path


def _proto0_call(module: str, name: str, argument: str) -> bytes:
    """Protocol-0 `module.name(argument)` with the INST opcode."""
    return f"(S'{argument}'\ni{module}\n{name}\n.".encode()


def write_reader_payloads(folder: Path, marker: Path) -> dict[str, Path]:
    """Checkpoints aimed at the safe reader: code reachable through BUILD, REDUCE, INST,
    getattr chains, tensor-subclass rebuilds and persistent ids, inside seed-like layouts."""
    folder.mkdir(parents=True, exist_ok=True)
    touch = f"touch {marker}"
    weights = {"encoders.0.conv1.weight": torch.zeros(2, 3, 1, 1)}
    objects = {
        "reader: importable __setstate__ in hyper_parameters": {
            "state_dict": weights, "hyper_parameters": {"encoder": SetStatePayload(marker)}},
        "reader: os.system via __reduce__ next to a seed state_dict": {
            "state_dict": weights, "hyper_parameters": {"x": ShellPayload(marker)}},
        "reader: tensor-subclass rebuild calling os.system": {
            "state_dict": {"w": TensorSubclassPayload(marker)}},
    }
    paths = {}
    for name, obj in objects.items():
        path = folder / (name.split(": ")[1].replace(" ", "_")[:40] + ".ckpt")
        torch.save(obj, path)
        paths[name] = path
    getattr_chain = (b"\x80\x02cbuiltins\ngetattr\n"          # getattr(
                     b"cbuiltins\n__import__\nX\x02\x00\x00\x00os\x85R"  # __import__('os'),
                     b"X\x06\x00\x00\x00system\x86R"            # 'system')
                     + b"X" + len(touch).to_bytes(4, "little") + touch.encode() + b"\x85R.")
    raw = {
        "reader: builtins.getattr(__import__('os'), 'system')": getattr_chain,
        "reader: protocol-0 INST os.system": _proto0_call("os", "system", touch),
        "reader: INST posix.system": _proto0_call("posix", "system", touch),
        "reader: eval via REDUCE": b"\x80\x02cbuiltins\neval\nX"
            + len(f"__import__('os').system('{touch}')").to_bytes(4, "little")
            + f"__import__('os').system('{touch}')".encode() + b"\x85R.",
        "reader: persistent id that is not a storage": b"\x80\x02X\x04\x00\x00\x00evil\x85Q.",
    }
    for name, data in raw.items():
        path = folder / (f"raw_{len(paths)}.ckpt")
        paths[name] = _torch_zip(path, data)
    return paths
