"""Run configuration: frozen dataclasses <-> YAML. Presets live in resources/presets/*.yaml."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

import yaml

from astroclip_engine.errors import ConfigError
from astroclip_engine.resources import resource_path

ImageEncoderName = Literal["resnet50", "resnet_small"]
SpectrumEncoderName = Literal["spender", "spender_small", "redshift_scan", "specformer",
                              "specformer_small"]
SPECTRUM_ENCODERS: tuple[str, ...] = ("spender", "spender_small", "redshift_scan", "specformer",
                                      "specformer_small")
ModelFamily = Literal["astroclip", "astroclip-v2"]
OptimizerName = Literal["adam", "adamw"]
TaskName = Literal["align", "pretrain_spectrum", "pretrain_image"]
TASKS: tuple[str, ...] = ("align", "pretrain_spectrum", "pretrain_image")
EMBEDDING_DIMS: tuple[int, ...] = (2, 4, 8, 16, 32, 64, 128, 256, 512)


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of an AstroCLIP model."""

    image_encoder: ImageEncoderName = "resnet50"
    spectrum_encoder: SpectrumEncoderName = "spender"
    embedding_dim: int = 128
    image_checkpoint: str | None = None
    """Stein et al. `resnet50.ckpt` (Lightning MoCo checkpoint), an `astroclip pretrain
    --modality image` checkpoint of the same image_encoder, or None to start from scratch."""
    spectrum_checkpoint: str | None = None
    """spender `desi_edr_galaxy` checkpoint, or None to start from scratch."""
    freeze_backbones: bool = False
    temperature: float = 0.07
    learnable_temperature: bool = False
    image_crop: int = 96
    """Centre crop fed to the image encoder: 96 for Stein's encoder, 144 otherwise."""
    family: ModelFamily = "astroclip"
    """"astroclip": the encoders above with projection heads; "astroclip-v2": the official v2
    model (AstroDINO ViT + SpecFormer, cross-attention heads of output size `embedding_dim`;
    `image_checkpoint` = astrodino.ckpt, `spectrum_checkpoint` = specformer.ckpt; the encoder
    names, `image_crop` and `temperature` do not apply: crop 144, fixed logit scale 15.5)."""
    vit_width: int | None = None
    """v2 sizes (ViT width/depth, SpecFormer width/layers/heads): None = read from the backbone
    checkpoints when training starts (the official sizes without them)."""
    vit_depth: int | None = None
    specformer_width: int | None = None
    specformer_layers: int | None = None
    specformer_heads: int | None = None
    task: TaskName = "align"
    """"align": contrastive image-spectrum training (`astroclip train`); "pretrain_spectrum":
    masked spectrum modelling of the spectrum encoder alone (`astroclip pretrain`);
    "pretrain_image": MoCo-v2 self-supervision of the image encoder alone (projector output
    `embedding_dim`, softmax temperature `temperature`)."""


@dataclass(frozen=True)
class DataConfig:
    """Where the pairs come from and how they are augmented."""

    path: str = ""
    properties: str | None = None
    spectrum_stddev: str | None = None
    """File written by `astroclip stddev` (per-bin std of standardised spectra)."""
    val_fraction: float = 0.1
    """Fraction of the train split held out for validation."""
    num_workers: int = 0
    augment: bool = True
    image_noise: float = 0.03
    spectrum_noise: float = 0.3


ScheduleName = Literal["cosine", "constant"]


@dataclass(frozen=True)
class OptimConfig:
    """Adam (the reproduction's optimiser) or AdamW, and the learning-rate schedule."""

    optimizer: OptimizerName = "adam"
    lr: float = 5e-4
    weight_decay: float = 1e-4
    schedule: ScheduleName = "cosine"
    """"cosine": cosine annealing from `lr` to 0 over all optimizer steps of the run, updated
    every step (the reproduction used Adam + cosine annealing); "constant": `lr` throughout."""
    warmup_fraction: float = 0.0
    """Fraction of the optimizer steps over which a "cosine" schedule first rises linearly from
    0 to `lr` (then the cosine runs over the remaining steps); 0 = no warm-up."""


