"""Rest-frame galaxy SEDs: a real stellar-population library (mock_library: kcorrect's
BC03-based templates) mixed to follow each galaxy's star-formation history and metallicity,
Calzetti dust, and nebular emission lines from the star-formation rate (mock_lines).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from astroclip_engine.data.mock_library import REST_WAVE, mixture_weights, stellar_library
from astroclip_engine.data.mock_lines import EMISSION_LINES, LINE_WAVE, line_luminosities
from astroclip_engine.data.mock_physics import GalaxyPhysics, cosmology

__all__ = ["EMISSION_LINES", "LINE_WAVE", "REST_WAVE", "RestSED", "build_sed", "calzetti_k",
           "d4000"]


@dataclass
class RestSED:
    """Rest-frame SEDs of a block, in observed-frame flux units (1e-17 erg/s/cm2/A at
    observed wavelength REST_WAVE * (1 + z)), plus emission lines given separately."""

    continuum: np.ndarray  # (n, len(REST_WAVE)) observed f_lambda of the stellar light
    line_flux: np.ndarray  # (n, n_lines) observed line fluxes, 1e-17 erg/s/cm2
    line_sigma_kms: np.ndarray  # (n,) intrinsic gas velocity dispersion
    redshift: np.ndarray

    def halpha_rest_ew(self) -> np.ndarray:
        """Rest-frame equivalent width of H-alpha (Angstrom, emission positive)."""
        i = list(EMISSION_LINES).index("Halpha")
        cont = self.continuum[:, np.searchsorted(REST_WAVE, 6564.6)] * (1 + self.redshift)
        return self.line_flux[:, i] / np.maximum(cont, 1e-30)


def _band_mean(wave: np.ndarray, flux: np.ndarray, lo: float, hi: float) -> np.ndarray:
    sel = (wave >= lo) & (wave <= hi)
    return flux[..., sel].mean(axis=-1)


def d4000(wave: np.ndarray, flux: np.ndarray) -> np.ndarray:
    """Narrow 4000 A break (Balogh et al. 1999): <f_nu> 4000-4100 over <f_nu> 3850-3950."""
    fnu = flux * wave**2
    return _band_mean(wave, fnu, 4000, 4100) / _band_mean(wave, fnu, 3850, 3950)


def calzetti_k(wave: np.ndarray) -> np.ndarray:
    """Calzetti et al. (2000) attenuation curve k(lambda); A_lambda = A_V k / 4.05."""
    mu = wave / 1e4
    blue = 2.659 * (-2.156 + 1.509 / mu - 0.198 / mu**2 + 0.011 / mu**3) + 4.05
    red = 2.659 * (-1.857 + 1.040 / mu) + 4.05
    return np.maximum(np.where(mu < 0.63, blue, red), 0.0)


_K_REST = calzetti_k(REST_WAVE)
_K_REST_32 = _K_REST.astype(np.float32)[None, :]
_K_LINES = calzetti_k(LINE_WAVE)
_I_6563 = int(np.searchsorted(REST_WAVE, 6564.6))


_UNIT = 1e30
"""Library continua are mixed in units of 1e30 erg/s/A per solar mass (float32-safe)."""


def rest_continuum(phys: GalaxyPhysics, scale: np.ndarray | None = None) -> np.ndarray:
    """Attenuated rest-frame stellar luminosity density (n, len(REST_WAVE)) in erg/s/A
    (float64), or times `scale` per galaxy in float32 (the mixing and dust run in float32)."""
    weights = mixture_weights(phys.frac_young, phys.frac_300, phys.frac_1000, phys.z_mw)
    unit_mix = weights.astype(np.float32) @ (stellar_library().continua / np.float32(_UNIT))
    dust = (-0.4 * np.log(10) / 4.05) * phys.a_v.astype(np.float32)[:, None] * _K_REST_32
    shape = unit_mix * np.exp(dust)
    factor = 10.0**phys.log_mstar * _UNIT
    if scale is None:  # physical units overflow float32
        return shape.astype(np.float64) * factor[:, None]
    return shape * (factor * scale).astype(np.float32)[:, None]


def build_sed(phys: GalaxyPhysics, rng: np.random.Generator) -> RestSED:
    """The redshifted SEDs of a block in 1e-17 erg/s/cm2/A (and erg/s/cm2 for the lines)."""
    cosmo = cosmology()
    z = phys.redshift
    d_l = cosmo.interp(cosmo.lum_dist_cm, z)
    to_flux = 1e17 / (4 * np.pi * d_l**2)  # luminosity -> 1e-17 erg/s/cm2
    cont = rest_continuum(phys, scale=to_flux / (1 + z))  # observed 1e-17 erg/s/cm2/A
    cont_6563 = cont[:, _I_6563].astype(np.float64) * ((1 + z) / to_flux)  # erg/s/A
    lines = line_luminosities(rng, phys.sfr_inst, phys.log_z_sun, phys.a_v, cont_6563,
                              _K_LINES) * to_flux[:, None]
    gas_sigma = np.clip(0.6 * phys.sigma_v, 40.0, 200.0)
    return RestSED(continuum=cont, line_flux=lines,
                   line_sigma_kms=gas_sigma, redshift=z)

