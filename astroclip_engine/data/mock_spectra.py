"""DESI-like observed spectra of mock galaxies on the 7,781-bin coadd grid.

The rest-frame SED is redshifted onto `constants.WAVELENGTH`, scaled by the fraction of the
light that falls into a 1.5" fibre, emission lines are added at the instrument resolution, and
noise follows a DESI BGS-like per-pixel sigma (high at the blue end, at the arm overlaps and at
sky lines) scaled by a per-galaxy depth, with a few sky-subtraction residuals.
"""

from __future__ import annotations

import numpy as np

from astroclip_engine.constants import WAVELENGTH
from astroclip_engine.data.mock_sed import LINE_WAVE, REST_WAVE, RestSED

FIBRE_RADIUS_ARCSEC = 0.75
FIBRE_SEEING_FWHM = 1.1
INSTRUMENT_SIGMA_A = 0.72
"""DESI resolution (R ~ 2,500-5,000) as a Gaussian sigma in Angstrom."""
DEPTH_MEDIAN = 1.3
"""Median noise relative to the template below (1 = a deep SV1 coadd)."""
ZERO_SPECTRUM_RATE = 0.002
"""Fraction of all-zero spectra, as found in the real release."""
_C_KMS = 299792.458
_LINE_HALF_WINDOW = 48  # pixels (38 A) either side of an emission line

# bright night-sky lines (Angstrom, relative strength): [OI], NaD, OH bands in the red and IR
SKY_LINES = np.array([
    [5577.3, 6.0], [5889.9, 1.5], [5895.9, 1.5], [6300.3, 3.0], [6363.8, 1.2], [6863.9, 1.0],
    [7276.4, 1.0], [7316.3, 1.5], [7340.9, 1.5], [7369.2, 1.2], [7401.7, 1.0], [7750.6, 1.5],
    [7794.1, 1.5], [7821.5, 1.5], [7913.7, 1.8], [7993.3, 2.5], [8344.6, 3.5], [8399.2, 2.5],
    [8430.2, 2.5], [8465.4, 2.5], [8505.0, 2.0], [8827.1, 3.5], [8885.9, 3.5], [8919.6, 2.0],
    [8943.4, 3.0], [8988.4, 3.0], [9001.4, 2.0], [9037.9, 2.0], [9049.2, 2.0], [9375.9, 3.0],
    [9419.4, 2.5], [9439.7, 3.0], [9458.5, 2.5], [9476.8, 2.5], [9502.8, 2.5], [9519.2, 2.5],
    [9567.6, 3.0], [9607.7, 3.0], [9621.3, 2.5], [9640.9, 2.5], [9689.5, 2.5], [9701.6, 3.0],
    [9714.9, 3.0], [9737.5, 2.5], [9793.8, 3.0],
])


def _make_noise_template() -> tuple[np.ndarray, np.ndarray]:
    """(sigma at unit depth, sky-line profile) on WAVELENGTH, in 1e-17 erg/s/cm2/A."""
    wave = WAVELENGTH
    sigma = 0.33 * (5000.0 / wave) ** 2.5 * (1.0 + 0.6 * np.exp((3800.0 - wave) / 150.0))
    sigma *= 1.0 + 0.6 * np.exp(-0.5 * ((wave - 5780.0) / 25.0) ** 2)
    sigma *= 1.0 + 0.6 * np.exp(-0.5 * ((wave - 7570.0) / 40.0) ** 2)
    sigma *= 1.0 + 0.4 * (wave / 9824.0) ** 12
    sky = np.zeros_like(wave)
    for centre, strength in SKY_LINES:
        sky += strength * np.exp(-0.5 * ((wave - centre) / 1.1) ** 2)
    return sigma * (1.0 + sky), sky


NOISE_SIGMA, SKY_PROFILE = _make_noise_template()


def fibre_fraction(r_e_arcsec: np.ndarray, axis_ratio: np.ndarray,
                   seeing: np.ndarray) -> np.ndarray:
    """Fraction of a galaxy's light inside the fibre (Gaussian approximation of galaxy * PSF)."""
    sigma2 = (r_e_arcsec * np.sqrt(axis_ratio) / 1.1774) ** 2 + (seeing / 2.3548) ** 2
    return 1.0 - np.exp(-(FIBRE_RADIUS_ARCSEC**2) / (2.0 * sigma2))


def model_spectra(sed: RestSED, fibre: np.ndarray) -> np.ndarray:
    """Noiseless fibre spectra (n, 7781): redshifted continuum plus resolved emission lines."""
    n = len(sed.redshift)
    z = sed.redshift
    rest = WAVELENGTH[None, :] / (1 + z[:, None])
    pos = (rest - REST_WAVE[0]) / (REST_WAVE[1] - REST_WAVE[0])
    lo = np.clip(pos.astype(np.int64), 0, len(REST_WAVE) - 2)
    frac = (pos - lo).astype(np.float32)
    spectra = np.take_along_axis(sed.continuum, lo, axis=1) * (1 - frac)
    spectra += np.take_along_axis(sed.continuum, lo + 1, axis=1) * frac

    step = WAVELENGTH[1] - WAVELENGTH[0]
    centres = LINE_WAVE[None, :] * (1 + z[:, None])  # (n, L)
    sigma = np.sqrt((centres * sed.line_sigma_kms[:, None] / _C_KMS) ** 2 + INSTRUMENT_SIGMA_A**2)
    first = np.round((centres - WAVELENGTH[0]) / step).astype(np.int64) - _LINE_HALF_WINDOW
    offsets = np.arange(2 * _LINE_HALF_WINDOW + 1)
    pix = first[..., None] + offsets  # (n, L, W)
    inside = (pix >= 0) & (pix < len(WAVELENGTH))
    pix = np.clip(pix, 0, len(WAVELENGTH) - 1)
    profile = np.exp(-0.5 * ((WAVELENGTH[pix] - centres[..., None]) / sigma[..., None]) ** 2)
    profile *= (sed.line_flux / (np.sqrt(2 * np.pi) * sigma))[..., None] * inside
    rows = np.arange(n)[:, None]
    profile = profile.astype(np.float32)
    for line in range(pix.shape[1]):  # one line's window never repeats a pixel within a row
        spectra[rows, pix[:, line]] += profile[:, line]
    return spectra * fibre[:, None].astype(np.float32)


def observe(rng: np.random.Generator, model: np.ndarray) -> np.ndarray:
    """Noisy spectra: per-galaxy depth, object shot noise, sky residuals, rare all-zero rows."""
    n = len(model)
    depth = DEPTH_MEDIAN * np.exp(rng.normal(0.0, 0.4, n))
    sigma = depth[:, None].astype(np.float32) * NOISE_SIGMA.astype(np.float32)[None, :]
    sigma = np.sqrt(sigma**2 + np.float32(0.03) * np.maximum(model, 0.0))
    noisy = model + sigma * rng.standard_normal(model.shape, dtype=np.float32)
    residual = rng.normal(0.0, 0.15, (n, len(SKY_LINES)))
    for k, (centre, strength) in enumerate(SKY_LINES):
        near = np.abs(WAVELENGTH - centre) < 4.0
        shape = np.exp(-0.5 * ((WAVELENGTH[near] - centre) / 1.1) ** 2) * strength
        noisy[:, near] += (residual[:, k] * depth * 0.33)[:, None] * shape[None, :]
    noisy[rng.uniform(size=n) < ZERO_SPECTRUM_RATE] = 0.0
    return noisy.astype(np.float32)
