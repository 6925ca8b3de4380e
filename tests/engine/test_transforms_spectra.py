"""Spectrum transforms and the valid-pair mask."""

from __future__ import annotations

import pytest
import torch

from astroclip_engine.data.transforms import prepare_spectra, valid_pair_mask


def test_standardised_per_spectrum() -> None:
    raw = torch.randn(4, 7781, 1) * torch.tensor([1.0, 5.0, 0.1, 30.0]).view(4, 1, 1) + 7
    out = prepare_spectra(raw, train=False)
    assert out.shape == (4, 7781)
    assert torch.allclose(out.mean(dim=1), torch.zeros(4), atol=1e-4)
    assert torch.allclose(out.std(dim=1), torch.ones(4), atol=1e-4)
    assert torch.equal(out, prepare_spectra(raw, train=True, stddev=None))


def test_training_noise_scales_with_stddev() -> None:
    raw = torch.randn(64, 7781)
    stddev = torch.zeros(7781)
    stddev[:100] = 2.0
    clean = prepare_spectra(raw, train=False)
    gen = torch.Generator().manual_seed(0)
    noisy = prepare_spectra(raw, train=True, stddev=stddev, generator=gen)
    delta = noisy - clean
    assert torch.equal(delta[:, 100:], torch.zeros_like(delta[:, 100:]))
    assert delta[:, :100].std().item() == pytest.approx(0.3 * 2.0, rel=0.05)
    again = prepare_spectra(raw, train=True, stddev=stddev,
                            generator=torch.Generator().manual_seed(0))
    assert torch.equal(noisy, again)
    with pytest.raises(ValueError, match="stddev"):
        prepare_spectra(raw, train=True, stddev=torch.ones(10))


def test_zero_and_nonfinite_spectra() -> None:
    raw = torch.zeros(2, 7781)
    raw[1, 5] = float("nan")
    raw[1, 6:] = 1.0
    out = prepare_spectra(raw, train=False)
    assert torch.equal(out[0], torch.zeros(7781))
    assert torch.isfinite(out).all()


def test_valid_pair_mask() -> None:
    spectra = torch.randn(6, 7781)
    spectra[1] = 0.0
    spectra[2, 10] = float("inf")
    redshifts = torch.tensor([0.1, 0.1, 0.1, -0.01, 0.9, 0.8])
    mask = valid_pair_mask(spectra.unsqueeze(-1), redshifts)
    assert mask.tolist() == [True, False, False, False, False, True]
    redshifts[0] = float("nan")
    assert not valid_pair_mask(spectra, redshifts)[0]
