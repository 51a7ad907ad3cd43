"""Resampling by fixed interpolation: upsample (nn.Upsample, a module) and interpolate (F.interpolate, a function).

The output size is PyTorch's: `floor(H * scale)` for a scale factor, the size given, or (interpolate's
`like=@ref`) the size of another tensor, which is then a second input of the node. The receptive field and
jump go through them as through a window on the input grid: each output reads 1 (nearest), 2 (bilinear) or 4
(bicubic) neighbours per dim, and adjacent outputs are 1/scale input steps apart, so the jump becomes a fraction.
Interpolation counts 0 MACs: its weights are fixed, not learned (as torch's FlopCounterMode counts it).
"""

import math
from fractions import Fraction
from typing import Annotated, Any, ClassVar

from netspec.ops.base import (
    Attrs,
    Bool,
    Check,
    Op,
    ShapeError,
    TensorArg,
    Window,
    check_of,
    choice,
    describe,
    fmt_shape,
    optional,
    pair_at_least,
    require_image,
)
from netspec.ops.window import require_sizes

MODES = ("nearest", "bilinear", "bicubic")
TAPS = {"nearest": 1, "bilinear": 2, "bicubic": 4}  # input neighbours per dim that one output mixes


def _factor(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"expected a positive number or [height, width], got {describe(value)}")
    if not (0 < value < 1e6) or math.isnan(value):
        raise ValueError(f"must be a positive number below 1e6, got {value}")
    return value


