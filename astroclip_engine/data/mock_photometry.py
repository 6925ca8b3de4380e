"""Synthetic DECam g, r, z photometry of mock SEDs (speclite's decam2014 curves), in nanomaggies."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from astroclip_engine.data.mock_sed import LINE_WAVE, REST_WAVE, RestSED

PHOT_WAVE = np.arange(3300.0, 11000.0, 2.0)
"""Observed-frame grid on which the filter integrals are evaluated."""
_C_ANGSTROM = 2.99792458e18
_AB_ZERO_FNU = 3631e-23  # erg/s/cm2/Hz


DECAM = ("decam2014-g", "decam2014-r", "decam2014-z")
SDSS_GR = ("sdss2010-g", "sdss2010-r")


@lru_cache(maxsize=4)
def filter_curves(names: tuple[str, ...] = DECAM) -> np.ndarray:
    """speclite filter responses on PHOT_WAVE, (len(names), len(PHOT_WAVE)); default DECam grz."""
    import speclite.filters

    filters = speclite.filters.load_filters(*names)
    return np.array([np.interp(PHOT_WAVE, f.wavelength, f.response, left=0, right=0)
                     for f in filters])


@lru_cache(maxsize=4)
def _norms(names: tuple[str, ...] = DECAM) -> tuple[np.ndarray, np.ndarray]:
    """(weights, denominators) so that nmgy = f_lambda[1e-17 units] @ weights.T."""
    resp = filter_curves(names)
    dlam = np.gradient(PHOT_WAVE)
    denom = _AB_ZERO_FNU * _C_ANGSTROM * (resp / PHOT_WAVE * dlam).sum(axis=1)  # (3,)
    weights = resp * PHOT_WAVE * dlam / denom[:, None] * 1e-17 * 1e9
    return weights, denom


def band_fluxes(sed: RestSED, names: tuple[str, ...] = DECAM) -> np.ndarray:
    """Total fluxes in nanomaggies (continuum plus emission lines), (n, len(names)); by
    default DECam g, r, z (SDSS_GR gives SDSS g, r for comparisons with SDSS catalogues)."""
    weights, denom = _norms(names)
    resp = filter_curves(names)
    z = sed.redshift
    rest = PHOT_WAVE[None, :] / (1 + z[:, None])
    pos = (rest - REST_WAVE[0]) / (REST_WAVE[1] - REST_WAVE[0])
    lo = np.clip(pos.astype(np.int64), 0, len(REST_WAVE) - 2)
    frac = np.clip(pos - lo, 0.0, 1.0)
    cont = np.take_along_axis(sed.continuum, lo, axis=1) * (1 - frac) + np.take_along_axis(
        sed.continuum, lo + 1, axis=1) * frac
    flux = cont @ weights.T
    obs_lines = LINE_WAVE[None, :] * (1 + z[:, None])  # (n, L)
    for b in range(len(names)):
        r_at = np.interp(obs_lines, PHOT_WAVE, resp[b])
        flux[:, b] += (sed.line_flux * r_at * obs_lines).sum(axis=1) / denom[b] * 1e-17 * 1e9
    return flux


def nmgy_to_mag(flux: np.ndarray) -> np.ndarray:
    """AB magnitude of a flux in nanomaggies (22.5 - 2.5 log10 f)."""
    return 22.5 - 2.5 * np.log10(flux)
