# Showcase: PyTorch source compiled by netspec 0.1.0 from <input> (classes=10).
# Standalone: it needs only torch. Edit it freely; recompiling the spec writes it anew.
# Shapes in comments are per sample (the batch dimension is left out); file:line is the spec line.

from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["Unit", "UnitPad", "Mixer", "Tail", "Showcase"]


def kaiming_init(module: nn.Module) -> nn.Module:
    """He init for ReLU networks (fan_out, as torchvision's ResNet); zero bias."""
    if module.weight is not None:
        nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
    if module.bias is not None:
        nn.init.zeros_(module.bias)
    return module


def zero_gamma_init(module: nn.Module) -> nn.Module:
    """The batchnorm scale starts at 0: a residual branch starts as the identity."""
    if module.weight is not None:
        nn.init.zeros_(module.weight)
    return module


def xavier_init(module: nn.Module) -> nn.Module:
    """Glorot uniform init of the weight; zero bias."""
    if module.weight is not None:
        nn.init.xavier_uniform_(module.weight)
    if module.bias is not None:
        nn.init.zeros_(module.bias)
    return module


class Unit(nn.Sequential):
    """block Unit(out, stride) from <input>.

    Used as stage1.0, stage1.2.
    """

    def __init__(self, out: int) -> None:
        super().__init__(
            OrderedDict(
                [
                    ("conv1", kaiming_init(nn.Conv2d(out, out, 3, padding=1, bias=False))),
                    ("bn1", nn.BatchNorm2d(out)),
                    ("relu", nn.ReLU(inplace=True)),
                    ("conv2", kaiming_init(nn.Conv2d(out, out, 3, padding=1, bias=False))),
                    ("bn2", zero_gamma_init(nn.BatchNorm2d(out))),
                    ("5", nn.ReLU(inplace=True)),
                ]
            )
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv1(x)  # [out, H, W]  <input>:6
        out = self.bn1(out)  # [out, H, W]  <input>:7
        out = self.relu(out)  # [out, H, W]  <input>:8
        out = self.conv2(out)  # [out, H, W]  <input>:9
        out = self.bn2(out)  # [out, H, W]  <input>:10
        out = out + x  # [out, H, W]  <input>:5
        out = self[5](out)  # [out, H, W]  <input>:12
        return out


class UnitPad(nn.Sequential):
    """block Unit(out, stride) from <input>.

    Used as stage1.1.
    """

    def __init__(self) -> None:
        super().__init__(
            OrderedDict(
                [
                    ("conv1", kaiming_init(nn.Conv2d(8, 16, 3, stride=2, padding=1, bias=False))),
                    ("bn1", nn.BatchNorm2d(16)),
                    ("relu", nn.ReLU(inplace=True)),
                    ("conv2", kaiming_init(nn.Conv2d(16, 16, 3, padding=1, bias=False))),
                    ("bn2", zero_gamma_init(nn.BatchNorm2d(16))),
                    ("5", nn.ReLU(inplace=True)),
                ]
            )
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv1(x)  # [16, 8, 8]  <input>:6
        out = self.bn1(out)  # [16, 8, 8]  <input>:7
        out = self.relu(out)  # [16, 8, 8]  <input>:8
        out = self.conv2(out)  # [16, 8, 8]  <input>:9
        out = self.bn2(out)  # [16, 8, 8]  <input>:10
        pad = F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, 4, 4))  # [16, 8, 8]  <input>:11
        out = out + pad  # [16, 8, 8]  <input>:5
        out = self[5](out)  # [16, 8, 8]  <input>:12
        return out


class Mixer(nn.Sequential):
    """block Mixer(a, b) from <input>.

    Used as mix1, mix2.
    """

    def __init__(self, in_channels: int, a: int, b: int) -> None:
        super().__init__(
            OrderedDict(
                [
                    ("left", nn.Conv2d(in_channels, a, 1)),
                    ("right", nn.Sequential(nn.Conv2d(in_channels, b, 1), nn.Conv2d(b, b, 3, padding=1))),
                    ("2", nn.Identity()),
                ]
            )
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.left(x)  # [a, H, W]  <input>:17
        right = self.right(x)  # [b, H, W]  <input>:18
        out_1 = self[2](x)  # [in_channels, H, W]  <input>:19
        out = torch.cat([out, right, out_1], dim=1)  # [a + b + in_channels, H, W]  <input>:16
        return out


class Tail(nn.Sequential):
    """group tail from <input>.

    Used as tail.
    """

    def __init__(self) -> None:
        super().__init__(nn.Conv2d(34, 34, 1), nn.MaxPool2d(2, ceil_mode=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self[0](x)  # [34, 8, 8]  <input>:28
        out = out + x  # [34, 8, 8]  <input>:28
        out = self[1](out)  # [34, 4, 4]  <input>:29
        return out


class Showcase(nn.Sequential):
    """network Showcase(classes=10) from <input>.

    Input [3, 16, 16] -> output [10], 11,704 parameters.
    """

    def __init__(self, classes: int = 10) -> None:
        super().__init__(
            OrderedDict(
                [
                    ("stem", nn.Conv2d(3, 8, 3, padding=1, bias=False)),
                    ("stage1", nn.Sequential(Unit(out=8), UnitPad(), Unit(out=16))),
                    ("mix1", Mixer(in_channels=16, a=4, b=4)),
                    ("mix2", Mixer(in_channels=24, a=8, b=2)),
                    ("tail", Tail()),
                    ("pool", nn.AdaptiveAvgPool2d(1)),
                    ("6", nn.Flatten()),
                    ("head", xavier_init(nn.Linear(34, classes))),
                ]
            )
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)  # [8, 16, 16]  <input>:23
        x = self.stage1(x)  # [16, 8, 8]  <input>:24
        x = self.mix1(x)  # [24, 8, 8]  <input>:25
        x = self.mix2(x)  # [34, 8, 8]  <input>:26
        x = self.tail(x)  # [34, 4, 4]  <input>:27
        x = self.pool(x)  # [34, 1, 1]  <input>:31
        x = self[6](x)  # [34]  <input>:32
        x = self.head(x)  # [classes]  <input>:33
        return x
