"""Survey constants shared by every module (docs/formats.md, docs/architecture.md)."""

from __future__ import annotations

import numpy as np

BANDS: tuple[str, ...] = ("g", "r", "z")
"""Legacy Survey bands, in the order the AstroCLIP release stores them."""

IMAGE_SIZE = 152
"""Side of an AstroCLIP image cutout in pixels."""

PIXEL_SCALE_ARCSEC = 0.262
"""Legacy Survey DR9 pixel scale."""

N_SPECTRUM_BINS = 7781
WAVELENGTH_MIN = 3600.0
WAVELENGTH_MAX = 9824.0
WAVELENGTH: np.ndarray = np.linspace(WAVELENGTH_MIN, WAVELENGTH_MAX, N_SPECTRUM_BINS)
"""The DESI coadd grid of the AstroCLIP release in Angstrom (0.8 A steps), never stored in files."""
WAVELENGTH.setflags(write=False)

REDSHIFT_RANGE: tuple[float, float] = (0.0, 0.8)
"""Redshifts outside this range are dropped from training, as in the reference code."""

TRAIN_FRACTION = 0.8
"""The first 80 % of every release group is train, the rest test."""

PROPERTY_NAMES: tuple[str, ...] = ("redshift", "log_mstar", "log_z_mw", "t_age", "log_ssfr")
"""Downstream targets of the paper, with the names used in embeddings stores and reports."""
