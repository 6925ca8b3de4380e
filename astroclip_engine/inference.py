"""Inference settings for embedding: channels-last convolutions and bf16 autocast.

Channels-last (NHWC) memory lets oneDNN (CPU) and cuDNN run the image encoder's convolutions
without layout conversions; the result is the fp32 result up to summation order. bf16 autocast
runs matrix products and convolutions in bfloat16 (fp32 accumulation): several times faster on
CPUs with AMX or AVX512-BF16 and on Ampere or newer GPUs, with embeddings that differ from fp32
in about the third significant digit. It is opt-in (`astroclip embed --precision bf16`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import torch

log = logging.getLogger(__name__)
PRECISIONS = ("32", "bf16")


def bf16_native(device: torch.device) -> bool:
    """Whether `device` computes bf16 in hardware (CPU: AMX / AVX512-BF16; CUDA: Ampere+)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        return bool(torch.backends.mkldnn.is_available()
                    and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    return False


def prepare_model(model: torch.nn.Module, device: torch.device, precision: str
                  ) -> torch.nn.Module:
    """Move `model` to `device` in eval mode, its 4-D (convolution) weights channels-last."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r}: expected one of {PRECISIONS}")
    if precision == "bf16" and not bf16_native(device):
        log.warning("%s has no native bf16: --precision bf16 will be emulated (slower)", device)
    return model.to(device).to(memory_format=torch.channels_last).eval()


def channels_last(images: torch.Tensor) -> torch.Tensor:
    """Image batches (B, C, H, W) in channels-last memory, matching `prepare_model`."""
    return images.contiguous(memory_format=torch.channels_last)


@contextlib.contextmanager
def autocast(device: torch.device, precision: str) -> Iterator[None]:
    """bf16 autocast on `device` for precision "bf16"; nothing for "32"."""
    if precision == "bf16":
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16):
            yield
    else:
        yield
