"""Projection heads from encoder features to the shared embedding space (docs/architecture.md)."""

from __future__ import annotations

from torch import Tensor, nn


class ProjectionHead(nn.Module):
    """Linear -> GELU -> Linear (`in_features` -> `hidden` -> `out_features`)."""

    def __init__(self, in_features: int, hidden: int, out_features: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, out_features)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc2(self.act(self.fc1(x)))


def image_head(num_features: int, dim: int) -> ProjectionHead:
    """Image head F -> F -> D (2048 -> 2048 -> D for the Stein ResNet-50)."""
    return ProjectionHead(num_features, num_features, dim)


def spectrum_head(num_features: int, dim: int) -> ProjectionHead:
    """Spectrum head F -> 128 -> D, or F -> 256 -> D when D > 128."""
    return ProjectionHead(num_features, 256 if dim > 128 else 128, dim)
