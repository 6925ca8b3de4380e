"""Hardware detection (Qt-free): CPU cores and memory, each CUDA GPU, Apple MPS.

Used by the training wizard (through `astroclip devices --json`, in a child process so that
importing torch never stalls the GUI) and by the CLI.
"""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict, dataclass
from typing import Any, Literal

DeviceKind = Literal["cpu", "cuda", "mps"]


@dataclass(frozen=True)
class DeviceInfo:
    """One compute device a training run can use."""

    kind: DeviceKind
    index: int
    name: str
    memory_bytes: int | None = None
    cores: int | None = None
    """CPU only: cores this process may use (affinity), not the machine's total."""
    detail: str = ""

    @property
    def memory_gib(self) -> float | None:
        return None if self.memory_bytes is None else self.memory_bytes / 2**30

    @property
    def label(self) -> str:
        """A one-line description for lists: 'GPU 0: NVIDIA H100 (79.6 GiB)'."""
        memory = f"{self.memory_gib:.1f} GiB" if self.memory_gib is not None else "memory unknown"
        if self.kind == "cpu":
            return f"CPU: {self.name} ({self.cores} cores, {memory})"
        if self.kind == "cuda":
            return f"GPU {self.index}: {self.name} ({memory})"
        return f"Apple GPU (MPS): {self.name}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DeviceInfo:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def cpu_device() -> DeviceInfo:
    """The CPU: usable cores (scheduler affinity) and total physical memory."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        cores = os.cpu_count() or 1
    memory: int | None
    try:
        import psutil

        memory = int(psutil.virtual_memory().total)
    except ImportError:
        memory = _sysconf_memory()
    return DeviceInfo("cpu", 0, _cpu_name(), memory, cores=cores)


def cuda_devices() -> list[DeviceInfo]:
    """Each visible CUDA GPU with its name and total memory (empty without CUDA)."""
    try:
        import torch
    except ImportError:
        return []
    if not torch.cuda.is_available():
        return []
    out = []
    for index in range(torch.cuda.device_count()):
        props = torch.cuda.get_device_properties(index)
        detail = f"compute capability {props.major}.{props.minor}"
        out.append(DeviceInfo("cuda", index, props.name, int(props.total_memory), detail=detail))
    return out


def mps_devices() -> list[DeviceInfo]:
    """The Apple-silicon GPU when PyTorch's MPS backend is usable."""
    try:
        import torch
    except ImportError:
        return []
    mps = getattr(torch.backends, "mps", None)
    if mps is None or not mps.is_available():
        return []
    return [DeviceInfo("mps", 0, platform.machine() or "Apple silicon")]


def detect_devices() -> list[DeviceInfo]:
    """The CPU first, then every CUDA GPU, then MPS."""
    return [cpu_device(), *cuda_devices(), *mps_devices()]


def devices_to_json(devices: list[DeviceInfo]) -> str:
    return json.dumps([d.to_dict() for d in devices])


def devices_from_json(text: str) -> list[DeviceInfo]:
    """Parse `astroclip devices --json` output (raises ValueError on malformed text)."""
    data = json.loads(text)
    if not isinstance(data, list):
        raise ValueError("expected a JSON list of devices")
    return [DeviceInfo.from_dict(item) for item in data]


def suggested_precision(devices: list[DeviceInfo]) -> str:
    """A sensible Lightning precision: bf16 mixed on GPUs, full fp32 on CPU."""
    if any(d.kind == "cuda" for d in devices):
        return "bf16-mixed"
    return "32-true"


def _cpu_name() -> str:
    """The CPU model ('model name' in /proc/cpuinfo on Linux), else the architecture."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "CPU"


def _sysconf_memory() -> int | None:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return None
