"""Find a galaxy by TARGETID or by sky position; Qt-free."""

from __future__ import annotations

import re

import numpy as np

from astroclip_engine.errors import StoreError

MAX_SEPARATION_ARCSEC = 5.0


def parse_query(text: str) -> tuple[str, tuple[float, ...]]:
    """'39633345008634465' -> ('targetid', (tid,)); '105.49 56.67' -> ('radec', (ra, dec))."""
    parts = [p for p in re.split(r"[\s,]+", text.strip()) if p]
    try:
        if len(parts) == 1:
            return "targetid", (int(parts[0]),)
        if len(parts) == 2:
            return "radec", (float(parts[0]), float(parts[1]))
    except ValueError:
        pass
    raise ValueError(f"{text!r}: enter a TARGETID (integer) or 'RA Dec' in degrees")


def nearest_on_sky(ra: np.ndarray, dec: np.ndarray, ra0: float, dec0: float) -> tuple[int, float]:
    """Index of the nearest object and its separation in arcsec (haversine)."""
    r1, d1, r0, d0 = map(np.radians, (ra, dec, ra0, dec0))
    h = np.sin((d1 - d0) / 2) ** 2 + np.cos(d0) * np.cos(d1) * np.sin((r1 - r0) / 2) ** 2
    separation = np.degrees(2 * np.arcsin(np.sqrt(np.clip(h, 0, 1)))) * 3600
    separation = np.where(np.isfinite(separation), separation, np.inf)
    index = int(np.argmin(separation))
    return index, float(separation[index])


def find_index(text: str, store, ra_dec: tuple[np.ndarray, np.ndarray] | None) -> int:
    """Store index of the galaxy a query names; StoreError if there is none."""
    kind, values = parse_query(text)
    if kind == "targetid":
        return store.index_of(int(values[0]))
    if ra_dec is None:
        raise StoreError(f"{store.path}: this store has no RA/Dec columns (properties 'ra' and "
                         "'dec'); search by TARGETID instead")
    index, separation = nearest_on_sky(ra_dec[0], ra_dec[1], *values)
    if separation > MAX_SEPARATION_ARCSEC:
        raise StoreError(f"no galaxy within {MAX_SEPARATION_ARCSEC}\" of RA {values[0]}, Dec "
                         f"{values[1]} (nearest is {separation:.1f}\" away)")
    return index
