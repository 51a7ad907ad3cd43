"""Pooling: max/avg with a window, adaptive and global pooling."""

from typing import Annotated, ClassVar

from netspec.ops.base import (
    Attrs,
    Bool,
    NoAttrs,
    NonNegativePair,
    Op,
    PositivePair,
    Window,
    fmt_pair,
    fmt_shape,
    optional,
    pair_at_least,
    require_image,
)
from netspec.ops.window import check_padding, spatial


class PoolAttrs(Attrs):
    kernel: PositivePair
    stride: Annotated[tuple[int, int] | None, optional(pair_at_least(1))] = None  # None: the kernel, as PyTorch
    padding: NonNegativePair = (0, 0)
    ceil_mode: Bool = False


class MaxPoolAttrs(PoolAttrs):
    dilation: PositivePair = (1, 1)


class AvgPoolAttrs(PoolAttrs):
    count_include_pad: Bool = True


def _stride(a: PoolAttrs) -> tuple[int, int]:
    return a.stride or a.kernel


def _dilation(a: PoolAttrs) -> tuple[int, int]:
    return getattr(a, "dilation", (1, 1))


class Pool(Op):
    """maxpool / avgpool: a window with no parameters."""

    ranks = (3,)

    def infer(self, a: PoolAttrs, shapes):
        (shape,) = shapes
        require_image(self.name, shape)
        check_padding(self.name, a.kernel, a.padding, _dilation(a))
        (h, w), _ = spatial(self.name, shape, a.kernel, _stride(a), a.padding, _dilation(a), a.ceil_mode)
        return (shape[0], h, w)

    def window(self, a, shapes, out):
        return Window(a.kernel, _stride(a), _dilation(a))

    def explain(self, a: PoolAttrs, shapes, out):
        lines = [
            f"input {fmt_shape(shapes[0])}, window {fmt_pair(a.kernel)}, stride {fmt_pair(_stride(a))}"
            + (" (defaults to the kernel)" if a.stride is None else "")
            + (", ceil_mode" if a.ceil_mode else "")
        ]
        lines += spatial(self.name, shapes[0], a.kernel, _stride(a), a.padding, _dilation(a), a.ceil_mode)[1]
        return lines + [f"output shape = {fmt_shape(out)}", "params = 0 (pooling has no weights)"]

    def describe(self, a: PoolAttrs) -> str:
        text = f"{self.name} {a.kernel[0]}x{a.kernel[1]}"
        return text + (f", /{fmt_pair(_stride(a))}" if _stride(a) != a.kernel else "")


class MaxPool(Pool):
    name = "maxpool"
    Attrs = MaxPoolAttrs
    summary = "max pooling: maxpool(kernel, stride=kernel, padding=0, dilation=1, ceil_mode=false)"


class AvgPool(Pool):
    name = "avgpool"
    Attrs = AvgPoolAttrs
    summary = "average pooling: avgpool(kernel, stride=kernel, padding=0, ceil_mode=false, count_include_pad=true)"


class AdaptiveAttrs(Attrs):
    output: PositivePair = (1, 1)


class Adaptive(Op):
    """adaptive_avgpool / adaptive_maxpool: PyTorch's variable windows to a fixed output size."""

    Attrs: ClassVar[type[Attrs]] = AdaptiveAttrs  # the global poolings below take none
    ranks = (3,)
    fixed_grid = True

    def infer(self, a: AdaptiveAttrs, shapes):
        (shape,) = shapes
        require_image(self.name, shape)
        return (shape[0], *a.output)

    def window(self, a, shapes, out):
        # Output cell i covers [floor(i*W/n), ceil((i+1)*W/n)): the widest window, and the mean step.
        size = shapes[0][1:]
        kernel = tuple(-(-w // n) + (1 if w % n else 0) for w, n in zip(size, a.output, strict=True))
        stride = tuple(max(1, w // n) for w, n in zip(size, a.output, strict=True))
        return Window(tuple(min(k, w) for k, w in zip(kernel, size, strict=True)), stride)

    def explain(self, a, shapes, out):
        return [
            f"input {fmt_shape(shapes[0])} pooled to {fmt_pair(a.output)} whatever its size",
            f"output shape = {fmt_shape(out)}",
            "params = 0",
        ]

    def describe(self, a: AdaptiveAttrs) -> str:
        return f"{self.name} -> {fmt_pair(a.output)}"


class AdaptiveAvgPool(Adaptive):
    name = "adaptive_avgpool"
    summary = "adaptive average pooling to a fixed size: adaptive_avgpool(output=1)"


class AdaptiveMaxPool(Adaptive):
    name = "adaptive_maxpool"
    summary = "adaptive max pooling to a fixed size: adaptive_maxpool(output=1)"


class GlobalAvgPool(AdaptiveAvgPool):
    """Average over all of H and W: [C, H, W] -> [C, 1, 1]."""

    name = "global_avgpool"
    summary = "global average pooling: [C, H, W] -> [C, 1, 1]"

    Attrs = NoAttrs

    def infer(self, a, shapes):
        require_image(self.name, shapes[0])
        return (shapes[0][0], 1, 1)

    def window(self, a, shapes, out):
        return Window(shapes[0][1:], (1, 1))

    def explain(self, a, shapes, out):
        how = "the maximum" if self.name == "global_maxpool" else "the mean"
        h, w = shapes[0][1:]
        return [
            f"input {fmt_shape(shapes[0])}: {how} over all {h}x{w} = {h * w:,} positions of each channel",
            f"output shape = {fmt_shape(out)}",
            "params = 0",
        ]

    def describe(self, a) -> str:
        return "global avgpool"


class GlobalMaxPool(GlobalAvgPool):
    name = "global_maxpool"
    summary = "global max pooling: [C, H, W] -> [C, 1, 1]"

    def describe(self, a) -> str:
        return "global maxpool"
