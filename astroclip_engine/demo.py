"""The built-in demo project: mock survey -> spectrum std -> pretraining -> alignment ->
embeddings -> UMAP + clusters -> evaluation -> project.yaml. Each step is the same `astroclip`
command a user would run; a step whose output exists is skipped, so a second run opens at once
and an interrupted run resumes where it stopped.

Recipes (`RECIPES`, measured in docs/pretraining.md and the README):
- "pretrained" (default): MoCo image pretraining (`pretrain-image-small`), then `demo-scan`
  alignment of that image encoder with the `redshift_scan` spectrum tower (a Redrock-style
  template scan and a learned head; why: docs/science.md);
- "scratch": `demo-cpu` alignment from randomly initialised encoders;
- "both": image pretraining and SpecFormer masked pretraining, then `demo-pretrained`
  alignment of the two pretrained encoders.
Each recipe has its own run, store and evaluation folder, so they never overwrite each other.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from astroclip_engine.analysis import PipelineStep, analysis_steps
from astroclip_engine.errors import AstroClipError, ConfigError
from astroclip_engine.jobs import CancelToken, Progress, Reporter, null_reporter
from astroclip_engine.project import Project
from astroclip_engine.training.run_dir import RunDir

log = logging.getLogger(__name__)

DEMO_GALAXIES = 5000
DEMO_IMAGE_SIZE = 64
DEMO_SEED = 42
RECIPES: dict[str, str] = {
    "pretrained": "demo-scan",
    "scratch": "demo-cpu",
    "both": "demo-pretrained",
}
"""Recipe -> the alignment run's folder name under runs/ and its preset."""
DEFAULT_RECIPE = "pretrained"


@dataclass(frozen=True)
class DemoLayout:
    """Where the demo project keeps each artefact."""

    root: Path
    recipe: str = DEFAULT_RECIPE

    def __post_init__(self) -> None:
        if self.recipe not in RECIPES:
            raise ConfigError(f"unknown demo recipe {self.recipe!r}; expected one of "
                              f"{', '.join(RECIPES)}")

    @property
    def pretrains_image(self) -> bool:
        return self.recipe in ("pretrained", "both")

    @property
    def pretrains_spectrum(self) -> bool:
        return self.recipe == "both"

    @property
    def dataset(self) -> Path:
        return self.root / "data" / "mock.h5"

    @property
    def stddev(self) -> Path:
        return self.root / "data" / "spectrum_stddev.npy"

    @property
    def image_pretrain_run(self) -> RunDir:
        return RunDir(self.root / "runs" / "pretrain-image")

    @property
    def spectrum_pretrain_run(self) -> RunDir:
        return RunDir(self.root / "runs" / "pretrain-spectrum")

    @property
    def run(self) -> RunDir:
        return RunDir(self.root / "runs" / RECIPES[self.recipe])

    @property
    def _suffix(self) -> str:
        return "" if self.recipe == DEFAULT_RECIPE else f"-{self.recipe}"

    @property
    def store(self) -> Path:
        return self.root / f"embeddings{self._suffix}.h5"

    @property
    def evaluation(self) -> Path:
        return self.root / f"evaluation{self._suffix}"


DemoStep = PipelineStep


def _finished(run_dir: RunDir) -> Callable[[], bool]:
    return lambda: run_dir.read_status().state == "finished" and run_dir.best_checkpoint.exists()


def _run_step(name: str, run_dir: RunDir, argv: list[str]) -> DemoStep:
    """A training or pretraining step; an interrupted run continues from its last checkpoint."""
    return DemoStep(name, _finished(run_dir),
                    lambda: [*argv, "--resume"] if run_dir.last_checkpoint.exists() else argv)


def demo_steps(layout: DemoLayout, n: int, image_size: int, max_epochs: int | None
               ) -> list[DemoStep]:
    """The pipeline, in order, as CLI invocations."""
    data = ["--data", str(layout.dataset), "--stddev", str(layout.stddev), "--progress", "bar"]
    epochs = [] if max_epochs is None else ["--max-epochs", str(max_epochs)]
    image_run, spectrum_run = layout.image_pretrain_run, layout.spectrum_pretrain_run
    steps = [
        DemoStep("mock survey", layout.dataset.exists,
                 lambda: ["mock", str(layout.dataset), "--n", str(n), "--seed", str(DEMO_SEED),
                          "--size", str(image_size)]),
        DemoStep("spectrum std", layout.stddev.exists,
                 lambda: ["stddev", str(layout.dataset), "--out", str(layout.stddev)]),
    ]
    train = ["train", *data, "--out", str(layout.run.path), *epochs, "--preset",
             RECIPES[layout.recipe]]
    if layout.pretrains_image:
        steps.append(_run_step("image pretraining", image_run, [
            "pretrain", "--modality", "image", *data, "--out", str(image_run.path), *epochs]))
        train += ["--image-checkpoint", str(image_run.best_checkpoint)]
    if layout.pretrains_spectrum:
        steps.append(_run_step("spectrum pretraining", spectrum_run, [
            "pretrain", "--modality", "spectrum", *data, "--out", str(spectrum_run.path),
            *epochs]))
        train += ["--spectrum-checkpoint", str(spectrum_run.best_checkpoint)]
    steps.append(_run_step("training", layout.run, train))
    steps += analysis_steps(
        layout.run.best_checkpoint, layout.dataset, layout.store, layout.evaluation,
        pretrained_image=image_run.best_checkpoint if layout.pretrains_image else None,
        pretrained_spectrum=spectrum_run.best_checkpoint if layout.pretrains_spectrum else None)
    return steps


def build_demo_project(
    root: str | Path,
    n: int = DEMO_GALAXIES,
    image_size: int = DEMO_IMAGE_SIZE,
    max_epochs: int | None = None,
    reporter: Reporter | None = None,
    cancel: CancelToken | None = None,
    *,
    run_command: Callable[[Sequence[str]], int],
    recipe: str = DEFAULT_RECIPE,
) -> Project:
    """Build (or finish building) the demo project in `root` with one of `RECIPES` and return
    it; `run_command` runs one `astroclip` command (the CLI passes its own `main`) and returns
    its exit code."""
    report = reporter or null_reporter
    run = run_command
    layout = DemoLayout(Path(root).expanduser().resolve(), recipe)
    layout.root.mkdir(parents=True, exist_ok=True)
    steps = demo_steps(layout, n, image_size, max_epochs)
    for number, step in enumerate(steps):
        if cancel is not None:
            cancel.raise_if_cancelled()
        report(Progress("demo", number, len(steps), step.name))
        if step.done():
            log.info("demo: %s already done", step.name)
            continue
        start = time.perf_counter()
        log.info("demo: %s ...", step.name)
        code = run(step.argv())
        if code != 0:
            raise AstroClipError(f"demo step '{step.name}' failed (exit {code}); rerun "
                                 f"`astroclip demo --project {layout.root}` to resume")
        log.info("demo: %s done in %.0f s", step.name, time.perf_counter() - start)
    report(Progress("demo", len(steps), len(steps), "done"))
    project = Project(root=layout.root, name="AstroCLIP demo (mock survey)", store=layout.store,
                      dataset=layout.dataset, runs_dir=layout.run.path.parent,
                      checkpoint=layout.run.best_checkpoint, evaluation=layout.evaluation)
    project.save()
    return project
