"""`train(config, run_dir)`: one training run on one machine or a cluster, resumable.

A run directory (`training.run_dir`) holds config.yaml, checkpoints/{best,last}.ckpt (written
atomically every epoch), progress.jsonl, status.json, logs/{csv,tensorboard}/ and train.log.
Resuming refuses a configuration that differs from config.yaml, except `trainer.max_epochs`
(extending a run is a legitimate resume). Accelerator "auto" picks a GPU when one is present;
more than one device or node selects DDP, and under SLURM Lightning reads the cluster layout
from the environment. Only global rank zero writes the run directory.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

import lightning as L
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.loggers import CSVLogger, Logger, TensorBoardLogger
from lightning.pytorch.plugins.environments import SLURMEnvironment

from astroclip_engine.config import RunConfig, config_diff
from astroclip_engine.data.datamodule import PairedDataModule
from astroclip_engine.errors import CheckpointError, ConfigError
from astroclip_engine.jobs import CancelToken, Reporter
from astroclip_engine.models.factory import load_pretrained
from astroclip_engine.models.v2.build import resolve_sizes
from astroclip_engine.training.callbacks import (
    AtomicCheckpointIO,
    GracefulStop,
    ProgressCallback,
    RunRecorder,
)
from astroclip_engine.training.module import AstroCLIPModule
from astroclip_engine.training.run_dir import RunDir, RunStatus
from astroclip_engine.training.slurm import requeue_current_job

log = logging.getLogger(__name__)

RESUMABLE_CHANGES: tuple[str, ...] = ("trainer.max_epochs",)
"""Config keys that may differ from config.yaml when resuming a run."""


def environment_rank() -> int:
    """Global rank of this process from the launcher's environment (0 outside DDP / SLURM)."""
    for key in ("RANK", "SLURM_PROCID", "LOCAL_RANK"):
        value = os.environ.get(key)
        if value is not None and value.isdigit():
            return int(value)
    return 0


def resume_conflicts(old: RunConfig, new: RunConfig) -> list[str]:
    """The differences between two configs that forbid resuming (all but RESUMABLE_CHANGES)."""
    return [line for line in config_diff(old, new)
            if line.split(":", 1)[0] not in RESUMABLE_CHANGES]


def prepare_run_dir(run_dir: RunDir, config: RunConfig, resume: bool) -> Path | None:
    """Check the run directory against `config`, write config.yaml, return the checkpoint to
    resume from (None: start from scratch)."""
    checkpoint = None
    if run_dir.exists() and run_dir.last_checkpoint.exists():
        if not resume:
            raise ConfigError(f"{run_dir.path} already holds a run (config.yaml); pass --resume "
                              "to continue it, or choose another output folder")
        conflicts = resume_conflicts(run_dir.read_config(), config)
        if conflicts:
            raise ConfigError(
                f"cannot resume {run_dir.path}: the configuration differs from its config.yaml "
                f"(only {', '.join(RESUMABLE_CHANGES)} may change):\n  " + "\n  ".join(conflicts))
        checkpoint = run_dir.last_checkpoint
    elif run_dir.exists():  # a run that never saved a checkpoint: nothing to keep
        log.info("%s has no checkpoint yet: starting it again from scratch", run_dir.path)
        run_dir.progress_path.unlink(missing_ok=True)
    elif resume:
        log.info("%s holds no run yet: starting a new one", run_dir.path)
    run_dir.path.mkdir(parents=True, exist_ok=True)
    for stale in run_dir.checkpoints_dir.glob(".*.tmp"):  # torn writes of a killed process
        stale.unlink(missing_ok=True)
    run_dir.write_config(config)
    return checkpoint


def _strategy(config: RunConfig) -> str:
    trainer = config.trainer
    if trainer.strategy != "auto":
        return trainer.strategy
    many = (isinstance(trainer.devices, int) and trainer.devices > 1) or trainer.num_nodes > 1
    return "ddp" if many else "auto"


