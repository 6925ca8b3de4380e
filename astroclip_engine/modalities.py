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
