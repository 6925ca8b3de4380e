"""Realism checks of a mock survey: colours, breaks and lines where the redshift puts them,
line strengths that track star formation, magnitudes and noise like the real surveys, and
redshift not trivially readable from the images. Used by `astroclip mock --check` and tests."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
from scipy.stats import spearmanr

from astroclip_engine.constants import WAVELENGTH
from astroclip_engine.data.mock_images import SKY_SIGMA_NMGY
from astroclip_engine.data.mock_physics import cosmology
from astroclip_engine.data.mock_realcheck import evaluate_against_realdata
from astroclip_engine.data.mock_results import CheckResult, format_results
from astroclip_engine.data.mock_sed import EMISSION_LINES
from astroclip_engine.errors import DataFormatError

__all__ = ["CheckResult", "check_mock_file", "evaluate_realism", "format_results"]

HALPHA = EMISSION_LINES["Halpha"]
REALDATA_ROWS = 20_000
"""Most mock rows searched by the real-data checks."""


def d4000_observed(spectra: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Narrow D4000 (f_nu ratio 4000-4100 / 3850-3950 rest) measured at redshift z."""
    fnu = spectra * WAVELENGTH[None, :] ** 2
    rest = WAVELENGTH[None, :] / (1 + z[:, None])
    red = ((rest >= 4000) & (rest <= 4100))
    blue = ((rest >= 3850) & (rest <= 3950))
    red_mean = (fnu * red).sum(1) / np.maximum(red.sum(1), 1)
    blue_mean = (fnu * blue).sum(1) / np.maximum(blue.sum(1), 1)
    return red_mean / np.where(np.abs(blue_mean) > 0, blue_mean, np.nan)


def line_flux(spectra: np.ndarray, z: np.ndarray, rest_wave: float,
              half_width: float = 8.0) -> np.ndarray:
    """Continuum-subtracted flux (1e-17 erg/s/cm2) in +-half_width A (rest) around a line."""
    rest = WAVELENGTH[None, :] / (1 + z[:, None])
    core = np.abs(rest - rest_wave) < half_width
    side = (np.abs(rest - rest_wave) > 30) & (np.abs(rest - rest_wave) < 60)
    cont = np.nanmedian(np.where(side, spectra, np.nan), axis=1)
    step = WAVELENGTH[1] - WAVELENGTH[0]
    return ((spectra - cont[:, None]) * core).sum(1) * step


def _aperture_mags(images: np.ndarray, radius: float = 8.0) -> np.ndarray:
    size = images.shape[-1]
    yy, xx = np.mgrid[0:size, 0:size]
    aperture = np.hypot(xx - size / 2, yy - size / 2) < radius
    flux = (images * aperture).sum(axis=(2, 3))
    return 22.5 - 2.5 * np.log10(np.maximum(flux, 1e-3))


def _border_sigma(images: np.ndarray) -> np.ndarray:
    """Per-band robust pixel noise (MAD about the median) over the cutout borders."""
    edge = np.concatenate([images[:, :, :12, :], images[:, :, -12:, :]], axis=2)
    pixels = edge.transpose(1, 0, 2, 3).reshape(3, -1)
    mad = np.median(np.abs(pixels - np.median(pixels, axis=1, keepdims=True)), axis=1)
    return 1.4826 * mad


def _linear_r2(features: np.ndarray, target: np.ndarray) -> float:
    design = np.column_stack([np.ones(len(target)), features, features**2])
    coef, *_ = np.linalg.lstsq(design, target, rcond=None)
    resid = target - design @ coef
    return float(1 - resid.var() / target.var())


