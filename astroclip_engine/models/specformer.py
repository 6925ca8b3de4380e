"""SpecFormer: a transformer pretrained by masked spectrum modelling (AstroCLIP's spectrum tower).

Input: (B, L) or (B, 1, L) spectra. Each spectrum is
1. optionally averaged into `bin_size`-pixel bins (the CPU preset; 1 = the official design),
2. standardised (its mean and std, std clipped at 0.2, are kept),
3. cut into tokens: windows of `slice_section_length` pixels overlapping by `slice_overlap`,
4. preceded by a statistics token carrying the mean and std (scaled as (mean - 2) / 2 and
   (std - 2) / 8), each token zero-padded by two leading columns so that the statistics token
   and the flux windows share the width `input_dim = slice_section_length + 2`.
Tokens go through a linear embedding plus learned positions and `num_layers` pre- or post-norm
transformer blocks. Pretraining (`masked_loss`) zeroes `mask_num_chunks` random runs of
`mask_chunk_width` flux tokens and regresses their content with `head` (MSE on the masked tokens
only). `forward_features` is the mean of the final token states: the representation used by the
k-NN evaluations and fed to AstroCLIP's projection head.

Parameter names at the top level follow the official AstroCLIP SpecFormer (`data_embed`,
`position_embed`, `blocks`, `final_layernorm`, `head`); the blocks are torch's
`TransformerEncoderLayer`, so the names inside a block differ from the official ones.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn


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
    norm_first: bool = False

    @property
    def input_dim(self) -> int:
        return self.slice_section_length + 2

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


SPECFORMER_PRESETS: dict[str, SpecFormerConfig] = {
    # the official AstroCLIP sizes: 768-d, 6 layers, 6 heads, 20-pixel windows, 777 + 1 tokens
    "specformer": SpecFormerConfig(),
    # CPU preset: 4-pixel bins (3.2 A, still resolving emission lines), 24-bin windows
    # overlapping by 12 -> 160 + 1 tokens, 96-d, 2 layers, 4 heads (faster than spender_small)
    "specformer_small": SpecFormerConfig(embed_dim=96, num_layers=2, num_heads=4,
                                         slice_section_length=24, slice_overlap=12,
                                         mask_num_chunks=4, mask_chunk_width=10, bin_size=4,
                                         max_len=256, dropout=0.0, norm_first=True),
}


def slice_windows(x: Tensor, length: int, overlap: int) -> Tensor:
    """(B, L) -> (B, T, length) windows starting every `length - overlap` pixels."""
    return x.unfold(1, length, length - overlap)


class SpecFormer(nn.Module):
    """Masked-modelling spectrum transformer (see the module docstring)."""

    def __init__(self, config: SpecFormerConfig | None = None) -> None:
        super().__init__()
        self.config = config or SpecFormerConfig()
        c = self.config
        self.data_embed = nn.Linear(c.input_dim, c.embed_dim)
        self.position_embed = nn.Embedding(c.max_len, c.embed_dim)
        self.dropout = nn.Dropout(c.dropout)
        self.blocks = nn.ModuleList(
            nn.TransformerEncoderLayer(c.embed_dim, c.num_heads, 4 * c.embed_dim, c.dropout,
                                       activation="gelu", batch_first=True,
                                       norm_first=c.norm_first)
            for _ in range(c.num_layers))
        self.final_layernorm = nn.LayerNorm(c.embed_dim)
        self.head = nn.Linear(c.embed_dim, c.input_dim)
        self.num_features = c.embed_dim
        nn.init.normal_(self.position_embed.weight, std=0.02)

    def tokens(self, spectra: Tensor) -> Tensor:
        """(B, L) or (B, 1, L) spectra -> (B, 1 + T, input_dim) statistics + flux tokens."""
        x = spectra.squeeze(1) if spectra.dim() == 3 else spectra
        if x.dim() != 2:
            raise ValueError(f"expected spectra of shape (B, L) or (B, 1, L), got "
                             f"{tuple(spectra.shape)}")
        x = torch.nan_to_num(x.float())
        c = self.config
        if c.bin_size > 1:
            x = F.avg_pool1d(x[:, None], c.bin_size, ceil_mode=True)[:, 0]
        std = x.std(dim=1, keepdim=True).clamp(min=0.2)
        mean = x.mean(dim=1, keepdim=True)
        windows = slice_windows((x - mean) / std, c.slice_section_length, c.slice_overlap)
        if windows.shape[1] + 1 > c.max_len:
            raise ValueError(f"{windows.shape[1] + 1} tokens exceed max_len {c.max_len}")
        stats = torch.zeros(x.shape[0], 1, c.slice_section_length, device=x.device,
                            dtype=x.dtype)
        tokens = F.pad(torch.cat([stats, windows], dim=1), (2, 0))
        tokens[:, 0, 0] = ((mean - 2) / 2).squeeze(1)
        tokens[:, 0, 1] = ((std - 2) / 8).squeeze(1)
        return tokens

    def encode_tokens(self, tokens: Tensor) -> Tensor:
        """(B, T, input_dim) tokens -> (B, T, embed_dim) final states."""
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


def build_specformer(name: str) -> SpecFormer:
    """A freshly initialised SpecFormer of a preset (`SPECFORMER_PRESETS`)."""
    from astroclip_engine.errors import ConfigError

    if name not in SPECFORMER_PRESETS:
        raise ConfigError(f"unknown SpecFormer preset {name!r}; expected one of "
                          f"{', '.join(SPECFORMER_PRESETS)}")
    return SpecFormer(SPECFORMER_PRESETS[name])
