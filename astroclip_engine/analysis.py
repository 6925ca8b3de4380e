"""After training: embed -> UMAP maps + clusters -> evaluation, as `astroclip` commands.

The one definition of that sequence: the demo (demo.py) and the GUI's runs panel both run these
steps, each the same command a user would type (docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from astroclip_engine.modalities import EXPLORER_MAPS


@dataclass(frozen=True)
class PipelineStep:
    """One `astroclip` command of a pipeline, and how to tell that its output already exists."""

    name: str
    done: Callable[[], bool]
    argv: Callable[[], list[str]]


REPRODUCIBLE_UMAP_SEED = 42
"""The seed of a reproducible map (`astroclip umap --seed`): bit-identical, single-threaded."""


def analysis_steps(checkpoint: Path, data: Path | str, store: Path,
                   evaluation: Path, evaluate_args: tuple[str, ...] = (),
                   umap_seed: int | None = None, *,
                   pretrained_spectrum: Path | str | None = None,
                   pretrained_image: Path | str | None = None) -> list[PipelineStep]:
    """Embed `data` with `checkpoint` into `store`, map it (UMAP + clusters) and evaluate it
    into the `evaluation` folder (`evaluate_args`: extra `astroclip evaluate` flags;
    `umap_seed`: reproducible but slower maps, None = unseeded on every core;
    `pretrained_spectrum` / `pretrained_image`: `astroclip pretrain` checkpoints whose encoder
    alone is evaluated too)."""
    seed_args = [] if umap_seed is None else ["--seed", str(umap_seed)]
    for flag, path in (("--pretrained-spectrum", pretrained_spectrum),
                       ("--pretrained-image", pretrained_image)):
        if path is not None and flag not in evaluate_args:
            evaluate_args = (*evaluate_args, flag, str(path))
    return [
        PipelineStep("embeddings", _store_of(store, checkpoint),
                     lambda: ["embed", "--checkpoint", str(checkpoint), "--data", str(data),
                              "--out", str(store)]),
        *[PipelineStep(f"UMAP ({m})", _has_map(store, m),
                       lambda m=m: ["umap", str(store), "--modality", m, "--clusters",
                                   *seed_args])
          for m in EXPLORER_MAPS],
        PipelineStep("evaluation", _newer_than(evaluation / "report.json", store),
                     lambda: ["evaluate", str(store), "--out", str(evaluation),
                              *evaluate_args]),
    ]


def _store_of(store: Path, checkpoint: Path) -> Callable[[], bool]:
    """Done when `store` exists and was embedded with this very checkpoint (a store left by an
    earlier model of the same run folder or project is embedded again, replacing it)."""
    def done() -> bool:
        from astroclip_engine.models.checkpoint_io import file_sha256
        from astroclip_engine.store import EmbeddingStore

        if not store.exists():
            return False
        if not Path(checkpoint).exists():  # nothing to compare with: keep the store
            return True
        with EmbeddingStore(store) as opened:
            return opened.info.checkpoint_sha256 == file_sha256(checkpoint)
    return done


def _newer_than(output: Path, source: Path) -> Callable[[], bool]:
    """Done when `output` exists and is at least as new as `source`."""
    def done() -> bool:
        return output.exists() and (not source.exists()
                                    or output.stat().st_mtime >= source.stat().st_mtime)
    return done


def _has_map(store: Path, modality: str) -> Callable[[], bool]:
    def done() -> bool:
        from astroclip_engine.store import EmbeddingStore

        if not store.exists():
            return False
        with EmbeddingStore(store) as opened:
            return opened.umap(modality) is not None and bool(opened.cluster_names())
    return done
