"""Training throughput of the demo-cpu preset on this machine's CPU, in pairs per second:

- "train step": full Lightning training steps (load, preprocess + augment, encode both
  modalities, loss, backward, Adam), timed between batch starts after one warm-up step;
- "data loading": the same train DataLoader iterated without the model.

The ratio (loading / training) shows whether the loader is the bottleneck (it is not if >> 1).
Run: `.venv/bin/python benchmarks/training_throughput.py [--quick]`.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import lightning as L
import torch

from astroclip_engine.config import load_preset
from astroclip_engine.data.datamodule import PairedDataModule
from astroclip_engine.data.mock import generate_mock
from astroclip_engine.training.module import AstroCLIPModule


class _StepTimer(L.Callback):
    def __init__(self) -> None:
        self.starts: list[float] = []

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        self.starts.append(time.perf_counter())

    def on_train_end(self, trainer, pl_module) -> None:
        self.starts.append(time.perf_counter())


def _train_rate(config, datamodule: PairedDataModule, steps: int) -> float:
    timer = _StepTimer()
    trainer = L.Trainer(accelerator="cpu", devices=1, max_steps=steps + 1, limit_val_batches=0,
                        logger=False, enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, callbacks=[timer])
    trainer.fit(AstroCLIPModule(config), datamodule=datamodule)
    elapsed = timer.starts[-1] - timer.starts[1]  # skip the warm-up step
    return steps * config.trainer.batch_size / elapsed


def _load_rate(datamodule: PairedDataModule, batches: int, batch_size: int) -> float:
    loader = datamodule.train_dataloader()
    iterator = iter(loader)
    next(iterator)  # warm-up (worker start)
    start = time.perf_counter()
    for _ in range(batches):
        try:
            next(iterator)
        except StopIteration:  # a new epoch
            iterator = iter(loader)
            next(iterator)
    return batches * batch_size / (time.perf_counter() - start)


def run(quick: bool = False) -> list[dict]:
    """Rows of the results table (one per measurement)."""
    torch.manual_seed(0)
    n, batch, steps = (400, 64, 3) if quick else (1600, 128, 8)
    base = load_preset("demo-cpu")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        data = generate_mock(Path(tmp) / "mock.h5", n=n, seed=1, image_size=64)
        config = base.replace(data={"path": str(data), "num_workers": 0},
                              trainer={"batch_size": batch})
        datamodule = PairedDataModule.from_config(config)
        datamodule.setup("fit")
        train_rate = _train_rate(config, datamodule, steps)
        load_rate = _load_rate(datamodule, steps, batch)
        threads = torch.get_num_threads()
        rows.append({"measurement": "train step (demo-cpu)", "batch": batch,
                     "threads": threads, "pairs_per_s": round(train_rate, 1), "ratio": 1.0})
        rows.append({"measurement": "data loading only", "batch": batch, "threads": threads,
                     "pairs_per_s": round(load_rate, 1),
                     "ratio": round(load_rate / train_rate, 1)})
    return rows


if __name__ == "__main__":
    from benchmarks.table import print_table

    print_table(run(quick="--quick" in sys.argv))
