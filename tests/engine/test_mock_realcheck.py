"""The real-data checks of `astroclip mock --check` on a small mock: they pass on the mock and
fail when the mock is wrong (shuffled redshifts, shifted colours), and are skipped cleanly
without the real data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from astroclip_engine.data.mock import MockBlock, generate_block
from astroclip_engine.data.mock_lines import bpt_star_forming, kauffmann_demarcation
from astroclip_engine.data.mock_realcheck import (
    colour_checks,
    ew_checks,
    image_checks,
    spectrum_redshift_checks,
)
from astroclip_engine.data.realdata_queries import find_realdata, lrg_stack_queries
from astroclip_engine.errors import DataFormatError

N_BLOCKS = 40  # 2,560 galaxies, images kept tiny: only spectra and properties are checked


@pytest.fixture(scope="module")
def small() -> tuple[np.ndarray, dict[str, np.ndarray]]:
    blocks: list[MockBlock] = [generate_block(seed=3, block=b, count=64, image_size=16)
                               for b in range(N_BLOCKS)]
    props = {k: np.concatenate([b.properties()[k] for b in blocks])
             for k in blocks[0].properties()}
    return np.concatenate([b.spectra for b in blocks]), props


def test_real_lrg_spectra_find_their_redshift_and_shuffling_breaks_it(realdata: Path,
                                                                      small) -> None:
    spectra, props = small
    z = props["Z_HP"]
    results = spectrum_redshift_checks(spectra, z, realdata)
    lrg = [r for r in results if "LRG" in r.name]
    assert len(lrg) == 2 and all(r.passed for r in lrg), lrg
    shuffled = spectrum_redshift_checks(spectra, np.random.default_rng(0).permutation(z),
                                        realdata)
    assert not any(r.passed for r in shuffled if "LRG" in r.name)


def test_redshifted_stack_is_on_the_grid_with_noise(realdata: Path) -> None:
    q = lrg_stack_queries(realdata, np.array([0.05, 0.5]))
    assert q.flux.shape == (2, 7781)
    assert q.mask[0, -1] and not q.mask[1, -1]  # z=0.05 stops at 6974 A * 1.05 = 7323 A
    assert np.std(np.diff(q.flux[1][~q.mask[1]])) > 0  # DESI-like noise was added


def test_colour_check_passes_and_catches_a_shift(realdata: Path, small) -> None:
    _, props = small
    assert all(r.passed for r in colour_checks(props, realdata))
    redder = dict(props, MAG_SDSS_G=props["MAG_SDSS_G"] + 0.3)
    assert not any(r.passed for r in colour_checks(redder, realdata))


def test_line_checks_and_bpt_locus(small) -> None:
    _, props = small
    results = ew_checks(props)
    assert all(r.passed for r in results), results
    sf = ~props["QUIESCENT"] & (props["HALPHA_EW"] > 10)
    n2, o3 = props["LOG_NII_HA"][sf], props["LOG_OIII_HB"][sf]
    assert np.mean(o3 < kauffmann_demarcation(n2)) > 0.85  # composites: DIG / evolved stars
    assert abs(np.median(o3 - bpt_star_forming(n2))) < 0.15
    # dust reddens the Balmer decrement above Case B (2.86)
    assert np.median(props["BALMER_DECREMENT"][sf]) > 3.2
    no_lines = dict(props, HALPHA_EW=np.zeros_like(props["HALPHA_EW"]))
    assert not all(r.passed for r in ew_checks(no_lines))


def test_image_sizes_and_colours_against_dr9(realdata: Path, small) -> None:
    _, props = small
    assert all(r.passed for r in image_checks(props, realdata))
    bigger = dict(props, REFF_ARCSEC=props["REFF_ARCSEC"] * 3)
    assert not all(r.passed for r in image_checks(bigger, realdata))


def test_missing_realdata_folder(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="does not exist"):
        find_realdata(tmp_path / "nowhere")


def test_cli_check_skips_real_rows_without_real_data(tmp_path: Path, monkeypatch,
                                                     capsys: pytest.CaptureFixture) -> None:
    import astroclip_engine.data.realdata_queries as queries
    from astroclip_engine.cli import main

    monkeypatch.setattr(queries, "find_realdata", lambda explicit=None: None)
    main(["mock", str(tmp_path / "m.h5"), "--n", "20", "--size", "24", "--check"])
    printed = capsys.readouterr().out
    assert "real-data checks were skipped" in printed and "DESI LRG" not in printed