def _loggers(config: RunConfig, run_dir: RunDir) -> list[Logger]:
    loggers: list[Logger] = [CSVLogger(run_dir.logs_dir, name="csv"),
                             TensorBoardLogger(run_dir.logs_dir, name="tensorboard")]
    project = config.trainer.wandb_project
    if project:
        if importlib.util.find_spec("wandb") is None:
            log.warning("wandb is not installed: not logging to W&B project %r", project)
        else:
            from lightning.pytorch.loggers import WandbLogger

            loggers.append(WandbLogger(project=project, name=config.name,
                                       save_dir=str(run_dir.logs_dir)))
    return loggers


@contextlib.contextmanager
def _log_to_file(path: Path, enabled: bool) -> Iterator[None]:
    """Copy the engine's and Lightning's log records to RUN_DIR/train.log."""
    if not enabled:
        yield
        return
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    loggers = [logging.getLogger(name) for name in ("astroclip_engine", "lightning")]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(min(logger.getEffectiveLevel(), logging.INFO))
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
        handler.close()


def _load_stddev(config: RunConfig) -> Any:
    if not config.data.spectrum_stddev:
        return None
    from astroclip_engine.data.stddev import load_spectrum_stddev

    return load_spectrum_stddev(config.data.spectrum_stddev)


def _is_oom(exc: BaseException) -> bool:
    return isinstance(exc, torch.cuda.OutOfMemoryError) or (
        isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower())


def train(
    config: RunConfig,
    run_dir: str | Path,
    resume: bool = False,
    reporter: Reporter | None = None,
    progress_stream: TextIO | None = None,
    cancel: CancelToken | None = None,
    callbacks: Sequence[L.Callback] = (),
) -> RunStatus:
    """Train (or resume) the run in `run_dir`; returns its final status.

    Progress goes to RUN_DIR/progress.jsonl, to `progress_stream` as JSON lines and to
    `reporter`; SIGTERM / SIGINT or `cancel` stop cleanly (state "cancelled", last.ckpt saved).
    """
    config = config.check()
    config = config.replace(model=resolve_sizes(config.model))  # v2: sizes from the files
    rd = RunDir(run_dir)
    zero = environment_rank() == 0
    if zero:
        checkpoint = prepare_run_dir(rd, config, resume)
        previous = rd.read_status() if checkpoint is not None else RunStatus()
    else:  # followers: rank zero has already checked and written the run directory
        checkpoint = rd.last_checkpoint if resume and rd.last_checkpoint.exists() else None
        previous = RunStatus()
    recorder = RunRecorder(rd, progress_stream, reporter, previous)
    with _log_to_file(rd.log_path, zero):
        try:
            stopper = _fit(config, rd, checkpoint, recorder, cancel, callbacks)
        except BaseException as exc:
            message = _failure_message(exc, config)
            if zero:
                recorder.finish("cancelled" if _interrupted(exc) else "failed", message)
            if _is_oom(exc):
                raise ConfigError(message) from exc
            raise
    if zero:
        if stopper.stopped and stopper.requeue and requeue_current_job():
            recorder.finish("cancelled", "SLURM time limit: saved last.ckpt and requeued the job")
        elif stopper.stopped:
            recorder.finish("cancelled", f"stopped; resume with --resume from {rd.last_checkpoint}")
        else:
            recorder.finish("finished")
    return recorder.status


def _interrupted(exc: BaseException) -> bool:
    return isinstance(exc, KeyboardInterrupt | SystemExit)


def _failure_message(exc: BaseException, config: RunConfig) -> str:
    if _is_oom(exc):
        return (f"out of GPU memory at batch size {config.trainer.batch_size}; retry with a "
                f"smaller --batch-size (e.g. {max(1, config.trainer.batch_size // 2)}) or "
                "--precision bf16-mixed")
    if _interrupted(exc):
        return "interrupted"
    return f"{type(exc).__name__}: {exc}"


