"""A Redrock-style redshift scan and the `redshift_scan` spectrum encoder built on it.

Why (measured in docs/science.md): at the demo's scale (4,000 spectra at DESI noise) no network
learns the redshift from the spectra to better than R^2 ~0.85-0.91, even with labels, while a
template fit gets it right for ~99 % of them and for every real DESI spectrum in the reference
data. So the spectrum tower can start from what Redrock computes, and learn the rest.

How: the spectrum is resampled onto a grid uniform in ln(wavelength), where a redshift is a
shift. For every trial redshift on that grid the best linear combination of rest-frame templates
(plus a constant, because encoder inputs are standardised) is fitted by weighted least squares,
with all the cross-correlations done at once by FFTs. Templates: kcorrect's five NMF galaxy
templates (Blanton & Roweis 2007, BC03 populations with nebular lines; BSD-3, from the kcorrect
wheel). Weights: a typical DESI per-pixel noise curve (the mock's noise model, docs/mock.md) times
the pixels that have data; a run of identical values (what a masked or missing pixel becomes
after standardisation) has none. The scan has no parameters and no gradient.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

from astroclip_engine.constants import REDSHIFT_RANGE, WAVELENGTH
from astroclip_engine.data.mock_library import template_file
from astroclip_engine.data.mock_spectra import NOISE_SIGMA

LOG_STEP = 2e-4
"""Grid step in ln(wavelength) (60 km/s; finer than DESI's 0.8 A pixels above 4,000 A)."""
Z_MAX = REDSHIFT_RANGE[1] + 0.05
"""Highest trial redshift."""


def pixel_average(wave: np.ndarray, flux: np.ndarray, ln_centres: np.ndarray) -> np.ndarray:
    """Mean of each row of `flux` (sampled at `wave`) over pixels centred on `ln_centres`
    (ln wavelength, uniform step), by differencing the cumulative integral."""
    step = ln_centres[1] - ln_centres[0]
    edges = np.exp(np.concatenate([[ln_centres[0] - step / 2], ln_centres + step / 2]))
    segment = 0.5 * (flux[:, 1:] + flux[:, :-1]) * np.diff(wave)
    cumulative = np.concatenate([np.zeros((len(flux), 1)), np.cumsum(segment, axis=1)], axis=1)
    at_edges = np.stack([np.interp(edges, wave, row) for row in cumulative])
    return np.diff(at_edges, axis=1) / np.diff(edges)


def has_data(x: Tensor) -> Tensor:
    """(B, L) bool: False where a pixel equals a neighbour exactly (a masked or missing pixel
    after standardisation; noisy data never repeats a float value)."""
    same = x[:, 1:] == x[:, :-1]
    flat = torch.zeros_like(x, dtype=torch.bool)
    flat[:, 1:] |= same
    flat[:, :-1] |= same
    return ~flat


class RedshiftScan(nn.Module):
    """chi^2 of the best template fit at each trial redshift of `redshifts`."""

    def __init__(self) -> None:
        super().__init__()
        wavelength = WAVELENGTH
        ln_obs = np.arange(np.log(wavelength[0]), np.log(wavelength[-1]), LOG_STEP)
        shifts = int(np.ceil(np.log1p(Z_MAX) / LOG_STEP))
        ln_rest = ln_obs[0] + (np.arange(len(ln_obs) + shifts) - shifts) * LOG_STEP
        self.n_fft = 1 << int(np.ceil(np.log2(len(ln_rest))))
        self.n_shifts = shifts + 1
        self.n_bins = len(wavelength)
        source = template_file()
        templates = pixel_average(source.wave, source.flux, ln_rest)
        templates /= np.sqrt(np.mean(templates**2, axis=1, keepdims=True))
        basis = torch.from_numpy(np.vstack([templates, np.ones(len(ln_rest))]))
        self.n_templates = len(basis)
        upper = torch.triu_indices(len(basis), len(basis))
        position = np.interp(np.exp(ln_obs), wavelength, np.arange(len(wavelength)))
        low = np.minimum(position.astype(np.int64), len(wavelength) - 2)
        buffers = {
            "redshifts": torch.from_numpy(np.expm1(np.arange(self.n_shifts) * LOG_STEP)),
            "low": torch.from_numpy(low),
            "frac": torch.from_numpy(position - low),
            "weight": torch.from_numpy(np.interp(np.exp(ln_obs), wavelength, NOISE_SIGMA**-2.0)),
            "upper": upper,
            "basis": basis,
            "pairs": basis[upper[0]] * basis[upper[1]],
        }
        for name, value in buffers.items():
            self.register_buffer(name, value, persistent=False)

    def to_log_grid(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(B, L) spectra -> flux and has-data mask on the ln-wavelength grid."""
        if x.dim() != 2 or x.shape[1] != self.n_bins:
            raise ValueError(f"the redshift scan expects spectra of shape (B, {self.n_bins}) on "
                             f"the DESI grid, got {tuple(x.shape)}")
        covered = has_data(x)
        left, right = x[:, self.low], x[:, self.low + 1]
        flux = left + (right - left) * self.frac.to(x.dtype)
        mask = covered[:, self.low] & covered[:, self.low + 1]
        return flux, mask

    def _correlate(self, signal: Tensor, templates: Tensor) -> Tensor:
        """sum_p signal[b, p] * templates[k, p + j] for j = 0 .. n_shifts-1, as (B, K', n_shifts),
        ordered by increasing redshift."""
        template_fft = torch.fft.rfft(templates.double(), self.n_fft)
        product = torch.fft.rfft(signal, self.n_fft).conj()[:, None] * template_fft[None]
        lags = torch.fft.irfft(product, self.n_fft)[..., :self.n_shifts]
        return lags.flip(-1)

    def _inverse_normal_matrices(self, weight: Tensor) -> Tensor:
        """(M, Z, K, K) inverses of the weighted template products at each trial redshift, for
        M distinct weight vectors (M, P)."""
        pairs = self._correlate(weight, self.pairs).transpose(1, 2)
        k = self.n_templates
        normal = weight.new_zeros(*pairs.shape[:2], k, k)
        normal[..., self.upper[0], self.upper[1]] = pairs
        normal[..., self.upper[1], self.upper[0]] = pairs
        scale = normal.diagonal(dim1=-2, dim2=-1).mean(-1).clamp(min=1e-30)
        eye = torch.eye(k, dtype=weight.dtype, device=weight.device)
        return torch.linalg.inv(normal + 1e-9 * scale[..., None, None] * eye)

    @torch.no_grad()
    def forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(B, L) standardised spectra -> chi^2 (B, Z), fitted coefficients (B, Z, K) and the
        number of pixels with data (B,), in float64.

        Spectra with the same pixels covered (usually all of them) share one set of normal
        matrices, so the cost is one FFT per template and spectrum."""
        flux, mask = self.to_log_grid(x.double())
        masks, which = torch.unique(mask, dim=0, return_inverse=True)
        noise_weight = self.weight.double()
        inverse = self._inverse_normal_matrices(noise_weight * masks)[which]
        weight = noise_weight * mask
        projections = self._correlate(weight * flux, self.basis).transpose(1, 2)
        coefficients = (inverse @ projections[..., None])[..., 0]
        total = (weight * flux * flux).sum(dim=1, keepdim=True)
        chi2 = total - (projections * coefficients).sum(dim=-1)
        return chi2, coefficients, mask.sum(dim=1)


class RedshiftScanEncoder(nn.Module):
    """The `redshift_scan` spectrum encoder: fixed features from the scan, for a learned
    projection head. They are the redshift posterior exp(-(chi^2 - min) / (2 s)), with s the
    reduced chi^2 of the best fit, spread over `n_bins` Gaussian bins in ln(1 + z) (a smooth code
    of where, and how sharply, the redshift lies), and the unit-normalised template coefficients
    of the best fit (the kind of spectrum). No parameters: alignment trains the head only."""

    def __init__(self, n_bins: int = 64) -> None:
        super().__init__()
        self.scan = RedshiftScan()
        u = torch.log1p(self.scan.redshifts)
        centres = torch.linspace(0.0, float(u[-1]), n_bins, dtype=u.dtype)
        width = centres[1] - centres[0]
        spread = torch.exp(-0.5 * ((u[:, None] - centres[None]) / width) ** 2)
        self.register_buffer("spread", spread, persistent=False)
        self.num_features = n_bins + self.scan.n_templates

    def forward_features(self, x: Tensor) -> Tensor:
        """(B, L) or (B, 1, L) standardised spectra -> (B, num_features), in x's dtype."""
        flat = x.squeeze(1) if x.dim() == 3 else x
        chi2, coefficients, pixels = self.scan(flat)
        best = chi2.argmin(dim=1)
        reduced = (chi2.gather(1, best[:, None]) / pixels.clamp(min=1)[:, None]).clamp(min=1e-12)
        posterior = torch.softmax(-(chi2 - chi2.min(dim=1, keepdim=True).values)
                                  / (2 * reduced), dim=1)
        fit = coefficients[torch.arange(len(best), device=best.device), best]
        fit = fit / fit.norm(dim=1, keepdim=True).clamp(min=1e-30)
        features = torch.cat([posterior @ self.spread.double(), fit], dim=1)
        return features.to(x.dtype if x.is_floating_point() else torch.float32)

    def forward(self, x: Tensor) -> Tensor:
        return self.forward_features(x)
