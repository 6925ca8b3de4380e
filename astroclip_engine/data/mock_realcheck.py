"""Checks of a mock against real data (`astroclip mock --check`, docs/mock.md): real DESI
spectra must find their redshift among the mock's spectra, the mock's g-r versus redshift must
follow real SDSS galaxies, H-alpha equivalent widths are printed next to published values, and
image sizes and colours are compared with the desitarget DR9 mixtures of real BGS targets."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from astroclip_engine.data.mock_results import CheckResult
from astroclip_engine.data.realdata_queries import (
    bgs_query,
    dr9_gmm_sample,
    lrg_stack_queries,
    lrg_template_queries,
    sdss_colours,
)
from astroclip_engine.data.spectrum_match import nearest_redshifts

QUERY_REDSHIFTS = np.linspace(0.05, 0.5, 10)
MAX_MEDIAN_DZ = 0.02
MAX_COLOUR_OFFSET = 0.1
SDSS_MAIN_LIMIT = 17.77
"""SDSS main-sample Petrosian r limit, applied to the mock before comparing colours."""
COLOUR_BINS = np.array([0.02, 0.05, 0.08, 0.11, 0.14, 0.18, 0.25])
EW_REFERENCE = {
    # H-alpha rest EW (A). Quantiles are approximate readings of the SDSS main-sample
    # distribution (bimodal: retired galaxies near 1 A, star-forming ones near 20-40 A; Cid
    # Fernandes et al. 2011, Stasinska et al. 2015); the >100 A tail is "a few per cent".
    "fraction EW(Ha) < 3 A (retired/passive)": (0.3, 0.65),
    "median EW(Ha) of galaxies with EW > 3 A": (10.0, 40.0),
    "fraction EW(Ha) > 100 A (starbursts)": (0.005, 0.06),
}


def spectrum_redshift_checks(spectra: np.ndarray, z: np.ndarray,
                             realdata: Path) -> list[CheckResult]:
    """Median |dz| of the nearest mock spectrum for real LRG / BGS spectra (one row each)."""
    results = []
    for queries in (lrg_stack_queries(realdata, QUERY_REDSHIFTS),
                    lrg_template_queries(realdata, QUERY_REDSHIFTS), bgs_query(realdata)):
        predicted, _ = nearest_redshifts(queries.flux, queries.mask, spectra, z)
        dz = float(np.median(np.abs(predicted - queries.redshift)))
        results.append(CheckResult(
            f"{queries.name}: nearest mock spectrum, median abs(dz) ({len(predicted)} at z="
            f"{queries.redshift.min():.2f}-{queries.redshift.max():.2f})", dz,
            f"<= {MAX_MEDIAN_DZ}", dz <= MAX_MEDIAN_DZ))
    return results


def colour_checks(props: dict[str, np.ndarray], realdata: Path) -> list[CheckResult]:
    """g-r (SDSS filters) medians in redshift bins against 10,000 real SDSS galaxies."""
    z_real, gr_real, r_real = sdss_colours(realdata)
    z = np.asarray(props["Z_HP"])
    gr = np.asarray(props["MAG_SDSS_G"]) - np.asarray(props["MAG_SDSS_R"])
    bright = np.asarray(props["MAG_SDSS_R"]) < SDSS_MAIN_LIMIT
    real_ok = r_real < SDSS_MAIN_LIMIT
    offsets = []
    for lo, hi in itertools.pairwise(COLOUR_BINS):
        ours = bright & (z >= lo) & (z < hi)
        theirs = real_ok & (z_real >= lo) & (z_real < hi)
        if ours.sum() >= 20 and theirs.sum() >= 20:
            offsets.append(np.median(gr[ours]) - np.median(gr_real[theirs]))
    if not offsets:
        return [CheckResult("g-r vs z: too few mock galaxies with r < 17.77", float("nan"),
                            ">= 20 per bin", False)]
    worst = float(np.max(np.abs(offsets)))
    return [CheckResult(f"g-r median vs real SDSS, worst of {len(offsets)} z bins (r<17.77)",
                        worst, f"<= {MAX_COLOUR_OFFSET} mag", worst <= MAX_COLOUR_OFFSET)]


def ew_checks(props: dict[str, np.ndarray]) -> list[CheckResult]:
    """H-alpha rest-frame EW distribution against published SDSS/BGS values."""
    ew = np.asarray(props["HALPHA_EW"])
    values = {
        "fraction EW(Ha) < 3 A (retired/passive)": np.mean(ew < 3),
        "median EW(Ha) of galaxies with EW > 3 A": np.median(ew[ew > 3]) if (ew > 3).any()
        else np.nan,
        "fraction EW(Ha) > 100 A (starbursts)": np.mean(ew > 100),
    }
    results = []
    for name, value in values.items():
        lo, hi = EW_REFERENCE[name]
        results.append(CheckResult(name, float(value), f"{lo:g} - {hi:g} (SDSS)",
                                   lo <= value <= hi))
    p = np.percentile(ew, [10, 50, 90, 99])
    results.append(CheckResult(
        f"EW(Ha) percentiles 10/50/90/99: {p[0]:.1f} / {p[1]:.1f} / {p[2]:.0f} / {p[3]:.0f} A",
        float(p[1]), "real BGS galaxy: 241 A", True))
    return results


def image_checks(props: dict[str, np.ndarray], realdata: Path) -> list[CheckResult]:
    """Median half-light radius and r-z colour against DR9 BGS targets (desitarget GMMs)."""
    real = dr9_gmm_sample(realdata, "bgs", 6000)
    r_mag = np.asarray(props["MAG_R"])
    ours = r_mag < 19.5
    real_ok = real["r"] < 19.5
    real_reff = 10.0 ** real["reff"][real_ok]  # the mixtures model log10 r_eff (arcsec)
    size = float(np.median(props["REFF_ARCSEC"][ours]) / np.median(real_reff))
    rz = float(np.median((props["MAG_R"] - props["MAG_Z"])[ours]) - np.median(real["rz"][real_ok]))
    gr = float(np.median((props["MAG_G"] - props["MAG_R"])[ours]) - np.median(real["gr"][real_ok]))
    return [
        CheckResult("median r_eff / DR9 BGS (r<19.5, extended)", size, "0.67 - 1.5",
                    0.67 <= size <= 1.5),
        CheckResult("median r-z minus DR9 BGS [mag]", rz, "abs(x) <= 0.15", abs(rz) <= 0.15),
        CheckResult("median g-r minus DR9 BGS [mag]", gr, "abs(x) <= 0.15", abs(gr) <= 0.15),
    ]


def evaluate_against_realdata(spectra: np.ndarray, props: dict[str, np.ndarray],
                              realdata: Path) -> list[CheckResult]:
    """Every real-data check (spectra: the mock's noisy spectra, rows matching props)."""
    z = np.asarray(props["Z_HP"], dtype=float)
    return (spectrum_redshift_checks(spectra, z, realdata) + colour_checks(props, realdata)
            + ew_checks(props) + image_checks(props, realdata))
