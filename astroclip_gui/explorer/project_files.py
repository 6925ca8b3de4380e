"""Explorer helpers around the engine's `Project` (project.yaml or a bare store); Qt-free."""

from __future__ import annotations

from pathlib import Path

from astroclip_engine.project import PROJECT_FILE, Project
from astroclip_engine.store import EmbeddingStore


def project_key(project: Project) -> str:
    """A stable identifier (recent files, saved session, subsets)."""
    yaml_path = project.root / PROJECT_FILE
    return str(yaml_path) if yaml_path.exists() else str(project.store)


def recorded_dataset_path(project: Project, store: EmbeddingStore) -> str:
    """The dataset path the project (or else the store) claims: the key of a remembered move."""
    if project.dataset is not None:
        return str(project.dataset)
    if store.info.dataset_path:
        recorded = Path(store.info.dataset_path)
        if not recorded.is_absolute():
            recorded = (store.path.parent / recorded).resolve()
        return str(recorded)
    return ""


def dataset_path_for(project: Project, store: EmbeddingStore,
                     remapped: dict[str, str] | None = None) -> Path:
    """Where the source dataset is now: as recorded, or where the user said it moved to.

    Raises FileNotFoundError (message: the recorded path) when neither exists.
    """
    recorded = recorded_dataset_path(project, store)
    candidates = [Path(recorded)] if recorded else []
    if remapped and recorded in remapped:
        candidates.insert(0, Path(remapped[recorded]))
    for candidate in candidates:
        if candidate.exists():
            return candidate
    raise FileNotFoundError(recorded or "(the store records no dataset path)")
