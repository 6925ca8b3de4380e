"""The physically grounded mock survey (docs/architecture.md, Data): `generate_mock` writes a
file in the exact AstroCLIP release layout plus a PROVABGS-style property table beside it.

Galaxies are made in fixed blocks of BLOCK_SIZE, each with its own random streams derived from
(seed, block index), so the output depends only on (seed, n, image_size): not on the batch
size, the group size or how many galaxies come after. Memory stays bounded for any n.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from astroclip_engine.atomic import atomic_path
from astroclip_engine.constants import IMAGE_SIZE
from astroclip_engine.data.mock_images import render_cutouts
from astroclip_engine.data.mock_morphology import Morphology, sample_morphology
from astroclip_engine.data.mock_photometry import DECAM, SDSS_GR, band_fluxes, nmgy_to_mag
from astroclip_engine.data.mock_physics import GalaxyPhysics, sample_physics
from astroclip_engine.data.mock_sed import EMISSION_LINES, build_sed
from astroclip_engine.data.mock_spectra import (
    FIBRE_SEEING_FWHM,
    fibre_fraction,
    model_spectra,
    observe,
)
from astroclip_engine.data.release_writer import ReleaseWriter
from astroclip_engine.errors import DataFormatError
from astroclip_engine.jobs import CancelToken, Progress, Reporter, null_reporter

BLOCK_SIZE = 64
"""Galaxies per random-number block (the unit of determinism)."""
DEFAULT_GROUP_SIZE = 1_000_000
TARGETID_BASE = 39_627_000_000_000_000
"""Mock TARGETIDs look like DESI's (17 digits, positive, unique within a file)."""
JOB_NAME = "mock survey"


@dataclass
class MockBlock:
    """One block of generated galaxies (sky-orientation images, spectra, properties)."""

    images: np.ndarray  # (n, 3, S, S) float32 nanomaggies
    spectra: np.ndarray  # (n, 7781) float32, noisy
    model_spectra: np.ndarray  # (n, 7781) float32, noiseless (for realism checks)
    physics: GalaxyPhysics
    flux: np.ndarray  # (n, 3) total g, r, z nanomaggies
    fibre: np.ndarray  # (n,) fraction of the light in the fibre
    targetids: np.ndarray
    sdss_flux: np.ndarray  # (n, 2) SDSS g, r nanomaggies (for comparisons with SDSS)
    line_flux: np.ndarray  # (n, n_lines) observed line fluxes, 1e-17 erg/s/cm2
    halpha_ew: np.ndarray  # (n,) rest-frame H-alpha equivalent width, Angstrom
    morphology: Morphology

    def properties(self) -> dict[str, np.ndarray]:
        """Columns of the property table for these rows."""
        p = self.physics
        m = self.morphology
        mags = nmgy_to_mag(self.flux)
        sdss = nmgy_to_mag(self.sdss_flux)
        lines = {name: self.line_flux[:, i] for i, name in enumerate(EMISSION_LINES)}
        return {
            "TARGETID": self.targetids.astype(np.int64),
            "Z_HP": p.redshift.astype(np.float64),
            "PROVABGS_LOGMSTAR_BF": p.log_mstar.astype(np.float64),
            "Z_MW": p.z_mw.astype(np.float64),
            "TAGE_MW": p.tage_mw.astype(np.float64),
            "AVG_SFR": p.avg_sfr.astype(np.float64),
            "MAG_G": mags[:, 0], "MAG_R": mags[:, 1], "MAG_Z": mags[:, 2],
            "RA": p.ra, "DEC": p.dec,
            # extra truth columns (ignored by readers that only need the PROVABGS ones)
            "SFR_INST": p.sfr_inst, "AV": p.a_v, "REFF_ARCSEC": p.r_e_arcsec,
            "SERSIC_N": p.sersic_n, "AXIS_RATIO": p.axis_ratio,
            "QUIESCENT": p.quiescent.astype(bool), "FIBER_FRAC": self.fibre,
            "MAG_SDSS_G": sdss[:, 0], "MAG_SDSS_R": sdss[:, 1], "HALPHA_EW": self.halpha_ew,
            "LOG_OIII_HB": np.log10(lines["OIII_5007"] / lines["Hbeta"]),
            "LOG_NII_HA": np.log10(lines["NII_6584"] / lines["Halpha"]),
            "BALMER_DECREMENT": lines["Halpha"] / lines["Hbeta"],
            "BULGE_FRACTION": m.bulge_fraction, "INCLINATION": m.inclination_deg,
            "MORPH_CLASS": m.morph_class.astype(np.int16), "STARBURST": p.starburst.astype(bool),
        }


def mock_properties_path(out: str | Path) -> Path:
    """The property table written beside a mock: `<stem>.provabgs.hdf5`."""
    out = Path(out)
    return out.with_name(f"{out.stem}.provabgs.hdf5")


