"""The training wizard: data -> encoders -> model -> hardware -> review, then start."""

from astroclip_gui.training.wizard.dialog import TrainingWizard

__all__ = ["TrainingWizard"]