def _scale(value: Any) -> tuple[float, float]:
    """A scale factor, or a pair (height, width) of them -> (height, width)."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"expected a positive number or [height, width], got {describe(tuple(value))}")
        return (_factor(value[0]), _factor(value[1]))
    n = _factor(value)
    return (n, n)


Scale = Annotated[tuple[float, float] | None, optional(Check(_scale, "number in (0, 1e6) or [h, w]"))]
Size = Annotated[tuple[int, int] | None, optional(pair_at_least(1))]
Mode = Annotated[str, choice(*MODES)]
AlignCorners = Annotated[bool | None, optional(check_of(Bool))]


class ResampleAttrs(Attrs):
    """Shared by upsample and interpolate; upsample takes the scale first, as `upsample(2)` reads."""

    scale: Scale = None
    size: Size = None
    mode: Mode = "nearest"
    align_corners: AlignCorners = None


class InterpolateAttrs(Attrs):
    """interpolate takes the size first, as F.interpolate does; `like=@ref` takes the size of another tensor."""

    size: Size = None
    scale: Scale = None
    like: Annotated[Any, optional(TensorArg)] = None  # a Slot once elaborated: the index of the input giving the size
    mode: Mode = "nearest"
    align_corners: AlignCorners = None


ResampleArgs = ResampleAttrs | InterpolateAttrs  # upsample's or interpolate's


def exact(value: float) -> Fraction:
    """A scale as the user wrote it, exactly: 1.5 -> 3/2, 0.3 -> 3/10 (not the binary float's expansion)."""
    return Fraction(repr(float(value)))


class Resample(Op):
    """What upsample and interpolate share: the size rule, the window, the explanation."""

    Attrs: ClassVar[type[ResampleArgs]] = ResampleAttrs
    ranks = (3,)

    def infer(self, a: ResampleArgs, shapes):
        shape = shapes[0]
        require_image(self.name, shape)
        self.check(a)
        sizes = self.sizes(a, shapes)
        require_sizes(shape, sizes, "use a larger scale, or give the size: size=[h, w]")
        return (shape[0], sizes[0][0], sizes[1][0])

    def check(self, a) -> None:
        given = [f"{k}=" for k in ("scale", "size", "like") if getattr(a, k, None) is not None]
        if len(given) != 1:
            which = " or ".join(f"{k}=" for k in ("scale", "size", "like") if hasattr(a, k))
            raise ShapeError(
                f"{self.name} needs one of {which}",
                f"{' and '.join(given) or 'none'} given",
                f"e.g. {self.name}(scale=2) or {self.name}(size=[64, 64])"
                + (" or interpolate(like=@in)" if hasattr(a, "like") else ""),
            )
        if a.align_corners is not None and a.mode == "nearest":
            raise ShapeError(
                "align_corners is for interpolating modes",
                'mode is "nearest"',
                'use mode="bilinear" (or bicubic), or leave align_corners out',
            )

    def sizes(self, a: ResampleArgs, shapes) -> list[tuple[int, str]]:
        like = getattr(a, "like", None)
        if like is not None:
            target = shapes[like]
            if len(target) != 3:
                raise ShapeError(
                    "like= needs an image [C, H, W] to take the size of",
                    f"it is {fmt_shape(target)}",
                    "refer to a member before flatten()",
                )
            return [(n, f"the size of its `like` tensor {fmt_shape(target)}: {n}") for n in target[1:]]
        if a.size is not None:
            return [(n, f"size {n}") for n in a.size]
        assert a.scale is not None  # check() lets exactly one of scale, size and like through
        return [
            (math.floor(w * s), f"floor({w} * {s:g}) = {math.floor(w * s)}")
            for w, s in zip(shapes[0][1:], a.scale, strict=True)
        ]

    def field_inputs(self, a, inputs: int) -> tuple[int, ...]:
        return (0,)  # a `like` tensor gives its size only, no values

    def window(self, a: ResampleArgs, shapes, out):
        taps = TAPS[a.mode]
        (_, h, w), (_, oh, ow) = shapes[0], out
        return Window((taps, taps), (self.step(a, h, oh, 0), self.step(a, w, ow, 1)))

    def step(self, a: ResampleArgs, w: int, n: int, d: int) -> Fraction:
        """Input pixels between adjacent outputs, as PyTorch maps output to input coordinates."""
        if a.align_corners:
            return Fraction(w - 1, n - 1) if n > 1 else Fraction(1)
        return 1 / exact(a.scale[d]) if a.scale is not None else Fraction(w, n)

    def explain(self, a: ResampleArgs, shapes, out):
        how = {
            "nearest": "copies its nearest input pixel",
            "bilinear": "mixes its 2x2 nearest input pixels",
            "bicubic": "mixes its 4x4 nearest input pixels",
        }[a.mode]
        lines = [
            f"input {fmt_shape(shapes[0])}, mode {a.mode}: each output pixel {how}"
            + (" (align_corners: the corner pixels' centres coincide)" if a.align_corners else "")
        ]
        sizes = zip(("H_out", "W_out"), self.sizes(a, shapes), strict=True)
        lines += [f"{dim}: {formula}" for dim, (_, formula) in sizes]
        return lines + [
            f"output shape = {fmt_shape(out)}",
            "params = 0, MACs = 0 (fixed interpolation weights are not counted, as in FlopCounterMode)",
        ]

    def describe(self, a: ResampleArgs) -> str:
        if getattr(a, "like", None) is not None:
            target = "-> like"
        elif a.size is not None:
            target = f"-> {a.size[0]}x{a.size[1]}"
        else:
            assert a.scale is not None  # check() lets exactly one of scale, size and like through
            target = f"x{a.scale[0]:g}" if a.scale[0] == a.scale[1] else f"x{a.scale[0]:g}x{a.scale[1]:g}"
        return f"{self.name} {target}" + ("" if a.mode == "nearest" else f", {a.mode}")


class Upsample(Resample):
    name = "upsample"
    summary = (
        'nn.Upsample: resize by a scale or to a size: upsample(scale=2, mode="nearest"|"bilinear"|"bicubic", '
        "align_corners=none) or upsample(size=[h, w])"
    )


class Interpolate(Resample):
    name = "interpolate"
    Attrs = InterpolateAttrs
    module = False  # F.interpolate in the forward: no submodule, no nn.Sequential number
    summary = (
        "F.interpolate: resize to a size, by a scale or to the size of another tensor: "
        'interpolate(size=[h, w] | scale=s | like=@ref, mode="nearest", align_corners=none)'
    )
