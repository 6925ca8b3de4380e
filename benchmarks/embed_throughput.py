"""`astroclip embed` throughput on CPU (galaxies/s) for the demo-size model (demo-cpu preset:
small ResNet at a 48 px crop, small spectrum encoder, D = 32).

Rows: the model alone (prepare + encode both modalities on in-memory batches), and end to end
(`embed.embed_dataset`: HDF5 reads of 152 px images and 7,781-bin spectra, inference, the
resumable store writes), at batch 64. The data are a release-layout file of random galaxies.
`quick=True` embeds 128 galaxies instead of 1,024. Skips with a message if the models are not
importable.
"""

from __future__ import annotations

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
        from astroclip_engine.models.checkpoints import save_astroclip
        from astroclip_engine.models.factory import build_model
    except ImportError as exc:
        print(f"embed_throughput: skipped, models not importable ({exc})")
        return []
    n = 128 if quick else 1024
    config = load_preset("demo-cpu")
    torch.manual_seed(0)
    model = build_model(config.model).eval()
    rows: list[dict[str, Any]] = []
    images = torch.randn(BATCH, 3, IMAGE_SIZE, IMAGE_SIZE) * 0.01
    spectra = torch.randn(BATCH, N_SPECTRUM_BINS) + 1
    with torch.inference_mode():
        model.encode_image(prepare_images(images, config.model, train=False))
        reps = 2 if quick else 8
        start = time.perf_counter()
        for _ in range(reps):
            model.encode_image(prepare_images(images, config.model, train=False))
            model.encode_spectrum(prepare_spectra(spectra, train=False))
        rate = BATCH * reps / (time.perf_counter() - start)
    rows.append({"stage": "model only (both modalities)", "galaxies": BATCH * reps,
                 "threads": torch.get_num_threads(), "galaxies_per_s": rate})
    with TemporaryDirectory() as tmp:
        data, ckpt = Path(tmp) / "data.h5", Path(tmp) / "demo.ckpt"
        _write_release(data, n)
        save_astroclip(ckpt, model, config)
        start = time.perf_counter()
        embed_dataset(ckpt, data, Path(tmp) / "emb.h5", batch_size=BATCH, device="cpu")
        wall = time.perf_counter() - start
    rows.append({"stage": "embed_dataset end to end", "galaxies": n,
                 "threads": torch.get_num_threads(), "galaxies_per_s": n / wall,
                 "hours_for_200k": 200_000 / (n / wall) / 3600})
    return rows


if __name__ == "__main__":
    import argparse

    from benchmarks.table import print_table

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    print_table(run(quick=parser.parse_args().quick))
