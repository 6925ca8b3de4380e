"""Training progress and run bookkeeping as Lightning plug-ins.

- `RunRecorder`: the one writer of a run's progress.jsonl, status.json, the optional JSON-lines
  stream (`astroclip train --progress json`) and the optional `Reporter`. Rank zero only.
- `AtomicCheckpointIO`: Lightning's own `_atomic_save` writes through an fsspec transaction whose
  temporary file lives in the system temp folder and is moved without fsync (a copy across file
  systems), so a kill -9 can leave a torn file. This one writes to a temporary sibling, fsyncs
  and renames (`atomic.atomic_path`), and loads with `weights_only=True` (no unpickling of code).
- `ProgressCallback`: start / step / epoch / checkpoint events and status updates.
- `GracefulStop`: on SIGTERM, SIGINT or SIGUSR1 (or a set CancelToken) finishes the current step,
  saves checkpoints/last.ckpt, and stops; a second SIGINT interrupts at once. SIGUSR1 is SLURM's
  time-limit warning (`training.slurm`): the run also asks to be requeued.
"""

from __future__ import annotations

import logging
import math
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import lightning as L
import torch
from lightning.fabric.plugins.io.torch_io import TorchCheckpointIO

from astroclip_engine.atomic import atomic_path
from astroclip_engine.jobs import CancelToken, Progress, Reporter
from astroclip_engine.training.module import R2_PAIRS
from astroclip_engine.training.run_dir import ProgressEvent, RunDir, RunState, RunStatus

log = logging.getLogger(__name__)


class RunRecorder:
    """Writes progress events and status.json of one run (call only on global rank zero)."""

    def __init__(self, run_dir: RunDir, stream: TextIO | None = None,
                 reporter: Reporter | None = None, status: RunStatus | None = None) -> None:
        self.run_dir = run_dir
        self.stream = stream
        self.reporter = reporter
        self.status = status or RunStatus()
        self.total_steps: int | None = None

    def emit(self, event: ProgressEvent) -> None:
        self.run_dir.append_progress(event)
        if self.stream is not None:
            self.stream.write(event.to_json() + "\n")
            self.stream.flush()
        if self.reporter is not None:
            self.reporter(Progress("train", event.step, self.total_steps, _describe(event),
                                   {"event": event.event, "epoch": event.epoch,
                                    "train_loss": event.train_loss, "val_loss": event.val_loss,
                                    "r2": event.r2}))

    def update(self, **changes: Any) -> None:
        for key, value in changes.items():
            setattr(self.status, key, value)
        self.run_dir.write_status(self.status)

    def finish(self, state: RunState, message: str = "") -> None:
        """Final status and the `end` (or `error`) event."""
        self.update(state=state, message=message)
        kind = "error" if state == "failed" else "end"
        self.emit(ProgressEvent(kind, epoch=self.status.epoch, step=self.status.step,
                                total_steps=self.total_steps, r2=dict(self.status.r2),
                                message=message or state))


def _describe(event: ProgressEvent) -> str:
    parts = [f"epoch {event.epoch}"]
    if event.train_loss is not None:
        parts.append(f"loss {event.train_loss:.3f}")
    if event.val_loss is not None:
        parts.append(f"val {event.val_loss:.3f}")
    if event.message:
        parts.append(event.message)
    return ", ".join(parts)


class AtomicCheckpointIO(TorchCheckpointIO):
    """torch.save to a temporary sibling + fsync + rename; notifies `on_saved(path)` after."""

    def __init__(self, on_saved: Callable[[Path], None] | None = None) -> None:
        super().__init__()
        self.on_saved = on_saved

    def save_checkpoint(self, checkpoint: dict[str, Any], path: Any,
                        storage_options: Any | None = None) -> None:
        path = Path(path)
        with atomic_path(path) as tmp:
            torch.save(checkpoint, tmp)
        if self.on_saved is not None:
            self.on_saved(path)

    def load_checkpoint(self, path: Any, map_location: Any = None,
                        weights_only: bool | None = None) -> dict[str, Any]:
        return torch.load(path, map_location=map_location or "cpu", weights_only=True)


def _metric(metrics: dict[str, Any], name: str) -> float | None:
    value = metrics.get(name)
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


