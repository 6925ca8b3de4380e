"""read_desi_coadd: real DESI coadds, arm merging, redrock redshifts, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits

from astroclip_engine.constants import N_SPECTRUM_BINS, WAVELENGTH
from astroclip_engine.data.desi_fits import read_desi_coadd
from astroclip_engine.errors import DataFormatError
from tests.engine.test_data_builders import write_coadd

FASTSPEC_ID = 39633345008634465


@pytest.mark.parametrize("name", [
    "coadd-4-80613-thru20210324.fits", "coadd-special-dark-27247.fits",
    "coadd-sv3-dark-26065.fits", "coadd-5-169-thru20210419.fits",
])
def test_every_real_coadd_loads(realdata, name):
    samples = read_desi_coadd(realdata / "desi_spectra" / name)
    assert samples
    for s in samples:
        assert s.spectrum.shape == s.ivar.shape == s.mask.shape == (N_SPECTRUM_BINS,)
        assert s.spectrum.dtype == np.float32 and s.mask.dtype == bool
        assert np.all(np.isfinite(s.spectrum)) and np.all(s.ivar >= 0)
        np.testing.assert_array_equal(s.mask, s.ivar == 0)
        assert -90 <= s.dec <= 90


def test_fastspecfit_galaxy_redshift_and_halpha(realdata):
    (galaxy,) = read_desi_coadd(realdata / "desi_spectra" / "coadd-4-80613-thru20210324.fits")
    assert galaxy.targetid == FASTSPEC_ID
    assert galaxy.redshift == pytest.approx(0.36874, abs=1e-5)  # from the redrock file beside it
    assert galaxy.ra == pytest.approx(105.48977, abs=1e-4)
    assert not galaxy.mask.any()
    halpha = 6564.6 * (1 + galaxy.redshift)  # vacuum wavelength, DESI spectra are in vacuum
    line = np.abs(WAVELENGTH - halpha) < 10
    continuum = (np.abs(WAVELENGTH - halpha) > 60) & (np.abs(WAVELENGTH - halpha) < 150)
    peak = WAVELENGTH[line][np.argmax(galaxy.spectrum[line])]
    assert abs(peak - halpha) < 4
    assert galaxy.spectrum[line].max() > np.median(galaxy.spectrum[continuum]) + 10


def test_coadd_without_redrock_has_nan_redshift(realdata):
    samples = read_desi_coadd(realdata / "desi_spectra" / "coadd-sv3-dark-26065.fits")
    ids = [s.targetid for s in samples]
    assert 39627866878511337 in ids and 39627866878514741 in ids
    assert all(np.isnan(s.redshift) for s in samples)


def test_stacked_spectrum_is_not_a_coadd(realdata):
    with pytest.raises(DataFormatError, match="not a DESI coadd") as info:
        read_desi_coadd(realdata / "desi_spectra" / "stack-LRG.fits")
    assert "stack-LRG.fits" in str(info.value)


def test_overlap_is_inverse_variance_weighted_and_masks_dropped(tmp_path):
    path = tmp_path / "coadd-test.fits"
    arms = write_coadd(path, n=2)
    # overlap of b and r: 5760-5800 A; choose 5780 A
    k = int(np.argmin(np.abs(WAVELENGTH - 5780.0)))
    ib = int(np.argmin(np.abs(arms["B_WAVELENGTH"] - 5780.0)))
    ir = int(np.argmin(np.abs(arms["R_WAVELENGTH"] - 5780.0)))
    fb, wb = arms["B_FLUX"][0, ib], arms["B_IVAR"][0, ib]
    fr, wr = arms["R_FLUX"][0, ir], arms["R_IVAR"][0, ir]
    (s0, _) = read_desi_coadd(path)
    assert s0.spectrum[k] == pytest.approx((fb * wb + fr * wr) / (wb + wr), rel=1e-5)
    assert s0.ivar[k] == pytest.approx(wb + wr, rel=1e-5)
    assert np.isnan(s0.redshift)

    with fits.open(path, mode="update") as hdul:
        hdul["B_MASK"].data[0, ib] = 4  # masked pixel -> only r contributes
        hdul["R_IVAR"].data[1, ir] = 0.0  # zero ivar -> only b contributes
        hdul["B_MASK"].data[1, 10] = 1  # b-only bin, masked -> no good pixel at all
    s0, s1 = read_desi_coadd(path)
    assert s0.spectrum[k] == pytest.approx(fr, rel=1e-6)
    assert s1.spectrum[k] == pytest.approx(arms["B_FLUX"][1, ib], rel=1e-6)
    assert s1.mask[10] and s1.spectrum[10] == 0 and s1.ivar[10] == 0
    assert s1.mask.sum() == 1


def test_explicit_redrock_file(tmp_path):
    path = tmp_path / "coadd-x.fits"
    write_coadd(path, n=2)
    redrock = fits.BinTableHDU.from_columns([
        fits.Column("TARGETID", "K", array=np.array([101])),
        fits.Column("Z", "D", array=np.array([0.25]))], name="REDSHIFTS")
    fits.HDUList([fits.PrimaryHDU(), redrock]).writeto(tmp_path / "redrock-x.fits")
    s0, s1 = read_desi_coadd(path)  # auto-found beside the coadd
    assert np.isnan(s0.redshift) and s1.redshift == 0.25
    s0, s1 = read_desi_coadd(path, tmp_path / "redrock-x.fits")
    assert s1.redshift == 0.25


def test_non_desi_grid_is_an_error(tmp_path):
    path = tmp_path / "coadd-sdss.fits"
    write_coadd(path, n=1, step=1.0)
    with pytest.raises(DataFormatError, match="not a DESI wavelength grid") as info:
        read_desi_coadd(path)
    assert info.value.key == "B_WAVELENGTH"
    write_coadd(path, n=1, arms={"B": (3000.0, 5800.0), "R": (5760.0, 7620.0),
                                 "Z": (7520.0, 9824.0)})
    with pytest.raises(DataFormatError, match="3600-9824"):
        read_desi_coadd(path)
    write_coadd(path, n=1, arms={"B": (3600.4, 5800.4), "R": (5760.0, 7620.0),
                                 "Z": (7520.0, 9824.0)})
    with pytest.raises(DataFormatError, match="aligned"):
        read_desi_coadd(path)


@pytest.mark.filterwarnings("ignore::astropy.utils.exceptions.AstropyUserWarning")
@pytest.mark.filterwarnings("ignore::astropy.io.fits.verify.VerifyWarning")
def test_missing_hdu_wrong_shape_and_truncated(tmp_path):
    path = tmp_path / "coadd-m.fits"
    write_coadd(path, n=2)
    with fits.open(path) as hdul:
        del hdul["Z_IVAR"]
        hdul.writeto(tmp_path / "coadd-noivar.fits")
    with pytest.raises(DataFormatError) as info:
        read_desi_coadd(tmp_path / "coadd-noivar.fits")
    assert info.value.key == "Z_IVAR"
    with fits.open(path) as hdul:
        hdul["R_FLUX"].data = hdul["R_FLUX"].data[:, :-3]
        hdul.writeto(tmp_path / "coadd-short.fits")
    with pytest.raises(DataFormatError, match="expected shape") as info:
        read_desi_coadd(tmp_path / "coadd-short.fits")
    assert info.value.key == "R_FLUX"
    raw = path.read_bytes()
    (tmp_path / "coadd-trunc.fits").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(DataFormatError, match=r"coadd-trunc\.fits"):
        read_desi_coadd(tmp_path / "coadd-trunc.fits")
