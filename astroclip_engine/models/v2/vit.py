"""AstroDINO's image backbone: a dinov2 vision transformer with dinov2's parameter names.

Keys (docs/formats.md section 1): `cls_token`, `pos_embed`, `mask_token`, `patch_embed.proj.*`,
`blocks.{chunk}.{i}.*` (dinov2 `block_chunks`: chunk c holds blocks by their global index,
padded with parameter-free Identity) or `blocks.{i}.*`, and `norm.*`. Every size is read from
the tensor shapes; heads are dim / 64 as in every dinov2 size (ViT-S/B/L/g).
AstroCLIP's image head uses `patch_tokens`: patch embedding -> blocks -> norm, without the CLS
token or the positional embedding (as the official `ImageHead.forward` does).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

import torch
from torch import Tensor, nn

HEAD_DIM = 64
LAYER_NORM_EPS = 1e-6


class PatchEmbed(nn.Module):
    def __init__(self, in_chans: int, dim: int, patch: int) -> None:
        super().__init__()
        self.proj = nn.Conv2d(in_chans, dim, kernel_size=patch, stride=patch)

    def forward(self, x: Tensor) -> Tensor:
        return self.proj(x).flatten(2).transpose(1, 2)  # (B, tokens, dim)


class Attention(nn.Module):
    def __init__(self, dim: int, num_heads: int) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: Tensor) -> Tensor:
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.num_heads, c // self.num_heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)
        out = nn.functional.scaled_dot_product_attention(q, k, v)
        return self.proj(out.transpose(1, 2).reshape(b, n, c))


class Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc2(self.act(self.fc1(x)))


class LayerScale(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.gamma = nn.Parameter(torch.full((dim,), 1e-5))

    def forward(self, x: Tensor) -> Tensor:
        return x * self.gamma


class Block(nn.Module):
    """Pre-norm transformer block with layer scale (dinov2 `NestedTensorBlock`)."""

    def __init__(self, dim: int, num_heads: int, hidden: int, layer_scale: bool) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=LAYER_NORM_EPS)
        self.attn = Attention(dim, num_heads)
        self.ls1 = LayerScale(dim) if layer_scale else nn.Identity()
        self.norm2 = nn.LayerNorm(dim, eps=LAYER_NORM_EPS)
        self.mlp = Mlp(dim, hidden)
        self.ls2 = LayerScale(dim) if layer_scale else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.ls1(self.attn(self.norm1(x)))
        return x + self.ls2(self.mlp(self.norm2(x)))


class DinoViT(nn.Module):
    """dinov2 `DinoVisionTransformer` (no register tokens, Identity head)."""

    def __init__(self, img_size: int = 144, patch: int = 12, dim: int = 1024, depth: int = 24,
                 hidden: int = 4096, chunks: int = 4, in_chans: int = 3,
                 layer_scale: bool = True) -> None:
        super().__init__()
        self.patch_size = patch
        self.num_heads = max(1, dim // HEAD_DIM)
        tokens = (img_size // patch) ** 2
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, tokens + 1, dim))
        self.mask_token = nn.Parameter(torch.zeros(1, dim))
        self.patch_embed = PatchEmbed(in_chans, dim, patch)
        blocks = [Block(dim, self.num_heads, hidden, layer_scale) for _ in range(depth)]
        if chunks > 0:
            size = math.ceil(depth / chunks)
            self.blocks = nn.ModuleList(
                nn.ModuleList([nn.Identity()] * start + blocks[start:start + size])
                for start in range(0, depth, size))
        else:
            self.blocks = nn.ModuleList(blocks)
        self.norm = nn.LayerNorm(dim, eps=LAYER_NORM_EPS)
        self.embed_dim = dim

    def patch_tokens(self, x: Tensor) -> Tensor:
        """(B, C, H, W) -> normalised patch tokens (B, H*W/p^2, dim), no CLS / positions."""
        x = self.patch_embed(x)
        for block in self.blocks:
            if isinstance(block, nn.ModuleList):
                for inner in block:
                    x = inner(x)
            else:
                x = block(x)
        return self.norm(x)

    @classmethod
    def from_state_dict(cls, state: Mapping[str, Tensor]) -> DinoViT:
        """Sizes from the tensor shapes of a dinov2 state dict (no prefix)."""
        proj = state["patch_embed.proj.weight"]
        dim, in_chans, patch = int(proj.shape[0]), int(proj.shape[1]), int(proj.shape[-1])
        tokens = int(state["pos_embed"].shape[1]) - 1
        chunked = [m.groups() for k in state
                   if (m := re.match(r"blocks\.(\d+)\.(\d+)\.norm1\.weight$", k))]
        flat = [m.group(1) for k in state if (m := re.match(r"blocks\.(\d+)\.norm1\.weight$", k))]
        depth = len(chunked) or len(flat)
        chunks = len({c for c, _ in chunked})
        hidden = int(next(v for k, v in state.items() if k.endswith("mlp.fc1.weight")).shape[0])
        layer_scale = any(k.endswith("ls1.gamma") for k in state)
        return cls(img_size=patch * math.isqrt(tokens), patch=patch, dim=dim, depth=depth,
                   hidden=hidden, chunks=chunks, in_chans=in_chans, layer_scale=layer_scale)
