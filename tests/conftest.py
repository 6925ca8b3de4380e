"""Shared fixtures: paths to the real data beside the clone, and tiny mock surveys."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"


@pytest.fixture(scope="session")
def realdata() -> Path:
    """`../shared/realdata` (real DESI spectra, a Legacy Survey cutout); skip if absent."""
    if not REALDATA.is_dir():
        pytest.skip("../shared/realdata is not beside the clone")
    return REALDATA


@pytest.fixture(scope="session")
def mock_survey(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small mock survey in the real release layout (64 galaxies, 152 px), made once."""
    from astroclip_engine.data.mock import generate_mock

    path = tmp_path_factory.mktemp("mock") / "mock.h5"
    generate_mock(path, n=64, seed=7)
    return path
