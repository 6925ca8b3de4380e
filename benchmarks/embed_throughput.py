"""`astroclip embed` throughput on CPU (galaxies/s) for the demo-size model (demo-cpu preset:
small ResNet at a 48 px crop, small spectrum encoder, D = 32).

Rows: the model alone (encode both modalities on in-memory batches) in fp32 (the previous code
path), fp32 with channels-last convolutions, and bf16 autocast with channels-last (variants
alternating, medians; `vs_fp32` is measured in the same run), and end to end
(`embed.embed_dataset`: HDF5 reads of 152 px images and 7,781-bin spectra, inference, the
resumable store writes) with --precision 32 and bf16, at batch 64. The data are a
release-layout file of random galaxies.
`quick=True` embeds 128 galaxies instead of 1,024. Skips with a message if the models are not
importable.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import numpy as np

from astroclip_engine.constants import IMAGE_SIZE, N_SPECTRUM_BINS

BATCH = 64


def _write_release(path: Path, n: int) -> None:
    from astroclip_engine.data.release_writer import ReleaseWriter

    rng = np.random.default_rng(0)
    with ReleaseWriter(path) as writer:
        for start in range(0, n, 128):
            m = min(128, n - start)
            writer.append("0", rng.normal(0, 0.01, (m, 3, IMAGE_SIZE, IMAGE_SIZE)).astype("f4"),
                          rng.normal(1, 0.1, (m, N_SPECTRUM_BINS)).astype("f4"),
                          rng.uniform(0, 0.5, m), np.arange(start, start + m))


def run(quick: bool = False) -> list[dict[str, Any]]:
    try:
        import torch

        from astroclip_engine.config import load_preset
        from astroclip_engine.data.transforms import prepare_images, prepare_spectra
        from astroclip_engine.embed import embed_dataset
        from astroclip_engine.inference import autocast, bf16_native, channels_last
        from astroclip_engine.models.checkpoints import save_astroclip
        from astroclip_engine.models.factory import build_model
    except ImportError as exc:
        print(f"embed_throughput: skipped, models not importable ({exc})")
        return []
    n = 128 if quick else 1024
    config = load_preset("demo-cpu")
    torch.manual_seed(0)
    model = build_model(config.model).eval()
    cpu = torch.device("cpu")
    rows: list[dict[str, Any]] = []
    images = torch.randn(BATCH, 3, IMAGE_SIZE, IMAGE_SIZE) * 0.01
    spectra = torch.randn(BATCH, N_SPECTRUM_BINS) + 1
    x_image = prepare_images(images, config.model, train=False)
    x_spectrum = prepare_spectra(spectra, train=False)
    reps = 2 if quick else 6
    variants = {"fp32 (previous path)": ("32", False), "fp32 channels-last": ("32", True),
                "bf16 autocast channels-last": ("bf16", True)}
    times: dict[str, list[float]] = {name: [] for name in variants}
    with torch.inference_mode():
        for rep in range(reps + 1):  # variants alternate; the first round warms up
            for name, (precision, nhwc) in variants.items():
                model.to(memory_format=torch.channels_last if nhwc else torch.contiguous_format)
                xi = channels_last(x_image) if nhwc else x_image.contiguous()
                start = time.perf_counter()
                with autocast(cpu, precision):
                    model.encode_image(xi)
                    model.encode_spectrum(x_spectrum)
                if rep:
                    times[name].append(time.perf_counter() - start)
    base = BATCH / statistics.median(times["fp32 (previous path)"])
    for name, t in times.items():
        rate = BATCH / statistics.median(t)
        rows.append({"stage": f"model only, {name}", "galaxies": BATCH * reps,
                     "threads": torch.get_num_threads(), "galaxies_per_s": rate,
                     "vs_fp32": rate / base, "bf16_native": bf16_native(cpu)})
    model.to(memory_format=torch.contiguous_format)
    with TemporaryDirectory() as tmp:
        data, ckpt = Path(tmp) / "data.h5", Path(tmp) / "demo.ckpt"
        _write_release(data, n)
        save_astroclip(ckpt, model, config)
        walls: dict[str, float] = {}
        for precision in ("32", "bf16"):
            start = time.perf_counter()
            embed_dataset(ckpt, data, Path(tmp) / f"emb{precision}.h5", batch_size=BATCH,
                          device="cpu", precision=precision)
            walls[precision] = time.perf_counter() - start
    for precision, wall in walls.items():
        rows.append({"stage": f"embed_dataset end to end, --precision {precision}",
                     "galaxies": n, "threads": torch.get_num_threads(),
                     "galaxies_per_s": n / wall, "vs_fp32": walls["32"] / wall,
                     "hours_for_200k": 200_000 / (n / wall) / 3600})
    return rows


if __name__ == "__main__":
    import argparse

    from benchmarks.table import print_table

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    print_table(run(quick=parser.parse_args().quick))
