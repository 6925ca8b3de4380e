"""DESI coadd FITS files (docs/formats.md): b, r, z arms merged onto the AstroCLIP grid.

Each arm's pixels land on `constants.WAVELENGTH` (0.8 A steps, 3600-9824 A); in the overlaps the
arms are combined with inverse-variance weights. Pixels with MASK != 0, ivar <= 0 or non-finite
values are dropped; bins with no good pixel get flux 0, ivar 0 and mask True. Redshifts come
from the matching `redrock-*.fits` (REDSHIFTS HDU), auto-found beside the coadd; NaN without one.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from astropy.io import fits

from astroclip_engine.constants import N_SPECTRUM_BINS, WAVELENGTH_MAX, WAVELENGTH_MIN
from astroclip_engine.data.schema import GalaxySample
from astroclip_engine.errors import DataFormatError, reading

logger = logging.getLogger(__name__)

ARMS: tuple[str, ...] = ("B", "R", "Z")
STEP = (WAVELENGTH_MAX - WAVELENGTH_MIN) / (N_SPECTRUM_BINS - 1)
GRID_TOLERANCE = 0.01
"""Largest allowed offset (A) of an arm's pixel from a DESI grid point."""
FIBERMAP_COLUMNS: tuple[str, ...] = ("TARGETID", "TARGET_RA", "TARGET_DEC")


def is_desi_coadd(hdul: fits.HDUList) -> bool:
    """True when the file has the coadd layout (a FIBERMAP and B/R/Z wavelength HDUs)."""
    names = {hdu.name for hdu in hdul}
    return "FIBERMAP" in names and all(f"{arm}_WAVELENGTH" in names for arm in ARMS)


def find_redrock(coadd_path: str | Path) -> Path | None:
    """`redrock-<suffix>.fits` beside `coadd-<suffix>.fits`, if it exists."""
    coadd_path = Path(coadd_path)
    if not coadd_path.name.startswith("coadd-"):
        return None
    candidate = coadd_path.with_name("redrock-" + coadd_path.name[len("coadd-"):])
    return candidate if candidate.is_file() else None


def grid_indices(wave: np.ndarray, path: Path, key: str) -> np.ndarray:
    """Bin index on the AstroCLIP grid of each pixel of an arm (validates the DESI grid)."""
    if wave.ndim != 1 or len(wave) < 2 or not np.all(np.isfinite(wave)):
        raise DataFormatError(path, f"expected a finite 1-D wavelength array, got shape "
                              f"{wave.shape}", key)
    steps = np.diff(wave)
    inside = wave.min() >= WAVELENGTH_MIN - GRID_TOLERANCE and \
        wave.max() <= WAVELENGTH_MAX + GRID_TOLERANCE
    if not inside or not np.allclose(steps, STEP, atol=1e-3):
        raise DataFormatError(
            path, f"not a DESI wavelength grid: expected {STEP:.1f} A steps within "
            f"{WAVELENGTH_MIN:.0f}-{WAVELENGTH_MAX:.0f} A, got {wave.min():.1f}-"
            f"{wave.max():.1f} A with steps {steps.min():.3f}-{steps.max():.3f} A", key)
    position = (wave - WAVELENGTH_MIN) / STEP
    index = np.rint(position).astype(np.int64)
    if np.max(np.abs(position - index)) * STEP > GRID_TOLERANCE:
        raise DataFormatError(path, "wavelengths are not aligned with the DESI 0.8 A grid "
                              f"starting at {WAVELENGTH_MIN:.0f} A", key)
    return index


