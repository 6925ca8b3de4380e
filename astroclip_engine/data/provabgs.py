"""PROVABGS physical-property catalogue (docs/formats.md), joined to datasets on TARGETID.

Output columns (float32, NaN where missing or non-physical):
    log_mstar = PROVABGS_LOGMSTAR_BF
    log_z_mw  = log10(Z_MW)                    (mass-weighted metallicity)
    t_age     = TAGE_MW                        (mass-weighted age, Gyr)
    log_ssfr  = log10(AVG_SFR / 10**log_mstar) (sSFR = SFR / M*, not divided by metallicity)
Only rows with PROVABGS_LOGMSTAR_BF > 0 and MAG_G/R/Z > 0 are kept (the paper's cuts).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from astroclip_engine.errors import DataFormatError, reading

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS: tuple[str, ...] = (
    "TARGETID", "PROVABGS_LOGMSTAR_BF", "MAG_G", "MAG_R", "MAG_Z",
)
OPTIONAL_COLUMNS: tuple[str, ...] = ("Z_MW", "TAGE_MW", "AVG_SFR")
OUTPUT_NAMES: tuple[str, ...] = ("log_mstar", "log_z_mw", "t_age", "log_ssfr")
SIDECAR_SUFFIX = ".provabgs.hdf5"


def sidecar_properties_path(path: str | Path) -> Path:
    """`<stem>.provabgs.hdf5` beside a data file (where the mock writes its property table)."""
    path = Path(path)
    return path.with_name(path.stem + SIDECAR_SUFFIX)


@dataclass(frozen=True)
class JoinedProperties:
    """Properties joined to a dataset's rows: float32 columns with NaN, and provenance."""

    path: Path | None
    columns: dict[str, np.ndarray]
    n_matched: int

    def row(self, index: int) -> dict[str, float]:
        """The finite properties of one row."""
        values = {name: float(col[index]) for name, col in self.columns.items()}
        return {k: v for k, v in values.items() if np.isfinite(v)}


def join_properties(data_path: str | Path, targetids: np.ndarray,
                    properties: str | Path | None = None, auto: bool = True) -> JoinedProperties:
    """Join `properties` (or, when None and `auto`, the sidecar table if present) on TARGETID."""
    if properties is None and auto:
        sidecar = sidecar_properties_path(data_path)
        properties = sidecar if sidecar.is_file() else None
    if properties is None:
        return JoinedProperties(None, {}, 0)
    table = PropertyTable.read(properties)
    n_matched = int((table.match(targetids) >= 0).sum())
    return JoinedProperties(Path(properties), table.join(targetids), n_matched)


@dataclass(frozen=True)
class PropertyTable:
    """Quality-cut PROVABGS properties, one row per unique TARGETID (sorted)."""

    path: Path
    targetids: np.ndarray
    columns: dict[str, np.ndarray]
    n_rows: int
    """Rows in the file before the quality cuts."""

    @property
    def n_kept(self) -> int:
        return len(self.targetids)

    @classmethod
    def read(cls, path: str | Path) -> PropertyTable:
        """Read a PROVABGS table (astropy-readable HDF5 or FITS) and apply the quality cuts."""
        path = Path(path)
        if not path.is_file():
            raise DataFormatError(path, "no such property table")
        raw = _read_columns(path)
        n_rows = len(raw["TARGETID"])
        logm = raw["PROVABGS_LOGMSTAR_BF"]
        with np.errstate(invalid="ignore"):
            keep = np.isfinite(logm) & (logm > 0)
            for band in ("MAG_G", "MAG_R", "MAG_Z"):
                keep &= np.isfinite(raw[band]) & (raw[band] > 0)
        tid = raw["TARGETID"][keep]
        derived = _derive(raw, keep)
        # one row per TARGETID: the first kept occurrence
        tid_sorted, first = np.unique(tid, return_index=True)
        if len(tid_sorted) < len(tid):
            logger.warning("%s: %d duplicate TARGETIDs, keeping the first of each",
                           path, len(tid) - len(tid_sorted))
        columns = {name: values[first] for name, values in derived.items()}
        return cls(path=path, targetids=tid_sorted, columns=columns, n_rows=n_rows)

    def match(self, targetids: np.ndarray) -> np.ndarray:
        """Row of each target in this table (int64), -1 where it has no row."""
        targetids = np.asarray(targetids, dtype=np.int64)
        if len(self.targetids) == 0:
            return np.full(len(targetids), -1, dtype=np.int64)
        pos = np.searchsorted(self.targetids, targetids)
        pos = np.minimum(pos, len(self.targetids) - 1)
        found = self.targetids[pos] == targetids
        return np.where(found, pos, -1).astype(np.int64)

    def join(self, targetids: np.ndarray) -> dict[str, np.ndarray]:
        """Property columns aligned with `targetids` (float32, NaN where unmatched)."""
        rows = self.match(targetids)
        matched = rows >= 0
        logger.info("%s: %d of %d targets have properties", self.path, int(matched.sum()),
                    len(rows))
        out = {}
        for name, values in self.columns.items():
            col = np.full(len(rows), np.nan, dtype=np.float32)
            col[matched] = values[rows[matched]]
            out[name] = col
        return out


