"""Published models: CPU throughput of the official v2 encoders and `astroclip info` time.

Rows 1-2: the v2 image encoder (dinov2 ViT-L width 1024, patch 12, 144 px + cross-attention
head) and the v2 spectrum encoder (SpecFormer width 768 on 7,781-bin spectra + head) at batch
16, fp32 and bf16 autocast. Full depth (24 ViT blocks, 6 SpecFormer layers) is too slow for
this benchmark on a small CPU, so the encoders run with REDUCED DEPTH (`IMAGE_BLOCKS`,
`SPECTRUM_LAYERS`) at full width; the "full depth (est.)" column scales the rate by the block
ratio (blocks dominate the cost). bf16 is marked emulated when the CPU has no native bf16.
Row 3: `describe_checkpoint` (what `astroclip info` runs) on a full-size official
`astroclip.ckpt` layout (446 tensors, 1.48 GB, `cuda:0` tags) against reading every tensor
with the safe reader. `quick=True`: batch 2, and a 0.2 GB file (ViT-L blocks cut to 2).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import torch

from astroclip_engine.models.specformer import SpecFormer
from astroclip_engine.models.v2.model import AstroClipV2
from astroclip_engine.models.v2.vit import DinoViT

IMAGE_BLOCKS = 4
SPECTRUM_LAYERS = 2
FULL_BLOCKS, FULL_LAYERS = 24, 6


def _native_bf16() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def _rate(fn: Callable[[], torch.Tensor], batch: int, reps: int) -> float:
    with torch.inference_mode():
        fn()
        start = time.perf_counter()
        for _ in range(reps):
            fn()
        return batch * reps / (time.perf_counter() - start)


def _throughput(batch: int, reps: int) -> list[dict]:
    torch.manual_seed(0)
    model = AstroClipV2(DinoViT(depth=IMAGE_BLOCKS, chunks=4),
                        SpecFormer(num_layers=SPECTRUM_LAYERS)).eval()
    images, spectra = torch.rand(batch, 3, 152, 152) * 0.1, torch.rand(batch, 7781) * 5
    cases = [("v2 image (ViT-L width)", lambda: model.embed_images(images), "images/s",
              f"{IMAGE_BLOCKS} of {FULL_BLOCKS} blocks", FULL_BLOCKS / IMAGE_BLOCKS),
             ("v2 spectrum (SpecFormer)", lambda: model.embed_spectra(spectra), "spectra/s",
              f"{SPECTRUM_LAYERS} of {FULL_LAYERS} layers", FULL_LAYERS / SPECTRUM_LAYERS)]
    rows = []
    bf16 = "bf16 autocast" + ("" if _native_bf16() else " (emulated)")
    for name, fn, unit, depth, scale in cases:
        base = None
        for variant in ("fp32", bf16):
            def run(fn=fn, variant=variant) -> torch.Tensor:
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=variant != "fp32"):
                    return fn()
            rate = _rate(run, batch, reps)
            base = base or rate
            rows.append({"measure": name, "variant": variant, "batch": batch, "depth": depth,
                         "throughput": round(rate, 2), "unit": unit,
                         "full depth (est.)": round(rate / scale, 3),
                         "vs fp32": round(rate / base, 2)})
    return rows


def _info_time(quick: bool) -> dict:
    from astroclip_engine.models.checkpoint_info import describe_checkpoint
    from astroclip_engine.models.safe_unpickle import read_pickled_checkpoint

    with torch.device("meta"):
        model = AstroClipV2(DinoViT(depth=2 if quick else FULL_BLOCKS), SpecFormer())
    state = {k: torch.empty(v.shape, dtype=v.dtype) for k, v in model.state_dict().items()}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "astroclip.ckpt"
        with mock.patch("torch.serialization.location_tag", lambda storage: "cuda:0"):
            torch.save({"state_dict": state, "epoch": 99, "hyper_parameters": {"lr": 1e-4}}, path)
        del state
        size = path.stat().st_size
        start = time.perf_counter()
        info = describe_checkpoint(path)
        info_s = time.perf_counter() - start
        start = time.perf_counter()
        read_pickled_checkpoint(path)
        full_s = time.perf_counter() - start
    return {"measure": "astroclip info", "variant": f"{size / 1e9:.2f} GB, {info['tensors']} "
            "tensors", "info s": round(info_s, 3), "read all tensors s": round(full_s, 2),
            "info vs full read": f"{full_s / info_s:.0f}x faster"}


def run(quick: bool = False) -> list[dict]:
    rows = _throughput(*((2, 1) if quick else (16, 2)))
    rows.append(_info_time(quick))
    return rows


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    from benchmarks.table import print_table

    print_table(run(quick=args.quick))
