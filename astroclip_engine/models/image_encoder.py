"""Image encoders: a torchvision-compatible ResNet-50 and a small ResNet for CPU training.

Both are timm-like: `num_features` and `forward_features(x) -> (B, num_features)` (global
average pool, no classifier). `ResNet50Encoder` uses exactly torchvision's parameter and buffer
names (`conv1`, `bn1`, `layer1.0.conv1`, ..., `layer4.2.bn3`, `layerN.0.downsample.0/1`), so a
torchvision or Stein et al. (2021) MoCo state_dict loads with `strict=True` once `fc.*` is removed.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor, nn

from astroclip_engine.errors import ConfigError

ImageEncoder = nn.Module



def _shortcut(in_channels: int, out_channels: int, stride: int) -> nn.Module | None:
    """torchvision's projection shortcut (`downsample`: 1x1 conv + BN) when the shape changes."""
    if stride == 1 and in_channels == out_channels:
        return None
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
        nn.BatchNorm2d(out_channels),
    )

class Bottleneck(nn.Module):
    """torchvision's ResNet v1.5 bottleneck (stride on the 3x3 convolution)."""

    expansion = 4

    def __init__(self, in_channels: int, width: int, stride: int = 1) -> None:
        super().__init__()
        out_channels = width * self.expansion
        self.conv1 = nn.Conv2d(in_channels, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, out_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = _shortcut(in_channels, out_channels, stride)

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResNet50Encoder(nn.Module):
    """ResNet-50 backbone (torchvision names, no `fc`); 3-channel input, 2048-d output."""

    num_features = 2048

    def __init__(self, layers: tuple[int, int, int, int] = (3, 4, 6, 3)) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        in_channels = 64
        for index, (blocks, width) in enumerate(zip(layers, (64, 128, 256, 512), strict=True)):
            stride = 1 if index == 0 else 2
            stage = []
            for block in range(blocks):
                stage.append(Bottleneck(in_channels, width, stride if block == 0 else 1))
                in_channels = width * Bottleneck.expansion
            setattr(self, f"layer{index + 1}", nn.Sequential(*stage))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        _init_resnet(self)

    def forward_features(self, x: Tensor) -> Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return torch.flatten(self.avgpool(x), 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.forward_features(x)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with BatchNorm and a projected shortcut when the shape changes."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = _shortcut(in_channels, out_channels, stride)

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class SmallResNetEncoder(nn.Module):
    """A ~0.7 M-parameter ResNet (4 stages of 2 basic blocks) that trains on a CPU at 64-144 px.

    A stride-2 3x3 stem, stages of `widths` channels at strides 1, 2, 2, 2, global average pool:
    `num_features = widths[-1]` (128 by default).
    """

    def __init__(self, widths: tuple[int, ...] = (16, 32, 64, 128), blocks: int = 2) -> None:
        super().__init__()
        self.num_features = widths[-1]
        self.stem = nn.Sequential(
            nn.Conv2d(3, widths[0], 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(widths[0]),
            nn.ReLU(inplace=True),
        )
        stages = []
        in_channels = widths[0]
        for index, width in enumerate(widths):
            stride = 1 if index == 0 else 2
            stage = [BasicBlock(in_channels if b == 0 else width, width, stride if b == 0 else 1)
                     for b in range(blocks)]
            stages.append(nn.Sequential(*stage))
            in_channels = width
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        _init_resnet(self)

    def forward_features(self, x: Tensor) -> Tensor:
        return torch.flatten(self.pool(self.stages(self.stem(x))), 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.forward_features(x)


def build_image_encoder(name: Literal["resnet50", "resnet_small"]) -> nn.Module:
    """A freshly initialised image encoder by its config name."""
    if name == "resnet50":
        return ResNet50Encoder()
    if name == "resnet_small":
        return SmallResNetEncoder()
    raise ConfigError(f"unknown image encoder {name!r}; expected 'resnet50' or 'resnet_small'")


def _init_resnet(module: nn.Module) -> None:
    """torchvision's initialisation: Kaiming-normal (fan_out) convolutions, unit BatchNorm."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
