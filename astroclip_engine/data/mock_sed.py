"""Rest-frame galaxy SEDs built in code: a compact stellar-population basis (one spectrum per
look-back-time bin), metallicity, Calzetti dust and nebular emission lines scaled by the SFR.

The basis is analytic: a main-sequence turn-off plus a giant-branch blackbody, a 4000 A break
calibrated to grow with age, a Balmer jump, and Gaussian absorption features (Balmer lines
strongest at ~0.3-1 Gyr, metal lines growing with age and metallicity). It is normalised to
realistic V-band mass-to-light ratios, so a mass and a distance give physical fluxes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from astroclip_engine.data.mock_physics import AGE_BIN_CENTRES_GYR, GalaxyPhysics, cosmology

REST_WAVE = np.arange(1800.0, 11600.0, 1.0)
"""Rest-frame wavelength grid (Angstrom) of the continuum, 1 A steps."""

L_SUN_5500 = 5.3e29
"""The Sun's spectral luminosity at 5500 A (erg/s/A)."""

_H_C_OVER_K = 1.4388e8  # h c / k in Angstrom * K

# (rest wavelength, equivalent width at full strength, sigma) of stellar absorption features
_BALMER = np.array([[3797.9, 4.0, 5.0], [3835.4, 5.0, 5.0], [3889.1, 6.0, 6.0],
                    [3970.1, 6.0, 6.0], [4101.7, 7.0, 7.0], [4340.5, 7.0, 7.0],
                    [4861.3, 6.0, 7.0], [6562.8, 4.0, 7.0]])
_METALS = np.array([[3933.7, 9.0, 4.5], [3968.5, 7.0, 4.5], [4304.0, 5.0, 12.0],
                    [4383.0, 2.0, 6.0], [5175.0, 4.5, 9.0], [5270.0, 2.5, 5.0],
                    [5335.0, 2.0, 5.0], [5893.0, 3.5, 5.0], [8498.0, 1.2, 4.0],
                    [8542.0, 3.0, 4.0], [8662.0, 2.5, 4.0]])

EMISSION_LINES = {
    "OII_3726": 3727.09, "OII_3729": 3729.88, "Hbeta": 4862.68, "OIII_4959": 4960.30,
    "OIII_5007": 5008.24, "NII_6548": 6549.86, "Halpha": 6564.61, "NII_6584": 6585.27,
    "SII_6717": 6718.29, "SII_6731": 6732.67,
}
"""Nebular lines (vacuum rest wavelengths, Angstrom) added to every star-forming galaxy."""
LINE_WAVE = np.array(list(EMISSION_LINES.values()))


@dataclass
class RestSED:
    """Rest-frame SEDs of a block, in observed-frame flux units (1e-17 erg/s/cm2/A at
    observed wavelength REST_WAVE * (1 + z)), plus emission lines given separately."""

    continuum: np.ndarray  # (n, len(REST_WAVE)) observed f_lambda of the stellar light
    line_flux: np.ndarray  # (n, n_lines) observed line fluxes, 1e-17 erg/s/cm2
    line_sigma_kms: np.ndarray  # (n,) intrinsic gas velocity dispersion
    redshift: np.ndarray


def _planck(wave: np.ndarray, temperature: float) -> np.ndarray:
    return wave**-5.0 / np.expm1(np.minimum(_H_C_OVER_K / (wave * temperature), 700.0))


def _band_mean(wave: np.ndarray, flux: np.ndarray, lo: float, hi: float) -> np.ndarray:
    sel = (wave >= lo) & (wave <= hi)
    return flux[..., sel].mean(axis=-1)


def d4000(wave: np.ndarray, flux: np.ndarray) -> np.ndarray:
    """Narrow 4000 A break (Balogh et al. 1999): <f_nu> 4000-4100 over <f_nu> 3850-3950."""
    fnu = flux * wave**2
    return _band_mean(wave, fnu, 4000, 4100) / _band_mean(wave, fnu, 3850, 3950)


def _gaussian_dips(wave: np.ndarray, lines: np.ndarray, strength: float) -> np.ndarray:
    """Sum of normalised Gaussian absorption profiles times their equivalent widths."""
    dips = np.zeros_like(wave)
    for centre, ew, sigma in lines:
        dips += strength * ew / (np.sqrt(2 * np.pi) * sigma) * np.exp(
            -0.5 * ((wave - centre) / sigma) ** 2)
    return dips


def _target_d4000(age_gyr: float) -> float:
    return 1.05 + 1.25 / (1.0 + (2.0 / age_gyr) ** 0.9)


