"""Real reference data for the mock's validation (`astroclip mock --check`), read from a
`realdata` folder (by default `../shared/realdata` beside the clone or the working directory;
see docs/mock.md): real DESI spectra put on the AstroCLIP grid at known redshifts, real SDSS
colours and the desitarget DR9 Gaussian mixtures of Legacy Survey shapes and colours.

Nothing here is copied into the project; a missing folder means the real-data checks are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from astropy.io import fits

from astroclip_engine.constants import WAVELENGTH
from astroclip_engine.data.mock_spectra import DEPTH_MEDIAN, NOISE_SIGMA
from astroclip_engine.errors import DataFormatError, reading

LRG_STACK = "desi_spectra/stack-LRG.fits"
LRG_TEMPLATES = "templates/desi_basis_lrg_templates_v2.1-lite.fits"
BGS_COADD = "desi_spectra/coadd-4-80613-thru20210324.fits"
SDSS_CATALOGUE = "catalogs/kcorrect_gst_tests_small_sdss.fits"
DR9_GMM = "catalogs/desitarget_dr9_gmm"
QUERY_SNR = 5.0
"""Median per-pixel S/N (6000-7000 A observed) given to redshifted real spectra."""


@dataclass
class SpectrumQueries:
    """Real spectra on WAVELENGTH with their true redshifts; mask True = no data."""

    name: str
    flux: np.ndarray  # (m, 7781)
    mask: np.ndarray  # (m, 7781) bool
    redshift: np.ndarray  # (m,)


def find_realdata(explicit: str | Path | None = None) -> Path | None:
    """The realdata folder: `explicit` if given (must exist), else ../shared/realdata beside
    the working directory or beside this clone; None when neither exists."""
    if explicit is not None:
        path = Path(explicit)
        if not path.is_dir():
            raise DataFormatError(path, "the --realdata folder does not exist")
        return path
    clone = Path(__file__).resolve().parents[2]
    for base in (Path.cwd(), clone):
        candidate = base.parent / "shared" / "realdata"
        if candidate.is_dir():
            return candidate
    return None


def _redshift_rest_spectra(name: str, rest_wave: np.ndarray, rest_flux: np.ndarray,
                           redshift: np.ndarray, seed: int) -> SpectrumQueries:
    """Put rest-frame spectra (m, len(rest_wave)) at `redshift` on WAVELENGTH with DESI noise."""
    rng = np.random.default_rng(seed)
    flux = np.zeros((len(redshift), len(WAVELENGTH)))
    mask = np.ones_like(flux, dtype=bool)
    window = (WAVELENGTH > 6000) & (WAVELENGTH < 7000)
    sigma = DEPTH_MEDIAN * NOISE_SIGMA
    for i, (row, z) in enumerate(zip(rest_flux, redshift, strict=True)):
        rest = WAVELENGTH / (1 + z)
        inside = (rest > rest_wave[0]) & (rest < rest_wave[-1])
        clean = np.interp(rest, rest_wave, row)
        scale = QUERY_SNR * np.median(sigma[window]) / np.median(np.abs(clean[window & inside]))
        flux[i] = np.where(inside, clean * scale + sigma * rng.standard_normal(len(rest)), 0)
        mask[i] = ~inside
    return SpectrumQueries(name, flux, mask, np.asarray(redshift, dtype=float))


def lrg_stack_queries(realdata: Path, redshifts: np.ndarray) -> SpectrumQueries:
    """The DESI LRG stack (rest frame) redshifted to each of `redshifts`."""
    path = realdata / LRG_STACK
    with reading(path, expected="the fastspecfit LRG stack"), fits.open(path) as hdul:
        wave = np.asarray(hdul["WAVE"].data, dtype=float)
        flux = np.asarray(hdul["FLUX"].data, dtype=float)[0]
    return _redshift_rest_spectra("DESI LRG stack", wave, np.repeat(flux[None], len(redshifts),
                                                                     0), redshifts, seed=1)


def lrg_template_queries(realdata: Path, redshifts: np.ndarray) -> SpectrumQueries:
    """Evenly chosen DESI LRG basis templates, template i redshifted to redshifts[i]."""
    path = realdata / LRG_TEMPLATES
    with reading(path, expected="the DESI LRG basis templates"), fits.open(path) as hdul:
        flux = np.asarray(hdul["FLUX"].data, dtype=float)
        wave = np.asarray(hdul["WAVE"].data, dtype=float)
    rows = np.linspace(0, len(flux) - 1, len(redshifts)).astype(int)
    return _redshift_rest_spectra("DESI LRG templates", wave, flux[rows], redshifts, seed=2)


def bgs_query(realdata: Path) -> SpectrumQueries:
    """The real DESI BGS coadd (fastspecfit test galaxy) with its Redrock redshift."""
    from astroclip_engine.data.desi_fits import read_desi_coadd

    sample = read_desi_coadd(realdata / BGS_COADD)[0]
    return SpectrumQueries("DESI BGS galaxy", sample.spectrum[None].astype(float),
                           np.asarray(sample.mask, dtype=bool)[None],
                           np.array([sample.redshift]))


def sdss_colours(realdata: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(z, g-r, r) of the 10,000 real SDSS galaxies (model magnitudes, dereddened)."""
    path = realdata / SDSS_CATALOGUE
    with reading(path, expected="the kcorrect SDSS test catalogue"), fits.open(path) as hdul:
        data = hdul[1].data
        flux = np.asarray(data["MODELFLUX"], dtype=float)
        ext = np.asarray(data["EXTINCTION"], dtype=float)
        z = np.asarray(data["Z"], dtype=float)
    good = (flux[:, 1] > 0) & (flux[:, 2] > 0)
    mags = 22.5 - 2.5 * np.log10(np.where(flux > 0, flux, np.nan)) - ext
    return z[good], (mags[:, 1] - mags[:, 2])[good], mags[good, 2]