def _batch_limit(value: int | float) -> int | float | None:
    """None for "every batch" (1.0), Lightning's default, which it then does not announce."""
    return None if isinstance(value, float) and value == 1.0 else value


def _fit(config: RunConfig, rd: RunDir, checkpoint: Path | None, recorder: RunRecorder,
         cancel: CancelToken | None, extra: Sequence[L.Callback]) -> GracefulStop:
    L.seed_everything(config.trainer.seed, workers=True, verbose=False)
    datamodule = PairedDataModule.from_config(config)
    datamodule.setup("fit")  # a dataset without valid pairs fails here, before any training
    module = build_module(config, _load_stddev(config))
    progress = ProgressCallback(recorder, every_n_steps=config.trainer.log_every_n_steps)
    stopper = GracefulStop(rd.last_checkpoint, cancel)
    # Two savers: Lightning's save_last only writes last.ckpt when a top-k checkpoint was saved.
    best = ModelCheckpoint(dirpath=rd.checkpoints_dir, filename="best", monitor="val/loss",
                           mode="min", save_top_k=1, auto_insert_metric_name=False,
                           enable_version_counter=False)
    last = ModelCheckpoint(dirpath=rd.checkpoints_dir, filename="last", monitor=None,
                           save_top_k=1, auto_insert_metric_name=False,
                           enable_version_counter=False)
    trainer = L.Trainer(
        accelerator=config.trainer.accelerator,
        devices=config.trainer.devices,
        num_nodes=config.trainer.num_nodes,
        strategy=_strategy(config),
        precision=config.trainer.precision,  # type: ignore[arg-type]
        max_epochs=config.trainer.max_epochs,
        limit_train_batches=_batch_limit(config.trainer.limit_train_batches),
        limit_val_batches=_batch_limit(config.trainer.limit_val_batches),
        gradient_clip_val=config.trainer.gradient_clip_val,
        log_every_n_steps=config.trainer.log_every_n_steps,
        num_sanity_val_steps=0,
        enable_progress_bar=False,
        default_root_dir=rd.path,
        logger=_loggers(config, rd),
        callbacks=[progress, stopper, *extra, best, last],
        plugins=_plugins(lambda path: progress.checkpoint_saved(path, trainer)),
    )
    if checkpoint is not None:
        _check_readable(checkpoint)
    trainer.fit(module, datamodule=datamodule,
                ckpt_path=str(checkpoint) if checkpoint is not None else None)
    return stopper


def build_module(config: RunConfig, stddev: Any) -> L.LightningModule:
    """The LightningModule of the run's task: alignment, or pretraining (`astroclip pretrain`)."""
    if config.model.task == "pretrain_spectrum":
        from astroclip_engine.training.pretrain_module import SpectrumPretrainModule

        return SpectrumPretrainModule(config, spectrum_stddev=stddev)
    return AstroCLIPModule(config, spectrum_stddev=stddev, model=load_pretrained(config.model))


def _plugins(on_saved: Any) -> list[Any]:
    """Atomic checkpoint IO; under SLURM, Lightning's own requeue (an extra hpc_ckpt file) is
    switched off: GracefulStop saves last.ckpt and `train` requeues."""
    plugins: list[Any] = [AtomicCheckpointIO(on_saved=on_saved)]
    if SLURMEnvironment.detect():
        plugins.append(SLURMEnvironment(auto_requeue=False))
    return plugins


def _check_readable(path: Path) -> None:
    """A clear error for a damaged last.ckpt instead of a deep unpickling traceback."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception as exc:
        raise CheckpointError(path, f"cannot read the checkpoint to resume from ({exc}); "
                              "delete it to restart the run from scratch") from exc
    if not isinstance(state, dict) or "state_dict" not in state:
        raise CheckpointError(path, "not a Lightning checkpoint (no 'state_dict')")
