"""The mock's Fourier-space Sersic renderer against GalSim, the field's image-simulation
toolkit: same profile, shear, Moffat PSF and pixel response give the same pixels.

GalSim's half_light_radius is circularised; the mock (like Tractor's SHAPE_R) gives the radius
along the major axis, so GalSim is driven with r_e * sqrt(q)."""

from __future__ import annotations

import numpy as np
import pytest

from astroclip_engine.constants import PIXEL_SCALE_ARCSEC
from astroclip_engine.data.mock_images import Sources, render

galsim = pytest.importorskip("galsim")
CANVAS = 96


@pytest.mark.parametrize(("n", "r_e", "q", "pa", "fwhm"), [
    (1.0, 1.5, 0.3, 0.5, 1.2), (4.0, 1.0, 0.7, 2.0, 1.3), (2.5, 2.0, 0.5, 0.0, 1.1),
])
def test_sersic_matches_galsim(n: float, r_e: float, q: float, pa: float, fwhm: float) -> None:
    src = Sources(np.array([0]), np.array([CANVAS / 2]), np.array([CANVAS / 2]),
                  np.ones((1, 3)), np.array([r_e / PIXEL_SCALE_ARCSEC]), np.array([n]),
                  np.array([q]), np.array([pa]))
    ours = render(src, 1, CANVAS, np.full((1, 3), fwhm))[0, 1]
    profile = galsim.Sersic(n=n, half_light_radius=r_e * np.sqrt(q)).shear(
        q=q, beta=pa * galsim.radians)
    reference = galsim.Convolve(profile, galsim.Moffat(beta=3.0, fwhm=fwhm)).drawImage(
        nx=CANVAS, ny=CANVAS, scale=PIXEL_SCALE_ARCSEC, offset=(0.5, 0.5)).array
    assert np.abs(ours - reference).max() < 0.01 * reference.max()
    assert np.abs(ours - reference).sum() < 0.03