class ProgressCallback(L.Callback):
    """Turns training into ProgressEvents and status.json updates (rank zero only)."""

    def __init__(self, recorder: RunRecorder, every_n_steps: int = 10) -> None:
        self.recorder = recorder
        self.every_n_steps = max(1, every_n_steps)
        self._start_time = 0.0
        self._start_step = 0
        self._epoch = 0
        self._loss_sum = 0.0
        self._loss_count = 0

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # After the checkpoint (if any) was restored: epoch and step are the resumed ones.
        if not trainer.is_global_zero:
            return
        total = trainer.estimated_stepping_batches
        self.recorder.total_steps = int(total) if math.isfinite(total) else None
        self._start_time = time.monotonic()
        self._start_step = trainer.global_step
        self._epoch = trainer.current_epoch
        resumed = trainer.global_step > 0
        self.recorder.update(state="running", pid=os.getpid(), epoch=trainer.current_epoch,
                             step=trainer.global_step, message="")
        message = (f"resumed at epoch {trainer.current_epoch + 1}, step {trainer.global_step}"
                   if resumed else f"training for {trainer.max_epochs} epochs")
        self.recorder.emit(ProgressEvent("start", epoch=trainer.current_epoch + 1,
                                         step=trainer.global_step,
                                         total_steps=self.recorder.total_steps, message=message))

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._loss_sum, self._loss_count = 0.0, 0

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any,
                           batch: Any, batch_idx: int) -> None:
        if not trainer.is_global_zero or outputs is None:
            return
        loss = float((outputs["loss"] if isinstance(outputs, dict) else outputs).detach())
        self._loss_sum += loss
        self._loss_count += 1
        step = trainer.global_step
        if step % self.every_n_steps != 0:
            return
        lr = trainer.optimizers[0].param_groups[0]["lr"] if trainer.optimizers else None
        self.recorder.status.step = step
        self.recorder.emit(ProgressEvent(
            "step", epoch=trainer.current_epoch + 1, step=step,
            total_steps=self.recorder.total_steps, train_loss=loss,
            lr=None if lr is None else float(lr), eta_s=self._eta(step)))

    def _eta(self, step: int) -> float | None:
        done = step - self._start_step
        total = self.recorder.total_steps
        if done <= 0 or total is None:
            return None
        return (time.monotonic() - self._start_time) / done * max(0, total - step)

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not trainer.is_global_zero or trainer.sanity_checking:
            return
        metrics = trainer.callback_metrics
        val_loss = _metric(metrics, "val/loss")
        r2 = {f"{q}_{k}": _metric(metrics, f"val/r2_{q}_{k}") for q, k in R2_PAIRS}
        r2 = {name: value for name, value in r2.items() if value is not None}
        status = self.recorder.status
        best = status.best_val_loss
        if val_loss is not None and (best is None or val_loss < best):
            best = val_loss
        self._epoch = trainer.current_epoch + 1
        self.recorder.update(epoch=self._epoch, step=trainer.global_step, best_val_loss=best,
                             r2=r2)
        self.recorder.emit(ProgressEvent(
            "epoch", epoch=self._epoch, step=trainer.global_step,
            total_steps=self.recorder.total_steps, train_loss=self._epoch_loss(),
            val_loss=val_loss, r2=r2, eta_s=self._eta(trainer.global_step)))

    def _epoch_loss(self) -> float | None:
        return self._loss_sum / self._loss_count if self._loss_count else None

    def checkpoint_saved(self, path: Path, trainer: L.Trainer) -> None:
        """Called by AtomicCheckpointIO once a checkpoint file is complete on disk."""
        self.recorder.emit(ProgressEvent("checkpoint", epoch=self._epoch,
                                         step=trainer.global_step,
                                         total_steps=self.recorder.total_steps,
                                         message=str(path)))


class GracefulStop(L.Callback):
    """Stop cleanly on SIGTERM / SIGINT or a cancelled token: save last.ckpt, then stop.

    The handlers replace Lightning's SIGTERM handler (which exits without saving) while the
    training loop runs. Under DDP the decision is shared, so every rank stops at the same step.
    """

    SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGUSR1")
                    if hasattr(signal, name))

    def __init__(self, last_checkpoint: Path, cancel: CancelToken | None = None) -> None:
        self.last_checkpoint = Path(last_checkpoint)
        self.cancel = cancel
        self.requested = False
        self.requeue = False
        self.stopped = False
        self._previous: dict[int, Any] = {}
        self._trainer: L.Trainer | None = None

    def _handle(self, signum: int, frame: Any) -> None:
        if self.requested and signum == signal.SIGINT:
            raise KeyboardInterrupt
        log.warning("received %s: stopping after this step", signal.Signals(signum).name)
        self.requested = True
        self.requeue = self.requeue or signum == getattr(signal, "SIGUSR1", None)
        launcher = self._trainer.strategy.launcher if self._trainer is not None else None
        if launcher is not None and hasattr(launcher, "kill"):
            launcher.kill(signum)  # forward to DDP child processes

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # After Lightning registered its own handlers (whose SIGTERM exits without saving).
        self._trainer = trainer
        try:
            for signum in self.SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        except ValueError:  # not the main thread (e.g. an in-process GUI job): token only
            self._previous = {}

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any,
                           batch: Any, batch_idx: int) -> None:
        stop = self.requested or (self.cancel is not None and self.cancel.cancelled)
        if trainer.world_size > 1:
            stop = trainer.strategy.reduce_boolean_decision(stop, all=False)
        if stop and not self.stopped:
            self.stopped = True
            trainer.should_stop = True
            trainer.save_checkpoint(self.last_checkpoint)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._restore()

    def teardown(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        self._restore()

    def _restore(self) -> None:
        for signum, handler in self._previous.items():
            if signal.getsignal(signum) == self._handle:
                signal.signal(signum, handler)
        self._previous = {}
