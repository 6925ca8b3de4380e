"""Open any supported data file by its content, and describe it (`astroclip info`).

Paired datasets: the AstroCLIP HDF5 release (`ReleaseDataset`), hub parquet files or folders and
`datasets.save_to_disk` folders (`ParquetDataset`). Single objects and catalogues: DESI coadds,
Legacy Survey cutouts and PROVABGS property tables (described, not opened as datasets).

astropy (FITS) and pyarrow (parquet) are imported only when a file of their kind is met, so
`astroclip info release.h5` starts quickly.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from astroclip_engine.constants import N_SPECTRUM_BINS, REDSHIFT_RANGE
from astroclip_engine.data.provabgs import PropertyTable
from astroclip_engine.data.release import ReleaseDataset, release_groups
from astroclip_engine.data.schema import PairedDataset
from astroclip_engine.errors import DataFormatError, reading

PAIRED_FORMATS = ("hdf5-release", "parquet", "arrow")
DEFAULT_SAMPLE = 1000
"""Rows read by `describe` for the zero-spectrum and NaN/inf counts (None: every row)."""

_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


def detect_format(path: str | Path) -> str:
    """One of hdf5-release, parquet, arrow, desi-coadd, legacy-cutout, property-table."""
    path = Path(path)
    if path.is_dir():
        if (path / "state.json").is_file() or any(path.glob("*.arrow")):
            return "arrow"
        if any(path.rglob("*.parquet")):
            return "parquet"
        raise DataFormatError(path, "folder holds no .parquet or .arrow files (expected hub "
                              "parquet shards or a datasets save_to_disk folder)")
    if not path.is_file():
        raise DataFormatError(path, "no such file or folder")
    with reading(path, expected="a data file"), open(path, "rb") as handle:
        head = handle.read(16)
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"\xff\xff\xff\xff") or head.startswith(b"ARROW1"):
        return "arrow"
    if head.startswith(b"SIMPLE  ="):
        return _fits_kind(path)
    if head.startswith(_HDF5_MAGIC) or h5py.is_hdf5(path):
        return _hdf5_kind(path)
    raise DataFormatError(path, "unrecognised file: expected an HDF5 release, parquet, Arrow, "
                          "or FITS (DESI coadd, Legacy Survey cutout, property table)")


def _hdf5_kind(path: Path) -> str:
    with reading(path, expected="an HDF5 file"), h5py.File(path, "r") as f:
        if release_groups(f):
            return "hdf5-release"
    return "property-table"


def _fits_kind(path: Path) -> str:
    from astropy.io import fits

    from astroclip_engine.data.desi_fits import is_desi_coadd

    with reading(path, expected="a FITS file"), fits.open(path, memmap=False) as hdul:
        if is_desi_coadd(hdul):
            return "desi-coadd"
        if "FIBERMAP" in hdul:  # a redrock file or a partial coadd: let the coadd reader say why
            return "desi-coadd"
        primary = hdul[0]
        if primary.data is not None and primary.data.ndim >= 2:
            return "legacy-cutout"
        for hdu in hdul[1:]:
            if isinstance(hdu, fits.BinTableHDU) and "TARGETID" in hdu.columns.names:
                return "property-table"
        raise DataFormatError(path, "FITS file is neither a DESI coadd (FIBERMAP + B/R/Z arms), "
                              "a Legacy Survey cutout (3-D primary image) nor a property table "
                              f"(TARGETID column); found HDUs {[h.name for h in hdul]}")


def open_dataset(path: str | Path, properties: str | Path | None = None) -> PairedDataset:
    """Open a paired dataset, detecting its format; a sidecar property table is joined."""
    path = Path(path)
    kind = detect_format(path)
    if kind == "hdf5-release":
        return ReleaseDataset(path, properties)
    if kind in ("parquet", "arrow"):
        from astroclip_engine.data.parquet import ParquetDataset

        return ParquetDataset(path, properties)
    raise DataFormatError(path, f"is a {kind}, not a paired image + spectrum dataset "
                          "(expected an HDF5 release, parquet or save_to_disk folder)")


def describe(path: str | Path, properties: str | Path | None = None,
             sample: int | None = DEFAULT_SAMPLE) -> dict[str, Any]:
    """A JSON-serialisable summary of any supported file (see `astroclip info`)."""
    path = Path(path)
    kind = detect_format(path)
    if kind in PAIRED_FORMATS:
        dataset = open_dataset(path, properties)
        try:
            return {"path": str(path), "format": kind} | describe_dataset(dataset, sample)
        finally:
            dataset.close()
    describers = {"desi-coadd": _describe_coadd, "legacy-cutout": _describe_cutout,
                  "property-table": _describe_table}
    return {"path": str(path), "format": kind} | describers[kind](path)


def describe_dataset(dataset: PairedDataset, sample: int | None = DEFAULT_SAMPLE
                     ) -> dict[str, Any]:
    """Rows, split, shapes, redshift range, and (on a bounded sample) data-quality counts."""
    n = len(dataset)
    info: dict[str, Any] = {"rows": n}
    groups = getattr(dataset, "groups", None)
    if groups is not None:
        sizes = dataset.group_sizes  # type: ignore[attr-defined]
        info["groups"] = {g: int(s) for g, s in zip(groups, sizes, strict=True)}
    info["train"] = len(dataset.split_indices("train"))
    info["test"] = len(dataset.split_indices("test"))
    size = int(getattr(dataset, "image_size", 0))
    info["image_shape"] = [3, size, size]
    info["spectrum_length"] = N_SPECTRUM_BINS
    info["redshift"] = _redshift_summary(dataset.redshifts)
    tids = dataset.targetids
    info["duplicate_targetids"] = int(n - len(np.unique(tids)))
    info["quality"] = _quality_counts(dataset, sample)
    joined = getattr(dataset, "joined", None)
    if joined is not None and joined.path is not None:
        info["properties"] = {
            "path": str(joined.path), "matched": joined.n_matched,
            "finite": {name: int(np.isfinite(col).sum()) for name, col in joined.columns.items()},
        }
    return info


def _redshift_summary(z: np.ndarray) -> dict[str, Any]:
    finite = np.isfinite(z)
    lo, hi = REDSHIFT_RANGE
    good = z[finite]
    return {
        "min": float(good.min()) if len(good) else None,
        "max": float(good.max()) if len(good) else None,
        "median": float(np.median(good)) if len(good) else None,
        "nonfinite": int((~finite).sum()),
        "outside_range": int(((good < lo) | (good > hi)).sum()),
        "range": [lo, hi],
    }


def _quality_counts(dataset: PairedDataset, sample: int | None, block: int = 128
                    ) -> dict[str, Any]:
    """All-zero spectra and NaN/inf counts over `sample` evenly spaced rows (all if None)."""
    n = len(dataset)
    rows = np.arange(n) if sample is None or sample >= n else \
        np.unique(np.linspace(0, n - 1, sample).astype(np.int64))
    counts = {"zero_spectra": 0, "nonfinite_spectra": 0, "nonfinite_images": 0,
              "nonfinite_image_pixels": 0}
    reader = getattr(dataset, "read_spectra", None)
    for start in range(0, len(rows), block):
        chunk = rows[start:start + block]
        spectra = reader(chunk) if reader is not None else \
            np.stack([dataset.read_spectrum(int(i)) for i in chunk])
        finite = np.isfinite(spectra)
        counts["zero_spectra"] += int((~np.any(spectra != 0, axis=1)).sum())
        counts["nonfinite_spectra"] += int((~finite.all(axis=1)).sum())
        for i in chunk:
            bad = int((~np.isfinite(dataset.read_image(int(i)))).sum())
            counts["nonfinite_image_pixels"] += bad
            counts["nonfinite_images"] += int(bad > 0)
    exact = len(rows) == n
    return {"rows_checked": len(rows), "exact": exact} | counts | (
        {} if exact or not len(rows) else
        {"zero_spectra_estimate": round(counts["zero_spectra"] * n / len(rows))})


def _describe_coadd(path: Path) -> dict[str, Any]:
    from astroclip_engine.data.desi_fits import find_redrock, read_desi_coadd

    samples = read_desi_coadd(path)
    redrock = find_redrock(path)
    return {
        "targets": len(samples),
        "redrock": str(redrock) if redrock else None,
        "spectrum_length": N_SPECTRUM_BINS,
        "objects": [
            {"targetid": s.targetid, "ra": s.ra, "dec": s.dec,
             "redshift": None if not np.isfinite(s.redshift) else s.redshift,
             "good_bins": int((~s.mask).sum()) if s.mask is not None else None}
            for s in samples
        ],
    }


def _describe_cutout(path: Path) -> dict[str, Any]:
    from astropy.io import fits

    from astroclip_engine.data.legacy_fits import NonFinitePixelsWarning, read_legacy_cutout

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", NonFinitePixelsWarning)
        sample = read_legacy_cutout(path)
    with reading(path, "PRIMARY", "a FITS image"), fits.open(path, memmap=False) as hdul:
        shape = list(hdul[0].data.shape)
    return {
        "image_shape": shape,
        "crop_shape": list(sample.image.shape) if sample.image is not None else None,
        "ra": sample.ra, "dec": sample.dec,
        "nonfinite_pixels_replaced": len(caught) > 0,
        "warnings": [str(w.message) for w in caught],
    }


def _describe_table(path: Path) -> dict[str, Any]:
    table = PropertyTable.read(path)
    return {
        "rows": table.n_rows,
        "kept": table.n_kept,
        "finite": {name: int(np.isfinite(col).sum()) for name, col in table.columns.items()},
    }
