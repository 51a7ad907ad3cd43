"""conv: 2-D convolution. Shape, parameters, MACs and receptive field by the formulas of DESIGN.md section 3."""

from typing import Annotated, Any

from netspec.ops.base import (
    Attrs,
    Bool,
    Check,
    Init,
    Op,
    Positive,
    PositivePair,
    ShapeError,
    Window,
    fmt_pair,
    fmt_shape,
    pair,
    require_image,
)
from netspec.ops.window import spatial


def _padding(value: Any):
    if value in ("same", "valid"):
        return value
    if isinstance(value, str):
        raise ValueError(f'expected an integer, [height, width], "same" or "valid", got "{value}"')
    return pair(value, 0)


Padding = Annotated[tuple[int, int] | str, Check(_padding, 'int >= 0, [h, w], "same" or "valid"')]


class ConvAttrs(Attrs):
    out: Positive
    kernel: PositivePair
    stride: PositivePair = (1, 1)
    padding: Padding = (0, 0)
    dilation: PositivePair = (1, 1)
    groups: Positive = 1
    bias: Bool = True
    init: Init = "default"


def explicit_padding(attrs: ConvAttrs) -> tuple[int, int]:
    """The per-side padding actually applied (for `same`: the left/top amount, as PyTorch pads)."""
    if attrs.padding == "valid":
        return (0, 0)
    if attrs.padding == "same":
        return tuple(d * (k - 1) // 2 for k, d in zip(attrs.kernel, attrs.dilation, strict=True))
    return attrs.padding


class Conv(Op):
    name = "conv"
    Attrs = ConvAttrs
    ranks = (3,)
    summary = "2-D convolution: conv(out, kernel, stride=1, padding=0, dilation=1, groups=1, bias=true)"

    def infer(self, a: ConvAttrs, shapes):
        (shape,) = shapes
        require_image("conv", shape)
        c = shape[0]
        if c % a.groups or a.out % a.groups:
            raise ShapeError(f"channels are not divisible by groups={a.groups}",
                             f"input channels {c} % {a.groups} = {c % a.groups}, "
                             f"output channels {a.out} % {a.groups} = {a.out % a.groups}",
                             "groups must divide both the input and the output channels")
        if a.padding == "same":
            if a.stride != (1, 1):
                raise ShapeError('padding="same" needs stride 1', f"stride is {fmt_pair(a.stride)}",
                                 "PyTorch supports same padding only for stride 1; give the padding as a number")
            return (a.out, shape[1], shape[2])
        (h, w), _ = spatial("conv", shape, a.kernel, a.stride, explicit_padding(a), a.dilation)
        return (a.out, h, w)

    def weights(self, a: ConvAttrs, c_in: int) -> int:
        return a.kernel[0] * a.kernel[1] * (c_in // a.groups) * a.out

    def params(self, a, shapes, out):
        return self.weights(a, shapes[0][0]) + (a.out if a.bias else 0)

    def macs(self, a, shapes, out):
        return self.weights(a, shapes[0][0]) * out[1] * out[2]

    def window(self, a, shapes, out):
        return Window(a.kernel, a.stride, a.dilation)

    def explain(self, a: ConvAttrs, shapes, out):
        shape = shapes[0]
        kh, kw = a.kernel
        c_in = shape[0] // a.groups
        lines = [f"input {fmt_shape(shape)}, {a.out} filters of {kh}x{kw}x{c_in}"
                 + (f" (groups={a.groups})" if a.groups > 1 else "")]
        if a.padding == "same":
            lines.append(f'padding="same", stride 1: output keeps H, W = {shape[1]}, {shape[2]}')
        else:
            lines += spatial("conv", shape, a.kernel, a.stride, explicit_padding(a), a.dilation)[1]
        lines.append(f"output shape = {fmt_shape(out)}")
        bias = f" + {a.out}" if a.bias else ""
        weights = self.weights(a, shape[0])
        lines.append(f"params = K_h*K_w*(C_in/groups)*C_out + bias = {kh}*{kw}*{c_in}*{a.out}{bias}"
                     f" = {self.params(a, shapes, out):,}")
        lines.append(f"MACs = weights*H_out*W_out = {weights:,}*{out[1]}*{out[2]} = {self.macs(a, shapes, out):,}")
        return lines

    def describe(self, a: ConvAttrs) -> str:
        text = f"conv {a.kernel[0]}x{a.kernel[1]}, {a.out}"
        if a.stride != (1, 1):
            text += f", /{fmt_pair(a.stride)}"
        if a.dilation != (1, 1):
            text += f", dil {fmt_pair(a.dilation)}"
        if a.groups > 1:
            text += f", g{a.groups}"
        return text

