"""Latent physics of mock galaxies: redshift, stellar mass, star-formation history, metallicity,
dust, size and shape (docs/architecture.md, Data).

Everything is vectorised over a block of galaxies and drawn from one `numpy.random.Generator`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.special import gammaincinv

Z_SUN = 0.019
"""Solar metallicity (mass fraction), as in the FSPS/PROVABGS Padova isochrones."""

_LOOKBACK = np.geomspace(1e-3, 14.0, 240)
"""Look-back-time grid (Gyr) on which every star-formation history is integrated."""
_DT = np.gradient(_LOOKBACK)
BURST_FRACTION = 0.05
"""Fraction of galaxies caught in a starburst (the H-alpha EW > 100 A tail)."""
BURST_MASS_REACH = 1.2

Z_MAX = 0.6
_NZ_SHAPE = 1.5  # n(z) ~ z^2 exp(-(z/z0)^1.5), a BGS-like flux-limited shape
_NZ_Z0 = 0.1416  # gives a median redshift of 0.20


@dataclass(frozen=True)
class Cosmology:
    """Planck18 distances and ages tabulated on a redshift grid (fast vectorised lookups)."""

    z: np.ndarray
    age_gyr: np.ndarray
    lum_dist_cm: np.ndarray
    kpc_per_arcsec: np.ndarray

    def interp(self, table: np.ndarray, z: np.ndarray) -> np.ndarray:
        return np.interp(z, self.z, table)


# Planck 2018 (astropy's Planck18): H0, matter (incl. the 0.06 eV neutrino) and radiation
PLANCK18_H0 = 67.66
PLANCK18_OMEGA_M = 0.30966 + 0.0014
PLANCK18_OMEGA_R = 9.2e-5
_MPC_CM = 3.0856775814913673e24
_C_KMS = 299792.458
_HUBBLE_TIME_GYR = 977.792221 / PLANCK18_H0


@lru_cache(maxsize=1)
def cosmology() -> Cosmology:
    """Flat Planck18 tables for 0 <= z <= 1 (integrated here: importing astropy.cosmology
    costs seconds; tests check the numbers against astropy's Planck18 to 0.3 %)."""
    om, orad = PLANCK18_OMEGA_M, PLANCK18_OMEGA_R
    ol = 1.0 - om - orad

    def e_of_z(zz: np.ndarray) -> np.ndarray:
        return np.sqrt(om * (1 + zz) ** 3 + orad * (1 + zz) ** 4 + ol)

    z = np.linspace(0.0, 1.0, 1001)
    fine = np.linspace(0.0, 1.0, 20001)
    inv_e = 1.0 / e_of_z(fine)
    comoving = np.concatenate([[0.0], np.cumsum(0.5 * (inv_e[1:] + inv_e[:-1]) * np.diff(fine))])
    d_c = np.interp(z, fine, comoving) * _C_KMS / PLANCK18_H0  # Mpc
    a = np.geomspace(1e-9, 1.0, 40001)
    integrand = 1.0 / (a * e_of_z(1.0 / a - 1.0))
    age_a = np.concatenate([[0.0], np.cumsum(0.5 * (integrand[1:] + integrand[:-1])
                                             * np.diff(a))]) * _HUBBLE_TIME_GYR
    age = np.interp(1.0 / (1.0 + z), a, age_a)
    zz = np.maximum(z, 1e-5)
    d_c = np.where(z > 0, d_c, zz * _C_KMS / PLANCK18_H0)
    return Cosmology(
        z=z,
        age_gyr=age,
        lum_dist_cm=d_c * (1 + z) * _MPC_CM,
        kpc_per_arcsec=d_c / (1 + z) * 1e3 * np.pi / (180 * 3600),
    )


@dataclass
class GalaxyPhysics:
    """Latent properties of a block of galaxies (all arrays have length n)."""

    redshift: np.ndarray
    log_mstar: np.ndarray
    quiescent: np.ndarray  # bool
    starburst: np.ndarray  # bool: a burst in the last 20-160 Myr (the EW > 100 A tail)
    frac_young: np.ndarray  # fraction of the stellar mass formed in the last 20 Myr
    frac_300: np.ndarray  # ... in the last 300 Myr
    frac_1000: np.ndarray  # ... in the last 1 Gyr
    tage_mw: np.ndarray  # Gyr, mass-weighted age
    sfr_inst: np.ndarray  # Msun/yr averaged over the last 10 Myr (drives emission lines)
    avg_sfr: np.ndarray  # Msun/yr averaged over the last 1 Gyr (PROVABGS AVG_SFR)
    log_z_sun: np.ndarray  # log10(Z / Z_sun)
    a_v: np.ndarray  # V-band attenuation of the stars (mag)
    r_e_arcsec: np.ndarray  # half-light radius
    sersic_n: np.ndarray
    axis_ratio: np.ndarray
    position_angle: np.ndarray  # radians
    sigma_v: np.ndarray  # km/s, line-of-sight velocity dispersion
    ra: np.ndarray
    dec: np.ndarray

    def __len__(self) -> int:
        return len(self.redshift)

    @property
    def z_mw(self) -> np.ndarray:
        """Mass-weighted metallicity (linear mass fraction), as PROVABGS Z_MW."""
        return Z_SUN * 10.0**self.log_z_sun


def sample_redshift(rng: np.random.Generator, n: int) -> np.ndarray:
    """BGS-like n(z) on 0.005 < z < 0.6 with a median near 0.2 (inverse-CDF sampling)."""
    k = 3.0 / _NZ_SHAPE
    lo, hi = (np.array([0.005, Z_MAX]) / _NZ_Z0) ** _NZ_SHAPE
    from scipy.special import gammainc

    p = rng.uniform(gammainc(k, lo), gammainc(k, hi), n)
    return _NZ_Z0 * gammaincinv(k, p) ** (1.0 / _NZ_SHAPE)


def sample_log_mstar(rng: np.random.Generator, z: np.ndarray,
                     burst: np.ndarray | None = None) -> np.ndarray:
    """Schechter mass function above a soft, redshift-dependent flux limit (r ~ 19.5).
    Starbursts are brighter per unit mass, so the limit reaches BURST_MASS_REACH dex lower."""
    grid = np.linspace(7.0, 12.6, 1200)
    x = 10.0 ** (grid - 10.75)
    pdf = x ** (1.0 - 1.25) * np.exp(-x)  # alpha = -1.25 in dN/dlogM
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (pdf[1:] + pdf[:-1]) * np.diff(grid))])
    cdf /= cdf[-1]
    limit = 10.0 + 2.2 * np.log10(z / 0.1) + rng.normal(0.0, 0.2, len(z))
    if burst is not None:
        limit -= BURST_MASS_REACH * burst
    lo = np.interp(np.clip(limit, 7.0, 11.8), grid, cdf)
    return np.interp(rng.uniform(lo, 1.0), cdf, grid)


