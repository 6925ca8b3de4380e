"""kill -9 of `astroclip embed` mid-run: the rerun resumes and equals an uninterrupted store."""

from __future__ import annotations

import random
import signal
import subprocess
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from astroclip_engine.embed import embed_dataset, partial_path
from astroclip_engine.store import EmbeddingStore
from tests.reliability.helpers import ROOT, child_env, cli_command, run_cli

BATCH = 4


@pytest.fixture(scope="module")
def reference_store(tiny_checkpoint: Path, tiny_mock: Path,
                    tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The store made in one uninterrupted run (in process)."""
    out = tmp_path_factory.mktemp("reference") / "emb.h5"
    return embed_dataset(tiny_checkpoint, tiny_mock, out, batch_size=BATCH, device="cpu")


def assert_same_store(path: Path, reference: Path) -> int:
    """Compare every column; returns the number of rows that differ (data lost)."""
    with EmbeddingStore(path) as got, EmbeddingStore(reference) as want:
        assert len(got) == len(want)
        np.testing.assert_array_equal(got.targetids, want.targetids)
        np.testing.assert_array_equal(got.split, want.split)
        np.testing.assert_array_equal(got.valid, want.valid)
        bad = np.zeros(len(want), dtype=bool)
        for modality in ("image", "spectrum"):
            a, b = got.embeddings(modality), want.embeddings(modality)
            bad |= ~np.isclose(a, b, atol=1e-5).all(axis=1)
        for name, values in want.properties().items():
            np.testing.assert_array_equal(got.properties()[name], values)
        return int(bad.sum())


def embed_args(checkpoint: Path, data: Path, out: Path) -> list[str]:
    return ["embed", "--checkpoint", str(checkpoint), "--data", str(data), "--out", str(out),
            "--batch-size", str(BATCH), "--device", "cpu"]


@pytest.mark.slow
def test_kill_between_write_and_bookkeeping_then_resume(tiny_checkpoint: Path, tiny_mock: Path,
                                                        reference_store: Path, tmp_path: Path,
                                                        record_case) -> None:
    case = record_case(
        "`astroclip embed` killed (SIGKILL) mid-run",
        "hook: SIGKILL in the 3rd batch after its rows are flushed, before `rows_done` is "
        "updated; then a timed SIGKILL of the rerun 0-1.5 s after the partial store appears",
        "no file at the final path until complete; the rerun resumes from OUT.partial; the "
        "final store equals an uninterrupted one")
    out = tmp_path / "emb.h5"
    args = embed_args(tiny_checkpoint, tiny_mock, out)
    first = run_cli(args, FAULT_KILL_AFTER_BATCHES=3)
    assert first.returncode == -signal.SIGKILL, first.stderr[-2000:]
    assert not out.exists() and partial_path(out).exists()
    with h5py.File(partial_path(out), "r") as f:
        assert int(f.attrs["rows_done"]) == 2 * BATCH

    timed_kills = 0
    rng = random.Random(5)
    for _ in range(2):  # kill at a random moment of the write loop (if it is still running)
        child = subprocess.Popen(cli_command(args), cwd=ROOT, env=child_env(),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while child.poll() is None and not out.exists() and time.monotonic() < deadline:
            if partial_path(out).exists():
                time.sleep(rng.uniform(0, 1.5))
                child.send_signal(signal.SIGKILL)
                break
            time.sleep(0.01)
        _, stderr = child.communicate(timeout=120)
        timed_kills += child.returncode == -signal.SIGKILL
        assert child.returncode in (0, -signal.SIGKILL), stderr[-2000:]
        if out.exists():
            EmbeddingStore(out).close()  # whatever exists at the final path is complete
            break

    if not out.exists():
        last = run_cli(args)
        assert last.returncode == 0, last.stderr[-2000:]
    assert not partial_path(out).exists()
    lost = assert_same_store(out, reference_store)
    case.done(f"killed after 2 of 12 batches + {timed_kills} timed kills; resumed; "
              "store equals the uninterrupted one", lost, "rows")
    assert lost == 0


def test_partial_store_never_at_final_path(tiny_checkpoint: Path, tiny_mock: Path,
                                           reference_store: Path, tmp_path: Path,
                                           record_case) -> None:
    case = record_case(
        "embedding job stopped (cancel) half-way, in process",
        "CancelToken set by the reporter after 3 batches, then embed_dataset called again",
        "OUT does not exist while incomplete; the second call resumes and matches the reference")
    from astroclip_engine.errors import JobCancelled
    from astroclip_engine.jobs import CancelToken, Progress

    out = tmp_path / "emb.h5"
    token = CancelToken()

    def stop_after_three(progress: Progress) -> None:
        if progress.current >= 3 * BATCH:
            token.cancel()

    with pytest.raises(JobCancelled):
        embed_dataset(tiny_checkpoint, tiny_mock, out, batch_size=BATCH, device="cpu",
                      reporter=stop_after_three, cancel=token)
    assert not out.exists()
    seen: list[int] = []
    embed_dataset(tiny_checkpoint, tiny_mock, out, batch_size=BATCH, device="cpu",
                  reporter=lambda p: seen.append(p.current))
    assert seen[0] == 3 * BATCH  # resumed, not restarted
    lost = assert_same_store(out, reference_store)
    case.done(f"resumed at row {seen[0]}; store equals the uninterrupted one", lost, "rows")
    assert lost == 0
