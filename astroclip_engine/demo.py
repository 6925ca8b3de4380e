"""The built-in demo project: mock survey -> spectrum std -> demo-cpu alignment (or, with
`pretrain=True`, SpecFormer pretraining then demo-pretrained alignment) -> embeddings ->
UMAP + clusters -> evaluation -> project.yaml. Each step is the same `astroclip` command a user
would run; a step whose output exists is skipped, so a second run opens at once and an
interrupted run resumes where it stopped."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from astroclip_engine.analysis import PipelineStep, analysis_steps
from astroclip_engine.errors import AstroClipError
from astroclip_engine.jobs import CancelToken, Progress, Reporter, null_reporter
from astroclip_engine.project import Project
from astroclip_engine.training.run_dir import RunDir

log = logging.getLogger(__name__)

DEMO_GALAXIES = 5000
DEMO_IMAGE_SIZE = 64
DEMO_SEED = 42


@dataclass(frozen=True)
class DemoLayout:
    """Where the demo project keeps each artefact."""

    root: Path

    @property
    def dataset(self) -> Path:
        return self.root / "data" / "mock.h5"

    @property
    def stddev(self) -> Path:
        return self.root / "data" / "spectrum_stddev.npy"

    @property
    def pretrain_run(self) -> RunDir:
        return RunDir(self.root / "runs" / "pretrain-spectrum")

    pretrain: bool = False
    """Pretrain the spectrum encoder first (the pretrain-then-align recipe)."""

    @property
    def run(self) -> RunDir:
        return RunDir(self.root / "runs" / ("demo-pretrained" if self.pretrain else "demo-cpu"))

    @property
    def store(self) -> Path:
        return self.root / "embeddings.h5"

    @property
    def evaluation(self) -> Path:
        return self.root / "evaluation"


DemoStep = PipelineStep


def demo_steps(layout: DemoLayout, n: int, image_size: int, max_epochs: int | None
               ) -> list[DemoStep]:
    """The pipeline, in order, as CLI invocations."""
    run, pretrain = layout.run, layout.pretrain_run
    pretrain_argv = ["pretrain", "--modality", "spectrum", "--data", str(layout.dataset),
                     "--stddev", str(layout.stddev), "--out", str(pretrain.path),
                     "--progress", "bar"]
    train_argv = ["train", "--data", str(layout.dataset), "--stddev", str(layout.stddev),
                  "--out", str(run.path), "--progress", "bar", "--preset"]
    train_argv += (["demo-pretrained", "--spectrum-checkpoint", str(pretrain.best_checkpoint)]
                   if layout.pretrain else ["demo-cpu"])
    if max_epochs is not None:
        train_argv += ["--max-epochs", str(max_epochs)]
        pretrain_argv += ["--max-epochs", str(max_epochs)]

    def finished(run_dir: RunDir) -> Callable[[], bool]:
        return lambda: (run_dir.read_status().state == "finished"
                        and run_dir.best_checkpoint.exists())

    def resumable(run_dir: RunDir, argv: list[str]) -> Callable[[], list[str]]:
        # an interrupted run continues from its last checkpoint
        return lambda: [*argv, "--resume"] if run_dir.last_checkpoint.exists() else argv

    pretrain_steps = [DemoStep("spectrum pretraining", finished(pretrain),
                               resumable(pretrain, pretrain_argv))] if layout.pretrain else []
    alone = ("--pretrained-spectrum", str(pretrain.best_checkpoint)) if layout.pretrain else ()
    return [
        DemoStep("mock survey", layout.dataset.exists,
                 lambda: ["mock", str(layout.dataset), "--n", str(n), "--seed", str(DEMO_SEED),
                          "--size", str(image_size)]),
        DemoStep("spectrum std", layout.stddev.exists,
                 lambda: ["stddev", str(layout.dataset), "--out", str(layout.stddev)]),
        *pretrain_steps,
        DemoStep("training", finished(run), resumable(run, train_argv)),
        *analysis_steps(run.best_checkpoint, layout.dataset, layout.store, layout.evaluation,
                        alone),
    ]


def build_demo_project(
    root: str | Path,
    n: int = DEMO_GALAXIES,
    image_size: int = DEMO_IMAGE_SIZE,
    max_epochs: int | None = None,
    reporter: Reporter | None = None,
    cancel: CancelToken | None = None,
    *,
    run_command: Callable[[Sequence[str]], int],
    pretrain: bool = False,
) -> Project:
    """Build (or finish building) the demo project in `root` and return it; `run_command`
    runs one `astroclip` command (the CLI passes its own `main`) and returns its exit code.
    `pretrain` adds the SpecFormer pretraining step before the alignment."""
    report = reporter or null_reporter
    run = run_command
    layout = DemoLayout(Path(root).expanduser().resolve(), pretrain=pretrain)
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