def _star_formation_history(
    rng: np.random.Generator, log_mstar: np.ndarray, t_obs: np.ndarray, quiescent: np.ndarray,
    burst: np.ndarray,
) -> np.ndarray:
    """Delayed-tau SFHs, truncated for quenched galaxies: solar masses formed per _LOOKBACK step."""
    n = len(log_mstar)
    dm = log_mstar - 10.0
    t_start = np.clip(rng.uniform(0.3, 2.5, n) - 0.4 * dm, 0.2, 3.0)
    log_tau = np.where(quiescent, rng.uniform(-0.3, 0.5, n),
                       rng.normal(0.6 - 0.2 * dm, 0.2, n))
    tau = 10.0 ** np.clip(log_tau, -0.5, 1.3)
    span = np.maximum(t_obs - t_start, 0.5)
    t_quench = t_start + span * rng.uniform(0.25, 0.93, n)
    tau_q = 10.0 ** rng.uniform(-1.0, -0.3, n)
    residual = 10.0 ** rng.uniform(-1.8, -0.8, n)  # low-level star formation after quenching

    t = t_obs[:, None] - _LOOKBACK[None, :]  # cosmic time of each look-back step
    since = t - t_start[:, None]
    alive = since > 0
    sfr = np.where(alive, np.maximum(since, 0.0) * np.exp(-np.maximum(since, 0) / tau[:, None]), 0)
    after = np.maximum(t - t_quench[:, None], 0.0)
    decline = np.exp(-after / tau_q[:, None]) + residual[:, None]
    sfr = np.where(quiescent[:, None], sfr * decline, sfr)
    dmass = sfr * _DT[None, :]
    dmass /= dmass.sum(axis=1, keepdims=True)
    burst_age = 10.0 ** rng.uniform(-1.7, -0.8, n)  # Gyr: a constant burst 20-160 Myr long
    burst_mass = 10.0 ** rng.uniform(-2.2, -1.2, n) * burst
    in_burst = _LOOKBACK[None, :] <= burst_age[:, None]
    dmass += in_burst * (_DT[None, :] / (in_burst * _DT[None, :]).sum(1, keepdims=True)
                         ) * burst_mass[:, None]
    return dmass * (10.0**log_mstar / dmass.sum(axis=1))[:, None]


