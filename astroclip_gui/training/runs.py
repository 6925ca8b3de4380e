"""The training state the views read: run folders, their progress events and checkpoints.

Views (monitor, runs panel, wizard) take runs from here or from the training controller, never
from `astroclip_engine.training` directly (an import-linter contract in pyproject.toml); this is
the one place the GUI meets the engine's run-directory layout (docs/architecture.md).
"""

from __future__ import annotations

from astroclip_engine.training.run_dir import ProgressEvent, RunDir, RunStatus, list_runs

__all__ = ["ProgressEvent", "RunDir", "RunStatus", "list_runs"]
