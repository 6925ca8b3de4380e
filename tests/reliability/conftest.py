"""Fixtures of the reliability suite and the hooks that turn its cases into docs/reliability.md.

Every test asks for `record_case(fault, injection, expected)` and calls `case.done(observed,
lost)` once it has checked the outcome; the pytest result becomes the row's outcome. With
RELIABILITY_REPORT=1 and every reliability test collected (no -k, no single file), the session
writes docs/reliability.md atomically at the end (`python -m tests.reliability.report`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.reliability.report import ENV_VAR, Case, write_report

HERE = Path(__file__).resolve().parent
CASES = pytest.StashKey[list[Case]]()
PARTIAL = pytest.StashKey[bool]()
ITEM_CASE = pytest.StashKey[Case]()


def _mine(item: pytest.Item) -> bool:
    return Path(str(item.path)).resolve().parent == HERE


def pytest_configure(config: pytest.Config) -> None:
    config.stash[CASES] = []
    config.stash[PARTIAL] = False


def pytest_deselected(items: list[pytest.Item]) -> None:
    if items and any(_mine(item) for item in items):
        items[0].config.stash[PARTIAL] = True


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    case = item.stash.get(ITEM_CASE, None)
    if case is None or (report.when != "call" and report.passed):
        return
    if hasattr(report, "wasxfail"):
        case.outcome = "xfailed" if report.skipped else "XPASS (bug fixed? drop the xfail)"
    else:
        case.outcome = report.outcome
    if report.when == "call":
        case.seconds = report.duration


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if os.environ.get(ENV_VAR) != "1" or config.stash.get(PARTIAL, True):
        return
    ran = {Path(str(item.path)).name for item in session.items if _mine(item)}
    expected = {path.name for path in HERE.glob("test_*.py")}
    if not expected or ran != expected:
        return
    write_report(config.stash[CASES])


@pytest.fixture
def record_case(request: pytest.FixtureRequest) -> Callable[[str, str, str], Case]:
    """`record_case(fault, injection, expected) -> Case`; the test calls `case.done(...)`."""

    def record(fault: str, injection: str, expected: str) -> Case:
        case = Case(request.node.nodeid, fault, injection, expected)
        request.node.stash[ITEM_CASE] = case
        request.config.stash[CASES].append(case)
        return case

    return record


# --- shared tiny inputs ---------------------------------------------------------------------

TINY_PRESET = """\
name: tiny
model: {image_encoder: resnet_small, spectrum_encoder: spender_small, embedding_dim: 8,
        image_crop: 32}
data: {path: '', num_workers: 0, val_fraction: 0.25}
trainer: {batch_size: 8, max_epochs: 3, log_every_n_steps: 1, accelerator: cpu, devices: 1}
"""


@pytest.fixture(scope="session")
def tiny_mock(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 48-galaxy mock survey with 40 px images (real release layout + property table)."""
    from astroclip_engine.data.mock import generate_mock

    return generate_mock(tmp_path_factory.mktemp("tiny_mock") / "mock.h5", n=48, seed=11,
                         image_size=40)


@pytest.fixture(scope="session")
def tiny_preset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A preset YAML: small encoders, D = 8, 32 px crop, batch 8, 3 epochs, CPU."""
    path = tmp_path_factory.mktemp("preset") / "tiny.yaml"
    path.write_text(TINY_PRESET)
    return path


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory, tiny_mock: Path,
                    tiny_preset: Path) -> Path:
    """An untrained AstroCLIP export (seeded) for the tiny preset."""
    import torch

    from astroclip_engine.config import RunConfig
    from astroclip_engine.models.checkpoints import save_astroclip
    from astroclip_engine.models.factory import build_model

    config = RunConfig.from_yaml(tiny_preset).replace(data={"path": str(tiny_mock)})
    torch.manual_seed(0)
    model = build_model(config.model)
    return save_astroclip(tmp_path_factory.mktemp("ckpt") / "tiny.ckpt", model, config)
