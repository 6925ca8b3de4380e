"""The PyInstaller build of the desktop app (build.spec) builds, starts offscreen on a tiny
project with --smoke and exits 0, and its --engine entry runs the engine CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.synthetic import build_synthetic_project

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_bundle_builds_and_opens_a_project(tmp_path: Path) -> None:
    if shutil.which("pyinstaller", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("pyinstaller is not installed (pip install -e .[dev])")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    build = subprocess.run(
        [str(Path(sys.executable).parent / "pyinstaller"), "build.spec", "--noconfirm",
         "--distpath", str(tmp_path / "dist"), "--workpath", str(tmp_path / "build")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1500,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    app = tmp_path / "dist" / "astroclip-studio" / "astroclip-studio"
    assert app.exists()

    project = build_synthetic_project(tmp_path / "proj", n=60)
    smoke = subprocess.run([str(app), str(project), "--smoke"], env=env, capture_output=True,
                           text=True, timeout=300, cwd=tmp_path)
    assert smoke.returncode == 0, smoke.stderr[-3000:]

    engine = subprocess.run(
        [str(app), "--engine", "info", str(tmp_path / "proj" / "dataset.h5"), "--json"],
        env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert engine.returncode == 0, engine.stderr[-3000:]
    assert '"rows": 60' in engine.stdout

    # kcorrect's templates travel with the bundle: the mock and the redshift_scan tower need them
    mock = subprocess.run(
        [str(app), "--engine", "mock", str(tmp_path / "m.h5"), "--n", "20", "--size", "32"],
        env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert mock.returncode == 0, mock.stderr[-3000:]
