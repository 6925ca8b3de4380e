"""Mock-survey generation rate (galaxies/s) and its cost split (physics, SED, lines,
photometry, spectra, noise, images), at 152 px and 64 px (the target: >= 300 galaxies/s at
64 px on 2 cores).

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
from astroclip_engine.data.mock_morphology import sample_morphology
from astroclip_engine.data.mock_photometry import DECAM, SDSS_GR, band_fluxes
from astroclip_engine.data.mock_physics import sample_physics
from astroclip_engine.data.mock_sed import build_sed
from astroclip_engine.data.mock_spectra import fibre_fraction, model_spectra, observe
from benchmarks.table import markdown_table


def _split(size: int, blocks: int) -> dict[str, float]:
    """Seconds per galaxy of each stage, summed over `blocks` blocks."""
    from astroclip_engine.data.mock_lines import line_luminosities
    from astroclip_engine.data.mock_sed import _K_LINES, rest_continuum

    times = dict.fromkeys(("physics", "SED", "lines", "photometry", "spectra", "noise",
                           "images"), 0.0)
    for b in range(blocks):
        rng = np.random.default_rng(b)
        t0 = time.perf_counter()
        phys = sample_physics(rng, BLOCK_SIZE)
        morph = sample_morphology(rng, phys)
        t1 = time.perf_counter()
        sed = build_sed(phys, rng)
        t2 = time.perf_counter()
        cont = rest_continuum(phys)  # timed again alone: lines = build_sed - continuum
        line_luminosities(rng, phys.sfr_inst, phys.log_z_sun, phys.a_v, cont[:, 0], _K_LINES)
        t3 = time.perf_counter()
        line_luminosities(rng, phys.sfr_inst, phys.log_z_sun, phys.a_v, cont[:, 0], _K_LINES)
        t4 = time.perf_counter()
        flux = band_fluxes(sed, DECAM + SDSS_GR)[:, :3]
        t5 = time.perf_counter()
        fibre = fibre_fraction(phys.r_e_arcsec, phys.axis_ratio, np.full(BLOCK_SIZE, 1.1))
        model = model_spectra(sed, fibre)
        t6 = time.perf_counter()
        observe(rng, model)
        t7 = time.perf_counter()
        render_cutouts(rng, flux, morph, phys.position_angle, size)
        t8 = time.perf_counter()
        lines = t4 - t3
        for key, value in (("physics", t1 - t0), ("SED", (t2 - t1) - lines), ("lines", lines),
                           ("photometry", t5 - t4), ("spectra", t6 - t5), ("noise", t7 - t6),
                           ("images", t8 - t7)):
            times[key] += value
    return {k: v / (blocks * BLOCK_SIZE) for k, v in times.items()}


def run(quick: bool = False) -> list[dict]:
    blocks = 2 if quick else 8
    rows = []
    rng = np.random.default_rng(0)
    build_sed(sample_physics(rng, 4), rng)  # warm the cached tables
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
                **{f"{k} ms/gal (share)": f"{1e3 * v:.2f} ({100 * v / total:.0f} %)"
                   for k, v in split.items()},
                "MB per 1000 galaxies": round(
                    (Path(tmp) / f"bench{size}.h5").stat().st_size / n * 1000 / 1e6, 1),
            })
    return rows


if __name__ == "__main__":
    import torch

    torch.set_num_threads(2)
    print(markdown_table(run(quick="--quick" in sys.argv)))
