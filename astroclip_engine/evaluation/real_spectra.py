"""Real DESI spectra embedded with a trained model: do their spectrum-space neighbours among the
store's galaxies have the right redshift?

Queries (`data.realdata_queries`): the DESI LRG stack redshifted to several z (DESI-like noise)
and the real DESI BGS coadd at its Redrock redshift. Masked pixels are zero, as in the readers.
Each query is prepared like any spectrum (`transforms.prepare_spectra`), embedded with
`AstroCLIP.encode_spectrum`, and its k nearest store galaxies (cosine, spectrum embeddings) give
the median redshift compared with the truth.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from astroclip_engine.data.realdata_queries import SpectrumQueries, bgs_query, lrg_stack_queries
from astroclip_engine.data.transforms import prepare_spectra
from astroclip_engine.knn import cosine_knn, l2_normalize

LRG_REDSHIFTS: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4, 0.5)
MAX_DZ = 0.03
"""Target: |median neighbour redshift - truth| per query."""


@dataclass(frozen=True)
class RealSpectrumMatch:
    name: str
    true_z: float
    median_z: float

    @property
    def dz(self) -> float:
        return abs(self.median_z - self.true_z)


def real_queries(realdata: Path, redshifts: tuple[float, ...] = LRG_REDSHIFTS
                 ) -> list[SpectrumQueries]:
    return [lrg_stack_queries(realdata, np.asarray(redshifts)), bgs_query(realdata)]


def embed_spectra(model: torch.nn.Module, flux: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(m, D) L2-normalised spectrum embeddings of (m, L) flux (masked pixels set to 0)."""
    spectra = torch.from_numpy(np.where(mask, 0.0, flux).astype(np.float32))
    with torch.no_grad():
        emb = model.encode_spectrum(prepare_spectra(spectra, train=False))
    return l2_normalize(emb.numpy())


def match_real_spectra(checkpoint: str | Path, store_path: str | Path, realdata: Path,
                       k: int = 16) -> list[RealSpectrumMatch]:
    """One row per real query spectrum: true redshift and the median of its k neighbours'."""
    from astroclip_engine.models.factory import load_astroclip
    from astroclip_engine.store import EmbeddingStore

    model, _ = load_astroclip(checkpoint)
    with EmbeddingStore(store_path) as store:
        keys = l2_normalize(store.embeddings("spectrum"))
        redshift = store.redshift.astype(np.float64)
        valid = np.asarray(store.valid, dtype=bool)
    keys, redshift = keys[valid], redshift[valid]
    rows: list[RealSpectrumMatch] = []
    for queries in real_queries(realdata):
        neighbours, _ = cosine_knn(embed_spectra(model, queries.flux, queries.mask), keys, k)
        for name_z, idx in zip(queries.redshift, neighbours, strict=True):
            rows.append(RealSpectrumMatch(queries.name, float(name_z),
                                          float(np.median(redshift[idx]))))
    return rows


def format_matches(rows: list[RealSpectrumMatch]) -> str:
    """A Markdown table of the matches."""
    lines = ["| real spectrum | true z | median z of the neighbours | abs dz |",
             "| --- | --- | --- | --- |"]
    lines += [f"| {r.name} | {r.true_z:.3f} | {r.median_z:.3f} | {r.dz:.3f} |" for r in rows]
    return "\n".join(lines)