def merge_arms(arms: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inverse-variance merge of (grid index, flux, ivar, mask) arms -> flux, ivar, bad mask."""
    n = arms[0][1].shape[0]
    weight = np.zeros((n, N_SPECTRUM_BINS))
    weighted_flux = np.zeros((n, N_SPECTRUM_BINS))
    for index, flux, ivar, mask in arms:
        good = (mask == 0) & np.isfinite(flux) & np.isfinite(ivar) & (ivar > 0)
        w = np.where(good, ivar, 0.0)
        weight[:, index] += w
        weighted_flux[:, index] += w * np.where(good, flux, 0.0)
    covered = weight > 0
    spectrum = np.divide(weighted_flux, weight, out=np.zeros_like(weight), where=covered)
    return spectrum.astype(np.float32), weight.astype(np.float32), ~covered


def read_redshifts(redrock_path: str | Path) -> dict[int, float]:
    """TARGETID -> Z from the REDSHIFTS HDU of a redrock file."""
    redrock_path = Path(redrock_path)
    with reading(redrock_path, "REDSHIFTS", "a DESI redrock FITS file"), \
            fits.open(redrock_path, memmap=False) as hdul:
        if "REDSHIFTS" not in hdul:
            raise DataFormatError(redrock_path, "no REDSHIFTS HDU (expected a redrock file; "
                                  f"found {[h.name for h in hdul]})", "REDSHIFTS")
        table = hdul["REDSHIFTS"].data
        names = table.columns.names if table is not None else []
        for col in ("TARGETID", "Z"):
            if col not in names:
                raise DataFormatError(redrock_path, f"REDSHIFTS lacks column {col}",
                                      f"REDSHIFTS/{col}")
        return {int(t): float(z) for t, z in zip(table["TARGETID"], table["Z"], strict=True)}


def read_desi_coadd(coadd_path: str | Path, redrock_path: str | Path | None = None
                    ) -> list[GalaxySample]:
    """Every target of a DESI coadd as a GalaxySample (spectrum, ivar, mask, ra, dec, z)."""
    path = Path(coadd_path)
    if not path.is_file():
        raise DataFormatError(path, "no such file (expected a DESI coadd FITS file)")
    with reading(path, expected="a DESI coadd FITS file"), fits.open(path, memmap=False) as hdul:
        if not is_desi_coadd(hdul):
            raise DataFormatError(
                path, "not a DESI coadd: expected HDUs FIBERMAP and B/R/Z_WAVELENGTH, FLUX, "
                f"IVAR, MASK (found {', '.join(h.name for h in hdul)})", "FIBERMAP")
        fibermap = hdul["FIBERMAP"].data
        names = fibermap.columns.names if fibermap is not None else []
        for col in FIBERMAP_COLUMNS:
            if col not in names:
                raise DataFormatError(path, f"FIBERMAP lacks column {col}", f"FIBERMAP/{col}")
        n = len(fibermap)
        arms = [_read_arm(hdul, arm, n, path) for arm in ARMS]
        targetids = np.asarray(fibermap["TARGETID"], dtype=np.int64)
        ra = np.asarray(fibermap["TARGET_RA"], dtype=np.float64)
        dec = np.asarray(fibermap["TARGET_DEC"], dtype=np.float64)
    spectrum, ivar, mask = merge_arms(arms)
    redrock = Path(redrock_path) if redrock_path is not None else find_redrock(path)
    redshifts = read_redshifts(redrock) if redrock is not None else {}
    if redrock is None:
        logger.debug("%s: no redrock file beside it; redshifts are NaN", path)
    return [
        GalaxySample(
            targetid=int(targetids[i]),
            redshift=redshifts.get(int(targetids[i]), float("nan")),
            spectrum=spectrum[i], ivar=ivar[i], mask=mask[i],
            ra=float(ra[i]), dec=float(dec[i]),
        )
        for i in range(n)
    ]


def _read_arm(hdul: fits.HDUList, arm: str, n: int, path: Path
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(grid index, flux, ivar, mask) of one arm, validated against the FIBERMAP length."""
    arrays = {}
    for part in ("WAVELENGTH", "FLUX", "IVAR", "MASK"):
        key = f"{arm}_{part}"
        if key not in hdul or hdul[key].data is None:
            raise DataFormatError(path, f"missing HDU {key} (a coadd has {arm}_WAVELENGTH, "
                                  f"{arm}_FLUX, {arm}_IVAR and {arm}_MASK)", key)
        arrays[part] = np.asarray(hdul[key].data)
    index = grid_indices(arrays["WAVELENGTH"].astype(np.float64), path, f"{arm}_WAVELENGTH")
    for part in ("FLUX", "IVAR", "MASK"):
        got = arrays[part].shape
        if got != (n, len(index)):
            raise DataFormatError(path, f"expected shape ({n}, {len(index)}) (FIBERMAP rows x "
                                  f"{arm}_WAVELENGTH pixels), got {got}", f"{arm}_{part}")
    return (index, arrays["FLUX"].astype(np.float64), arrays["IVAR"].astype(np.float64),
            arrays["MASK"])
