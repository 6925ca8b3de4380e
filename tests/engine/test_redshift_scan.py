"""The Redrock-style redshift scan and the `redshift_scan` spectrum encoder built on it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from astroclip_engine.constants import WAVELENGTH
from astroclip_engine.data.mock_library import template_file
from astroclip_engine.data.realdata_queries import bgs_query, lrg_stack_queries
from astroclip_engine.data.transforms import prepare_spectra
from astroclip_engine.models.redshift_scan import RedshiftScan, RedshiftScanEncoder, has_data
from astroclip_engine.models.spectrum_encoder import build_spectrum_encoder


@pytest.fixture(scope="module")
def scan() -> RedshiftScan:
    return RedshiftScan()


def _best_redshift(scan: RedshiftScan, flux: np.ndarray) -> np.ndarray:
    chi2, _, _ = scan(prepare_spectra(torch.as_tensor(flux, dtype=torch.float32), train=False))
    return scan.redshifts[chi2.argmin(dim=1)].numpy()


def _template_spectra(redshifts: np.ndarray, seed: int = 0) -> np.ndarray:
    """Noisy mixtures of the kcorrect templates observed at `redshifts` on the DESI grid."""
    rng = np.random.default_rng(seed)
    wave, flux = template_file().wave, template_file().flux
    rows = []
    for z in redshifts:
        mix = rng.uniform(0.2, 1.0, len(flux)) @ (flux / flux.max(axis=1, keepdims=True))
        clean = np.interp(WAVELENGTH / (1 + z), wave, mix)
        rows.append(clean + 0.05 * clean.std() * rng.standard_normal(len(WAVELENGTH)))
    return np.array(rows)


def test_recovers_the_redshift_of_template_spectra(scan: RedshiftScan) -> None:
    truth = np.array([0.02, 0.15, 0.33, 0.51, 0.78])
    assert np.abs(_best_redshift(scan, _template_spectra(truth)) - truth).max() < 2e-3


def test_masked_pixels_carry_no_weight(scan: RedshiftScan) -> None:
    truth = np.array([0.12, 0.45])
    flux = _template_spectra(truth, seed=1)
    flux[0, :2500] = 0.0  # no blue arm
    flux[1, 5000:] = 0.0  # no red end
    standardised = prepare_spectra(torch.as_tensor(flux, dtype=torch.float32), train=False)
    covered = has_data(standardised)
    assert not covered[0, :2500].any() and covered[0, 2500:].all()
    assert covered[1, :5000].all() and not covered[1, 5000:].any()
    assert np.abs(_best_redshift(scan, flux) - truth).max() < 2e-3


def test_real_desi_spectra_get_their_redshift(scan: RedshiftScan, realdata: Path) -> None:
    """Real data, not the mock: the DESI LRG stack at five redshifts (a quarter of the range
    empty at z = 0.1) and the BGS coadd, whose Redrock redshift is 0.3687."""
    for queries in (lrg_stack_queries(realdata, np.array([0.1, 0.2, 0.3, 0.4, 0.5])),
                    bgs_query(realdata)):
        flux = np.where(queries.mask, 0.0, queries.flux)
        found = _best_redshift(scan, flux)
        assert np.abs(found - queries.redshift).max() < 2e-3, (queries.name, found)


def test_a_real_low_redshift_galaxy_gets_its_redshift(scan: RedshiftScan, realdata: Path) -> None:
    """The COSMOS special-dark coadd (Redrock z = 0.00727) covers the rest frame up to 9,750 A,
    further red than the queries above."""
    from astroclip_engine.data.desi_fits import read_desi_coadd

    sample = read_desi_coadd(realdata / "desi_spectra" / "coadd-special-dark-27247.fits")[0]
    flux = np.where(np.asarray(sample.mask, dtype=bool), 0.0, sample.spectrum)
    assert abs(_best_redshift(scan, flux[None])[0] - 0.00727) < 2e-3


def test_rejects_spectra_off_the_desi_grid(scan: RedshiftScan) -> None:
    with pytest.raises(ValueError, match=r"shape \(B, 7781\)"):
        scan(torch.zeros(2, 100))


def test_all_zero_spectra_stay_finite() -> None:
    encoder = RedshiftScanEncoder()
    features = encoder.forward_features(torch.zeros(3, len(WAVELENGTH)))
    assert features.shape == (3, encoder.num_features)
    assert torch.isfinite(features).all()


def test_posterior_features_peak_at_the_redshift() -> None:
    truth = np.array([0.1, 0.6])
    encoder = RedshiftScanEncoder(n_bins=64)
    flux = prepare_spectra(torch.as_tensor(_template_spectra(truth, seed=2), dtype=torch.float32),
                           train=False)
    posterior = encoder.forward_features(flux)[:, :64]
    centres = np.linspace(0.0, np.log1p(float(encoder.scan.redshifts[-1])), 64)
    peak = np.expm1(centres[posterior.argmax(dim=1).numpy()])
    assert np.abs(peak - truth).max() < 0.02


def test_scan_encoder_is_fixed_and_saves_nothing() -> None:
    """No parameters (alignment trains the head), nothing in a checkpoint: the templates are
    rebuilt from kcorrect when a model is loaded."""
    encoder = build_spectrum_encoder("redshift_scan")
    assert isinstance(encoder, RedshiftScanEncoder)
    assert not list(encoder.parameters()) and not encoder.state_dict()
    x = prepare_spectra(torch.as_tensor(_template_spectra(np.array([0.2, 0.4])),
                                        dtype=torch.float32), train=False)
    out = encoder.forward_features(x.unsqueeze(1))
    assert out.shape == (2, encoder.num_features) and out.dtype == torch.float32
    assert torch.equal(out, encoder.forward_features(x))


def test_trains_and_reloads_inside_astroclip(tmp_path: Path) -> None:
    from astroclip_engine.config import ModelConfig
    from astroclip_engine.models.clip import AstroCLIP

    config = ModelConfig(image_encoder="resnet_small", spectrum_encoder="redshift_scan",
                         embedding_dim=8)
    model = AstroCLIP(config)
    spectra = prepare_spectra(torch.as_tensor(_template_spectra(np.array([0.1, 0.5])),
                                              dtype=torch.float32), train=False)
    model.encode_spectrum(spectra).sum().backward()
    assert all(p.grad is not None for p in model.spectrum_head.parameters())
    torch.save(model.state_dict(), tmp_path / "m.pt")
    reloaded = AstroCLIP(config)
    reloaded.load_state_dict(torch.load(tmp_path / "m.pt", weights_only=True), strict=True)
    assert torch.allclose(reloaded.encode_spectrum(spectra), model.encode_spectrum(spectra))
