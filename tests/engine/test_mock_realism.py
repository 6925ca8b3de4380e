"""The mock looks like the real surveys: checks on noiseless and noisy spectra, and real DESI /
Legacy Survey data that must look like members of the mock."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from astroclip_engine.constants import WAVELENGTH
from astroclip_engine.data.mock import MockBlock, generate_block
from astroclip_engine.data.mock_check import (
    _border_sigma,
    check_mock_file,
    d4000_observed,
    evaluate_realism,
    format_results,
    line_flux,
)
from astroclip_engine.data.mock_sed import EMISSION_LINES

SIZE = 64


@pytest.fixture(scope="module")
def blocks() -> list[MockBlock]:
    return [generate_block(seed=5, block=b, count=64, image_size=SIZE) for b in range(4)]


def _stack(blocks: list[MockBlock]) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    props = {k: np.concatenate([b.properties()[k] for b in blocks])
             for k in blocks[0].properties()}
    return (np.concatenate([b.spectra for b in blocks]),
            np.concatenate([b.model_spectra for b in blocks]),
            np.concatenate([b.images for b in blocks]), props)


def test_all_realism_checks_pass_on_noisy_and_noiseless_spectra(blocks) -> None:
    noisy, model, images, props = _stack(blocks)
    results = evaluate_realism(noisy, images, props)
    assert all(r.passed for r in results), format_results(results)
    assert len(results) >= 12
    noiseless = evaluate_realism(model, images, props)
    by_name = {r.name: r for r in noiseless}
    assert by_name["median spectrum noise 5000-5500 A"].value < 0.01  # no noise: fails there
    assert all(r.passed for r in noiseless if "noise 5000" not in r.name), format_results(
        noiseless)


def test_breaks_and_lines_sit_at_the_redshift(blocks) -> None:
    _, model, _, props = _stack(blocks)
    z = props["Z_HP"]
    d_true = d4000_observed(model, z)
    for dz in (-0.04, 0.04):
        d_wrong = d4000_observed(model, z + dz)
        assert np.median(d_true - d_wrong) > 0.1
    sf = ~props["QUIESCENT"] & (z < 0.4)
    halpha = EMISSION_LINES["Halpha"]
    at_z = line_flux(model[sf], z[sf], halpha)
    off_z = line_flux(model[sf], z[sf] + 0.01, halpha)
    assert np.median(at_z) > 5 * max(np.median(np.abs(off_z)), 1e-3)
    # strength follows star formation (fluxes scaled to luminosity, Spearman via ranks)
    from scipy.stats import spearmanr

    from astroclip_engine.data.mock_physics import cosmology

    d_l = cosmology().interp(cosmology().lum_dist_cm, z[sf])
    lum = at_z * d_l**2 / props["FIBER_FRAC"][sf]
    assert spearmanr(lum, props["SFR_INST"][sf]).statistic > 0.7


def test_image_and_spectrum_agree(blocks) -> None:
    """The fibre spectrum is the image's SED: r-band flux of the spectrum / fibre fraction."""
    from astroclip_engine.data.mock_photometry import PHOT_WAVE, filter_curves

    _, model, _, props = _stack(blocks)
    resp = np.interp(WAVELENGTH, PHOT_WAVE, filter_curves()[1])
    fnu_weight = resp / WAVELENGTH
    f_lambda = (model * resp * WAVELENGTH).sum(1) / (fnu_weight * 2.99792458e18).sum()
    nmgy = f_lambda * 1e-17 / 3631e-23 * 1e9 / props["FIBER_FRAC"]
    mag = 22.5 - 2.5 * np.log10(nmgy)
    np.testing.assert_allclose(mag, props["MAG_R"], atol=0.03)


def _real_arm(path: Path, arm: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with fits.open(path) as hdul:
        return (hdul[f"{arm}_WAVELENGTH"].data, hdul[f"{arm}_FLUX"].data[0],
                hdul[f"{arm}_IVAR"].data[0])


def _diff_sigma(flux: np.ndarray) -> np.ndarray:
    diff = np.diff(flux, axis=-1)
    med = np.median(diff, axis=-1, keepdims=True)
    return 1.4826 * np.median(np.abs(diff - med), axis=-1) / np.sqrt(2)


@pytest.mark.parametrize(("arm", "lo", "hi"), [("B", 4400, 5200), ("R", 6000, 7000)])
def test_real_desi_spectrum_is_like_a_mock_member(realdata: Path, blocks, arm, lo, hi) -> None:
    wave, flux, _ = _real_arm(
        realdata / "desi_spectra" / "coadd-4-80613-thru20210324.fits", arm)
    sel = (wave >= lo) & (wave <= hi)
    real_level, real_noise = np.median(flux[sel]), _diff_sigma(flux[sel])
    noisy = np.concatenate([b.spectra for b in blocks])
    noisy = noisy[np.any(noisy != 0, axis=1)]
    window = (lo <= WAVELENGTH) & (hi >= WAVELENGTH)
    levels, noises = np.median(noisy[:, window], axis=1), _diff_sigma(noisy[:, window])
    assert np.percentile(levels, 1) < real_level < np.percentile(levels, 99)
    assert np.percentile(noises, 1) < real_noise < np.percentile(noises, 99)


def test_real_legacy_cutout_is_like_a_mock_member(realdata: Path, blocks) -> None:
    with fits.open(realdata / "legacysurvey" / "astroclip_dr9_grz_357.9087_-54.8817.fits") as h:
        real = np.asarray(h[0].data, dtype=np.float32)
    centre = real.shape[-1] // 2
    half = slice(centre - SIZE // 2, centre + SIZE // 2)
    crop = real[None, :, half, half]
    images = np.concatenate([b.images for b in blocks])
    real_sigma = _border_sigma(real[None])  # the whole 256 px cutout: more sky pixels
    mock_sigma = np.array([_border_sigma(images[i:i + 1]) for i in range(len(images))])
    for band in range(3):
        lo, hi = np.percentile(mock_sigma[:, band], [1, 99])
        assert lo < real_sigma[band] < hi
    # the central galaxy's peak brightness is within the mock's range in every band
    core = slice(SIZE // 2 - 6, SIZE // 2 + 6)
    real_peak = crop[0, :, core, core].max(axis=(1, 2))
    mock_peak = images[:, :, core, core].max(axis=(2, 3))
    for band in range(3):
        lo, hi = np.percentile(mock_peak[:, band], [1, 99])
        assert lo < real_peak[band] < hi


def test_check_mock_file_on_the_session_mock(mock_survey: Path) -> None:
    results = check_mock_file(mock_survey)
    names = [r.name for r in results]
    assert "median redshift" in names and "H-alpha peak offset from 6563(1+z) [A]" in names
    table = format_results(results)
    assert table.count("\n") == len(results) + 1
