"""SpecFormer, the official spectrum backbone, with its parameter names and preprocessing.

Keys (docs/formats.md section 2): `data_embed`, `position_embed`, `blocks.{i}.layernorm1`,
`.attention.attention` (packed q, k, v), `.attention.projection`, `.layernorm2`,
`.mlp.encoder`, `.mlp.decoder`, `final_layernorm`, `head`. Preprocessing (`preprocess`): each
spectrum standardised by its own mean and std (std clipped at 0.2), cut into windows of
`section` samples every `section - overlap`, the last window always dropped (as the official
`_slice` does), padded to `section + 2` features with a leading token that carries
(mean - 2) / 2 and (std - 2) / 8.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor, nn

DEFAULT_HEAD_DIM = 128
"""768 / 6: the official SpecFormer's head width, used when the file does not name the heads."""


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
        y = nn.functional.scaled_dot_product_attention(q, k, v)
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
    def __init__(self, dim: int, num_heads: int, hidden: int) -> None:
        super().__init__()
        self.layernorm1 = nn.LayerNorm(dim)
        self.attention = SelfAttention(dim, num_heads)
        self.layernorm2 = nn.LayerNorm(dim)
        self.mlp = FeedForward(dim, hidden)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attention(self.layernorm1(x))
        return x + self.mlp(self.layernorm2(x))


class SpecFormer(nn.Module):
    """`forward(spectra (B, L) or (B, L, 1)) -> token embeddings (B, tokens, embed_dim)`."""

    def __init__(self, input_dim: int = 22, embed_dim: int = 768, num_layers: int = 6,
                 num_heads: int = 6, max_len: int = 800, slice_section_length: int = 20,
                 slice_overlap: int = 10, hidden: int | None = None) -> None:
        super().__init__()
        self.max_len, self.section, self.overlap = max_len, slice_section_length, slice_overlap
        self.data_embed = nn.Linear(input_dim, embed_dim)
        self.position_embed = nn.Embedding(max_len, embed_dim)
        self.blocks = nn.ModuleList(TransformerBlock(embed_dim, num_heads, hidden or 4 * embed_dim)
                                    for _ in range(num_layers))
        self.final_layernorm = nn.LayerNorm(embed_dim)
        self.head = nn.Linear(embed_dim, input_dim)
        self.embed_dim = embed_dim

    def preprocess(self, x: Tensor) -> Tensor:
        """(B, L) flux -> (B, tokens, section + 2) standardised windows + the scale token."""
        x = x.reshape(len(x), -1).float()
        std = x.std(1, keepdim=True).clip(min=0.2)
        mean = x.mean(1, keepdim=True)
        x = (x - mean) / std
        step = self.section - self.overlap
        starts = range(0, x.shape[1] - self.overlap, step)
        windows = [x[:, s:s + self.section] for s in starts][:-1]  # the last is always dropped
        tokens = torch.stack(windows, dim=1)
        tokens = nn.functional.pad(tokens, (2, 0, 1, 0))
        tokens[:, 0, 0] = (mean[:, 0] - 2) / 2
        tokens[:, 0, 1] = (std[:, 0] - 2) / 8
        return tokens

    def forward(self, x: Tensor) -> Tensor:
        x = self.preprocess(x)
        if x.shape[1] > self.max_len:
            raise ValueError(f"{x.shape[1]} tokens, SpecFormer takes at most {self.max_len}")
        pos = torch.arange(x.shape[1], device=x.device)
        x = self.data_embed(x) + self.position_embed(pos)
        for block in self.blocks:
            x = block(x)
        return self.final_layernorm(x)

    @classmethod
    def from_state_dict(cls, state: Mapping[str, Tensor],
                        hparams: Mapping[str, Any] | None = None) -> SpecFormer:
        """Sizes from the tensor shapes; heads and windows from `hparams` when given."""
        hparams = hparams or {}
        embed_dim, input_dim = (int(n) for n in state["data_embed.weight"].shape)
        layers = len({m.group(1) for k in state if (m := re.match(r"blocks\.(\d+)\.", k))})
        heads = hparams.get("num_heads")
        overlap = hparams.get("slice_overlap", 10)
        return cls(input_dim=input_dim, embed_dim=embed_dim, num_layers=layers,
                   num_heads=int(heads) if isinstance(heads, int) else max(
                       1, embed_dim // DEFAULT_HEAD_DIM),
                   max_len=int(state["position_embed.weight"].shape[0]),
                   slice_section_length=input_dim - 2,
                   slice_overlap=int(overlap) if isinstance(overlap, int) else 10,
                   hidden=int(state["blocks.0.mlp.encoder.weight"].shape[0]))
