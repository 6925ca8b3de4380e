"""Extra per-galaxy columns from the dataset's sidecar property table (`<stem>.provabgs.hdf5`,
written beside every mock): the g-r colour and the morphology class; Qt-free.

They join the store's own columns so the map can be coloured by them, the property panel
histograms them and the cluster names use them ("red", "smooth").
"""

from __future__ import annotations

import logging
from pathlib import Path

import h5py
import numpy as np

from astroclip_engine.data.mock import mock_properties_path
from astroclip_engine.data.mock_morphology import MORPH_CLASSES

log = logging.getLogger(__name__)

COLOUR_COLUMN = "g-r"
MORPHOLOGY_COLUMN = "morphology"


def catalogue_columns(dataset_path: Path | str | None,
                      targetids: np.ndarray) -> dict[str, np.ndarray]:
    """{"g-r": mag_g - mag_r, "morphology": class code (-1 unknown)} for the columns the
    sidecar table has; {} when there is no readable sidecar."""
    if dataset_path is None:
        return {}
    table = mock_properties_path(dataset_path)
    if not table.is_file():
        return {}
    try:
        with h5py.File(table, "r") as f:
            rows = f["provabgs"][:]
    except (OSError, KeyError) as exc:
        log.warning("%s: property table not read for extra columns (%s)", table, exc)
        return {}
    names = rows.dtype.names or ()
    if "TARGETID" not in names:
        return {}
    where = _lookup(rows["TARGETID"].astype(np.int64), np.asarray(targetids, dtype=np.int64))
    found = where >= 0
    out: dict[str, np.ndarray] = {}
    if "MAG_G" in names and "MAG_R" in names:
        colour = np.full(len(where), np.nan, dtype=np.float32)
        colour[found] = (rows["MAG_G"] - rows["MAG_R"])[where[found]]
        out[COLOUR_COLUMN] = colour
    if "MORPH_CLASS" in names:
        morph = np.full(len(where), -1.0, dtype=np.float32)
        morph[found] = rows["MORPH_CLASS"][where[found]]
        out[MORPHOLOGY_COLUMN] = morph
    return out


def morphology_names() -> tuple[str, ...]:
    return MORPH_CLASSES


def _lookup(table_ids: np.ndarray, targetids: np.ndarray) -> np.ndarray:
    """Row of each TARGETID in the table, -1 where absent (vectorised)."""
    order = np.argsort(table_ids, kind="stable")
    sorted_ids = table_ids[order]
    pos = np.clip(np.searchsorted(sorted_ids, targetids), 0, max(len(sorted_ids) - 1, 0))
    if not len(sorted_ids):
        return np.full(len(targetids), -1, dtype=np.int64)
    hit = sorted_ids[pos] == targetids
    return np.where(hit, order[pos], -1).astype(np.int64)
