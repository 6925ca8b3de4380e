"""The engine's exceptions: every message names the file, the key and what was expected."""

from __future__ import annotations

from pathlib import Path


class AstroClipError(Exception):
    """Base class of every error the engine raises on purpose."""


class DataFormatError(AstroClipError):
    """A data file is missing, unreadable, or does not have the expected layout."""

    def __init__(self, path: str | Path, problem: str, key: str | None = None) -> None:
        self.path = Path(path)
        self.key = key
        self.problem = problem
        where = f"{self.path}" + (f" [{key}]" if key else "")
        super().__init__(f"{where}: {problem}")


class CheckpointError(AstroClipError):
    """A checkpoint is corrupt, unsafe, or of the wrong architecture."""

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class ConfigError(AstroClipError):
    """A configuration or preset is invalid, or differs from the run being resumed."""


class StoreError(AstroClipError):
    """An embeddings store is invalid, incompatible, or lacks what was asked for."""


class JobCancelled(AstroClipError):
    """A long job stopped because its CancelToken was set."""
