"""CPU inference throughput of the encoders (images/s, spectra/s) at batch 64.

Rows: ResNet-50 at 96 px (Stein), the small ResNet at the demo size (64 px) and at 144 px,
spender and the small spectrum encoder on 7,781-bin spectra; each in fp32, fp32 channels-last
(images only), bf16 autocast and, for images, bf16 autocast channels-last (what `astroclip
embed --precision bf16` runs); bf16 only when the CPU has native bf16 (AVX512-BF16/AMX).
`quick=True` uses batch 8, one timed pass and skips the 144 px row (about 30 s idle).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable

import torch
from torch import nn

from astroclip_engine.inference import bf16_native
from astroclip_engine.models.image_encoder import ResNet50Encoder, SmallResNetEncoder
from astroclip_engine.models.redshift_scan import RedshiftScanEncoder
from astroclip_engine.models.spectrum_encoder import SmallSpectrumEncoder, SpenderEncoder


def _rate(fn: Callable[[], torch.Tensor], batch: int, reps: int) -> float:
    with torch.inference_mode():
        fn()  # warm-up
        start = time.perf_counter()
        for _ in range(reps):
            fn()
        return batch * reps / (time.perf_counter() - start)


def _variants(model: nn.Module, x: torch.Tensor, image: bool, bf16: bool):
    yield "fp32", lambda: model.forward_features(x)
    if image:
        model_cl = copy.deepcopy(model).to(memory_format=torch.channels_last)
        x_cl = x.contiguous(memory_format=torch.channels_last)
        yield "fp32 channels_last", lambda: model_cl.forward_features(x_cl)
    if bf16:
        def run_bf16() -> torch.Tensor:
            with torch.autocast("cpu", dtype=torch.bfloat16):
                return model.forward_features(x)
        yield "bf16 autocast", run_bf16
        if image:
            def run_bf16_cl() -> torch.Tensor:
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    return model_cl.forward_features(x_cl)
            yield "bf16 autocast channels_last (astroclip embed --precision bf16)", run_bf16_cl


def run(quick: bool = False) -> list[dict]:
    """Measure every encoder/variant; rows carry items/s and the speed-up over fp32."""
    batch, reps = (8, 1) if quick else (64, 3)
    bf16 = bf16_native(torch.device("cpu"))
    cases = [
        ("ResNet-50 (Stein)", ResNet50Encoder(), (3, 96, 96), True, "images/s"),
        ("SmallResNet", SmallResNetEncoder(), (3, 64, 64), True, "images/s"),
        *([] if quick else [("SmallResNet", SmallResNetEncoder(), (3, 144, 144), True,
                             "images/s")]),
        ("spender", SpenderEncoder(), (7781,), False, "spectra/s"),
        ("spender_small", SmallSpectrumEncoder(), (7781,), False, "spectra/s"),
        ("redshift_scan", RedshiftScanEncoder(), (7781,), False, "spectra/s"),
    ]
    rows: list[dict] = []
    torch.manual_seed(0)
    for name, model, shape, image, unit in cases:
        model.eval()
        x = torch.rand(batch, *shape)
        base = None
        for variant, fn in _variants(model, x, image, bf16):
            rate = _rate(fn, batch, reps)
            base = base or rate
            size = f"{shape[-1]} px" if image else f"{shape[-1]} bins"
            rows.append({"encoder": name, "input": size, "variant": variant, "batch": batch,
                         "throughput": round(rate, 1), "unit": unit,
                         "vs fp32": round(rate / base, 2)})
    return rows


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="batch 8, one timed pass")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    from benchmarks.table import print_table

    print_table(run(quick=args.quick))
