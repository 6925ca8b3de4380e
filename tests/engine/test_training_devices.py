"""Hardware detection: the CPU is always listed first; the JSON round trip the wizard uses."""

from __future__ import annotations

import pytest

from astroclip_engine.devices import (
    DeviceInfo,
    detect_devices,
    devices_from_json,
    devices_to_json,
    suggested_precision,
)


def test_cpu_first_with_cores_and_memory() -> None:
    devices = detect_devices()
    cpu = devices[0]
    assert cpu.kind == "cpu" and cpu.cores >= 1
    assert cpu.memory_bytes is None or cpu.memory_bytes > 2**26
    assert "cores" in cpu.label
    assert all(d.kind in ("cuda", "mps") for d in devices[1:])


def test_json_round_trip_and_precision() -> None:
    gpu = DeviceInfo("cuda", 0, "NVIDIA H100", 80 * 2**30, detail="compute capability 9.0")
    devices = [DeviceInfo("cpu", 0, "CPU", 2**34, cores=8), gpu]
    back = devices_from_json(devices_to_json(devices))
    assert back == devices
    assert back[1].label == "GPU 0: NVIDIA H100 (80.0 GiB)"
    assert suggested_precision(back) == "bf16-mixed"
    assert suggested_precision(back[:1]) == "32-true"
    with pytest.raises(ValueError):
        devices_from_json('{"kind": "cpu"}')
