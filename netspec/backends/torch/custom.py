"""Modules that torch.nn lacks, written as torchvision writes them (same arithmetic, same random draws).

The live model is built from these classes, and generated source carries their text (read with
inspect.getsource), so a compiled file and `netspec.load` run the same code and stay standalone.
Each class uses only torch, nn and F.
"""

import torch
import torch.nn.functional as F
from torch import nn


class Permute(nn.Module):
    """Reorders the axes of its input, batch included (torchvision.ops.misc.Permute)."""

    def __init__(self, dims: list[int]):
        super().__init__()
        self.dims = dims

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.permute(x, self.dims)


class LayerNorm2d(nn.LayerNorm):
    """nn.LayerNorm over the channels of an [N, C, H, W] tensor, at each pixel (torchvision's LayerNorm2d)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class StochasticDepth(nn.Module):
    """While training, zeroes the input per sample ("row") or per batch with probability p, else scales it by
    1 / (1 - p); the identity in eval (torchvision.ops.StochasticDepth)."""

    def __init__(self, p: float, mode: str):
        super().__init__()
        self.p = p
        self.mode = mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        survival_rate = 1.0 - self.p
        size = [x.shape[0]] + [1] * (x.ndim - 1) if self.mode == "row" else [1] * x.ndim
        noise = torch.empty(size, dtype=x.dtype, device=x.device)
        noise = noise.bernoulli_(survival_rate)
        if survival_rate > 0.0:
            noise.div_(survival_rate)
        return x * noise
