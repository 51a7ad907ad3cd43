"""Ops that move values without computing: permute, chunk (a slice of the channels), channel shuffle, zero padding."""

from typing import Annotated

from netspec.ops.base import (
    Attrs,
    Check,
    NonNegative,
    Op,
    Positive,
    ShapeError,
    canonical,
    describe,
    fmt_shape,
    int_at_least,
    require_image,
    require_split,
)


def _dims(value) -> tuple[int, ...]:
    if (
        not isinstance(value, tuple)
        or not value
        or not all(isinstance(d, int) and not isinstance(d, bool) for d in value)
    ):
        raise ValueError(f"expected a list of axes such as [1, 2, 0], got {describe(value)}")
    if sorted(value) != list(range(len(value))):
        raise ValueError(f"{describe(value)} is not an order of the axes 0..{len(value) - 1}")
    return value


class PermuteAttrs(Attrs):
    dims: Annotated[tuple[int, ...], Check(_dims, "list of axes")]


class Permute(Op):
    """Reorders the axes of a sample (the batch stays first): permute([1, 2, 0]) makes [C, H, W] channels last."""

    name = "permute"
    Attrs = PermuteAttrs
    layout = "reorder"
    summary = "reorders the axes (batch excluded): permute([1, 2, 0]) turns [C, H, W] into [H, W, C]"

    def axes(self, a: PermuteAttrs, shapes, axes):
        names = axes[0]
        if len(a.dims) != len(names):
            raise ShapeError(
                f"permute({list(a.dims)}) orders {len(a.dims)} axes, but the input has {len(names)}",
                f"input is {fmt_shape(shapes[0])}",
                "give one position per axis, e.g. [1, 2, 0]",
            )
        out = tuple(names[d] for d in a.dims)
        return None if out == canonical(len(out)) else out

    def infer(self, a: PermuteAttrs, shapes):
        return tuple(shapes[0][d] for d in a.dims) if len(a.dims) == len(shapes[0]) else shapes[0]

    def explain(self, a: PermuteAttrs, shapes, out):
        return [f"axes {list(a.dims)} of {fmt_shape(shapes[0])} -> {fmt_shape(out)}", "params = 0 (a view)"]

    def describe(self, a: PermuteAttrs) -> str:
        return f"permute {list(a.dims)}"


class ChunkAttrs(Attrs):
    chunks: Positive
    index: NonNegative


class Chunk(Op):
    """One of `chunks` equal slices of the channels (torch.chunk along dim 1): ShuffleNetV2's channel split."""

    name = "chunk"
    keeps_grid = True
    Attrs = ChunkAttrs
    module = False
    ranks = (1, 3)
    summary = "the index-th of `chunks` equal slices of the channels: chunk(2, 0) is the first half"

    def infer(self, a: ChunkAttrs, shapes):
        c = shapes[0][0]
        require_split(shapes[0], a.chunks, "equal chunks", "give the layer before it a multiple of the chunk count")
        if a.index >= a.chunks:
            raise ShapeError(f"chunk {a.index} of {a.chunks} does not exist", f"chunks are 0..{a.chunks - 1}")
        return (c // a.chunks, *shapes[0][1:])

    def explain(self, a: ChunkAttrs, shapes, out):
        size = out[0]
        return [
            f"channels {a.index * size}..{(a.index + 1) * size - 1} of {shapes[0][0]} "
            f"({a.chunks} chunks of {size}) -> {fmt_shape(out)}",
            "params = 0 (a view)",
        ]

    def describe(self, a: ChunkAttrs) -> str:
        return f"chunk {a.index}/{a.chunks}"


class ShuffleAttrs(Attrs):
    groups: Positive


class ChannelShuffle(Op):
    """ShuffleNet's channel shuffle: channels as [groups, C/groups], transposed, flattened again."""

    name = "channel_shuffle"
    keeps_grid = True
    Attrs = ShuffleAttrs
    module = False
    ranks = (3,)
    summary = "interleaves the channels of `groups` groups: channel_shuffle(2)"

    def infer(self, a: ShuffleAttrs, shapes):
        require_split(shapes[0], a.groups, "groups")
        return shapes[0]

    def explain(self, a: ShuffleAttrs, shapes, out):
        c = shapes[0][0]
        return [
            f"{c} channels as {a.groups} groups of {c // a.groups}, transposed: channel k*{a.groups}+g "
            f"comes from group g",
            f"output shape = {fmt_shape(out)}",
            "params = 0",
        ]

    def describe(self, a: ShuffleAttrs) -> str:
        return f"channel shuffle {a.groups}"


_at_least_0 = int_at_least(0)


def _padding(value) -> tuple[int, int, int, int]:
    """An int, or [left, right, top, bottom] as nn.ZeroPad2d takes it."""
    if isinstance(value, tuple):
        if len(value) != 4:
            raise ValueError(f"expected an integer or [left, right, top, bottom], got {describe(value)}")
        return tuple(_at_least_0(v) for v in value)
    n = _at_least_0(value)
    return (n, n, n, n)


class ZeroPadAttrs(Attrs):
    padding: Annotated[tuple[int, int, int, int], Check(_padding, "int >= 0 or [left, right, top, bottom]")]


class ZeroPad(Op):
    """nn.ZeroPad2d: zero rows and columns around the map."""

    name = "zeropad"
    Attrs = ZeroPadAttrs
    ranks = (3,)
    summary = "zero padding: zeropad(p) on every side, or zeropad([left, right, top, bottom])"

    def infer(self, a: ZeroPadAttrs, shapes):
        require_image("zeropad", shapes[0])
        c, h, w = shapes[0]
        left, right, top, bottom = a.padding
        return (c, h + top + bottom, w + left + right)

    def explain(self, a: ZeroPadAttrs, shapes, out):
        left, right, top, bottom = a.padding
        _, h, w = shapes[0]
        return [
            f"H_out = {top} + {h} + {bottom} = {out[1]}, W_out = {left} + {w} + {right} = {out[2]}",
            f"output shape = {fmt_shape(out)}",
            "params = 0",
        ]

    def describe(self, a: ZeroPadAttrs) -> str:
        p = a.padding
        return f"zeropad {p[0]}" if len(set(p)) == 1 else f"zeropad {list(p)}"
