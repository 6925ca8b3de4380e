"""Training wizard step 2: pretrained or from-scratch encoders."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QButtonGroup,
    QGroupBox,
    QRadioButton,
    QVBoxLayout,
    QWizardPage,
)

from astroclip_engine.config import RunConfig
from astroclip_gui.training.wizard.common import (
    check_argv,
)
from astroclip_gui.widgets.checked_path import CheckedPathField, json_verdict

if TYPE_CHECKING:
    from astroclip_gui.engine_process import EngineJobs


class _EncoderChoice(QGroupBox):
    """Pretrained checkpoint (checked on selection) or from scratch, small or full size, or a
    fixed encoder (`fixed`: its label; None for none)."""

    def __init__(self, title: str, pretrained: str, check: str, small: str, full: str,
                 jobs: EngineJobs, fixed: str | None = None) -> None:
        super().__init__(title)
        self.group = QButtonGroup(self)
        self.pretrained = QRadioButton(pretrained)
        self.small = QRadioButton(small)
        self.full = QRadioButton(full)
        self.fixed = QRadioButton(fixed or "")
        for index, button in enumerate((self.pretrained, self.small, self.full, self.fixed)):
            self.group.addButton(button, index)
        self.checkpoint = CheckedPathField(
            check_argv(check), json_verdict, jobs, "checkpoint file",
            file_filter="Checkpoints (*.ckpt *.pt *.pth)")
        layout = QVBoxLayout(self)
        layout.addWidget(self.pretrained)
        layout.addWidget(self.checkpoint)
        layout.addWidget(self.small)
        layout.addWidget(self.full)
        layout.addWidget(self.fixed)
        self.fixed.setVisible(fixed is not None)
        self.group.idToggled.connect(
            lambda _i, _c: self.checkpoint.setEnabled(self.pretrained.isChecked()))
        self.small.setChecked(True)

    def is_ok(self) -> bool:
        return not self.pretrained.isChecked() or self.checkpoint.is_ok()

    def checkpoint_path(self) -> str | None:
        return self.checkpoint.path if self.pretrained.isChecked() else None


class EncodersPage(QWizardPage):
    """Step 2: pretrained encoders or training from scratch; freeze or fine-tune."""

    def __init__(self, jobs: EngineJobs) -> None:
        super().__init__()
        self.setTitle("Encoders")
        self.setSubTitle("Start from the published encoders or from scratch. Checkpoints are "
                         "loaded and checked when chosen.")
        self.image = _EncoderChoice(
            "Image encoder", "Pretrained: Stein et al. (2021) MoCo ResNet-50 (resnet50.ckpt)",
            "stein", "From scratch: small ResNet (fast, fine on a CPU)",
            "From scratch: full-size ResNet-50", jobs)
        self.spectrum = _EncoderChoice(
            "Spectrum encoder", "Pretrained: spender (Liang && Melchior 2023, desi_edr_galaxy)",
            "spender", "From scratch: small spender (fast, fine on a CPU)",
            "From scratch: full-size spender", jobs,
            fixed="Redshift scan: fixed Redrock-style template fit + learned head "
                  "(best at CPU scale; the demo's)")
        self.finetune = QRadioButton("Fine-tune everything (the reproduction's default)")
        self.freeze = QRadioButton("Freeze the pretrained backbones, train the heads only")
        self.finetune.setChecked(True)
        mode = QGroupBox("Training")
        mode_layout = QVBoxLayout(mode)
        mode_layout.addWidget(self.finetune)
        mode_layout.addWidget(self.freeze)
        layout = QVBoxLayout(self)
        layout.addWidget(self.image)
        layout.addWidget(self.spectrum)
        layout.addWidget(mode)
        layout.addStretch(1)
        for choice in (self.image, self.spectrum):
            choice.checkpoint.verdict_changed.connect(self.completeChanged)
            choice.group.idToggled.connect(lambda _i, _c: self._update())
        self._update()

    def _update(self) -> None:
        any_pretrained = self.image.pretrained.isChecked() or self.spectrum.pretrained.isChecked()
        self.freeze.setEnabled(any_pretrained)
        if not any_pretrained:
            self.finetune.setChecked(True)
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.image.is_ok() and self.spectrum.is_ok()

    def apply(self, config: RunConfig) -> RunConfig:
        """`config` with the chosen encoders, checkpoints, freezing and image crop (96 for
        Stein's encoder, 144 for a full-size one from scratch, the preset's otherwise; images
        smaller than the crop are handled by the engine's transforms)."""
        image = "resnet_small" if self.image.small.isChecked() else "resnet50"
        if self.spectrum.fixed.isChecked():
            spectrum = "redshift_scan"
        else:
            spectrum = "spender_small" if self.spectrum.small.isChecked() else "spender"
        crop = config.model.image_crop
        if image != config.model.image_encoder or self.image.pretrained.isChecked():
            crop = 96 if self.image.pretrained.isChecked() or image == "resnet_small" else 144
        return config.replace(model={
            "image_encoder": image, "spectrum_encoder": spectrum, "image_crop": crop,
            "image_checkpoint": self.image.checkpoint_path(),
            "spectrum_checkpoint": self.spectrum.checkpoint_path(),
            "freeze_backbones": self.freeze.isEnabled() and self.freeze.isChecked(),
        })
