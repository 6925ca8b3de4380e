"""Mock-survey generation rate (galaxies/s) and its cost split, at 152 px and a smaller size.

Run: `.venv/bin/python benchmarks/mock_rate.py [--quick]`. Prints a Markdown table.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from astroclip_engine.data.mock import BLOCK_SIZE, generate_mock
from astroclip_engine.data.mock_images import render_cutouts
from astroclip_engine.data.mock_photometry import band_fluxes
from astroclip_engine.data.mock_physics import sample_physics
from astroclip_engine.data.mock_sed import build_sed
from astroclip_engine.data.mock_spectra import fibre_fraction, model_spectra, observe


def _split(size: int, blocks: int) -> dict[str, float]:
    """Seconds per galaxy of each stage, summed over `blocks` blocks."""
    times = {"physics+SED": 0.0, "spectra": 0.0, "images": 0.0}
    for b in range(blocks):
        rng = np.random.default_rng(b)
        t0 = time.perf_counter()
        phys = sample_physics(rng, BLOCK_SIZE)
        sed = build_sed(phys)
        flux = band_fluxes(sed)
        t1 = time.perf_counter()
        fibre = fibre_fraction(phys.r_e_arcsec, phys.axis_ratio, np.full(BLOCK_SIZE, 1.1))
        observe(rng, model_spectra(sed, fibre))
        t2 = time.perf_counter()
        render_cutouts(rng, flux, phys.r_e_arcsec, phys.sersic_n, phys.axis_ratio,
                       phys.position_angle, size)
        t3 = time.perf_counter()
        times["physics+SED"] += t1 - t0
        times["spectra"] += t2 - t1
        times["images"] += t3 - t2
    return {k: v / (blocks * BLOCK_SIZE) for k, v in times.items()}


def run(quick: bool = False) -> list[dict]:
    blocks = 2 if quick else 8
    rows = []
    build_sed(sample_physics(np.random.default_rng(0), 4))  # warm the cached tables
    with tempfile.TemporaryDirectory() as tmp:
        for size in (152, 64):
            n = blocks * BLOCK_SIZE
            t0 = time.perf_counter()
            generate_mock(Path(tmp) / f"bench{size}.h5", n=n, seed=1, image_size=size)
            elapsed = time.perf_counter() - t0
            split = _split(size, blocks)
            total = sum(split.values())
            rows.append({
                "image size": size, "n": n, "galaxies/s (end to end)": round(n / elapsed, 1),
                **{f"{k} ms/gal ({100 * v / total:.0f} %)": round(1e3 * v, 2)
                   for k, v in split.items()},
                "MB per 1000 galaxies": round(
                    (Path(tmp) / f"bench{size}.h5").stat().st_size / n * 1000 / 1e6, 1),
            })
    return rows


def _markdown(rows: list[dict]) -> str:
    lines = []
    for row in rows:  # the split columns carry percentages, so print one table per row
        keys = list(row)
        lines += ["| " + " | ".join(keys) + " |", "|" + " --- |" * len(keys),
                  "| " + " | ".join(str(row[k]) for k in keys) + " |", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    import torch

    torch.set_num_threads(2)
    print(_markdown(run(quick="--quick" in sys.argv)))