@lru_cache(maxsize=1)
def stellar_basis() -> tuple[np.ndarray, np.ndarray]:
    """(smooth, metal) basis, each (8, len(REST_WAVE)) in erg/s/A per solar mass formed.

    A galaxy's stellar continuum is `mass @ smooth + (zeta * mass) @ metal` with zeta the
    metallicity scaling of the metal-line strengths (metal is the negative line-depth part).
    """
    wave = REST_WAVE
    smooth, metal = [], []
    for age in AGE_BIN_CENTRES_GYR:
        t_turnoff = 5800.0 * (age / 10.0) ** -0.2
        giants = 0.15 + 0.45 * age / (age + 1.0) + 0.15 * np.exp(-age / 0.02)
        blue = _planck(wave, t_turnoff)
        red = _planck(wave, 4000.0)
        cont = (1 - giants) * blue / np.interp(5500, wave, blue) + giants * red / np.interp(
            5500, wave, red)
        balmer_ew = 0.25 + 1.0 * np.exp(-0.5 * (np.log10(age / 0.45) / 0.4) ** 2)
        jump = 0.35 * balmer_ew / (1 + np.exp((wave - 3646.0) / 12.0))
        cont = cont * (1 - jump)
        step = 1.0 / (1.0 + np.exp((wave - 3975.0) / 25.0))  # 1 blue-wards of the break
        ratio = _target_d4000(age) / d4000(wave, cont)
        cont = cont * (1.0 - step * (1.0 - 1.0 / ratio))
        # the break is measured on the smooth part; lines deepen it a little more (as real)
        balmer = _gaussian_dips(wave, _BALMER, balmer_ew)
        metal_strength = age / (age + 1.5)
        metals = _gaussian_dips(wave, _METALS, metal_strength)
        uv = np.where(wave < 2800, np.exp(-(2800 - wave) / 400.0 * metal_strength), 1.0)
        cont = cont * uv
        mass_to_light_v = 5.0 * (age / 10.0) ** 0.8
        scale = L_SUN_5500 / mass_to_light_v
        smooth.append(scale * cont * np.clip(1.0 - balmer, 0.05, 1.0))
        metal.append(-scale * cont * np.minimum(metals, 0.9))
    return np.array(smooth), np.array(metal)


def calzetti_k(wave: np.ndarray) -> np.ndarray:
    """Calzetti et al. (2000) attenuation curve k(lambda); A_lambda = A_V k / 4.05."""
    mu = wave / 1e4
    blue = 2.659 * (-2.156 + 1.509 / mu - 0.198 / mu**2 + 0.011 / mu**3) + 4.05
    red = 2.659 * (-1.857 + 1.040 / mu) + 4.05
    return np.maximum(np.where(mu < 0.63, blue, red), 0.0)


_K_REST = calzetti_k(REST_WAVE)
_K_LINES = calzetti_k(LINE_WAVE)


def line_ratios(phys: GalaxyPhysics) -> np.ndarray:
    """Intrinsic (unattenuated) line luminosities relative to H-alpha, (n, n_lines)."""
    dm = phys.log_mstar - 9.0
    o3_hb = 10 ** np.clip(0.55 - 0.45 * dm, -0.8, 0.7)
    n2_ha = 10 ** np.clip(-1.15 + 0.35 * dm + 0.5 * phys.log_z_sun, -1.6, -0.25)
    o2_hb = 10 ** np.clip(0.45 - 0.12 * dm, 0.0, 0.6)
    hb = np.full_like(dm, 1 / 2.86)
    s2 = 0.3 * np.ones_like(dm)
    o2 = o2_hb * hb
    o3 = o3_hb * hb
    return np.stack([o2 * 0.42, o2 * 0.58, hb, o3 / 2.98, o3, n2_ha / 3.05, np.ones_like(dm),
                     n2_ha, s2 * 0.58, s2 * 0.42], axis=1)


def build_sed(phys: GalaxyPhysics) -> RestSED:
    """The redshifted SEDs of a block of galaxies in 1e-17 erg/s/cm2/A (and erg/s/cm2 for lines)."""
    cosmo = cosmology()
    z = phys.redshift
    d_l = cosmo.interp(cosmo.lum_dist_cm, z)
    to_flux = 1e17 / (4 * np.pi * d_l**2)  # luminosity -> 1e-17 erg/s/cm2
    smooth, metal = stellar_basis()
    zeta = 10 ** (0.6 * phys.log_z_sun)
    cont = phys.mass_in_bins @ smooth + (phys.mass_in_bins * zeta[:, None]) @ metal
    tilt = 0.12 * phys.log_z_sun[:, None] * (1.0 - 4500.0 / REST_WAVE[None, :])
    cont *= np.exp(tilt - 0.4 * np.log(10) * phys.a_v[:, None] * _K_REST[None, :] / 4.05)
    cont *= (to_flux / (1 + z))[:, None]

    l_halpha = 1.86e41 * phys.sfr_inst  # Kennicutt & Evans (2012), Kroupa IMF
    a_gas = np.minimum(phys.a_v / 0.44, 4.0)
    atten = 10 ** (-0.4 * a_gas[:, None] * _K_LINES[None, :] / 4.05)
    lines = l_halpha[:, None] * line_ratios(phys) * atten * to_flux[:, None]
    gas_sigma = np.clip(0.6 * phys.sigma_v, 40.0, 200.0)
    return RestSED(continuum=cont.astype(np.float32), line_flux=lines,
                   line_sigma_kms=gas_sigma, redshift=z)
