"""AstroCLIP v2's heads: a learned query cross-attending to backbone tokens, then an MLP.

Keys: `cross_attention.query [1, 1, E]`, `cross_attention.multihead_attn.*` (torch
MultiheadAttention: packed `in_proj_weight` when the backbone width equals E, separate
`q/k/v_proj_weight` otherwise), `cross_attention.layernorm.*`, `mlp.encoder.*`, `mlp.decoder.*`.
The image head returns `mlp(x)`, the spectrum head `x + mlp(x)` (official `ImageHead` /
`SpectrumHead`); both with 4 attention heads.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from astroclip_engine.models.specformer import FeedForward

HEADS = 4


class CrossAttentionHead(nn.Module):
    def __init__(self, embed_dim: int, model_dim: int, num_heads: int = HEADS) -> None:
        super().__init__()
        self.query = nn.Parameter(torch.randn(1, 1, embed_dim))
        self.multihead_attn = nn.MultiheadAttention(embed_dim, num_heads, batch_first=True,
                                                    kdim=model_dim, vdim=model_dim)
        self.layernorm = nn.LayerNorm(embed_dim)

    def forward(self, tokens: Tensor) -> Tensor:
        """(B, T, model_dim) -> (B, embed_dim)."""
        query = self.query.expand(len(tokens), -1, -1)
        out = self.multihead_attn(query, tokens, tokens, need_weights=False)[0]
        return self.layernorm(out)[:, 0]


class AlignmentHead(nn.Module):
    """Backbone + cross-attention + MLP (residual for spectra, not for images)."""

    def __init__(self, backbone: nn.Module, model_dim: int, embed_dim: int, hidden: int,
                 residual: bool) -> None:
        super().__init__()
        self.backbone = backbone
        self.cross_attention = CrossAttentionHead(embed_dim, model_dim)
        self.mlp = FeedForward(embed_dim, hidden)
        self.residual = residual

    def head(self, tokens: Tensor) -> Tensor:
        x = self.cross_attention(tokens)
        return x + self.mlp(x) if self.residual else self.mlp(x)
