"""Nebular emission of mock galaxies: line luminosities from the star-formation rate, line
ratios on the star-forming BPT locus, a Balmer decrement from dust, and the weak LINER-like
emission of evolved stars that every galaxy has (what makes "retired" galaxies' lines).

Star formation (H II regions):
- L(H-alpha) = 1.86e41 erg/s per Msun/yr of the SFR averaged over the last 10 Myr
  (Kennicutt & Evans 2012, Kroupa IMF), with 0.15 dex scatter.
- gas-phase 12 + log(O/H) = 8.69 + [Z/Z_sun] + scatter; [NII]6584/H-alpha from the
  Pettini & Pagel (2004) N2 calibration; [OIII]5007/H-beta 0.3 dex below the Kauffmann et al.
  (2003) demarcation at that N2 (the star-forming ridge); [OII]3726,3729/H-beta falling at
  high metallicity; doublet ratios of low-density gas ([OII] 3729/3726 ~ 1.4,
  [SII] 6716/6731 ~ 1.4); Case B Balmer ratios (H-alpha/H-beta = 2.86).
- dust: the gas sees A_V(gas) = A_V(stars) / 0.44 through the Calzetti curve (Calzetti 2000),
  so the observed Balmer decrement grows with the stars' attenuation.
Evolved stars: EW(H-alpha) ~ 0.4-1 A with [NII]/H-alpha ~ 1.3 and [OIII]/H-beta ~ 1.5
(Cid Fernandes et al. 2011), scaled to the continuum at 6563 A.
"""

from __future__ import annotations

import numpy as np

EMISSION_LINES = {
    "OII_3726": 3727.09, "OII_3729": 3729.88, "NeIII_3869": 3869.86, "Hdelta": 4102.89,
    "Hgamma": 4341.68, "Hbeta": 4862.68, "OIII_4959": 4960.30, "OIII_5007": 5008.24,
    "OI_6300": 6302.05, "NII_6548": 6549.86, "Halpha": 6564.61, "NII_6584": 6585.27,
    "SII_6717": 6718.29, "SII_6731": 6732.67,
}
"""Nebular lines (vacuum rest wavelengths, Angstrom)."""
LINE_WAVE = np.array(list(EMISSION_LINES.values()))
LINE_INDEX = {name: i for i, name in enumerate(EMISSION_LINES)}

HALPHA_PER_SFR = 1.86e41
"""erg/s of H-alpha per Msun/yr (Kennicutt & Evans 2012, Kroupa IMF)."""
CASE_B_HA_HB = 2.86
_BALMER_TO_HB = {"Hdelta": 0.259, "Hgamma": 0.468, "Hbeta": 1.0, "Halpha": CASE_B_HA_HB}
SOLAR_OH = 8.69


def bpt_star_forming(n2: np.ndarray) -> np.ndarray:
    """log [OIII]5007/H-beta of the star-forming ridge at log [NII]6584/H-alpha = n2."""
    return 0.61 / (np.minimum(n2, -0.15) - 0.05) + 1.3 - 0.3


def kauffmann_demarcation(n2: np.ndarray) -> np.ndarray:
    """Kauffmann et al. (2003): star-forming galaxies lie below this curve (n2 < 0.05)."""
    return 0.61 / (n2 - 0.05) + 1.3


