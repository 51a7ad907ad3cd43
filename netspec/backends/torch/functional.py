"""The structural ops as torch functions for the live module (layers.py names them; source.py writes the same)."""

import torch
import torch.nn.functional as F


def add(*xs: torch.Tensor) -> torch.Tensor:
    """Left to right, as the generated `a + b + c` sums."""
    out = xs[0]
    for x in xs[1:]:
        out = out + x
    return out


def mul(*xs: torch.Tensor) -> torch.Tensor:
    """Left to right, as the generated `a * b * c` multiplies; size-1 axes broadcast."""
    out = xs[0]
    for x in xs[1:]:
        out = out * x
    return out


def chunk(x: torch.Tensor, chunks: int, index: int) -> torch.Tensor:
    return x.chunk(chunks, dim=1)[index]


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    """ShuffleNet's shuffle: channels as [groups, C/groups], transposed (torchvision's view/transpose/view)."""
    return x.unflatten(1, (groups, -1)).transpose(1, 2).flatten(1, 2)


def scale(x: torch.Tensor, owner: torch.nn.Module, name: str) -> torch.Tensor:
    """x times the parameter `name` of its container (a layer scale)."""
    return x * getattr(owner, name)


def interpolate(x: torch.Tensor, *like: torch.Tensor, **kwargs) -> torch.Tensor:
    """F.interpolate; with a `like` tensor, to its height and width (as generated source writes it)."""
    if like:
        kwargs["size"] = like[0].shape[-2:]
    return F.interpolate(x, **kwargs)


def concat(*xs: torch.Tensor) -> torch.Tensor:
    return torch.cat(xs, dim=1)


def pad_channels(x: torch.Tensor, stride: int, front: int, back: int) -> torch.Tensor:
    """CIFAR ResNet option A: every `stride`-th row and column, zero channels before and after."""
    return F.pad(x[:, :, ::stride, ::stride], (0, 0, 0, 0, front, back))
