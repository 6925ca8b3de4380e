"""read_legacy_cutout: the real DR9 cutout, central crop, WCS centre, NaN pixels, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits

from astroclip_engine.data.legacy_fits import NonFinitePixelsWarning, read_legacy_cutout
from astroclip_engine.errors import DataFormatError
from tests.engine.test_data_builders import write_cutout


def test_real_dr9_cutout(realdata):
    path = realdata / "legacysurvey" / "astroclip_dr9_grz_357.9087_-54.8817.fits"
    sample = read_legacy_cutout(path)
    assert sample.image.shape == (3, 152, 152) and sample.image.dtype == np.float32
    assert sample.ra == pytest.approx(357.9087, abs=2e-4)
    assert sample.dec == pytest.approx(-54.8817, abs=2e-4)
    with fits.open(path) as hdul:
        full = hdul[0].data
    np.testing.assert_array_equal(sample.image, full[:, 52:204, 52:204])
    # the bright red lens galaxy sits in the centre: z band brighter than g there
    centre = sample.image[:, 70:82, 70:82].sum(axis=(1, 2))
    assert centre[2] > centre[0] > 0


def test_single_band_cutout_is_rejected(realdata):
    path = realdata / "legacysurvey" / "astroquery_ls_g_166.1125_38.2089.fits"
    with pytest.raises(DataFormatError, match=r"\(3, H, W\)") as info:
        read_legacy_cutout(path)
    assert info.value.key == "PRIMARY" and "(60, 60)" in str(info.value)


def test_crop_centre_radec_and_sizes(tmp_path):
    path = tmp_path / "cut.fits"
    data = write_cutout(path, shape=(3, 161, 170))
    sample = read_legacy_cutout(path, size=32)
    y0, x0 = (161 - 32) // 2, (170 - 32) // 2
    np.testing.assert_array_equal(sample.image, data[:, y0:y0 + 32, x0:x0 + 32])
    # crop centre (0-based x 84.5, y 79.5); reference pixel (84.5, 80): half a pixel south
    assert sample.dec == pytest.approx(2.0 - 0.5 * 0.262 / 3600, abs=1e-7)
    assert sample.ra == pytest.approx(150.0, abs=1e-7)
    with pytest.raises(DataFormatError, match="smaller than"):
        read_legacy_cutout(path, size=200)


def test_nan_pixels_become_zero_with_a_counted_warning(tmp_path):
    path = tmp_path / "nan.fits"
    write_cutout(path, shape=(3, 160, 160), nan_pixels=5)
    with pytest.warns(NonFinitePixelsWarning, match="15 non-finite"):
        sample = read_legacy_cutout(path)
    assert np.isfinite(sample.image).all() and (sample.image == 0).sum() == 15


@pytest.mark.filterwarnings("ignore::astropy.utils.exceptions.AstropyUserWarning")
@pytest.mark.filterwarnings("ignore::astropy.io.fits.verify.VerifyWarning")
def test_wrong_dtype_missing_wcs_and_truncated(tmp_path):
    path = tmp_path / "int.fits"
    fits.PrimaryHDU(np.zeros((3, 160, 160), dtype=np.int16)).writeto(path)
    with pytest.raises(DataFormatError, match="float"):
        read_legacy_cutout(path)
    nowcs = tmp_path / "nowcs.fits"
    fits.PrimaryHDU(np.zeros((3, 152, 152), dtype=np.float32)).writeto(nowcs)
    sample = read_legacy_cutout(nowcs)
    assert sample.ra is None and sample.dec is None
    good = tmp_path / "good.fits"
    write_cutout(good)
    raw = good.read_bytes()
    trunc = tmp_path / "trunc.fits"
    trunc.write_bytes(raw[: len(raw) // 3])
    with pytest.raises(DataFormatError, match=r"trunc\.fits"):
        read_legacy_cutout(trunc)
