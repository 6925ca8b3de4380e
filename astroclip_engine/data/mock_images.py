"""Legacy Survey-like g, r, z cutouts of mock galaxies, rendered in Fourier space.

Each source is a Sersic profile (its exact Fourier transform tabulated through a mixture of
Gaussians fitted once) or a point source, sheared by its axis ratio and position angle,
shifted by a phase factor, multiplied by a per-band Moffat PSF and the pixel response, and
transformed back. Rendering is done on a padded canvas so wings do not wrap into the cutout.
Sky noise matches DR9 depth; neighbours and rare artefacts (bright stars with diffraction
spikes, masked columns) are added.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.fft import next_fast_len
from scipy.optimize import nnls
from scipy.special import gamma, kv

from astroclip_engine.constants import PIXEL_SCALE_ARCSEC
from astroclip_engine.data.mock_morphology import Morphology

SKY_SIGMA_NMGY = np.array([0.0019, 0.0029, 0.0085])
"""Median per-pixel sky noise in g, r, z (nanomaggies), as measured on DR9 cutouts."""
NOISE_CORRELATION_TAP = 0.19
"""Neighbour weight of the separable [a, 1, a] kernel that correlates the pixel noise like the
resampled DR9 coadds (lag-1 correlation ~0.35)."""
SEEING_FWHM_ARCSEC = np.array([1.35, 1.22, 1.12])
"""Median PSF FWHM per band (DECaLS DR9)."""
MOFFAT_BETA = 3.0
SOURCE_VAR_PER_NMGY = np.array([3e-4, 3e-4, 8e-4])
"""Poisson variance of the source per nanomaggy of model flux in a pixel."""
BRIGHT_STAR_RATE = 0.03
MASKED_COLUMN_RATE = 0.015
NEIGHBOURS_PER_CUTOUT = 1.3  # at 152 px; scales with the area

_N_GRID = np.arange(0.5, 6.51, 0.25)
_LOGX = np.linspace(-3.0, 2.6, 1400)


def _sersic_b(n: float) -> float:
    return 2 * n - 1 / 3 + 4 / (405 * n) + 46 / (25515 * n**2)


@lru_cache(maxsize=1)
def sersic_fourier_table() -> np.ndarray:
    """(len(_N_GRID), len(_LOGX)) Fourier transform of unit-flux Sersic profiles at k r_e = x."""
    r = np.geomspace(1e-3, 12.0, 500)
    widths = np.geomspace(0.002, 8.0, 26)
    design = r[:, None] ** 2 * np.exp(-0.5 * (r[:, None] / widths) ** 2) / (2 * np.pi * widths**2)
    x = 10.0**_LOGX
    rows = []
    for n in _N_GRID:
        b = _sersic_b(n)
        total = 2 * np.pi * n * np.exp(b) * b ** (-2 * n) * gamma(2 * n)
        profile = np.exp(-b * (r ** (1 / n) - 1)) / total
        amps, _ = nnls(design, r**2 * profile)
        amps /= amps.sum()
        rows.append(np.exp(-0.5 * (x[:, None] * widths) ** 2) @ amps)
    return np.array(rows)


@lru_cache(maxsize=1)
def moffat_fourier_table() -> tuple[np.ndarray, np.ndarray]:
    """(q, F(q)): Fourier transform of a unit-flux Moffat profile at q = k alpha."""
    q = np.concatenate([[0.0], np.geomspace(1e-4, 60.0, 2000)])
    nu = MOFFAT_BETA - 1
    values = np.ones_like(q)
    values[1:] = 2 ** (1 - nu) / gamma(nu) * q[1:] ** nu * kv(nu, q[1:])
    return q, values


@dataclass
class Sources:
    """Sources to render: one row each, `image` says which cutout it belongs to."""

    image: np.ndarray  # int
    x: np.ndarray  # pixel position on the padded canvas
    y: np.ndarray
    flux: np.ndarray  # (m, 3) nanomaggies
    r_e_px: np.ndarray  # 0 for point sources
    sersic_n: np.ndarray
    axis_ratio: np.ndarray
    position_angle: np.ndarray

    @staticmethod
    def concat(parts: list[Sources]) -> Sources:
        return Sources(*[np.concatenate([getattr(p, f) for p in parts])
                         for f in Sources.__dataclass_fields__])


def _sersic_row(n: float) -> np.ndarray:
    """The Fourier profile of a Sersic index n, linearly interpolated between table rows."""
    table = sersic_fourier_table()
    pos = float(np.clip((n - _N_GRID[0]) / (_N_GRID[1] - _N_GRID[0]), 0, len(_N_GRID) - 1.001))
    j = int(pos)
    return table[j] * (j + 1 - pos) + table[j + 1] * (pos - j)


def _source_transform(src: Sources, i: int, ky: np.ndarray, kx: np.ndarray) -> np.ndarray:
    """Complex Fourier transform (P, P//2+1) of unit-flux source i at its position."""
    phase = np.exp(-1j * ky[:, 0] * src.y[i])[:, None] * np.exp(-1j * kx[0] * src.x[i])[None, :]
    if src.r_e_px[i] <= 0:
        return phase.astype(np.complex64)
    cos, sin = np.cos(src.position_angle[i]), np.sin(src.position_angle[i])
    major = kx * cos + ky * sin
    minor = -kx * sin + ky * cos
    x = np.sqrt(major**2 + (src.axis_ratio[i] * minor) ** 2) * src.r_e_px[i]
    logx = np.log10(np.maximum(x, 1e-12))
    profile = np.interp(logx, _LOGX, _sersic_row(src.sersic_n[i]), right=0.0)
    return (profile * phase).astype(np.complex64)


def render(sources: Sources, n_images: int, canvas: int, fwhm_arcsec: np.ndarray) -> np.ndarray:
    """Noiseless PSF-convolved images (n_images, 3, canvas, canvas) in nanomaggies/pixel.

    fwhm_arcsec: (n_images, 3) PSF FWHM per image and band.
    """
    ky = (2 * np.pi * np.fft.fftfreq(canvas))[:, None]
    kx = (2 * np.pi * np.fft.rfftfreq(canvas))[None, :]
    pixel = np.sinc(ky / (2 * np.pi)) * np.sinc(kx / (2 * np.pi))
    acc = np.zeros((n_images, 3, canvas, canvas // 2 + 1), dtype=np.complex64)
    for i in range(len(sources.x)):
        transform = _source_transform(sources, i, ky, kx)
        acc[sources.image[i]] += sources.flux[i].astype(np.float32)[:, None, None] * transform
    q_tab, f_tab = moffat_fourier_table()
    k = np.sqrt(ky**2 + kx**2)
    alpha_px = fwhm_arcsec / PIXEL_SCALE_ARCSEC / (2 * np.sqrt(2 ** (1 / MOFFAT_BETA) - 1))
    for i in range(n_images):
        for band in range(3):
            psf = np.interp(k * alpha_px[i, band], q_tab, f_tab, right=0.0)
            acc[i, band] *= (psf * pixel).astype(np.float32)
    return np.fft.irfft2(acc, s=(canvas, canvas), axes=(-2, -1)).astype(np.float32)


def _neighbours(rng: np.random.Generator, n_images: int, canvas: int, size: int) -> Sources:
    counts = rng.poisson(NEIGHBOURS_PER_CUTOUT * (canvas / 152) ** 2, n_images)
    m = int(counts.sum())
    star = rng.uniform(size=m) < 0.35
    # number counts: stars flat-ish, galaxies steep (more faint ones)
    u = rng.uniform(size=m)
    mag_gal = 24.0 + np.log10(u + (1 - u) * 10 ** (0.35 * (18.5 - 24.0))) / 0.35
    mag_star = 23.0 + np.log10(u + (1 - u) * 10 ** (0.15 * (16.0 - 23.0))) / 0.15
    mag_r = np.where(star, mag_star, mag_gal)
    g_r = np.where(star, rng.uniform(0.3, 1.4, m), rng.uniform(0.2, 1.7, m))
    r_z = np.where(star, rng.uniform(0.0, 1.2, m), rng.uniform(0.2, 1.1, m))
    mags = np.stack([mag_r + g_r, mag_r, mag_r - r_z], axis=1)
    r_e = np.where(star, 0.0, np.exp(rng.normal(np.log(0.6), 0.5, m)) / PIXEL_SCALE_ARCSEC)
    centre = canvas / 2
    radius = rng.uniform(6.0, canvas / 2, m)
    angle = rng.uniform(0, 2 * np.pi, m)
    return Sources(
        image=np.repeat(np.arange(n_images), counts),
        x=centre + radius * np.cos(angle), y=centre + radius * np.sin(angle),
        flux=10 ** (-0.4 * (mags - 22.5)), r_e_px=r_e,
        sersic_n=np.where(rng.uniform(size=m) < 0.6, 1.0, 4.0),
        axis_ratio=rng.uniform(0.3, 1.0, m), position_angle=rng.uniform(0, np.pi, m),
    )


def _add_bright_star(rng: np.random.Generator, image: np.ndarray, size: int) -> None:
    """A saturated star with diffraction spikes and a bleed trail, in place on (3, S, S)."""
    radius, angle = rng.uniform(size / 6, size / 2), rng.uniform(0, 2 * np.pi)
    x0, y0 = size / 2 + radius * np.cos(angle), size / 2 + radius * np.sin(angle)
    flux = 10 ** (-0.4 * (rng.uniform(11.0, 14.5) - 22.5)) * np.array([0.8, 1.0, 1.1])
    yy, xx = np.mgrid[0:size, 0:size]
    dx, dy = xx - x0, yy - y0
    r = np.hypot(dx, dy) + 1.0
    halo = 0.02 * (1 + (r / 4.0) ** 2) ** -1.5
    spikes = 0.004 * (np.exp(-np.abs(dy) / 0.8) + np.exp(-np.abs(dx) / 0.8)) * (r / 3.0) ** -1.2
    for band in range(3):
        image[band] += flux[band] * (halo + spikes)
    saturation = rng.uniform(20.0, 60.0)
    column = np.abs(dx[0]) < 1.5
    for band in range(3):
        bleed = (np.abs(dy) < 6 + 2 * np.log10(flux[band])) & column[None, :]
        image[band] = np.where(bleed, saturation, np.minimum(image[band], saturation))


def _correlated_noise(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Unit-variance Gaussian noise smoothed by a separable [a, 1, a] kernel (wraps at edges)."""
    white = rng.standard_normal(shape, dtype=np.float32)
    a = np.float32(NOISE_CORRELATION_TAP)
    for axis in (-1, -2):
        white = white + a * (np.roll(white, 1, axis) + np.roll(white, -1, axis))
    return white / np.float32(1 + 2 * NOISE_CORRELATION_TAP**2)


def add_noise_and_artefacts(rng: np.random.Generator, images: np.ndarray) -> np.ndarray:
    """Sky noise (per-image depth), source shot noise, rare bright stars and masked columns."""
    n, _, size, _ = images.shape
    depth = SKY_SIGMA_NMGY[None, :] * np.exp(rng.normal(0.0, 0.2, (n, 3)))
    for i in range(n):
        if rng.uniform() < BRIGHT_STAR_RATE:
            _add_bright_star(rng, images[i], size)
    depth32 = depth.astype(np.float32)[:, :, None, None]
    shot = SOURCE_VAR_PER_NMGY.astype(np.float32)[None, :, None, None]
    sigma = np.sqrt(depth32**2 + np.maximum(images, 0) * shot)
    offset = (rng.normal(0.0, 0.3, (n, 3)) * depth).astype(np.float32)[:, :, None, None]
    noisy = images + offset + sigma * _correlated_noise(rng, images.shape)
    for i in range(n):
        if rng.uniform() < MASKED_COLUMN_RATE:
            band, col, width = rng.integers(0, 3), rng.integers(0, size), rng.integers(1, 7)
            noisy[i, band, :, col:col + width] = 0.0
    return noisy


def galaxy_sources(morph: Morphology, flux: np.ndarray, x: np.ndarray, y: np.ndarray,
                   position_angle: np.ndarray) -> Sources:
    """The main galaxies as sources: bulge (n = 4) and disk (n = 1) with band-dependent flux
    shares, plus each merger's companion (a disk) and a faint, elongated tidal component."""
    n = len(flux)
    index = np.arange(n)
    bulge_share = morph.band_bulge_fraction()
    px = 1.0 / PIXEL_SCALE_ARCSEC
    parts = [
        Sources(index, x, y, flux * bulge_share, morph.bulge_r_e * px, np.full(n, 4.0),
                morph.bulge_axis_ratio, position_angle),
        Sources(index, x, y, flux * (1 - bulge_share), morph.disk_r_e * px, np.ones(n),
                morph.disk_axis_ratio, position_angle),
    ]
    m = morph.companion_flux_ratio > 0
    if m.any():
        dx, dy = morph.companion_offset[m].T * px
        ratio = morph.companion_flux_ratio[m][:, None]
        r_e = morph.disk_r_e[m] * np.sqrt(ratio[:, 0]) * px
        parts.append(Sources(index[m], x[m] + dx, y[m] + dy, flux[m] * ratio, r_e,
                             np.full(m.sum(), 1.5), np.clip(morph.disk_axis_ratio[m], 0.4, 1),
                             position_angle[m] + 1.0))
        tidal_pa = np.arctan2(dy, dx)
        parts.append(Sources(index[m], x[m] + dx / 2, y[m] + dy / 2, flux[m] * 0.06,
                             np.hypot(dx, dy) * 0.9, np.full(m.sum(), 0.7),
                             np.full(m.sum(), 0.3), tidal_pa))
    return Sources.concat(parts)


def render_cutouts(
    rng: np.random.Generator,
    flux: np.ndarray,
    morphology: Morphology,
    position_angle: np.ndarray,
    size: int,
) -> np.ndarray:
    """Noisy (n, 3, size, size) float32 cutouts centred on each galaxy (fluxes: (n, 3) nmgy)."""
    n = len(flux)
    canvas = next_fast_len(size + 2 * max(16, size // 8), real=True)
    pad = (canvas - size) // 2
    fwhm = SEEING_FWHM_ARCSEC[None, :] * np.exp(rng.normal(0.0, 0.12, (n, 1)))
    offset = rng.uniform(-0.5, 0.5, (2, n))
    main = galaxy_sources(morphology, flux, canvas / 2 + offset[0], canvas / 2 + offset[1],
                          position_angle)
    sources = Sources.concat([main, _neighbours(rng, n, canvas, size)])
    images = render(sources, n, canvas, fwhm)[:, :, pad:pad + size, pad:pad + size]
    return add_noise_and_artefacts(rng, np.ascontiguousarray(images))
