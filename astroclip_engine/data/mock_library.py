"""The stellar-population library of the mock: kcorrect's BC03-based NMF templates.

kcorrect (BSD-3, on PyPI) ships `kcorrect/data/templates/kcorrect-default-v4.fits` in its wheel:
five non-negative templates (Blanton & Roweis 2007), each a mixture of Bruzual & Charlot (2003)
simple stellar populations of known star-formation history and metallicity, per solar mass
formed at 10 pc. We read only the data file (no kcorrect code runs), strip the nebular lines
the templates carry (the mock adds its own, resolved at DESI resolution) and resample once onto
the mock's 1 A rest grid. Why this library and not another: docs/mock.md.

A galaxy's continuum is `coefficients @ continua` with non-negative coefficients chosen so the
mixture reproduces its SFH summary (mass formed, fractions formed in the last 0.3 and 1 Gyr)
and its metallicity, as kcorrect itself derives physical properties from coefficients.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
from scipy.optimize import nnls

from astroclip_engine.errors import DataFormatError

REST_WAVE = np.arange(1800.0, 11600.0, 1.0)
"""Rest-frame wavelength grid (Angstrom) of the continuum, 1 A steps."""

TEN_PC_CM = 3.0856775814913673e19
TEMPLATE_FILE = "kcorrect-default-v4.fits"

NEBULAR_LINES_A = np.array([
    3727.1, 3729.9, 3868.8, 3889.0, 3967.5, 3970.1, 4101.7, 4340.5, 4363.2, 4471.5, 4571.1,
    4861.3, 4958.9, 5006.8, 5197.9, 5875.6, 6300.3, 6312.1, 6363.8, 6548.1, 6562.8, 6583.4,
    6678.2, 6716.4, 6730.8, 7065.2, 7135.8, 7319.9, 7330.2, 7751.1, 9068.6, 9530.6,
])
"""Nebular lines (air, Angstrom) present in the kcorrect templates (whose wavelengths are in
vacuum, as the emission-line centroids show), removed before use."""


@dataclass(frozen=True)
class StellarLibrary:
    """Line-free template continua on REST_WAVE and their physical content per unit weight."""

    continua: np.ndarray  # (T, len(REST_WAVE)) erg/s/A per solar mass formed
    m300: np.ndarray  # (T,) fraction of the mass formed in the last 300 Myr
    m1000: np.ndarray  # (T,) ... in the last 1 Gyr
    mremain: np.ndarray  # (T,) surviving stellar mass per solar mass formed
    metallicity: np.ndarray  # (T,) mass-weighted Z (mass fraction)


def template_path() -> Path:
    """The template file inside the installed kcorrect package."""
    try:
        root = resources.files("kcorrect")
    except ModuleNotFoundError as exc:
        raise DataFormatError(Path("kcorrect"), "the kcorrect package (pip install "
                              "kcorrect==5.1.9) is needed for the mock's stellar library") from exc
    return Path(str(root / "data" / "templates" / TEMPLATE_FILE))


def strip_lines(wave: np.ndarray, flux: np.ndarray) -> np.ndarray:
    """Bridge +-(10 A or 3.5 pixels) around every nebular line (overlapping windows merged)
    with a straight line between the window edges (the underlying absorption wings stay)."""
    pixel = np.gradient(wave)
    masked = np.zeros(len(wave), dtype=bool)
    for centre in _air_to_vacuum(NEBULAR_LINES_A):
        half = max(10.0, 3.5 * pixel[min(np.searchsorted(wave, centre), len(wave) - 1)])
        masked |= np.abs(wave - centre) < half
    out = flux.copy()
    edges = np.flatnonzero(np.diff(masked.astype(np.int8)))
    starts, stops = edges[masked[edges + 1]], edges[~masked[edges + 1]] + 1
    for lo, hi in zip(starts, stops, strict=True):  # lo, hi: the unmasked pixels either side
        t = (wave[lo:hi + 1] - wave[lo]) / (wave[hi] - wave[lo])
        out[..., lo:hi + 1] = flux[..., [lo]] + (flux[..., [hi]] - flux[..., [lo]]) * t
    return out


@dataclass(frozen=True)
class TemplateFile:
    """kcorrect-default-v4 as shipped: five templates with their nebular lines, and their
    per-template physical content (INTSFH, MREMAIN, METS, M300, M1000)."""

    wave: np.ndarray  # (W,) Angstrom, vacuum
    flux: np.ndarray  # (5, W)
    meta: dict[str, np.ndarray]


@lru_cache(maxsize=1)
def template_file() -> TemplateFile:
    """Read the kcorrect template file once (the mock's library and `models.redshift_scan`)."""
    from astropy.io import fits

    path = template_path()
    try:
        with fits.open(path, memmap=False) as hdul:
            table = hdul["FLUX"].data
            wave = np.asarray(table["wave"][0], dtype=np.float64)
            flux = np.asarray(table["flux"][0], dtype=np.float64).reshape(-1, len(wave))
            meta = {k: np.asarray(hdul[k].data, dtype=np.float64)
                    for k in ("INTSFH", "MREMAIN", "METS", "M300", "M1000")}
    except (OSError, KeyError, ValueError) as exc:
        raise DataFormatError(path, f"unreadable kcorrect template file: {exc}") from exc
    return TemplateFile(wave, flux, meta)


@lru_cache(maxsize=1)
def stellar_library() -> StellarLibrary:
    """Clean and resample the kcorrect templates (cached; ~0.1 s once)."""
    source = template_file()
    wave, flux, meta = source.wave, source.flux, source.meta
    young = meta["M1000"] > 1e-3  # only populations with recent star formation carry lines
    clean = np.where(young[:, None], strip_lines(wave, flux), flux)
    per_mass = clean / meta["INTSFH"][:, None] * 4 * np.pi * TEN_PC_CM**2
    continua = np.array([np.interp(REST_WAVE, wave, row) for row in per_mass])
    return StellarLibrary(
        continua=continua.astype(np.float32),
        m300=meta["M300"] / meta["INTSFH"], m1000=meta["M1000"] / meta["INTSFH"],
        mremain=meta["MREMAIN"] / meta["INTSFH"], metallicity=meta["METS"],
    )


def _air_to_vacuum(wave: np.ndarray) -> np.ndarray:
    """Air to vacuum wavelengths (Morton 1991) above 2000 A."""
    s2 = (1e4 / wave) ** 2
    factor = 1 + 6.4328e-5 + 2.94981e-2 / (146 - s2) + 2.5540e-4 / (41 - s2)
    return np.where(wave > 2000, wave * factor, wave)


def mixture_weights(frac_young: np.ndarray, frac_300: np.ndarray, frac_1000: np.ndarray,
                    metallicity: np.ndarray) -> np.ndarray:
    """Per-solar-mass-formed template weights (n, T) matching each galaxy's SFH and Z.

    The youngest template (all its mass formed in the last 300 Myr; its V-band mass-to-light
    ratio, ~1/500 of the oldest template's, says it is dominated by stars < ~20 Myr old) takes
    the mass formed in the last 20 Myr. The others follow from non-negative least squares on:
    the weights sum to the rest, the last-300-Myr and last-1-Gyr mass fractions, and the
    mass-weighted metallicity (a softer constraint)."""
    lib = stellar_library()
    youngest = int(np.argmax(lib.m300))
    others = np.array([t for t in range(len(lib.m300)) if t != youngest])
    design = np.vstack([np.ones(len(others)), lib.m300[others], lib.m1000[others],
                        0.3 * lib.mremain[others] * (lib.metallicity[others] / 0.02)])
    scale = np.array([4.0, 3.0, 2.0, 1.0])[:, None]
    out = np.zeros((len(frac_300), len(lib.m300)))
    out[:, youngest] = frac_young
    for i in range(len(frac_300)):
        design_i = design.copy()
        design_i[3] -= 0.3 * lib.mremain[others] * metallicity[i] / 0.02
        rest = 1.0 - frac_young[i]
        target = np.array([rest, max(frac_300[i] - frac_young[i], 0.0),
                           max(frac_1000[i] - frac_young[i], 0.0), 0.0])
        out[i, others], _ = nnls(scale * design_i, scale[:, 0] * target)
    return out
