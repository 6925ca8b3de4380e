"""The modality names of embeddings stores and maps (no heavy imports: the CLI's argument
parsers use them, and `astroclip --help` must not load numpy or h5py)."""

from __future__ import annotations

from typing import Literal

Modality = Literal["image", "spectrum"]
MODALITIES: tuple[Modality, ...] = ("image", "spectrum")
"""The embedded modalities of a store."""

MapModality = Literal["image", "spectrum", "joint"]
MAP_MODALITIES: tuple[str, ...] = ("image", "spectrum", "joint")
"""What a UMAP map can be made of: one modality, or both concatenated ("joint")."""

MODALITY_PAIRS: tuple[tuple[str, str], ...] = (
    ("image", "image"), ("spectrum", "spectrum"), ("image", "spectrum"), ("spectrum", "image"),
)
"""(query modality, reference modality) of k-NN regression and retrieval: the four directions
of the zero-shot evaluation and of the validation R^2 logged during training."""

EXPLORER_MAPS: tuple[MapModality, ...] = ("joint", "image", "spectrum")
"""The maps the demo, the runs panel's analysis and the explorer make, in the explorer's order."""
