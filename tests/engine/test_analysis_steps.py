"""The after-training steps redo what an earlier model of the same folder left behind."""

from __future__ import annotations

import os
from pathlib import Path

from astroclip_engine.analysis import analysis_steps
from astroclip_engine.models.checkpoint_io import file_sha256
from tests.engine.test_science_search import make_store


def _steps(tmp_path: Path) -> dict:
    steps = analysis_steps(tmp_path / "best.ckpt", tmp_path / "data.h5", tmp_path / "emb.h5",
                           tmp_path / "evaluation")
    return {step.name: step for step in steps}


def test_a_store_from_another_checkpoint_is_embedded_again(tmp_path: Path) -> None:
    checkpoint = tmp_path / "best.ckpt"
    checkpoint.write_bytes(b"model one")
    steps = _steps(tmp_path)
    assert not steps["embeddings"].done()
    make_store(tmp_path / "emb.h5", checkpoint_sha=file_sha256(checkpoint))
    assert steps["embeddings"].done()
    checkpoint.write_bytes(b"model two")  # retrained into the same run folder
    assert not steps["embeddings"].done()


def test_an_evaluation_older_than_its_store_is_redone(tmp_path: Path) -> None:
    store = make_store(tmp_path / "emb.h5")
    report = tmp_path / "evaluation" / "report.json"
    steps = _steps(tmp_path)
    assert not steps["evaluation"].done()
    report.parent.mkdir()
    report.write_text("{}")
    assert steps["evaluation"].done()
    later = report.stat().st_mtime + 10
    os.utime(store, (later, later))
    assert not steps["evaluation"].done()
