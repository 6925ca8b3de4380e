"""What every evaluation reads from a store: the held-out split, embeddings and targets."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from astroclip_engine.constants import PROPERTY_NAMES
from astroclip_engine.errors import StoreError
from astroclip_engine.knn import l2_normalize, r2_score
from astroclip_engine.store import SPLIT_CODES, EmbeddingStore

PHOTOMETRY = ("mag_g", "mag_r", "mag_z")
"""Property columns holding photometry: inputs of the photometry baseline, not targets."""


@dataclass
class EvalData:
    """Valid rows of a store split into the train (reference) and test (query) sets.

    `train` and `test` index the arrays below; `rows` maps them back to store rows.
    """

    store_path: Path
    embedding_dim: int
    dataset_path: str
    rows: np.ndarray
    image: np.ndarray
    spectrum: np.ndarray
    targets: dict[str, np.ndarray]
    train: np.ndarray
    test: np.ndarray
    photometry: np.ndarray | None = None
    missing_targets: list[str] = field(default_factory=list)
    n_invalid: int = 0

    def embeddings(self, modality: str) -> np.ndarray:
        return self.image if modality == "image" else self.spectrum

    def skipped(self) -> dict[str, int]:
        """Test galaxies without a value, per target (they are left out of its R^2)."""
        return {name: int((~np.isfinite(v[self.test])).sum()) for name, v in self.targets.items()}


def load_eval_data(store: EmbeddingStore, properties: str | Path | None = None) -> EvalData:
    """Read the valid rows of `store`; `properties` is a PROVABGS catalogue joined on TARGETID
    (its columns replace the store's own property columns of the same name)."""
    valid = store.valid
    rows = np.flatnonzero(valid)
    columns = store.properties()
    if properties is not None:
        from astroclip_engine.data.provabgs import PropertyTable

        joined = PropertyTable.read(properties).join(store.targetids)
        columns.update({name: np.asarray(v, dtype=np.float32) for name, v in joined.items()})
    order = [p for p in PROPERTY_NAMES if p in columns] + sorted(set(columns) - set(
        PROPERTY_NAMES))
    targets = {
        name: columns[name][rows].astype(np.float64)
        for name in order
        if name not in PHOTOMETRY and np.isfinite(columns[name][rows]).any()
    }
    photometry = None
    if all(name in columns for name in PHOTOMETRY):
        photometry = np.stack([columns[name][rows] for name in PHOTOMETRY], axis=1)
    split = store.split[rows]
    train = np.flatnonzero(split == SPLIT_CODES["train"])
    test = np.flatnonzero(split == SPLIT_CODES["test"])
    if len(train) == 0 or len(test) == 0:
        raise StoreError(f"{store.path}: evaluation needs valid galaxies in both splits; found "
                         f"{len(train)} train and {len(test)} test")
    return EvalData(
        store_path=store.path,
        embedding_dim=store.info.embedding_dim,
        dataset_path=store.info.dataset_path,
        rows=rows,
        image=l2_normalize(store.embeddings("image")[rows]).astype(np.float32),
        spectrum=l2_normalize(store.embeddings("spectrum")[rows]).astype(np.float32),
        targets=targets,
        train=train,
        test=test,
        photometry=photometry,
        missing_targets=[p for p in PROPERTY_NAMES if p not in targets],
        n_invalid=int((~valid).sum()),
    )


def mask_groups(targets: dict[str, np.ndarray], index: np.ndarray) -> list[list[str]]:
    """Targets grouped by which of the `index` rows have a value, so that one neighbour
    search (or one model) serves every target of a group."""
    groups: dict[bytes, list[str]] = {}
    for name, values in targets.items():
        key = np.isfinite(values[index]).tobytes()
        groups.setdefault(key, []).append(name)
    return list(groups.values())


def require_size(n: int, k: int, what: str, path: Path) -> None:
    if n < k:
        raise StoreError(f"{path}: {what} needs at least {k} reference galaxies, "
                         f"only {n} have a value")


@dataclass
class Prediction:
    """Predictions of one method for one target on the test galaxies that have a value."""

    method: str
    target: str
    true: np.ndarray
    predicted: np.ndarray
    query: str = ""
    key: str = ""

    @property
    def direction(self) -> str:
        if not self.query:
            return ""
        return self.query if self.query == self.key else f"{self.query}->{self.key}"

    @property
    def label(self) -> str:
        return f"{self.method} {self.direction}".strip()

    @property
    def r2(self) -> float:
        return r2_score(self.true, self.predicted)

    def summary(self) -> dict[str, object]:
        r2 = self.r2
        return {"method": self.method, "query": self.query, "key": self.key,
                "target": self.target, "r2": None if np.isnan(r2) else round(r2, 5),
                "n": len(self.true)}


def predictions_for(method: str, targets: dict[str, np.ndarray], names: list[str],
                    test: np.ndarray, predicted: np.ndarray, query: str = "",
                    key: str = "") -> list[Prediction]:
    """Split a (n_test, len(names)) prediction array into per-target Predictions, dropping test
    galaxies without a true value."""
    out = []
    for j, name in enumerate(names):
        true = targets[name][test]
        ok = np.isfinite(true)
        out.append(Prediction(method, name, true[ok], predicted[ok, j], query, key))
    return out