def dr9_gmm_sample(realdata: Path, target_class: str, n: int, seed: int = 0,
                   morphologies: tuple[str, ...] = ("dev", "exp", "ser"),
                   ) -> dict[str, np.ndarray]:
    """Draw about n sources from the desitarget DR9 Gaussian mixtures of a class (bgs, lrg,
    ...) of the given (extended) morphologies, mixed by their mean fractions
    (fractype_<class>.fits) over r < 19.5; returns columns by name (plus "morph")."""
    folder = realdata / DR9_GMM
    rng = np.random.default_rng(seed)
    fractions = _morphology_fractions(folder / f"fractype_{target_class}.fits")
    parts = []
    for path in sorted(folder.glob(f"gmm_{target_class}_*.fits")):
        if path.stem.split("_")[-1] not in morphologies:
            continue
        with reading(path, expected="a desitarget Gaussian mixture"), fits.open(path) as hdul:
            header = hdul[0].header
            names = [header[f"COL{i:02d}"] for i in range(len(hdul["MEANS"].data[0]))]
            weights = np.asarray(hdul["WEIGHTS"].data, dtype=float)
            means = np.asarray(hdul["MEANS"].data, dtype=float)
            covars = np.asarray(hdul["COVARS"].data, dtype=float)
        parts.append((path.stem.split("_")[-1], names, weights, means, covars))
    if not parts:
        raise DataFormatError(folder, f"no gmm_{target_class}_*.fits mixtures found")
    out: dict[str, list[np.ndarray]] = {}
    total = sum(fractions.get(p[0], 0.0) for p in parts)
    for morph, names, weights, means, covars in parts:
        count = round(n * fractions.get(morph, 0.0) / total) if total > 0 else n // len(parts)
        comp = rng.choice(len(weights), size=count, p=weights / weights.sum())
        draws = np.array([rng.multivariate_normal(means[c], covars[c]) for c in comp]
                         ).reshape(count, len(names))
        for j, name in enumerate(names):
            out.setdefault(name.lower(), []).append(draws[:, j])
        out.setdefault("morph", []).append(np.full(len(comp), morph))
    return {k: np.concatenate(v) for k, v in out.items()}


def _morphology_fractions(path: Path, faint_limit: float = 19.5) -> dict[str, float]:
    """Mean fraction of each morphology (lower-case) over the magnitude bins below the limit."""
    if not path.is_file():
        return {}
    with reading(path, expected="a desitarget morphology-fraction table"), fits.open(path) as h:
        data = h[1].data
        rows = np.asarray(data["MAG"]) < faint_limit
        return {name.lower(): float(np.mean(data[name][rows]))
                for name in data.columns.names if name != "MAG"}
