"""Search the project with a user's FITS file (DESI coadd or Legacy Survey cutout); Qt-free.

Runs in a worker: the engine reads and embeds the file (`embed.embed_fits`), then the project's
store is searched with that embedding. Without a checkpoint the object is only read and shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from astroclip_engine.data.desi_fits import find_redrock
from astroclip_engine.data.single_object import read_fits_objects
from astroclip_engine.embed import embed_fits as engine_embed_fits
from astroclip_engine.errors import CheckpointError, StoreError
from astroclip_engine.jobs import CancelToken, Progress, Reporter, null_reporter
from astroclip_gui.explorer.engine_access import Neighbours, NeighbourSearch


@dataclass(frozen=True)
class FitsQueryResult:
    sample: Any  # GalaxySample
    modality: str
    neighbours: Neighbours | None


def read_fits_object(path: str | Path) -> tuple[Any, str]:
    """The first target of a DESI coadd ('spectrum') or a Legacy Survey cutout ('image')."""
    samples, modality = read_fits_objects(path)
    return samples[0], modality


def embed_fits(path: str | Path, checkpoint: Path | None, search: NeighbourSearch | None,
               params: Any, reporter: Reporter | None = None,
               cancel: CancelToken | None = None) -> FitsQueryResult:
    """Read (and with a checkpoint, embed and search with) the first object of a FITS file."""
    report = reporter or null_reporter
    report(Progress("open FITS", 0, 2, Path(path).name))
    if checkpoint is None or search is None:
        sample, modality = read_fits_object(path)
        report(Progress("open FITS", 2, 2, "read (no model to embed with)"))
        return FitsQueryResult(sample, modality, None)
    if not Path(checkpoint).exists():
        raise CheckpointError(checkpoint, "the project's checkpoint file does not exist")
    samples, modality, vectors, sha = engine_embed_fits(checkpoint, path, find_redrock(path))
    expected = search.store.info.checkpoint_sha256
    if expected and sha != expected:
        raise StoreError(f"{checkpoint} is not the model that made {search.store.path} "
                         "(checkpoint SHA-256 differs): its embeddings cannot be compared")
    if cancel is not None:
        cancel.raise_if_cancelled()
    report(Progress("open FITS", 1, 2, "searching"))
    neighbours = search.around_vector(vectors[0], modality, params.key_modality, params.k,
                                      params.largest)
    report(Progress("open FITS", 2, 2, "done"))
    return FitsQueryResult(samples[0], modality, neighbours)
