"""`python -m tests.reliability.faulty_cli ARGS...`: the `astroclip` CLI with faults injected.

Faults are chosen by environment variables, so the real command runs unchanged otherwise:

- FAULT_KILL_IN_SAVE=N: SIGKILL itself half-way through writing the N-th checkpoint (.ckpt)
  temporary file (a torn write at the moment of the crash).
- FAULT_KILL_BEFORE_REPLACE=N: SIGKILL itself after the N-th checkpoint's temporary file is
  complete but before it is renamed over the target.
- FAULT_KILL_AFTER_BATCHES=K: `astroclip embed` is killed in the K-th batch, after its rows were
  written to the partial store but before `rows_done` says so.
- FAULT_FILE_SIZE_LIMIT=BYTES: RLIMIT_FSIZE (SIGXFSZ ignored): every write past BYTES fails with
  EFBIG inside the C libraries too, as on a full disk.
"""

from __future__ import annotations

import io
import os
import resource
import signal
import sys
from pathlib import Path


def _die() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def _counter(limit: int):
    state = {"n": 0}

    def hit() -> bool:
        state["n"] += 1
        return state["n"] == limit

    return hit


def install_checkpoint_faults() -> None:
    import torch

    from astroclip_engine import atomic

    in_save = int(os.environ.get("FAULT_KILL_IN_SAVE", "0"))
    before_replace = int(os.environ.get("FAULT_KILL_BEFORE_REPLACE", "0"))
    if in_save:
        original_save = torch.save
        hit = _counter(in_save)

        def torn_save(obj, f, *args, **kwargs):
            if isinstance(f, str | Path) and ".ckpt" in str(f) and hit():
                buffer = io.BytesIO()
                original_save(obj, buffer, *args, **kwargs)
                data = buffer.getvalue()
                with open(f, "wb") as handle:
                    handle.write(data[: len(data) // 2])
                    handle.flush()
                    os.fsync(handle.fileno())
                _die()
            return original_save(obj, f, *args, **kwargs)

        torch.save = torn_save
    if before_replace:
        original_replace = os.replace
        hit = _counter(before_replace)

        def crash_replace(src, dst, *args, **kwargs):
            if str(dst).endswith(".ckpt") and hit():
                _die()
            return original_replace(src, dst, *args, **kwargs)

        atomic.os.replace = crash_replace  # type: ignore[attr-defined]


def install_embed_faults() -> None:
    after = int(os.environ.get("FAULT_KILL_AFTER_BATCHES", "0"))
    if not after:
        return
    from astroclip_engine import embed

    original = embed._write_rows
    hit = _counter(after)

    def write_then_die(f, *args, **kwargs):
        original(f, *args, **kwargs)  # the rows are on disk, rows_done is not yet updated
        if hit():
            _die()

    embed._write_rows = write_then_die


def install_size_limit() -> None:
    limit = int(os.environ.get("FAULT_FILE_SIZE_LIMIT", "0"))
    if limit:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def main() -> None:
    install_checkpoint_faults()
    install_embed_faults()
    install_size_limit()
    from astroclip_engine.cli import console_main

    console_main()  # reads sys.argv, exits like the `astroclip` command


if __name__ == "__main__":
    main()