@dataclass(frozen=True)
class TrainerConfig:
    batch_size: int = 512
    max_epochs: int = 75
    precision: str = "32-true"
    accelerator: str = "auto"
    devices: int | str = "auto"
    num_nodes: int = 1
    strategy: str = "auto"
    seed: int = 42
    val_knn_k: int = 16
    log_every_n_steps: int = 10
    wandb_project: str | None = None
    limit_train_batches: float | int = 1.0
    limit_val_batches: float | int = 1.0
    gradient_clip_val: float | None = None
    """Clip the gradient norm at this value (None: no clipping)."""


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines a training run (saved as RUN_DIR/config.yaml)."""

    name: str = "run"
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def check(self) -> RunConfig:
        """Raise ConfigError naming the first invalid value (key and expectation); else self."""
        _check_config(self)
        return self

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        return _build(cls, data, "config")

    @classmethod
    def from_yaml(cls, path: str | Path) -> RunConfig:
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"{path}: cannot read configuration ({exc})") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: expected a mapping at the top level")
        try:
            return cls.from_dict(data)
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from exc

    def replace(self, **sections: dict[str, Any]) -> RunConfig:
        """A copy with some fields of some sections changed: replace(model={"embedding_dim": 8})."""
        changes: dict[str, Any] = {}
        for section, values in sections.items():
            current = getattr(self, section)
            if isinstance(values, dict):
                changes[section] = _build(type(current), {**dataclasses.asdict(current), **values},
                                          section)
            else:
                changes[section] = values
        return dataclasses.replace(self, **changes)


def _build(cls: type, data: dict[str, Any], where: str) -> Any:
    known = {f.name: f for f in fields(cls)}
    unknown = set(data) - set(known)
    if unknown:
        raise ConfigError(f"unknown keys in {where}: {', '.join(sorted(unknown))}")
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        default = known[name].default_factory if known[name].default_factory is not \
            dataclasses.MISSING else None
        if default is not None and dataclasses.is_dataclass(default) and isinstance(value, dict):
            kwargs[name] = _build(default, value, f"{where}.{name}")
        elif default is not None and isinstance(value, dict):
            sub_type = type(default())
            kwargs[name] = _build(sub_type, value, f"{where}.{name}")
        else:
            kwargs[name] = value
    return cls(**kwargs)


def _check_config(config: RunConfig) -> None:
    def fail(key: str, expected: str, value: Any) -> None:
        raise ConfigError(f"{key}: expected {expected}, got {value!r}")

    def positive_int(key: str, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            fail(key, "a positive integer", value)

    m, d, o, t = config.model, config.data, config.optim, config.trainer
    if m.image_encoder not in ("resnet50", "resnet_small"):
        fail("model.image_encoder", "'resnet50' or 'resnet_small'", m.image_encoder)
    if m.spectrum_encoder not in SPECTRUM_ENCODERS:
        fail("model.spectrum_encoder", " or ".join(map(repr, SPECTRUM_ENCODERS)),
             m.spectrum_encoder)
    if m.task not in TASKS:
        fail("model.task", " or ".join(map(repr, TASKS)), m.task)
    if m.task == "pretrain_spectrum" and not m.spectrum_encoder.startswith("specformer"):
        fail("model.spectrum_encoder", "a SpecFormer ('specformer' or 'specformer_small') for "
             "masked spectrum pretraining", m.spectrum_encoder)
    positive_int("model.embedding_dim", m.embedding_dim)
    if m.family not in ("astroclip", "astroclip-v2"):
        fail("model.family", "'astroclip' or 'astroclip-v2'", m.family)
    for key in ("vit_width", "vit_depth", "specformer_width", "specformer_layers",
                "specformer_heads"):
        if getattr(m, key) is not None:
            positive_int(f"model.{key}", getattr(m, key))
    positive_int("model.image_crop", m.image_crop)
    if not isinstance(m.temperature, int | float) or m.temperature <= 0:
        fail("model.temperature", "a number > 0", m.temperature)
    if not isinstance(d.val_fraction, int | float) or not 0 < d.val_fraction < 1:
        fail("data.val_fraction", "a fraction strictly between 0 and 1", d.val_fraction)
    if isinstance(d.num_workers, bool) or not isinstance(d.num_workers, int) or d.num_workers < 0:
        fail("data.num_workers", "an integer >= 0", d.num_workers)
    if not isinstance(o.lr, int | float) or o.lr <= 0:
        fail("optim.lr", "a number > 0", o.lr)
    if not isinstance(o.weight_decay, int | float) or o.weight_decay < 0:
        fail("optim.weight_decay", "a number >= 0", o.weight_decay)
    if o.schedule not in ("cosine", "constant"):
        fail("optim.schedule", "'cosine' or 'constant'", o.schedule)
    if o.optimizer not in ("adam", "adamw"):
        fail("optim.optimizer", "'adam' or 'adamw'", o.optimizer)
    if not isinstance(o.warmup_fraction, int | float) or not 0 <= o.warmup_fraction < 1:
        fail("optim.warmup_fraction", "a fraction in [0, 1)", o.warmup_fraction)
    clip = t.gradient_clip_val
    if clip is not None and (isinstance(clip, bool) or not isinstance(clip, int | float)
                             or clip <= 0):
        fail("trainer.gradient_clip_val", "a number > 0 or null", clip)
    for key in ("batch_size", "max_epochs", "num_nodes", "val_knn_k", "log_every_n_steps"):
        positive_int(f"trainer.{key}", getattr(t, key))
    if t.devices != "auto":
        positive_int("trainer.devices", t.devices)


def preset_dir() -> Path:
    return resource_path("presets")


SIZED_PRESETS = ("repro",)
"""Presets that also answer to NAME-dD (an embedding size D): repro-d2 ... repro-d512."""


def _sized_alias(name: str) -> tuple[str, int] | None:
    """(base preset, D) when `name` is NAME-dD of a sized preset."""
    base, sep, dim = name.rpartition("-d")
    if sep and base in SIZED_PRESETS and dim.isdigit() and int(dim) > 0:
        return base, int(dim)
    return None


def list_presets() -> list[str]:
    """Preset names: the files in resources/presets and the NAME-dD aliases of EMBEDDING_DIMS."""
    aliases = [f"{base}-d{dim}" for base in SIZED_PRESETS for dim in EMBEDDING_DIMS]
    return sorted({p.stem for p in preset_dir().glob("*.yaml")} | set(aliases))


def preset_path(name: str) -> Path:
    """The YAML file of a preset name (an alias's base preset); it may not exist."""
    alias = _sized_alias(name)
    path = preset_dir() / f"{name}.yaml"
    return preset_dir() / f"{alias[0]}.yaml" if alias and not path.exists() else path


def load_preset(name: str) -> RunConfig:
    """A preset by name (resources/presets/NAME.yaml, or NAME-dD for a sized preset with
    embedding size D) or by path to a YAML file."""
    candidate = Path(name)
    if candidate.suffix in {".yaml", ".yml"} and candidate.exists():
        return RunConfig.from_yaml(candidate)
    path = preset_path(name)
    if not path.exists():
        raise ConfigError(f"unknown preset {name!r}; available: {', '.join(list_presets())}")
    config = RunConfig.from_yaml(path)
    alias = _sized_alias(name)
    if alias and path.stem != name:
        config = dataclasses.replace(config.replace(model={"embedding_dim": alias[1]}), name=name)
    return config


def config_diff(a: RunConfig, b: RunConfig) -> list[str]:
    """Human-readable differences between two configs ("section.key: a -> b")."""
    out: list[str] = []

    def walk(x: Any, y: Any, prefix: str) -> None:
        if isinstance(x, dict) and isinstance(y, dict):
            for key in sorted(set(x) | set(y)):
                walk(x.get(key), y.get(key), f"{prefix}.{key}" if prefix else key)
        elif x != y:
            out.append(f"{prefix}: {x!r} -> {y!r}")

    walk(a.to_dict(), b.to_dict(), "")
    return out
