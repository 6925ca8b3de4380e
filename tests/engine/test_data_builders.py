"""Builders of tiny files in the real layouts, shared by the data-reader tests (no tests here)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from astropy.io import fits
from astropy.table import Table

from astroclip_engine.constants import N_SPECTRUM_BINS
from astroclip_engine.data.release_writer import ReleaseWriter

HF_EXTENSION = "datasets.features.features.Array{}DExtensionType"


def make_pairs(n: int, size: int = 16, seed: int = 0, first_id: int = 1000
               ) -> dict[str, np.ndarray]:
    """Random sky-orientation images (n, 3, S, S), spectra, redshifts and targetids."""
    rng = np.random.default_rng(seed)
    return {
        "images": rng.normal(size=(n, 3, size, size)).astype(np.float32),
        "spectra": (rng.normal(size=(n, N_SPECTRUM_BINS)) + 5).astype(np.float32),
        "redshifts": rng.uniform(0.01, 0.6, n).astype(np.float32),
        "targetids": np.arange(first_id, first_id + n, dtype=np.int64),
    }


def write_release(path: Path, group_sizes: dict[str, int], size: int = 16, seed: int = 0
                  ) -> dict[str, dict[str, np.ndarray]]:
    """A release-layout HDF5 file; returns the data written per group."""
    written = {}
    with ReleaseWriter(path, image_size=size) as writer:
        for k, (group, n) in enumerate(group_sizes.items()):
            data = make_pairs(n, size, seed + k, first_id=1000 * (int(group) + 1))
            writer.append(group, data["images"], data["spectra"], data["redshifts"],
                          data["targetids"])
            written[group] = data
    return written


class HFArrayType(pa.ExtensionType):
    """Stand-in for HF `datasets` Array2D/3D extension types (same name, storage, metadata)."""

    def __init__(self, shape: tuple[int, ...], dtype: str = "float32") -> None:
        self.shape, self.value_type = tuple(shape), dtype
        storage = pa.from_numpy_dtype(np.dtype(dtype))
        for _ in shape:
            storage = pa.list_(storage)
        super().__init__(storage, HF_EXTENSION.format(len(shape)))

    def __arrow_ext_serialize__(self) -> bytes:
        return json.dumps((self.shape, self.value_type)).encode()

    @classmethod
    def __arrow_ext_deserialize__(cls, storage_type: pa.DataType, serialized: bytes
                                  ) -> HFArrayType:
        shape, dtype = json.loads(serialized)
        return cls(tuple(shape), dtype)


def nested_lists(values: np.ndarray) -> pa.Array:
    """Nested list storage of an (n, *shape) array, as HF writes ArrayND columns."""
    flat: pa.Array = pa.array(values.reshape(-1))
    for dim in reversed(values.shape[1:]):
        offsets = pa.array(np.arange(0, len(flat) + 1, dim, dtype=np.int32))
        flat = pa.ListArray.from_arrays(offsets, flat)
    return flat


def hub_table(data: dict[str, np.ndarray], extension: bool = True) -> pa.Table:
    """The hub schema: image (x, y, band) Array3D, spectrum Array2D(7781, 1), redshift, targetid."""
    images = np.transpose(data["images"], (0, 3, 2, 1))
    spectra = data["spectra"][..., None]
    columns = [nested_lists(images), nested_lists(spectra)]
    if extension:
        columns = [
            pa.ExtensionArray.from_storage(HFArrayType(images.shape[1:]), columns[0]),
            pa.ExtensionArray.from_storage(HFArrayType(spectra.shape[1:]), columns[1]),
        ]
    columns += [pa.array(data["redshifts"]), pa.array(data["targetids"])]
    return pa.table(columns, names=["image", "spectrum", "redshift", "targetid"])


def write_parquet(path: Path, data: dict[str, np.ndarray], row_group_size: int = 4,
                  extension: bool = True) -> Path:
    pq.write_table(hub_table(data, extension), path, row_group_size=row_group_size)
    return path


def write_save_to_disk(folder: Path, parts: list[dict[str, np.ndarray]]) -> Path:
    """A `datasets.save_to_disk` folder: Arrow stream shards, state.json, dataset_info.json."""
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for k, data in enumerate(parts):
        name = f"data-{k:05d}-of-{len(parts):05d}.arrow"
        table = hub_table(data)
        with pa.OSFile(str(folder / name), "wb") as sink, \
                pa.ipc.new_stream(sink, table.schema) as writer:
            for batch in table.to_batches(max_chunksize=3):
                writer.write_batch(batch)
        names.append(name)
    (folder / "state.json").write_text(json.dumps(
        {"_data_files": [{"filename": n} for n in names], "_split": None}))
    (folder / "dataset_info.json").write_text(json.dumps({"features": {}}))
    return folder


def property_table(targetids: np.ndarray, seed: int = 0) -> Table:
    """A PROVABGS-style table for `targetids` (all rows pass the quality cuts)."""
    rng = np.random.default_rng(seed)
    n = len(targetids)
    return Table({
        "TARGETID": np.asarray(targetids, dtype=np.int64),
        "Z_HP": rng.uniform(0.01, 0.5, n),
        "PROVABGS_LOGMSTAR_BF": rng.uniform(9, 11.5, n),
        "MAG_G": rng.uniform(18, 21, n), "MAG_R": rng.uniform(17, 20, n),
        "MAG_Z": rng.uniform(16, 19, n),
        "Z_MW": rng.uniform(0.005, 0.03, n), "TAGE_MW": rng.uniform(1, 12, n),
        "AVG_SFR": rng.uniform(0.01, 10, n),
    })


def write_coadd(path: Path, n: int = 2, seed: int = 0, arms: dict[str, tuple[float, float]]
                | None = None, step: float = 0.8) -> dict[str, np.ndarray]:
    """A DESI-layout coadd with b/r/z arms on the DESI grid; returns the arm arrays written."""
    rng = np.random.default_rng(seed)
    arms = arms or {"B": (3600.0, 5800.0), "R": (5760.0, 7620.0), "Z": (7520.0, 9824.0)}
    fibermap = fits.BinTableHDU(Table({
        "TARGETID": np.arange(100, 100 + n, dtype=np.int64),
        "TARGET_RA": rng.uniform(0, 360, n), "TARGET_DEC": rng.uniform(-10, 10, n),
    }), name="FIBERMAP")
    hdus: list[fits.hdu.base.ExtensionHDU] = [fibermap]
    written = {}
    for arm, (lo, hi) in arms.items():
        wave = lo + step * np.arange(round((hi - lo) / step) + 1)
        flux = rng.normal(1.0, 0.1, (n, len(wave))).astype(np.float32)
        ivar = rng.uniform(1, 4, (n, len(wave))).astype(np.float32)
        mask = np.zeros((n, len(wave)), dtype=np.int32)
        written.update({f"{arm}_WAVELENGTH": wave, f"{arm}_FLUX": flux, f"{arm}_IVAR": ivar,
                        f"{arm}_MASK": mask})
        hdus += [fits.ImageHDU(wave, name=f"{arm}_WAVELENGTH"),
                 fits.ImageHDU(flux, name=f"{arm}_FLUX"), fits.ImageHDU(ivar, name=f"{arm}_IVAR"),
                 fits.ImageHDU(mask, name=f"{arm}_MASK")]
    fits.HDUList([fits.PrimaryHDU(), *hdus]).writeto(path, overwrite=True)
    return written


def write_cutout(path: Path, shape: tuple[int, ...] = (3, 160, 160), seed: int = 0,
                 nan_pixels: int = 0) -> np.ndarray:
    """A Legacy Survey style cutout with a TAN WCS centred on RA 150, Dec 2."""
    rng = np.random.default_rng(seed)
    data = rng.normal(size=shape).astype(np.float32)
    if nan_pixels:
        data[..., shape[-2] // 2, shape[-1] // 2 - nan_pixels // 2:][..., :nan_pixels] = np.nan
    header = fits.Header()
    header.update(CTYPE1="RA---TAN", CTYPE2="DEC--TAN", CRVAL1=150.0, CRVAL2=2.0,
                  CRPIX1=(shape[-1] + 1) / 2, CRPIX2=(shape[-2] + 1) / 2,
                  CD1_1=-0.262 / 3600, CD1_2=0.0, CD2_1=0.0, CD2_2=0.262 / 3600)
    fits.PrimaryHDU(data, header=header).writeto(path, overwrite=True)
    return data

