"""Persisted session: last project, colour choice, active galaxy, style, recent projects,
remembered dataset moves (QSettings) and named subsets (JSON index arrays in the settings dir)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QSettings

from astroclip_engine.atomic import atomic_write_text

ORGANIZATION = "AstroCLIP"
APPLICATION = "AstroCLIP Studio"
MAX_RECENT = 8


class Session:
    """Typed access to the app's QSettings; `directory` pins the file (tests, portable use)."""

    def __init__(self, organization: str = ORGANIZATION, application: str = APPLICATION,
                 directory: str | Path | None = None) -> None:
        if directory is not None:
            path = Path(directory) / f"{application}.ini"
            self.settings = QSettings(str(path), QSettings.Format.IniFormat)
        else:
            self.settings = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                                      organization, application)
        self.directory = Path(self.settings.fileName()).parent

    def get(self, key: str, default: Any = None) -> Any:
        value = self.settings.value(key, default)
        return default if value is None else value

    def set(self, key: str, value: Any) -> None:
        self.settings.setValue(key, value)

    def sync(self) -> None:
        self.settings.sync()

    # recent projects -----------------------------------------------------------------------
    def recent(self) -> list[str]:
        return self._json("recent", [])

    def add_recent(self, path: str) -> None:
        items = [path, *(p for p in self.recent() if p != path)][:MAX_RECENT]
        self.set("recent", json.dumps(items))

    # dataset files that moved ------------------------------------------------------------
    def dataset_mapping(self) -> dict[str, str]:
        return self._json("dataset_mapping", {})

    def remember_dataset(self, recorded: str, actual: str) -> None:
        mapping = self.dataset_mapping()
        mapping[recorded] = actual
        self.set("dataset_mapping", json.dumps(mapping))

    # subsets -----------------------------------------------------------------------------
    def subsets_path(self, project_key: str) -> Path:
        digest = hashlib.sha1(project_key.encode()).hexdigest()[:16]
        return self.directory / "subsets" / f"{digest}.json"

    def save_subsets(self, project_key: str, subsets: dict[str, np.ndarray]) -> None:
        payload = {"project": project_key,
                   "subsets": {name: np.asarray(ix).tolist() for name, ix in subsets.items()}}
        atomic_write_text(self.subsets_path(project_key), json.dumps(payload))

    def load_subsets(self, project_key: str, n: int) -> dict[str, np.ndarray]:
        """Saved subsets of a project; indices beyond its size (a changed store) are dropped."""
        path = self.subsets_path(project_key)
        if not path.exists():
            return {}
        try:
            data = json.loads(path.read_text())["subsets"]
        except (ValueError, KeyError):
            return {}
        out = {}
        for name, indices in data.items():
            array = np.asarray(indices, dtype=np.int64)
            out[name] = array[(array >= 0) & (array < n)]
        return out

    def _json(self, key: str, default: Any) -> Any:
        try:
            value = json.loads(self.get(key, ""))
        except (TypeError, ValueError):
            return default
        return value if isinstance(value, type(default)) else default
