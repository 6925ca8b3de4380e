"""A project folder: what the explorer opens (made by `astroclip demo` or by hand).

    PROJECT/project.yaml   name, dataset, store, runs_dir, checkpoint, evaluation (paths relative
                           to the project folder or absolute)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

from astroclip_engine.atomic import atomic_write_text
from astroclip_engine.errors import ConfigError

PROJECT_FILE = "project.yaml"


@dataclass(frozen=True)
class Project:
    """Resolved (absolute) paths of a project."""

    root: Path
    name: str
    store: Path
    dataset: Path | None = None
    runs_dir: Path | None = None
    checkpoint: Path | None = None
    evaluation: Path | None = None

    @classmethod
    def load(cls, path: str | Path) -> Project:
        """Open a project folder, its project.yaml, or a bare embeddings store (.h5)."""
        path = Path(path).expanduser().resolve()
        if path.is_dir():
            path = path / PROJECT_FILE
        if path.suffix in {".h5", ".hdf5"}:
            return cls(root=path.parent, name=path.stem, store=path)
        if not path.exists():
            raise ConfigError(f"{path}: no such project file")
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"{path}: cannot read project file ({exc})") from exc
        if not isinstance(data, dict) or "store" not in data:
            raise ConfigError(f"{path}: a project file needs at least the key 'store'")
        root = path.parent

        def resolve(key: str) -> Path | None:
            value = data.get(key)
            return None if value in (None, "") else (root / str(value)).resolve()

        store = resolve("store")
        assert store is not None
        return cls(
            root=root,
            name=str(data.get("name", root.name)),
            store=store,
            dataset=resolve("dataset"),
            runs_dir=resolve("runs_dir"),
            checkpoint=resolve("checkpoint"),
            evaluation=resolve("evaluation"),
        )

    def save(self) -> Path:
        """Write project.yaml with paths relative to the project folder where possible."""

        def rel(value: Path | None) -> str | None:
            if value is None:
                return None
            try:
                return str(Path(value).resolve().relative_to(self.root.resolve()))
            except ValueError:
                return str(value)

        data = {k: (rel(v) if isinstance(v, Path) else v) for k, v in asdict(self).items()}
        data.pop("root")
        target = self.root / PROJECT_FILE
        atomic_write_text(target, yaml.safe_dump(data, sort_keys=False))
        return target
