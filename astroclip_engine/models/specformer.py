"""SpecFormer, AstroCLIP's spectrum backbone: a transformer pretrained by masked spectrum
modelling. One class serves the official v2 checkpoints (`models.v2`) and our own pretraining
(`astroclip pretrain --modality spectrum`).

Input: (B, L), (B, 1, L) or (B, L, 1) spectra. Each spectrum is
1. optionally averaged into `bin_size`-pixel bins (the CPU preset; 1 = the official design),
2. standardised by its own mean and std (std clipped at 0.2),
3. cut into windows of `slice_section_length` samples every `section - overlap`, the last
   window always dropped (as the official `_slice` does),
4. padded to `section + 2` features behind a leading token that carries (mean - 2) / 2 and
   (std - 2) / 8.
Tokens go through a linear embedding plus learned positions and pre-norm transformer blocks.
`masked_loss` zeroes `mask_num_chunks` random runs of `mask_chunk_width` flux tokens and
regresses their content with `head` (MSE on the masked tokens only); `forward_features` is the
mean of the final token states (the "SpecFormer alone" representation).

Parameter names are the official ones (docs/formats.md section 2): `data_embed`,
`position_embed`, `blocks.{i}.layernorm1`, `.attention.attention` (packed q, k, v),
`.attention.projection`, `.layernorm2`, `.mlp.encoder`, `.mlp.decoder`, `final_layernorm`, `head`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

DEFAULT_HEAD_DIM = 128
"""768 / 6: the official SpecFormer's head width, used when a file does not name the heads."""


@dataclass(frozen=True)
class SpecFormerConfig:
    embed_dim: int = 768
    num_layers: int = 6
    num_heads: int = 6
    slice_section_length: int = 20
    slice_overlap: int = 10
    mask_num_chunks: int = 6
    mask_chunk_width: int = 50
    bin_size: int = 1
    max_len: int = 800
    dropout: float = 0.1
    hidden: int | None = None
    """MLP width (default 4 x embed_dim)."""

    @property
    def input_dim(self) -> int:
        return self.slice_section_length + 2

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


SPECFORMER_PRESETS: dict[str, SpecFormerConfig] = {
    # the official AstroCLIP sizes: 768-d, 6 layers, 6 heads, 20-pixel windows, 777 + 1 tokens
    "specformer": SpecFormerConfig(),
    # CPU preset: 4-pixel bins (3.2 A, still resolving emission lines), 24-bin windows
    # overlapping by 12 -> 161 + 1 tokens, 96-d, 2 layers, 4 heads
    "specformer_small": SpecFormerConfig(embed_dim=96, num_layers=2, num_heads=4,
                                         slice_section_length=24, slice_overlap=12,
                                         mask_num_chunks=4, mask_chunk_width=10, bin_size=4,
                                         max_len=256, dropout=0.0),
}


