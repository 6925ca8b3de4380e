"""AstroCLIP Studio engine: Qt-free data, models, training and analysis for AstroCLIP."""

__version__ = "0.1.0"
