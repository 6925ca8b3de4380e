"""Nearest-neighbour redshifts of spectra among a reference set (the mock's realism check):
both sides are rebinned, masked alike and standardised, and the match is the Pearson
correlation over the bins the query covers."""

from __future__ import annotations

import numpy as np

REBIN = 16
"""Pixels averaged per bin (12.8 A) before matching: beats the per-pixel noise down while
keeping emission lines and breaks sharp."""


def rebin(flux: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Masked means over REBIN-pixel bins: (values, bin has >= half its pixels valid)."""
    n, length = flux.shape
    usable = length // REBIN * REBIN
    f = np.where(valid, flux, 0.0)[:, :usable].reshape(n, -1, REBIN)
    v = valid[:, :usable].reshape(n, -1, REBIN)
    count = v.sum(axis=2)
    return f.sum(axis=2) / np.maximum(count, 1), count >= REBIN // 2


def _standardise(values: np.ndarray, keep: np.ndarray) -> np.ndarray:
    x = np.where(keep, values, 0.0)
    m = keep.sum(axis=-1, keepdims=True)
    mean = x.sum(axis=-1, keepdims=True) / m
    centred = np.where(keep, values - mean, 0.0)
    std = np.sqrt((centred**2).sum(axis=-1, keepdims=True) / m)
    return centred / np.where(std > 0, std, 1.0)


def nearest_redshifts(query_flux: np.ndarray, query_mask: np.ndarray,
                      reference: np.ndarray, reference_z: np.ndarray,
                      k: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """For each query spectrum: (median redshift of its k best-correlated references, their
    indices (m, k)). reference: (N, 7781) spectra; all-zero rows are never matched."""
    ref_binned, ref_ok = rebin(reference, np.ones_like(reference, dtype=bool))
    usable = np.any(reference != 0, axis=1)
    q_binned, q_ok = rebin(query_flux, ~query_mask)
    predicted = np.empty(len(query_flux))
    best = np.empty((len(query_flux), k), dtype=np.int64)
    for i in range(len(query_flux)):
        keep = q_ok[i] & ref_ok
        q = _standardise(q_binned[i], q_ok[i])
        r = _standardise(ref_binned, keep)
        score = (r @ q) / max(int(q_ok[i].sum()), 1)
        score[~usable] = -np.inf
        best[i] = np.argsort(score)[::-1][:k]
        predicted[i] = np.median(reference_z[best[i]])
    return predicted, best
