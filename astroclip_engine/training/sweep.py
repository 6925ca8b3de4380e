"""Embedding-size sweeps: train `PREFIX-dD` presets one after another, one run directory each.

A sweep is resumable: a run whose status is "finished" with the same configuration is skipped,
an interrupted one is resumed from its last.ckpt, the others are started. A cancelled run stops
the sweep (the next `astroclip sweep` continues it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from astroclip_engine.config import RunConfig, load_preset
from astroclip_engine.errors import JobCancelled
from astroclip_engine.jobs import CancelToken, Progress, Reporter
from astroclip_engine.training.run_dir import RunDir, RunStatus

Trainer = Callable[..., RunStatus]


@dataclass(frozen=True)
class SweepRun:
    """One member of a sweep."""

    dim: int
    preset: str
    run_dir: Path
    config: RunConfig


def plan_sweep(dims: Sequence[int], preset_prefix: str, workspace: str | Path,
               overrides: dict[str, dict[str, Any]] | None = None) -> list[SweepRun]:
    """The runs of a sweep: preset PREFIX-dD for every D, with `overrides` applied by section,
    each in WORKSPACE/PREFIX-dD."""
    runs = []
    for dim in dims:
        preset = f"{preset_prefix}-d{dim}"
        config = load_preset(preset)
        for section, values in (overrides or {}).items():
            if values:
                config = config.replace(**{section: values})
        config = RunConfig.from_dict({**config.to_dict(), "name": preset})
        runs.append(SweepRun(dim, preset, Path(workspace) / preset, config.check()))
    return runs


def is_done(run: SweepRun) -> bool:
    """Finished with exactly this configuration."""
    run_dir = RunDir(run.run_dir)
    return (run_dir.exists() and run_dir.read_status().state == "finished"
            and run_dir.read_config() == run.config)


def sweep(
    runs: Sequence[SweepRun],
    reporter: Reporter | None = None,
    cancel: CancelToken | None = None,
    progress_stream: TextIO | None = None,
    train: Trainer | None = None,
) -> list[tuple[SweepRun, RunStatus]]:
    """Train the runs in order, skipping finished ones; returns (run, final status) pairs."""
    if train is None:
        from astroclip_engine.training.run import train
    results: list[tuple[SweepRun, RunStatus]] = []
    for number, run in enumerate(runs):
        if reporter is not None:
            reporter(Progress("sweep", number, len(runs), f"{run.preset}"))
        if cancel is not None:
            cancel.raise_if_cancelled()
        if is_done(run):
            results.append((run, RunDir(run.run_dir).read_status()))
            continue
        status = train(run.config, run.run_dir, resume=RunDir(run.run_dir).exists(),
                       reporter=reporter, progress_stream=progress_stream, cancel=cancel)
        results.append((run, status))
        if status.state != "finished":
            raise JobCancelled(f"sweep stopped at {run.preset} ({status.state}); run the same "
                               "command again to continue")
    if reporter is not None:
        reporter(Progress("sweep", len(runs), len(runs)))
    return results
