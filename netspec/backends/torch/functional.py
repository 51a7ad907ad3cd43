"""The structural ops as torch functions for the live module (layers.py names them; source.py writes the same)."""

import torch
import torch.nn.functional as F


def add(*xs: torch.Tensor) -> torch.Tensor:
    """Left to right, as the generated `a + b + c` sums."""
    out = xs[0]
    for x in xs[1:]:
        out = out + x
    return out


def concat(*xs: torch.Tensor) -> torch.Tensor:
    return torch.cat(xs, dim=1)


def pad_channels(x: torch.Tensor, stride: int, front: int, back: int) -> torch.Tensor:
    """CIFAR ResNet option A: every `stride`-th row and column, zero channels before and after."""
    return F.pad(x[:, :, ::stride, ::stride], (0, 0, 0, 0, front, back))
