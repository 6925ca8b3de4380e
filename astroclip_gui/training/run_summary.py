"""One row of the runs panel, read from a run directory (Qt-free), and the analysis commands
(`astroclip embed`, `umap`, `evaluate`) that turn a finished run into an explorer store."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from astroclip_engine.analysis import analysis_steps
from astroclip_engine.errors import AstroClipError
from astroclip_gui.training.runs import RunDir

ENCODER_NAMES = {
    "resnet50": "ResNet-50", "resnet_small": "small ResNet",
    "spender": "spender", "spender_small": "small spender", "redshift_scan": "redshift scan",
    "specformer": "SpecFormer", "specformer_small": "small SpecFormer",
}
STORE_NAME = "embeddings.h5"
EVALUATION_DIR = "evaluation"
JSON_PROGRESS = ("--progress", "json")
"""Progress events for EngineProcess (its percent signal)."""


@dataclass(frozen=True)
class RunSummary:
    """What the runs panel shows for one run directory."""

    path: Path
    state: str
    encoders: str = "?"
    embedding_dim: int | None = None
    epoch: int = 0
    max_epochs: int | None = None
    best_val_loss: float | None = None
    r2: dict[str, float] = field(default_factory=dict)
    data: str = ""
    message: str = ""
    pretraining: bool = False
    """An `astroclip pretrain` run: one encoder, nothing to embed or explore."""

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def store_path(self) -> Path:
        return self.path / STORE_NAME

    @property
    def epochs_text(self) -> str:
        return f"{self.epoch} / {self.max_epochs}" if self.max_epochs else str(self.epoch)

    @property
    def r2_text(self) -> str:
        image, spectrum = self.r2.get("image_image"), self.r2.get("spectrum_spectrum")
        parts = [f"{label} {value:.2f}" for label, value in (("img", image), ("spec", spectrum))
                 if value is not None]
        return " · ".join(parts) or "–"

    @property
    def loss_text(self) -> str:
        return "–" if self.best_val_loss is None else f"{self.best_val_loss:.3f}"

    def key(self) -> tuple:
        """Changes whenever anything shown changes (the panel redraws only then)."""
        return (str(self.path), self.state, self.encoders, self.embedding_dim, self.epoch,
                self.max_epochs, self.best_val_loss, tuple(sorted(self.r2.items())))


def summarize(run: RunDir) -> RunSummary:
    """Read config.yaml and status.json; an unreadable config still gives a row."""
    status = run.read_status()
    try:
        config = run.read_config()
    except AstroClipError as exc:
        return RunSummary(run.path, status.state, message=str(exc))
    model = config.model
    image = ENCODER_NAMES.get(model.image_encoder, model.image_encoder)
    if model.image_checkpoint:
        own = pretraining_run_of(model.image_checkpoint) is not None
        image = f"pretrained {image}" if own else "Stein ResNet-50"
    spectrum = ENCODER_NAMES.get(model.spectrum_encoder, model.spectrum_encoder)
    if model.spectrum_checkpoint:
        spectrum = "pretrained " + (spectrum if spectrum.endswith("SpecFormer") else "spender")
    frozen = " (frozen)" if model.freeze_backbones else ""
    encoders = f"{image} + {spectrum}{frozen}"
    if model.task == "pretrain_spectrum":  # `astroclip pretrain`: one encoder, no alignment
        encoders = f"pretraining: {spectrum} (masked spectra)"
    elif model.task == "pretrain_image":
        encoders = f"pretraining: {image} (MoCo images)"
    return RunSummary(
        path=run.path, state=status.state, encoders=encoders,
        embedding_dim=None if model.task != "align" else model.embedding_dim,
        pretraining=model.task != "align", epoch=status.epoch,
        max_epochs=config.trainer.max_epochs, best_val_loss=status.best_val_loss,
        r2=dict(status.r2), data=config.data.path, message=status.message,
    )


def val_loss_curve(run: RunDir) -> tuple[list[float], list[float]]:
    """(epoch, validation loss) from the run's progress.jsonl."""
    xs: list[float] = []
    ys: list[float] = []
    for event in run.read_progress():
        if event.event == "epoch" and event.val_loss is not None:
            xs.append(float(event.epoch))
            ys.append(float(event.val_loss))
    return xs, ys


def pretraining_run_of(checkpoint: str | Path) -> str | None:
    """The modality ("spectrum", "image") when `checkpoint` lies in an `astroclip pretrain` run
    directory (RUN_DIR/checkpoints/*.ckpt), else None (e.g. a published checkpoint)."""
    run = RunDir(Path(checkpoint).parent.parent)
    try:
        task = run.read_config().model.task if run.config_path.exists() else "align"
    except AstroClipError:
        return None
    return task.removeprefix("pretrain_") if task.startswith("pretrain_") else None


def best_checkpoint(run: RunDir) -> Path:
    return run.best_checkpoint if run.best_checkpoint.exists() else run.last_checkpoint


def analysis_commands(run: RunDir, data: str,
                      umap_seed: int | None = None) -> list[tuple[str, list[str]]]:
    """(label, `astroclip` arguments) of the engine's analysis steps (embed -> UMAP maps ->
    evaluate, astroclip_engine/analysis.py) for this run's best model, with JSON progress
    (`umap_seed`: reproducible, slower maps); the evaluation adds the encoder-alone rows of the
    `astroclip pretrain` encoders the run started from."""
    alone: dict[str, str] = {}
    try:
        model = run.read_config().model
    except AstroClipError:
        model = None
    for checkpoint in (model.image_checkpoint, model.spectrum_checkpoint) if model else ():
        modality = pretraining_run_of(checkpoint) if checkpoint else None
        if modality is not None:
            alone[f"pretrained_{modality}"] = checkpoint
    steps = analysis_steps(best_checkpoint(run), data, run.path / STORE_NAME,
                           run.path / EVALUATION_DIR, umap_seed=umap_seed, **alone)
    return [(step.name, [*step.argv(), *JSON_PROGRESS]) for step in steps]


def resume_args(run: RunDir) -> list[str]:
    """`astroclip train` arguments that continue a run from its own config.yaml (the process
    adds --resume)."""
    try:
        task = run.read_config().model.task
        if task.startswith("pretrain_"):
            modality = task.removeprefix("pretrain_")
            return ["pretrain", "--modality", modality, "--out", str(run.path)]
    except AstroClipError:
        pass
    return ["train", "--out", str(run.path)]
