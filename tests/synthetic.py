"""A small synthetic explorer project (release-layout dataset + embeddings store + project.yaml)
for tests, benchmarks and screenshots when no demo project exists; Qt-free.

Galaxies come in `n_clusters` families: each family shares an embedding direction, a colour
and a spectral type (emission-line or absorption), so neighbours and maps have real structure.
The maps are written directly (a family's 2-D centre plus scatter) instead of running UMAP.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import yaml

from astroclip_engine.atomic import atomic_path, atomic_write_text
from astroclip_engine.constants import WAVELENGTH
from astroclip_engine.data.release_writer import ReleaseWriter
from astroclip_engine.store import StoreInfo, write_store


def synthetic_images(labels: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """(n, 3, size, size) g, r, z nanomaggies: a blob whose colour follows the family."""
    n = len(labels)
    y, x = np.mgrid[:size, :size] - (size - 1) / 2
    colours = np.array([[0.4, 1.0, 1.8], [1.0, 1.0, 1.0], [1.6, 1.0, 0.6], [0.8, 1.3, 1.5]])
    out = np.empty((n, 3, size, size), dtype=np.float32)
    for i, label in enumerate(labels):
        q, angle, r_e = rng.uniform(0.4, 1), rng.uniform(0, np.pi), rng.uniform(size / 20, size / 9)
        u = x * np.cos(angle) + y * np.sin(angle)
        v = (-x * np.sin(angle) + y * np.cos(angle)) / q
        profile = np.exp(-np.hypot(u, v) / r_e)
        for band in range(3):
            out[i, band] = (0.3 * colours[label % 4, band] * profile
                            + rng.normal(0, 0.004, profile.shape))
    return out


def synthetic_spectra(labels: np.ndarray, z: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(n, 7781) flux: a continuum with a 4000 A break; even families have emission lines."""
    n = len(labels)
    out = np.empty((n, WAVELENGTH.size), dtype=np.float32)
    for i in range(n):
        rest = WAVELENGTH / (1 + z[i])
        flux = 2.0 + 1.5 * (rest > 4000) + rng.normal(0, 0.3, WAVELENGTH.size)
        if labels[i] % 2 == 0:
            for line, amp in ((3727.4, 6), (4861.3, 3), (5006.8, 8), (6562.8, 12), (6583.5, 4)):
                flux += amp * np.exp(-0.5 * ((rest - line) / 3.0) ** 2)
        out[i] = flux
    return out


def build_synthetic_project(folder: str | Path, n: int = 200, n_rows: int | None = None,
                            dim: int = 16, n_clusters: int = 4, image_size: int = 64,
                            seed: int = 0, with_radec: bool = True) -> Path:
    """Write `folder/{dataset.h5, embeddings.h5, project.yaml}`; returns the project.yaml path.

    The store has `n` galaxies; the dataset has `n_rows` (default n) and galaxy i reads dataset
    row i % n_rows, so huge stores (benchmarks) stay cheap on disk.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    n_rows = n_rows or n
    rows = np.arange(n) % n_rows
    row_labels = rng.integers(0, n_clusters, n_rows)
    row_z = np.clip(rng.gamma(4.0, 0.05, n_rows) + 0.03 * row_labels, 0.01, 0.75)
    row_tids = 39_600_000_000_000_000 + np.arange(n_rows, dtype=np.int64) * 7
    labels, z = row_labels[rows], row_z[rows].astype(np.float32)  # a galaxy is its row
    targetids = 39_600_000_000_000_000 + np.arange(n, dtype=np.int64) * 7
    dataset = folder / "dataset.h5"
    with atomic_path(dataset) as tmp, ReleaseWriter(tmp, image_size=image_size) as writer:
        for start in range(0, n_rows, 256):
            stop = min(n_rows, start + 256)
            part = row_labels[start:stop]
            writer.append("0", synthetic_images(part, image_size, rng),
                          synthetic_spectra(part, row_z[start:stop], rng), row_z[start:stop],
                          row_tids[start:stop])
    centres = rng.normal(0, 1, (n_clusters, dim))
    image = centres[labels] + 0.35 * rng.normal(0, 1, (n, dim))
    spectrum = centres[labels] + 0.35 * rng.normal(0, 1, (n, dim))
    properties = {"log_mstar": (9.5 + 0.5 * labels + rng.normal(0, 0.3, n)).astype(np.float32),
                  "log_ssfr": (-9.5 - 0.6 * labels + rng.normal(0, 0.3, n)).astype(np.float32)}
    if with_radec:
        properties["ra"] = rng.uniform(150, 160, n).astype(np.float32)
        properties["dec"] = rng.uniform(0, 5, n).astype(np.float32)
    store = folder / "embeddings.h5"
    info = StoreInfo(embedding_dim=dim, checkpoint="synthetic", checkpoint_sha256="",
                     dataset_path=str(dataset))
    map_centres = rng.uniform(-8, 8, (n_clusters, 2))
    with atomic_path(store) as tmp:
        write_store(tmp, image=image, spectrum=spectrum, targetid=targetids, row=rows,
                    split=(np.arange(n) >= 0.8 * n).astype(np.int8), redshift=z,
                    properties=properties, info=info)
        with h5py.File(tmp, "a") as f:
            for modality, spread in (("joint", 1.0), ("image", 1.4), ("spectrum", 0.8)):
                xy = map_centres[labels] + spread * rng.normal(0, 1, (n, 2))
                f.create_dataset(f"umap/{modality}", data=xy.astype(np.float32))
            f.create_dataset("clusters/kmeans_joint", data=labels.astype(np.int32))
    project = folder / "project.yaml"
    atomic_write_text(project, yaml.safe_dump({"name": folder.name, "store": "embeddings.h5",
                                               "dataset": "dataset.h5", "runs_dir": "runs"}))
    return project
