"""Morphology of mock galaxies: a de Vaucouleurs bulge plus an exponential disk, the disk's
inclination, colour gradients (a redder, more compact bulge) and occasional mergers.

The label for a morphology task is MORPH_CLASS in the property table:
    0 smooth   bulge-dominated (r-band bulge fraction >= 0.5), no close companion
    1 disk     disk-dominated, seen at an inclination below ~70 degrees (disk axis ratio >= 0.35)
    2 edge-on  disk-dominated, disk axis ratio < 0.35
    3 merger   a companion of comparable brightness within ~3 half-light radii plus tidal light
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from astroclip_engine.data.mock_physics import GalaxyPhysics

MORPH_CLASSES: tuple[str, ...] = ("smooth", "disk", "edge-on", "merger")
"""Names of MORPH_CLASS values 0, 1, 2, 3."""
MERGER_RATE = 0.03
"""Fraction of galaxies with a major companion (more among starbursts: MERGER_RATE_BURST)."""
MERGER_RATE_BURST = 0.3
DISK_THICKNESS = 0.2
"""Intrinsic axis ratio of an edge-on disk."""
BULGE_COLOUR = np.array([0.8, 1.0, 1.15])
"""Bulge fraction in g, r, z relative to r: bulges are redder than their disks."""


@dataclass
class Morphology:
    """Structural parameters of a block of galaxies (arrays of length n)."""

    bulge_fraction: np.ndarray  # r-band B/T
    bulge_r_e: np.ndarray  # arcsec
    disk_r_e: np.ndarray  # arcsec
    bulge_axis_ratio: np.ndarray
    disk_axis_ratio: np.ndarray
    inclination_deg: np.ndarray
    companion_flux_ratio: np.ndarray  # 0 without a companion
    companion_offset: np.ndarray  # (n, 2) arcsec
    morph_class: np.ndarray  # int, see MORPH_CLASSES

    @property
    def effective_sersic_n(self) -> np.ndarray:
        """Sersic index of a single-profile fit, interpolated between disk (1) and bulge (4)."""
        return 1.0 + 3.0 * self.bulge_fraction**1.5

    @property
    def effective_axis_ratio(self) -> np.ndarray:
        b = self.bulge_fraction
        return b * self.bulge_axis_ratio + (1 - b) * self.disk_axis_ratio

    def band_bulge_fraction(self) -> np.ndarray:
        """(n, 3) bulge fraction of the flux in g, r, z."""
        return np.clip(self.bulge_fraction[:, None] * BULGE_COLOUR[None, :], 0.0, 1.0)


def sample_morphology(rng: np.random.Generator, phys: GalaxyPhysics) -> Morphology:
    """Bulge fractions from star-formation state and mass, random disk orientations, mergers."""
    n = len(phys)
    dm = phys.log_mstar - 10.0
    bt_sf = np.clip(0.12 + 0.12 * dm + rng.normal(0.0, 0.1, n), 0.0, 0.6)
    bt = np.where(phys.quiescent, rng.beta(5.0, 2.0, n), bt_sf)
    cos_i = rng.uniform(0.0, 1.0, n)
    q_disk = np.sqrt(cos_i**2 * (1 - DISK_THICKNESS**2) + DISK_THICKNESS**2)
    q_bulge = np.clip(rng.normal(0.8, 0.12, n), 0.45, 1.0)
    rate = np.where(phys.starburst, MERGER_RATE_BURST, MERGER_RATE)
    merger = rng.uniform(size=n) < rate
    ratio = np.where(merger, rng.uniform(0.25, 1.0, n), 0.0)
    separation = np.maximum(rng.uniform(1.0, 3.0, n) * phys.r_e_arcsec, 1.5)
    angle = rng.uniform(0.0, 2 * np.pi, n)
    offset = np.stack([separation * np.cos(angle), separation * np.sin(angle)], axis=1)
    morph_class = np.where(bt >= 0.5, 0, np.where(q_disk < 0.35, 2, 1))
    return Morphology(
        bulge_fraction=bt, bulge_r_e=phys.r_e_arcsec * (0.45 + 0.55 * bt),
        disk_r_e=phys.r_e_arcsec * (1.0 + 0.6 * bt), bulge_axis_ratio=q_bulge,
        disk_axis_ratio=q_disk, inclination_deg=np.degrees(np.arccos(cos_i)),
        companion_flux_ratio=ratio, companion_offset=offset,
        morph_class=np.where(merger, 3, morph_class).astype(np.int8),
    )
