"""Disk full while writing: a clear error, the old target intact, no temporary files left.

Two injections: `Path.write_text` patched to write half and raise OSError(ENOSPC) (Python-level
writers), and a real per-process file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored) under which
every write past the limit fails with EFBIG inside the C libraries too (torch's zip writer,
HDF5), exactly as on a full disk.
"""

from __future__ import annotations

import contextlib
import errno
import json
import resource
import signal
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from astroclip_engine.store import EmbeddingStore, StoreInfo, update_store, write_store
from tests.reliability.helpers import leftover_temp_files, no_traceback, run_cli

LIMIT = 1_000_000
"""Bytes a file may grow to under `file_size_limit` (above pytest's own capture files)."""


@contextlib.contextmanager
def file_size_limit(limit: int = LIMIT) -> Iterator[None]:
    """Writes past `limit` bytes fail with EFBIG in this process (restored afterwards)."""
    old = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, old[1]))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, old)
        signal.signal(signal.SIGXFSZ, previous)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_status_json_write_enospc(tmp_path: Path, monkeypatch, record_case) -> None:
    case = record_case(
        "disk full while rewriting status.json (atomic text write)",
        "Path.write_text patched: writes half the text, raises OSError(ENOSPC)",
        "OSError(ENOSPC) raised; status.json keeps its old content; no temporary file left")
    from astroclip_engine.training.run_dir import RunDir, RunStatus

    rd = RunDir(tmp_path / "run")
    rd.write_status(RunStatus(state="running", epoch=4))
    before = snapshot(tmp_path)
    original = Path.write_text

    def full_disk(self: Path, data: str, *args, **kwargs) -> int:
        original(self, data[: len(data) // 2], *args, **kwargs)
        raise OSError(errno.ENOSPC, "No space left on device", str(self))

    monkeypatch.setattr(Path, "write_text", full_disk)
    with pytest.raises(OSError) as raised:
        rd.write_status(RunStatus(state="finished", epoch=5))
    monkeypatch.undo()
    assert raised.value.errno == errno.ENOSPC
    assert snapshot(tmp_path) == before and not leftover_temp_files(tmp_path)
    assert json.loads(rd.status_path.read_text())["epoch"] == 4
    case.done("ENOSPC raised, old status.json (epoch 4) intact, no temporary", 0)


def test_checkpoint_save_disk_full(tiny_checkpoint: Path, tmp_path: Path, record_case) -> None:
    case = record_case(
        "disk full while saving a model checkpoint (save_astroclip)",
        f"RLIMIT_FSIZE {LIMIT:,} B: torch's zip writer fails part-way (3.7 MB file)",
        "an error; the previous checkpoint at the path still loads, bit for bit; no temporary")
    from astroclip_engine.models.checkpoints import load_astroclip, save_astroclip

    target = tmp_path / "model.ckpt"
    target.write_bytes(tiny_checkpoint.read_bytes())
    model, config = load_astroclip(target)
    before = snapshot(tmp_path)
    with pytest.raises(Exception) as raised, file_size_limit():
        save_astroclip(target, model, config)
    assert snapshot(tmp_path) == before and not leftover_temp_files(tmp_path)
    load_astroclip(target)
    case.done(f"{type(raised.value).__name__} raised; old checkpoint intact and loads", 0)


def big_store(path: Path, n: int = 20_000, dim: int = 16) -> Path:
    rng = np.random.default_rng(0)
    info = StoreInfo(embedding_dim=dim, checkpoint="c", checkpoint_sha256="0",
                     dataset_path="d.h5")
    write_store(path, image=rng.normal(size=(n, dim)), spectrum=rng.normal(size=(n, dim)),
                targetid=np.arange(n), row=np.arange(n), split=np.zeros(n, np.int8),
                redshift=np.zeros(n, np.float32), info=info)
    return path


def test_store_update_disk_full(tmp_path: Path, record_case) -> None:
    case = record_case(
        "disk full while adding a UMAP to an embeddings store (update_store)",
        f"RLIMIT_FSIZE {LIMIT:,} B: the copy of a 2.6 MB store fails part-way",
        "an error; the store is unchanged and still opens; no temporary")
    store = big_store(tmp_path / "emb.h5")
    before = snapshot(tmp_path)
    coords = np.zeros((20_000, 2), np.float32)
    with pytest.raises(OSError), file_size_limit():
        update_store(store, {"umap/image": (coords, {})})
    assert snapshot(tmp_path) == before and not leftover_temp_files(tmp_path)
    with EmbeddingStore(store) as opened:
        assert opened.umap("image") is None and len(opened) == 20_000
    case.done("OSError raised; store byte-identical, opens, no UMAP half-added", 0)


def test_csv_export_disk_full(tmp_path: Path, record_case) -> None:
    case = record_case(
        "disk full while exporting a selection to CSV (GUI export)",
        f"RLIMIT_FSIZE {LIMIT:,} B: a 60,000-row export (about 3 MB) fails part-way",
        "OSError; the CSV previously at the path keeps its content; no temporary")
    from astroclip_gui.explorer.export import export_rows_csv

    n = 60_000
    target = tmp_path / "selection.csv"
    target.write_text("targetid\n1\n")
    before = snapshot(tmp_path)
    values = np.linspace(0, 1, n)
    with pytest.raises(OSError) as raised, file_size_limit():
        export_rows_csv(target, np.arange(n), np.arange(n), np.c_[values, values],
                        {"redshift": values, "mass": values})
    assert raised.value.errno == errno.EFBIG
    assert snapshot(tmp_path) == before and not leftover_temp_files(tmp_path)
    case.done("EFBIG raised; old CSV intact; no temporary", 0)


@pytest.mark.slow
def test_mock_generation_disk_full(tmp_path: Path, record_case) -> None:
    case = record_case(
        "disk full while generating a mock survey (`astroclip mock`)",
        f"child process with RLIMIT_FSIZE {LIMIT:,} B: HDF5 fails writing the 2.4 MB file",
        "non-zero exit with a message, no crash; nothing at the target; no temporary left")
    out = tmp_path / "mock.h5"
    result = run_cli(["mock", str(out), "--n", "48", "--size", "40"],
                     FAULT_FILE_SIZE_LIMIT=LIMIT)
    left = sorted(p.name for p in tmp_path.iterdir())
    case.done(f"exit {result.returncode}; files left: {left or 'none'}", 0)
    assert result.returncode > 0, f"crashed with signal {-result.returncode}"
    assert not out.exists() and left == []


@pytest.mark.slow
def test_embed_disk_full_keeps_old_store(tiny_checkpoint: Path, tiny_mock: Path,
                                         tmp_path: Path, record_case) -> None:
    case = record_case(
        "disk full during `astroclip embed` over an existing store",
        "child process with RLIMIT_FSIZE 16,000 B (the partial store outgrows it)",
        "non-zero exit; the old store at OUT untouched; after space is freed a rerun "
        "(--restart if the partial is damaged) completes")
    out = tmp_path / "emb.h5"
    big_store(out, n=10, dim=8)
    old = out.read_bytes()
    args = ["embed", "--checkpoint", str(tiny_checkpoint), "--data", str(tiny_mock),
            "--out", str(out), "--batch-size", "4", "--device", "cpu"]
    full = run_cli(args, FAULT_FILE_SIZE_LIMIT=16_000)
    assert full.returncode != 0
    assert out.read_bytes() == old
    again = run_cli([*args, "--restart"])
    assert again.returncode == 0, again.stderr[-2000:]
    with EmbeddingStore(out) as store:
        assert len(store) == 48
    case.done(f"exit {full.returncode}; old store intact; rerun with --restart completed", 0)


@pytest.mark.slow
def test_cli_reports_disk_full_without_traceback(tiny_checkpoint: Path, tiny_mock: Path,
                                                 tmp_path: Path, record_case) -> None:
    case = record_case(
        "disk full during `astroclip embed`: the message",
        "child process with RLIMIT_FSIZE 16,000 B (EFBIG from HDF5)",
        "`astroclip: error: ...` naming the file, exit 2, no crash or traceback; the rerun "
        "resumes or asks for --restart")
    embed = run_cli(["embed", "--checkpoint", str(tiny_checkpoint), "--data", str(tiny_mock),
                     "--out", str(tmp_path / "e.h5"), "--device", "cpu"],
                    FAULT_FILE_SIZE_LIMIT=16_000)
    rerun = run_cli(["embed", "--checkpoint", str(tiny_checkpoint), "--data", str(tiny_mock),
                     "--out", str(tmp_path / "e.h5"), "--device", "cpu"])
    case.done(f"embed exit {embed.returncode}, rerun exit {rerun.returncode}", 0)
    assert embed.returncode == 2 and "astroclip: error:" in embed.stderr
    assert no_traceback(embed.stderr), embed.stderr[-1500:]
    assert rerun.returncode == 0 or (no_traceback(rerun.stderr) and "--restart" in rerun.stderr)