def star_forming_ratios(rng: np.random.Generator, log_z_sun: np.ndarray) -> np.ndarray:
    """Intrinsic line luminosities relative to H-alpha (n, n_lines) for H II regions."""
    n = len(log_z_sun)
    oh = SOLAR_OH + log_z_sun + rng.normal(0.0, 0.08, n)
    n2 = np.clip((oh - 8.90) / 0.57 + rng.normal(0.0, 0.06, n), -2.0, -0.35)
    o3 = bpt_star_forming(n2) + rng.normal(0.0, 0.08, n)
    o3 = np.minimum(o3, kauffmann_demarcation(n2) - 0.05)
    o2 = np.clip(0.5 - 1.2 * np.maximum(oh - 8.5, 0.0) - 0.4 * np.maximum(8.2 - oh, 0.0)
                 + rng.normal(0.0, 0.08, n), -0.4, 0.7)  # log ([OII] 3726+3729) / H-beta
    o2_ratio = np.clip(rng.normal(1.4, 0.08, n), 1.1, 1.5)  # 3729 / 3726
    s2 = 10 ** np.clip(-0.55 + rng.normal(0.0, 0.1, n), -1.0, -0.2)  # [SII] total / H-alpha
    s2_ratio = np.clip(rng.normal(1.4, 0.08, n), 1.1, 1.5)
    return _ratio_table(10**o2, o2_ratio, 10**o3, 10**n2, s2, s2_ratio, 0.03)


def evolved_star_ratios(n: int) -> np.ndarray:
    """LINER-like ratios of the ionisation by hot evolved stars (relative to H-alpha)."""
    ones = np.ones(n)
    return _ratio_table(3.0 * ones, 1.3 * ones, 1.5 * ones, 1.3 * ones, 0.9 * ones,
                        1.2 * ones, 0.25)


def _ratio_table(o2_hb: np.ndarray, o2_ratio: np.ndarray, o3_hb: np.ndarray,
                 n2_ha: np.ndarray, s2_ha: np.ndarray, s2_ratio: np.ndarray,
                 o1_ha: float) -> np.ndarray:
    hb = 1.0 / CASE_B_HA_HB
    table = np.zeros((len(o2_hb), len(LINE_WAVE)))
    table[:, LINE_INDEX["OII_3726"]] = o2_hb * hb / (1 + o2_ratio)
    table[:, LINE_INDEX["OII_3729"]] = o2_hb * hb * o2_ratio / (1 + o2_ratio)
    table[:, LINE_INDEX["NeIII_3869"]] = 0.08 * o3_hb * hb
    for name, ratio in _BALMER_TO_HB.items():
        table[:, LINE_INDEX[name]] = ratio * hb
    table[:, LINE_INDEX["OIII_5007"]] = o3_hb * hb
    table[:, LINE_INDEX["OIII_4959"]] = o3_hb * hb / 2.98
    table[:, LINE_INDEX["OI_6300"]] = o1_ha
    table[:, LINE_INDEX["NII_6584"]] = n2_ha
    table[:, LINE_INDEX["NII_6548"]] = n2_ha / 3.05
    table[:, LINE_INDEX["SII_6717"]] = s2_ha * s2_ratio / (1 + s2_ratio)
    table[:, LINE_INDEX["SII_6731"]] = s2_ha / (1 + s2_ratio)
    return table


def line_luminosities(rng: np.random.Generator, sfr_inst: np.ndarray, log_z_sun: np.ndarray,
                      a_v_stars: np.ndarray, continuum_6563: np.ndarray,
                      k_lines: np.ndarray) -> np.ndarray:
    """Attenuated line luminosities (n, n_lines) in erg/s.

    continuum_6563: the attenuated stellar continuum at H-alpha (erg/s/A) for the evolved-star
    emission; k_lines: the Calzetti k(lambda) at LINE_WAVE.
    """
    n = len(sfr_inst)
    l_ha = HALPHA_PER_SFR * sfr_inst * 10 ** rng.normal(0.0, 0.15, n)
    star_forming = l_ha[:, None] * star_forming_ratios(rng, log_z_sun)
    a_gas = np.minimum(a_v_stars / 0.44, 4.0)
    star_forming *= 10 ** (-0.4 * a_gas[:, None] * k_lines[None, :] / 4.05)
    ew_evolved = 10 ** rng.normal(np.log10(0.6), 0.2, n)
    evolved = (ew_evolved * continuum_6563)[:, None] * evolved_star_ratios(n)
    return star_forming + evolved