def sample_physics(rng: np.random.Generator, n: int) -> GalaxyPhysics:
    """Draw the latent physics of n galaxies."""
    cosmo = cosmology()
    z = sample_redshift(rng, n)
    burst = rng.uniform(size=n) < BURST_FRACTION * (1 + 2 * z)
    log_mstar = sample_log_mstar(rng, z, burst)
    dm = log_mstar - 10.0
    p_quiescent = 0.4 + 0.6 / (1.0 + np.exp(-(log_mstar - 10.6 + 0.8 * (z - 0.2)) / 0.35))
    quiescent = (rng.uniform(size=n) < p_quiescent) & ~burst
    t_obs = cosmo.interp(cosmo.age_gyr, z)
    dmass = _star_formation_history(rng, log_mstar, t_obs, quiescent, burst)

    total = dmass.sum(axis=1)
    frac_young = dmass[:, _LOOKBACK <= 0.02].sum(axis=1) / total
    frac_300 = dmass[:, _LOOKBACK <= 0.3].sum(axis=1) / total
    frac_1000 = dmass[:, _LOOKBACK <= 1.0].sum(axis=1) / total
    tage_mw = (dmass * _LOOKBACK).sum(axis=1) / dmass.sum(axis=1)
    recent = _LOOKBACK <= 0.01
    sfr_inst = dmass[:, recent].sum(axis=1) / (_LOOKBACK[recent][-1] * 1e9)
    last_gyr = _LOOKBACK <= 1.0
    avg_sfr = dmass[:, last_gyr].sum(axis=1) / 1e9

    log_z_sun = np.clip(0.1 - 0.75 * np.exp(-(log_mstar - 8.8) / 0.9)
                        + rng.normal(0.0, 0.12, n), -1.5, 0.35)
    log_ssfr = np.log10(np.maximum(avg_sfr, 1e-6)) - log_mstar
    a_v_sf = 0.8 + 0.45 * dm + 0.15 * (log_ssfr + 10.0) + rng.normal(0, 0.25, n)
    a_v = np.clip(np.where(quiescent, rng.exponential(0.15, n), a_v_sf), 0.0, 2.5)
    # an optical flux limit keeps the least obscured starbursts (the dusty ones drop out)
    a_v = np.where(burst, rng.uniform(0.05, 0.6, n), a_v)

    dm_pivot = log_mstar - 10.7
    log_re_kpc = np.where(
        quiescent,
        0.6 + 0.7 * dm_pivot - 1.2 * np.log10(1 + z) + rng.normal(0, 0.13, n),
        0.72 + 0.22 * dm_pivot - 0.75 * np.log10(1 + z) + rng.normal(0, 0.17, n),
    )
    r_e = np.maximum(10.0**log_re_kpc, 0.3) / cosmo.interp(cosmo.kpc_per_arcsec, z)
    sersic_n = np.where(quiescent, np.clip(rng.normal(4.0, 0.8, n), 2.5, 6.0),
                        np.clip(np.exp(rng.normal(np.log(1.1), 0.3, n)), 0.5, 2.5))
    cos_i = rng.uniform(0.0, 1.0, n)
    q_disk = np.sqrt(cos_i**2 * (1 - 0.2**2) + 0.2**2)
    axis_ratio = np.where(quiescent, np.clip(rng.normal(0.75, 0.15, n), 0.35, 1.0), q_disk)
    sigma_v = np.where(quiescent, 10 ** (2.2 + 0.28 * dm_pivot), 10 ** (1.85 + 0.15 * dm_pivot))
    sigma_v = sigma_v * np.exp(rng.normal(0, 0.1, n))

    ra = rng.uniform(100.0, 270.0, n)
    dec = np.degrees(np.arcsin(rng.uniform(np.sin(np.radians(-10)), np.sin(np.radians(75)), n)))
    return GalaxyPhysics(
        redshift=z, log_mstar=log_mstar, quiescent=quiescent, starburst=burst,
        frac_young=frac_young, frac_300=frac_300, frac_1000=frac_1000,
        tage_mw=tage_mw, sfr_inst=sfr_inst, avg_sfr=avg_sfr, log_z_sun=log_z_sun, a_v=a_v,
        r_e_arcsec=r_e, sersic_n=sersic_n, axis_ratio=axis_ratio,
        position_angle=rng.uniform(0.0, np.pi, n), sigma_v=sigma_v, ra=ra, dec=dec,
    )
