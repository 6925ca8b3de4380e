"""Figure for docs/mock.md and the README: real DESI spectra next to their 3 nearest mock
spectra (the search of `astroclip mock --check`, 12.8 A bins, standardised).

Run: `python scripts/mock_match_figure.py MOCK.h5 [--realdata PATH] [--out PNG]`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import h5py
import numpy as np

from astroclip_engine.data.realdata_queries import bgs_query, find_realdata, lrg_stack_queries
from astroclip_engine.data.spectrum_match import REBIN, nearest_redshifts, rebin


def _zscore(x: np.ndarray) -> np.ndarray:
    """What the matcher compares: the spectrum minus its mean, over its standard deviation."""
    return (x - x.mean()) / x.std()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mock")
    parser.add_argument("--realdata", default=None)
    parser.add_argument("--out", default="docs/figures/mock_nearest_spectra.png")
    args = parser.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    realdata = find_realdata(args.realdata)
    if realdata is None:
        raise SystemExit("no realdata folder found (--realdata)")
    with h5py.File(args.mock, "r") as handle:
        spectra = handle["0"]["spectra"][:, :, 0]
        redshifts = handle["0"]["redshifts"][:]
    queries = [bgs_query(realdata), lrg_stack_queries(realdata, np.array([0.3]))]
    fig, axes = plt.subplots(len(queries), 1, figsize=(11, 6.5))
    for ax, q in zip(axes, queries, strict=True):
        _, best = nearest_redshifts(q.flux, q.mask, spectra, redshifts, k=3)
        wave = 3600 + 0.8 * (np.arange(spectra.shape[1] // REBIN) * REBIN + REBIN / 2)
        real, ok = rebin(q.flux, ~q.mask)
        ax.plot(wave[ok[0]], _zscore(real[0][ok[0]]), "k", lw=1.1,
                label=f"real: {q.name} (z = {q.redshift[0]:.3f})")
        for rank, j in enumerate(best[0]):
            mock, _ = rebin(spectra[j:j + 1], np.ones((1, spectra.shape[1]), bool))
            ax.plot(wave, _zscore(mock[0]) + 6 * (rank + 1), lw=0.8,
                    label=f"mock neighbour {rank + 1} (z = {redshifts[j]:.3f})")
        ax.set_ylabel("standardised flux (offset)")
        ax.legend(fontsize=7, loc="upper right")
    axes[-1].set_xlabel("observed wavelength [A]")
    fig.tight_layout()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=90)
    print(args.out)


if __name__ == "__main__":
    main()
