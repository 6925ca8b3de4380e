"""`astroclip devices [--json]`: the CPU, CUDA GPUs and MPS this machine offers for training."""

from __future__ import annotations

import argparse

from astroclip_engine.devices import detect_devices, devices_to_json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("devices", help="list the devices available for training")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    devices = detect_devices()
    if args.json:
        print(devices_to_json(devices))
    else:
        for device in devices:
            print(device.label + (f"  [{device.detail}]" if device.detail else ""))
    return 0