def _derive(raw: dict[str, np.ndarray], keep: np.ndarray) -> dict[str, np.ndarray]:
    """The four output columns for the kept rows (NaN where missing or non-physical)."""
    n = int(keep.sum())
    nan = np.full(n, np.nan)
    logm = raw["PROVABGS_LOGMSTAR_BF"][keep]
    z_mw = raw["Z_MW"][keep] if "Z_MW" in raw else nan
    t_age = raw["TAGE_MW"][keep] if "TAGE_MW" in raw else nan
    sfr = raw["AVG_SFR"][keep] if "AVG_SFR" in raw else nan
    with np.errstate(invalid="ignore", divide="ignore"):
        good_z = np.isfinite(z_mw) & (z_mw > 0)
        good_t = np.isfinite(t_age) & (t_age > 0)
        good_sfr = np.isfinite(sfr) & (sfr > 0)
        log_z = np.where(good_z, np.log10(np.where(good_z, z_mw, 1.0)), np.nan)
        log_ssfr = np.where(good_sfr, np.log10(np.where(good_sfr, sfr, 1.0)) - logm, np.nan)
    return {
        "log_mstar": logm.astype(np.float32),
        "log_z_mw": log_z.astype(np.float32),
        "t_age": np.where(good_t, t_age, np.nan).astype(np.float32),
        "log_ssfr": log_ssfr.astype(np.float32),
    }


def _read_columns(path: Path) -> dict[str, np.ndarray]:
    """The required and optional 1-D columns of the table, as float64 / int64 arrays."""
    with reading(path, expected="a PROVABGS property table (astropy-readable HDF5 or FITS)"):
        table = _load_table(path)
        names = set(table)
        missing = [c for c in REQUIRED_COLUMNS if c not in names]
        if missing:
            raise DataFormatError(
                path, f"property table lacks column(s) {', '.join(missing)}; expected "
                f"{', '.join(REQUIRED_COLUMNS)} (found {', '.join(sorted(names)[:20])})",
                missing[0],
            )
        out: dict[str, np.ndarray] = {}
        for name in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS):
            if name not in names:
                continue
            col = np.ma.asarray(table[name])
            if col.ndim != 1:
                raise DataFormatError(path, f"column must be 1-D, got shape {col.shape}", name)
            if name == "TARGETID":
                if not np.issubdtype(col.dtype, np.integer):
                    raise DataFormatError(path, f"TARGETID must be integer, got {col.dtype}",
                                          name)
                out[name] = np.ma.filled(col, -1).astype(np.int64)
            else:
                out[name] = np.ma.filled(col.astype(np.float64), np.nan)
        return out


def _load_table(path: Path) -> dict[str, np.ndarray]:
    """All columns by name: one HDF5 dataset per column, a single plain compound table (what
    astropy writes, read with h5py alone: importing astropy costs ~0.4 s), or astropy's reader."""
    if h5py.is_hdf5(path):
        with h5py.File(path, "r") as f:
            item = f.get("TARGETID")
            if isinstance(item, h5py.Dataset) and item.dtype.names is None:
                return {name: obj[()] for name, obj in f.items() if isinstance(obj, h5py.Dataset)}
            compound = _plain_compound_table(f)
            if compound is not None:
                return compound
    from astropy.table import Table

    table = Table.read(path)
    return {name: table[name] for name in table.colnames}


def _plain_compound_table(f: h5py.File) -> dict[str, np.ndarray] | None:
    """The columns of the file's only top-level compound dataset with a TARGETID field, unless
    it carries astropy masks (`<name>.mask` fields), which only astropy's reader applies."""
    tables = [obj for obj in f.values() if isinstance(obj, h5py.Dataset)
              and obj.dtype.names is not None and "TARGETID" in obj.dtype.names]
    if len(tables) != 1 or tables[0].ndim != 1 or \
            any(name.endswith(".mask") for name in tables[0].dtype.names):
        return None
    data = tables[0][()]
    return {name: data[name] for name in data.dtype.names}
