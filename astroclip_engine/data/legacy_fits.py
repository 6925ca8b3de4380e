"""Legacy Survey cutout FITS files (docs/formats.md): g, r, z image, central crop, WCS.

The primary HDU holds float32 (3, H, W) = g, r, z in nanomaggies at 0.262"/pixel with a TAN
WCS. The central `size` x `size` pixels are returned in sky orientation (band, y, x), with the
RA/Dec of the crop centre. Non-finite pixels inside the crop are replaced by 0 and counted in
a `NonFinitePixelsWarning` (a UserWarning: callers may filter or escalate it).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from astropy.io import fits
from astropy.wcs import WCS, FITSFixedWarning

from astroclip_engine.constants import BANDS, IMAGE_SIZE
from astroclip_engine.data.schema import GalaxySample
from astroclip_engine.errors import DataFormatError, reading

NO_TARGETID = -1
"""TARGETID given to a cutout, which has none (DESI uses negative ids for non-targets)."""


class NonFinitePixelsWarning(UserWarning):
    """Some pixels of an image were NaN or infinite and were replaced by 0."""


def central_crop(image: np.ndarray, size: int) -> tuple[np.ndarray, int, int]:
    """The central size x size pixels of a (C, H, W) image and the (y0, x0) of the crop."""
    height, width = image.shape[-2:]
    y0, x0 = (height - size) // 2, (width - size) // 2
    return image[..., y0:y0 + size, x0:x0 + size], y0, x0


def read_legacy_cutout(path: str | Path, size: int = IMAGE_SIZE) -> GalaxySample:
    """The central `size` x `size` g, r, z crop of a cutout as an image-only GalaxySample."""
    path = Path(path)
    if not path.is_file():
        raise DataFormatError(path, "no such file (expected a Legacy Survey cutout FITS)")
    with reading(path, "PRIMARY", "a Legacy Survey cutout FITS file"), \
            fits.open(path, memmap=False) as hdul:
        data = hdul[0].data
        header = hdul[0].header.copy()
    if data is None or data.ndim != 3 or data.shape[0] != len(BANDS):
        shape = None if data is None else data.shape
        raise DataFormatError(path, f"expected a primary HDU of shape (3, H, W) with bands "
                              f"{', '.join(BANDS)}, got {shape}", "PRIMARY")
    if data.dtype.kind != "f":
        raise DataFormatError(path, f"expected float pixels, got {data.dtype}", "PRIMARY")
    if min(data.shape[1:]) < size:
        raise DataFormatError(path, f"image {data.shape[1]}x{data.shape[2]} is smaller than the "
                              f"{size}x{size} crop", "PRIMARY")
    crop, y0, x0 = central_crop(np.asarray(data, dtype=np.float32), size)
    image = np.ascontiguousarray(crop)
    bad = ~np.isfinite(image)
    n_bad = int(bad.sum())
    if n_bad:
        image[bad] = 0.0
        warnings.warn(f"{path}: {n_bad} non-finite pixel(s) replaced by 0",
                      NonFinitePixelsWarning, stacklevel=2)
    ra, dec = _centre_radec(header, y0 + (size - 1) / 2, x0 + (size - 1) / 2, path)
    return GalaxySample(targetid=NO_TARGETID, redshift=float("nan"), image=image, ra=ra,
                        dec=dec)


def _centre_radec(header: fits.Header, y: float, x: float, path: Path
                  ) -> tuple[float | None, float | None]:
    """RA/Dec (deg) at 0-based pixel (x, y) from the header's celestial WCS, or None."""
    with reading(path, "PRIMARY header", "a FITS header with a TAN WCS"), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore", FITSFixedWarning)
        wcs = WCS(header).celestial
        if not wcs.has_celestial:
            return None, None
        ra, dec = wcs.pixel_to_world_values(x, y)
    return float(ra), float(dec)