def generate_block(seed: int, block: int, count: int, image_size: int = IMAGE_SIZE) -> MockBlock:
    """Generate the first `count` galaxies of block number `block` (count <= BLOCK_SIZE)."""
    streams = [np.random.default_rng(s)
               for s in np.random.SeedSequence([seed, block]).spawn(5)]
    physics_rng, image_rng, spectrum_rng, line_rng, shape_rng = streams
    physics = sample_physics(physics_rng, BLOCK_SIZE)
    morphology = sample_morphology(shape_rng, physics)
    if count < BLOCK_SIZE:
        physics = GalaxyPhysics(**{k: v[:count] for k, v in vars(physics).items()})
        morphology = Morphology(**{k: v[:count] for k, v in vars(morphology).items()})
    physics.sersic_n = morphology.effective_sersic_n
    physics.axis_ratio = morphology.effective_axis_ratio
    sed = build_sed(physics, line_rng)
    all_flux = band_fluxes(sed, DECAM + SDSS_GR)  # one pass for DECam g, r, z and SDSS g, r
    flux, sdss_flux = all_flux[:, :3], all_flux[:, 3:]
    seeing = FIBRE_SEEING_FWHM * np.exp(spectrum_rng.normal(0.0, 0.15, count))
    fibre = fibre_fraction(physics.r_e_arcsec, physics.axis_ratio, seeing)
    model = model_spectra(sed, fibre)
    spectra = observe(spectrum_rng, model)
    images = render_cutouts(image_rng, flux, morphology, physics.position_angle, image_size)
    targetids = TARGETID_BASE + (seed % 100_000) * 10_000_000_000 + block * BLOCK_SIZE
    return MockBlock(images=images, spectra=spectra, model_spectra=model, physics=physics,
                     flux=flux, fibre=fibre, sdss_flux=sdss_flux, line_flux=sed.line_flux,
                     halpha_ew=sed.halpha_rest_ew(), morphology=morphology,
                     targetids=targetids + np.arange(count, dtype=np.int64))


def generate_mock(
    out_path: str | Path,
    n: int,
    seed: int = 0,
    image_size: int = IMAGE_SIZE,
    reporter: Reporter | None = None,
    cancel: CancelToken | None = None,
    group_size: int = DEFAULT_GROUP_SIZE,
) -> Path:
    """Write a mock survey of `n` galaxies to `out_path` (release layout) and its property
    table to `mock_properties_path(out_path)`. Both appear atomically; returns `out_path`."""
    out = Path(out_path)
    if n < 1:
        raise DataFormatError(out, f"n must be a positive number of galaxies, got {n}", "n")
    if image_size < 16:
        raise DataFormatError(out, f"image_size must be >= 16 pixels, got {image_size}",
                              "image_size")
    if group_size < 1:
        raise DataFormatError(out, f"group_size must be >= 1, got {group_size}", "group_size")
    report = reporter or null_reporter
    report(Progress(JOB_NAME, 0, n, "starting"))
    columns: dict[str, list[np.ndarray]] = {}
    with contextlib.ExitStack() as stack:
        tmp_release = stack.enter_context(atomic_path(out))
        tmp_props = stack.enter_context(atomic_path(mock_properties_path(out)))
        writer = stack.enter_context(ReleaseWriter(tmp_release, image_size=image_size))
        done = 0
        for block in range((n + BLOCK_SIZE - 1) // BLOCK_SIZE):
            if cancel is not None:
                cancel.raise_if_cancelled()
            count = min(BLOCK_SIZE, n - done)
            data = generate_block(seed, block, count, image_size)
            _write_rows(writer, data, done, group_size)
            for key, values in data.properties().items():
                columns.setdefault(key, []).append(values)
            done += count
            report(Progress(JOB_NAME, done, n, f"block {block + 1}"))
        writer.close()
        from astropy.table import Table

        table = Table({key: np.concatenate(parts) for key, parts in columns.items()})
        table.meta["comment"] = f"AstroCLIP Studio mock survey, seed={seed}, n={n}"
        table.write(tmp_props, path="provabgs", format="hdf5", serialize_meta=True,
                    overwrite=True)
    return out


def _write_rows(writer: ReleaseWriter, data: MockBlock, first_row: int, group_size: int) -> None:
    """Append a block, splitting it where it crosses a group boundary."""
    start = 0
    count = len(data.targetids)
    while start < count:
        row = first_row + start
        group = row // group_size
        stop = min(count, start + (group + 1) * group_size - row)
        sl = slice(start, stop)
        writer.append(str(group), data.images[sl], data.spectra[sl],
                      data.physics.redshift[sl], data.targetids[sl])
        start = stop
