"""One real object a user brings: a DESI coadd FITS (spectra) or a Legacy Survey cutout (image)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from astroclip_engine.data.desi_fits import is_desi_coadd, read_desi_coadd
from astroclip_engine.data.legacy_fits import read_legacy_cutout
from astroclip_engine.data.schema import GalaxySample
from astroclip_engine.errors import DataFormatError

ObjectModality = Literal["spectrum", "image"]


def read_fits_objects(path: str | Path, redrock: str | Path | None = None
                      ) -> tuple[list[GalaxySample], ObjectModality]:
    """The targets of a DESI coadd (modality 'spectrum'; sky and calibration fibres, which have
    negative TARGETIDs, dropped; redshifts from `redrock` or the matching redrock file beside it),
    or the one object of a Legacy Survey g, r, z cutout (modality 'image')."""
    from astropy.io import fits

    path = Path(path)
    try:
        with fits.open(path, memmap=False) as hdul:
            coadd = is_desi_coadd(hdul)
    except (OSError, ValueError) as exc:
        raise DataFormatError(path, f"not a readable FITS file ({exc})") from exc
    if not coadd:
        return [read_legacy_cutout(path)], "image"
    samples = [s for s in read_desi_coadd(path, redrock) if s.targetid >= 0]
    if not samples:
        raise DataFormatError(path, "no galaxy target in this coadd", key="FIBERMAP")
    return samples, "spectrum"
