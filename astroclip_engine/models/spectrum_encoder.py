"""Spectrum encoders: spender's convolution + attention encoder and a small CPU variant.

`SpenderEncoder` reproduces spender's `SpectrumEncoder` (Liang, Melchior et al. 2023;
docs/formats.md) module for module, so the `encoder.*` part of a `desi_edr_galaxy` state_dict
loads with `strict=True` (see `models.checkpoint_io.load_spender_encoder` for the key clean-up
of real files).

Both encoders take standardised spectra of shape (B, L) or (B, 1, L) (L = 7781 on the DESI grid)
and expose `num_features` and `forward_features(x) -> (B, num_features)`: the attention-pooled
representation, before spender's latent MLP.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from astroclip_engine.errors import ConfigError


def _conv_block(in_channels: int, out_channels: int, kernel: int, dropout: float) -> nn.Sequential:
    """spender's block: Conv1d ('same' padding), InstanceNorm1d, per-channel PReLU, Dropout."""
    return nn.Sequential(
        nn.Conv1d(in_channels, out_channels, kernel, padding=kernel // 2),
        nn.InstanceNorm1d(out_channels),
        nn.PReLU(num_parameters=out_channels),
        nn.Dropout(p=dropout),
    )


class _AttentionConvEncoder(nn.Module):
    """Three conv blocks with max-pooling between them, then softmax attention over wavelength.

    The last block's channels split into values (first half) and attention logits (second half).
    """

    def __init__(self, filters: tuple[int, int, int], sizes: tuple[int, int, int],
                 pools: tuple[int, int], dropout: float) -> None:
        super().__init__()
        self.conv1 = _conv_block(1, filters[0], sizes[0], dropout)
        self.conv2 = _conv_block(filters[0], filters[1], sizes[1], dropout)
        self.conv3 = _conv_block(filters[1], filters[2], sizes[2], dropout)
        self.pool1 = nn.MaxPool1d(pools[0], padding=pools[0] // 2)
        self.pool2 = nn.MaxPool1d(pools[1], padding=pools[1] // 2)
        self.softmax = nn.Softmax(dim=-1)
        self.num_features = filters[2] // 2

    def attention(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Values (B, F, L') and attention weights (B, F, L') summing to 1 over wavelength."""
        if x.dim() == 2:
            x = x.unsqueeze(1)
        if x.dim() != 3 or x.shape[1] != 1:
            raise ValueError(f"expected spectra of shape (B, L) or (B, 1, L), got {tuple(x.shape)}")
        x = self.pool1(self.conv1(x))
        x = self.pool2(self.conv2(x))
        x = self.conv3(x)
        values, logits = torch.split(x, [self.num_features, self.num_features], dim=1)
        return values, self.softmax(logits)

    def forward_features(self, x: Tensor) -> Tensor:
        values, weights = self.attention(x)
        return torch.sum(values * weights, dim=2)


class SpenderEncoder(_AttentionConvEncoder):
    """spender's SpectrumEncoder: 1->128 (k5), 128->256 (k11), 256->512 (k21), 256-d attention
    pooling, then the latent MLP 256->128->64->32->S (`forward`)."""

    def __init__(self, n_latent: int = 6, hidden: tuple[int, ...] = (128, 64, 32),
                 dropout: float = 0.0) -> None:
        super().__init__((128, 256, 512), (5, 11, 21), (5, 11), dropout)
        self.n_latent = n_latent
        widths = [self.num_features, *hidden, n_latent]
        layers: list[nn.Module] = []
        for index in range(len(widths) - 1):
            layers.append(nn.Linear(widths[index], widths[index + 1]))
            last = index == len(widths) - 2
            layers.append(nn.Identity() if last else nn.PReLU(widths[index + 1]))
            layers.append(nn.Dropout(p=dropout))
        self.mlp = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        """spender latents (B, n_latent)."""
        return self.mlp(self.forward_features(x))


class SmallSpectrumEncoder(_AttentionConvEncoder):
    """The same design for CPUs: the spectrum is first averaged into 4-bin (3.2 A) bins, which
    still resolves DESI's emission lines, then 4x fewer channels and shorter kernels:
    7781 -> 1946 -> 487 -> 122 bins, 64-d attention-pooled features (about 5x faster to train
    than the unbinned design with the same channels)."""

    bin_size = 4

    def __init__(self, dropout: float = 0.0) -> None:
        super().__init__((32, 64, 128), (5, 7, 11), (4, 4), dropout)

    def attention(self, x: Tensor) -> tuple[Tensor, Tensor]:
        if x.dim() == 2:
            x = x.unsqueeze(1)
        if x.dim() == 3 and x.shape[1] == 1:
            x = nn.functional.avg_pool1d(x, self.bin_size, ceil_mode=True)
        return super().attention(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.forward_features(x)


def build_spectrum_encoder(name: str) -> nn.Module:
    """A freshly initialised spectrum encoder by its config name (SpecFormers: see
    `models.specformer`)."""
    if name.startswith("specformer"):
        from astroclip_engine.models.specformer import build_specformer

        return build_specformer(name)
    if name == "spender":
        return SpenderEncoder()
    if name == "spender_small":
        return SmallSpectrumEncoder()
    if name == "redshift_scan":
        from astroclip_engine.models.redshift_scan import RedshiftScanEncoder

        return RedshiftScanEncoder()
    raise ConfigError(f"unknown spectrum encoder {name!r}; expected 'spender', 'spender_small', "
                      "'redshift_scan', 'specformer' or 'specformer_small'")