class SelfAttention(nn.Module):
    def __init__(self, dim: int, num_heads: int) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.attention = nn.Linear(dim, 3 * dim)
        self.projection = nn.Linear(dim, dim)

    def forward(self, x: Tensor) -> Tensor:
        b, t, c = x.shape
        q, k, v = (z.view(b, t, self.num_heads, c // self.num_heads).transpose(1, 2)
                   for z in self.attention(x).split(c, dim=2))
        y = F.scaled_dot_product_attention(q, k, v)
        return self.projection(y.transpose(1, 2).reshape(b, t, c))


class FeedForward(nn.Module):
    """The official `MLP`: encoder, GELU, decoder."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.encoder = nn.Linear(dim, hidden)
        self.activation = nn.GELU()
        self.decoder = nn.Linear(hidden, dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.decoder(self.activation(self.encoder(x)))


class TransformerBlock(nn.Module):
    """Pre-norm block; `dropout` on each residual branch (no parameters)."""

    def __init__(self, dim: int, num_heads: int, hidden: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.layernorm1 = nn.LayerNorm(dim)
        self.attention = SelfAttention(dim, num_heads)
        self.layernorm2 = nn.LayerNorm(dim)
        self.mlp = FeedForward(dim, hidden)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.dropout(self.attention(self.layernorm1(x)))
        return x + self.dropout(self.mlp(self.layernorm2(x)))


class SpecFormer(nn.Module):
    """See the module docstring. `SpecFormer(config, **sizes)`: a preset with any field
    replaced, e.g. `SpecFormer(embed_dim=96, num_layers=1, num_heads=2)`."""

    def __init__(self, config: SpecFormerConfig | None = None, **sizes: Any) -> None:
        super().__init__()
        self.config = c = replace(config or SpecFormerConfig(), **sizes)
        self.data_embed = nn.Linear(c.input_dim, c.embed_dim)
        self.position_embed = nn.Embedding(c.max_len, c.embed_dim)
        self.dropout = nn.Dropout(c.dropout)
        self.blocks = nn.ModuleList(
            TransformerBlock(c.embed_dim, c.num_heads, c.hidden or 4 * c.embed_dim, c.dropout)
            for _ in range(c.num_layers))
        self.final_layernorm = nn.LayerNorm(c.embed_dim)
        self.head = nn.Linear(c.embed_dim, c.input_dim)
        self.embed_dim = self.num_features = c.embed_dim
        nn.init.normal_(self.position_embed.weight, std=0.02)

    def tokens(self, spectra: Tensor) -> Tensor:
        """Spectra -> (B, 1 + T, section + 2): the statistics token and the flux windows."""
        x = torch.nan_to_num(spectra.reshape(len(spectra), -1).float())
        c = self.config
        if c.bin_size > 1:
            x = F.avg_pool1d(x[:, None], c.bin_size, ceil_mode=True)[:, 0]
        std = x.std(dim=1, keepdim=True).clamp(min=0.2)
        mean = x.mean(dim=1, keepdim=True)
        step = c.slice_section_length - c.slice_overlap
        count = len(range(0, x.shape[1] - c.slice_overlap, step)) - 1  # the last is dropped
        windows = ((x - mean) / std).unfold(1, c.slice_section_length, step)[:, :count]
        if windows.shape[1] + 1 > c.max_len:
            raise ValueError(f"{windows.shape[1] + 1} tokens, SpecFormer takes at most "
                             f"{c.max_len}")
        tokens = F.pad(windows, (2, 0, 1, 0))
        tokens[:, 0, 0] = (mean[:, 0] - 2) / 2
        tokens[:, 0, 1] = (std[:, 0] - 2) / 8
        return tokens

    def encode_tokens(self, tokens: Tensor) -> Tensor:
        """(B, T, section + 2) tokens -> (B, T, embed_dim) final states."""
        positions = torch.arange(tokens.shape[1], device=tokens.device)
        h = self.dropout(self.data_embed(tokens) + self.position_embed(positions)[None])
        for block in self.blocks:
            h = block(h)
        return self.final_layernorm(h)

    def forward(self, spectra: Tensor) -> Tensor:
        """(B, 1 + T, embed_dim) token states of unmasked spectra."""
        return self.encode_tokens(self.tokens(spectra))

    def forward_features(self, spectra: Tensor) -> Tensor:
        """(B, embed_dim): mean of the final token states."""
        return self.forward(spectra).mean(dim=1)

    def random_mask(self, batch: int, n_tokens: int, device: torch.device,
                    generator: torch.Generator | None = None) -> Tensor:
        """(B, n_tokens) bool, True on `mask_num_chunks` random runs of flux tokens."""
        c = self.config
        width = min(c.mask_chunk_width, n_tokens - 1)
        starts = torch.randint(1, n_tokens - width + 1, (batch, c.mask_num_chunks),
                               generator=generator, device=generator.device if generator
                               else device).to(device)
        offsets = torch.arange(n_tokens, device=device)[None, None]
        inside = (offsets >= starts[..., None]) & (offsets < starts[..., None] + width)
        return inside.any(dim=1)

    def masked_loss(self, spectra: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """MSE between the masked tokens and their reconstruction."""
        tokens = self.tokens(spectra)
        mask = self.random_mask(tokens.shape[0], tokens.shape[1], tokens.device, generator)
        corrupted = tokens.masked_fill(mask[..., None], 0.0)
        predicted = self.head(self.encode_tokens(corrupted))
        return F.mse_loss(predicted[mask], tokens[mask])

    @classmethod
    def from_state_dict(cls, state: Mapping[str, Tensor],
                        hparams: Mapping[str, Any] | None = None) -> SpecFormer:
        """Sizes from the tensor shapes; heads and windows from `hparams` when given."""
        hparams = hparams or {}
        embed_dim, input_dim = (int(n) for n in state["data_embed.weight"].shape)
        layers = len({m.group(1) for k in state if (m := re.match(r"blocks\.(\d+)\.", k))})
        heads = hparams.get("num_heads")
        overlap = hparams.get("slice_overlap", 10)
        return cls(embed_dim=embed_dim, num_layers=layers,
                   num_heads=int(heads) if isinstance(heads, int) else max(
                       1, embed_dim // DEFAULT_HEAD_DIM),
                   max_len=int(state["position_embed.weight"].shape[0]),
                   slice_section_length=input_dim - 2,
                   slice_overlap=int(overlap) if isinstance(overlap, int) else 10,
                   hidden=int(state["blocks.0.mlp.encoder.weight"].shape[0]))


def build_specformer(name: str) -> SpecFormer:
    """A freshly initialised SpecFormer of a preset (`SPECFORMER_PRESETS`)."""
    from astroclip_engine.errors import ConfigError

    if name not in SPECFORMER_PRESETS:
        raise ConfigError(f"unknown SpecFormer preset {name!r}; expected one of "
                          f"{', '.join(SPECFORMER_PRESETS)}")
    return SpecFormer(SPECFORMER_PRESETS[name])
