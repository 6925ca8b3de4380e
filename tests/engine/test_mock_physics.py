"""The mock's physics: cosmology, scaling relations, SED basis, Sersic rendering, photometry."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.stats import spearmanr

from astroclip_engine.data.mock_images import Sources, render
from astroclip_engine.data.mock_library import stellar_library
from astroclip_engine.data.mock_photometry import band_fluxes
from astroclip_engine.data.mock_physics import cosmology, sample_physics
from astroclip_engine.data.mock_sed import REST_WAVE, build_sed, d4000, rest_continuum


@pytest.fixture(scope="module")
def physics():
    return sample_physics(np.random.default_rng(0), 4000)


def test_cosmology_matches_astropy_planck18() -> None:
    from astropy.cosmology import Planck18

    cosmo = cosmology()
    z = np.array([0.02, 0.1, 0.3, 0.6])
    np.testing.assert_allclose(cosmo.interp(cosmo.lum_dist_cm, z),
                               Planck18.luminosity_distance(z).to_value("cm"), rtol=3e-3)
    np.testing.assert_allclose(cosmo.interp(cosmo.age_gyr, z), Planck18.age(z).to_value("Gyr"),
                               rtol=3e-3)


def test_redshift_and_mass_distributions(physics) -> None:
    z = physics.redshift
    assert z.min() > 0 and z.max() < 0.6
    assert 0.17 < np.median(z) < 0.23
    # flux limit: massive galaxies dominate at high redshift
    assert np.median(physics.log_mstar[z > 0.3]) > np.median(physics.log_mstar[z < 0.1]) + 0.5


def test_star_formation_and_scaling_relations(physics) -> None:
    q = physics.quiescent
    m = physics.log_mstar
    assert q[m > 11].mean() > q[m < 10].mean() + 0.4  # quenched fraction rises with mass
    ssfr = np.log10(physics.avg_sfr + 1e-15) - m
    assert np.median(ssfr[~q]) > -10.5 and np.median(ssfr[q]) < -11.3
    age_universe = cosmology().interp(cosmology().age_gyr, physics.redshift)
    assert (physics.tage_mw < age_universe).all()
    assert np.median(physics.tage_mw[q]) > np.median(physics.tage_mw[~q]) + 1
    # mass-metallicity relation
    assert np.median(physics.log_z_sun[m > 11]) > np.median(physics.log_z_sun[m < 10]) + 0.15
    # quiescent galaxies: bulge-like and compact at fixed mass; star-forming: discs
    mid = (m > 10.4) & (m < 10.8)
    assert np.median(physics.sersic_n[q]) > 3 and np.median(physics.sersic_n[~q]) < 1.6
    kpc = physics.r_e_arcsec * cosmology().interp(cosmology().kpc_per_arcsec, physics.redshift)
    assert np.median(kpc[mid & ~q]) > 1.3 * np.median(kpc[mid & q])
    assert np.median(physics.a_v[~q]) > np.median(physics.a_v[q])


def test_library_is_line_free_and_its_old_template_matches_fsps(realdata: Path) -> None:
    from astropy.io import fits

    lib = stellar_library()
    breaks = d4000(REST_WAVE, lib.continua)
    old = int(np.argmin(lib.m1000))
    assert breaks[old] == breaks.max() and breaks[int(np.argmax(lib.m300))] < 1.3
    # the nebular lines the templates carry are gone: H-alpha is no peak above its sidebands
    near = np.abs(REST_WAVE - 6564.6) < 6
    side = (np.abs(REST_WAVE - 6564.6) > 30) & (np.abs(REST_WAVE - 6564.6) < 60)
    assert np.all(lib.continua[:, near].max(1) < 1.1 * np.median(lib.continua[:, side], 1))
    with fits.open(realdata / "templates" / "SSP_Padova_CKC14z_Kroupa_Z0.0190.fits") as hdul:
        flux, wave = hdul[0].data.T, hdul["WAVE"].data
        ages = hdul["METADATA"].data["age"] / 1e9
    ssp_breaks = np.array([d4000(wave, f) for f in flux])
    i = int(np.argmin(np.abs(ssp_breaks - breaks[old])))  # the FSPS age with the same break
    assert 1.5 < ages[i] < 13.5 and abs(breaks[old] - ssp_breaks[i]) < 0.15
    assert abs(np.log(_colour(REST_WAVE, lib.continua[old]) / _colour(wave, flux[i]))) < 0.3


def test_mixtures_follow_star_formation_history(physics) -> None:
    cont = rest_continuum(physics)
    breaks = d4000(REST_WAVE, cont)
    q = physics.quiescent
    assert np.median(breaks[q]) > 1.6 and np.median(breaks[~q]) < 1.45
    ssfr = np.log10(physics.avg_sfr + 1e-15) - physics.log_mstar
    assert spearmanr(ssfr, breaks).statistic < -0.6


def _colour(wave: np.ndarray, flux: np.ndarray) -> float:
    def mean(lo: float) -> float:
        return float(flux[(wave >= lo) & (wave <= lo + 100)].mean())

    return mean(4450) / mean(6450)


@pytest.mark.parametrize("n", [1.0, 4.0])
def test_sersic_rendering_conserves_flux_and_half_light_radius(n: float) -> None:
    src = Sources(image=np.array([0]), x=np.array([64.0]), y=np.array([64.0]),
                  flux=np.array([[1.0, 2.0, 3.0]]), r_e_px=np.array([6.0]),
                  sersic_n=np.array([n]), axis_ratio=np.array([1.0]),
                  position_angle=np.array([0.0]))
    image = render(src, 1, 128, np.array([[0.3, 0.3, 0.3]]))[0]
    np.testing.assert_allclose(image.sum(axis=(1, 2)), [1.0, 2.0, 3.0], rtol=0.02)
    yy, xx = np.mgrid[0:128, 0:128]
    inside = image[0][np.hypot(xx - 64, yy - 64) < 6.0].sum()
    assert 0.45 < inside < 0.55
    assert np.unravel_index(np.argmax(image[0]), image[0].shape) == (64, 64)


def test_photometry_includes_lines_and_is_positive() -> None:
    physics = sample_physics(np.random.default_rng(1), 800)
    sed = build_sed(physics, np.random.default_rng(2))
    flux = band_fluxes(sed)
    assert (flux > 0).all()
    sed.line_flux[:] = 0.0
    no_lines = band_fluxes(sed)
    gain = flux / no_lines
    assert np.all(gain >= 1 - 1e-9)
    # H-alpha + [NII] (EW ~ 20-30 A) sit inside DECam r only below z ~ 0.09
    sf = ~physics.quiescent & (physics.redshift < 0.08)
    assert np.median(gain[sf, 1]) > 1.01
    assert np.median(gain[physics.quiescent, 1]) < 1.005