def evaluate_realism(spectra: np.ndarray, images: np.ndarray,
                     props: dict[str, np.ndarray]) -> list[CheckResult]:
    """Run every realism check on arrays (images (n, 3, S, S), spectra (n, 7781))."""
    z = np.asarray(props["Z_HP"], dtype=float)
    quiescent = np.asarray(props["QUIESCENT"], dtype=bool)
    mag_r = np.asarray(props["MAG_R"])
    g_r = np.asarray(props["MAG_G"]) - mag_r
    good = np.any(spectra != 0, axis=1)
    results = []

    def add(name: str, value: float, expectation: str, passed: bool) -> None:
        results.append(CheckResult(name, float(value), expectation, bool(passed)))

    add("fraction with r < 20", np.mean(mag_r < 20.0), ">= 0.75", np.mean(mag_r < 20.0) >= 0.75)
    add("median r magnitude", np.median(mag_r), "17.5 - 19.8", 17.5 <= np.median(mag_r) <= 19.8)
    add("median redshift", np.median(z), "0.14 - 0.26", 0.14 <= np.median(z) <= 0.26)
    rho = spearmanr(z, g_r).statistic
    add("g-r vs redshift (Spearman)", rho, "> 0.3", rho > 0.3)
    if quiescent.any() and (~quiescent).any():
        delta = np.median(g_r[quiescent]) - np.median(g_r[~quiescent])
        add("g-r quiescent - star-forming", delta, "> 0.3 mag", delta > 0.3)
        d_true = d4000_observed(spectra[good], z[good])
        q = quiescent[good]
        dq, dsf = np.nanmedian(d_true[q]), np.nanmedian(d_true[~q])
        add("D4000 quiescent - star-forming", dq - dsf, "> 0.2", dq - dsf > 0.2)
        d_wrong = d4000_observed(spectra[good], z[good] + 0.05)
        shift = np.nanmedian(d_true[q]) - np.nanmedian(d_wrong[q])
        add("D4000 at true z - at z+0.05 (quiescent)", shift, "> 0.15", shift > 0.15)
    d_l = cosmology().interp(cosmology().lum_dist_cm, z)
    low = good & (z < 0.4)
    if low.sum() >= 5:
        l_ha = line_flux(spectra[low], z[low], HALPHA) * d_l[low] ** 2 / props["FIBER_FRAC"][low]
        rho = spearmanr(l_ha, props["SFR_INST"][low]).statistic
        add("H-alpha luminosity vs SFR (Spearman)", rho, "> 0.5", rho > 0.5)
        offset = _halpha_offset(spectra[low], z[low], l_ha)
        add("H-alpha peak offset from 6563(1+z) [A]", offset, "< 2 A", offset < 2.0)
    sky = _border_sigma(images) / SKY_SIGMA_NMGY
    add("image sky noise / DR9 depth (worst band)", np.max(np.abs(np.log(sky))), "< ln 1.5",
        np.max(np.abs(np.log(sky))) < np.log(1.5))
    sig = _spectrum_sigma(spectra[good])
    add("median spectrum noise 5000-5500 A", np.median(sig), "0.2 - 1.5",
        0.2 <= np.median(sig) <= 1.5)
    mags = _aperture_mags(images)
    features = np.column_stack([mags[:, 0] - mags[:, 1], mags[:, 1] - mags[:, 2], mags[:, 1]])
    r2 = _linear_r2(features, z)
    add("redshift R2 from image colours (quadratic fit)", r2, "< 0.9 (not trivial)", r2 < 0.9)
    return results


def _halpha_offset(spectra: np.ndarray, z: np.ndarray, l_ha: np.ndarray) -> float:
    """Median |peak - expected| in Angstrom for the strongest H-alpha emitters."""
    strong = np.argsort(l_ha)[-max(3, len(l_ha) // 4):]
    offsets = []
    for i in strong:
        expected = HALPHA * (1 + z[i])
        window = np.abs(WAVELENGTH - expected) < 20
        offsets.append(abs(WAVELENGTH[window][np.argmax(spectra[i, window])] - expected))
    return float(np.median(offsets))


def _spectrum_sigma(spectra: np.ndarray) -> np.ndarray:
    window = (WAVELENGTH > 5000) & (WAVELENGTH < 5500)
    diff = np.diff(spectra[:, window], axis=1)
    return 1.4826 * np.median(np.abs(diff - np.median(diff, 1, keepdims=True)), 1) / np.sqrt(2)


def check_mock_file(path: str | Path, max_rows: int = 2000,
                    realdata: Path | None = None) -> list[CheckResult]:
    """Run the realism checks on the first rows of a mock file and its property table, and
    the real-data checks (mock_realcheck, on up to 20,000 rows) when `realdata` is given."""
    from astropy.table import Table

    from astroclip_engine.data.mock import mock_properties_path

    path = Path(path)
    props_path = mock_properties_path(path)
    if not props_path.exists():
        raise DataFormatError(props_path, "property table of the mock not found")
    table = Table.read(props_path, path="provabgs")
    with h5py.File(path, "r") as handle:
        if "0" not in handle:
            raise DataFormatError(path, "no release group", "0")
        group = handle["0"]
        total = group["targetids"].shape[0]
        rows = min(max_rows, total)
        spectrum_rows = min(total, REALDATA_ROWS) if realdata is not None else rows
        ids = group["targetids"][:spectrum_rows]
        spectra = group["spectra"][:spectrum_rows, :, 0]
        images = np.transpose(group["images"][:rows], (0, 3, 2, 1))
    index = {int(t): i for i, t in enumerate(table["TARGETID"])}
    order = [index[int(t)] for t in ids]
    props = {name: np.asarray(table[name])[order] for name in table.colnames}
    first = {name: values[:rows] for name, values in props.items()}
    results = evaluate_realism(spectra[:rows], images, first)
    if realdata is not None:
        results += evaluate_against_realdata(spectra, props, realdata)
    return results
