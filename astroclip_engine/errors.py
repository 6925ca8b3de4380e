"""The engine's exceptions: every message names the file, the key and what was expected."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
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


@contextlib.contextmanager
def reading(path: str | Path, key: str | None = None, expected: str = "a readable file"
            ) -> Iterator[None]:
    """Turn any library exception raised while reading `path` into a DataFormatError.

    Readers wrap their h5py / astropy / pyarrow calls in this so that a truncated or corrupt
    file always surfaces as one clear error naming the file, the key and the expectation.
    """
    try:
        yield
    except AstroClipError:
        raise
    except Exception as exc:
        raise DataFormatError(
            path, f"cannot be read as {expected} ({type(exc).__name__}: {exc})", key
        ) from exc
