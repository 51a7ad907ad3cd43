"""conv and convtranspose: 2-D convolution and its transpose; shape, parameters, MACs, receptive field (DESIGN.md 3)."""

import math
from abc import ABC, abstractmethod
from fractions import Fraction
from typing import Annotated, Any, ClassVar

from netspec.ops.base import (
    Attrs,
    Bool,
    Check,
    Init,
    NonNegativePair,
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
from netspec.ops.window import require_sizes, spatial


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
    if isinstance(attrs.padding, tuple):
        return attrs.padding
    if attrs.padding == "same":
        (kh, kw), (dh, dw) = attrs.kernel, attrs.dilation
        return (dh * (kh - 1) // 2, dw * (kw - 1) // 2)
    return (0, 0)  # "valid"


class Convolution(Op, ABC):
    """What conv and convtranspose share: `out` filters of kernel K_h x K_w in `groups` groups, applied at every
    position (an output's for conv, an input's for the transpose): weights*positions MACs, weights + bias params.

    `factors` says how a kernel's weights split between input and output channels, `formula` so in symbols.
    """

    ranks = (3,)
    formula: ClassVar[str]  # the weight count in symbols, as explain shows it
    stride_mark: ClassVar[str]  # the label's sign for the stride: `/2` downsamples, `x2` upsamples

    def check_groups(self, a: "ConvAttrs | ConvTransposeAttrs", shape) -> None:
        require_image(self.name, shape)
        c = shape[0]
        if c % a.groups or a.out % a.groups:
            raise ShapeError(
                f"channels are not divisible by groups={a.groups}",
                f"input channels {c} % {a.groups} = {c % a.groups}, "
                f"output channels {a.out} % {a.groups} = {a.out % a.groups}",
                "groups must divide both the input and the output channels",
            )

    def factors(self, a, c_in: int) -> tuple[int, int]:
        """The channel factors of a kernel's weight count (with K_h*K_w): (C_in/groups, C_out) for conv."""
        return c_in // a.groups, a.out

    def weights(self, a, c_in: int) -> int:
        return a.kernel[0] * a.kernel[1] * math.prod(self.factors(a, c_in))

    @abstractmethod
    def positions(self, shapes, out) -> int:
        """How many times the kernel is applied (per sample)."""

    def params(self, a, shapes, out):
        return self.weights(a, shapes[0][0]) + (a.out if a.bias else 0)

    def macs(self, a, shapes, out):
        return self.weights(a, shapes[0][0]) * self.positions(shapes, out)

    def params_line(self, a, shapes, out) -> str:
        kh, kw = a.kernel
        inner, outer = self.factors(a, shapes[0][0])
        bias = f" + {a.out}" if a.bias else ""
        return f"params = {self.formula} + bias = {kh}*{kw}*{inner}*{outer}{bias} = {self.params(a, shapes, out):,}"

    def describe(self, a) -> str:
        text = f"{self.name} {a.kernel[0]}x{a.kernel[1]}, {a.out}"
        if a.stride != (1, 1):
            text += f", {self.stride_mark}{fmt_pair(a.stride)}"
        if a.dilation != (1, 1):
            text += f", dil {fmt_pair(a.dilation)}"
        if a.groups > 1:
            text += f", g{a.groups}"
        return text


class Conv(Convolution):
    name = "conv"
    Attrs = ConvAttrs
    summary = "2-D convolution: conv(out, kernel, stride=1, padding=0, dilation=1, groups=1, bias=true)"
    formula = "K_h*K_w*(C_in/groups)*C_out"
    stride_mark = "/"

    def infer(self, a: ConvAttrs, shapes):
        (shape,) = shapes
        self.check_groups(a, shape)
        if a.padding == "same":
            if a.stride != (1, 1):
                raise ShapeError(
                    'padding="same" needs stride 1',
                    f"stride is {fmt_pair(a.stride)}",
                    "PyTorch supports same padding only for stride 1; give the padding as a number",
                )
            return (a.out, shape[1], shape[2])
        (h, w), _ = spatial("conv", shape, a.kernel, a.stride, explicit_padding(a), a.dilation)
        return (a.out, h, w)

    def positions(self, shapes, out) -> int:
        """Where the kernel is applied: every output position."""
        return out[1] * out[2]

    def window(self, a, shapes, out):
        return Window(a.kernel, a.stride, a.dilation)

    def explain(self, a: ConvAttrs, shapes, out):
        shape = shapes[0]
        kh, kw = a.kernel
        c_in = shape[0] // a.groups
        lines = [
            f"input {fmt_shape(shape)}, {a.out} filters of {kh}x{kw}x{c_in}"
            + (f" (groups={a.groups})" if a.groups > 1 else "")
        ]
        if a.padding == "same":
            lines.append(f'padding="same", stride 1: output keeps H, W = {shape[1]}, {shape[2]}')
        else:
            lines += spatial("conv", shape, a.kernel, a.stride, explicit_padding(a), a.dilation)[1]
        lines.append(f"output shape = {fmt_shape(out)}")
        weights = self.weights(a, shape[0])
        lines.append(self.params_line(a, shapes, out))
        lines.append(f"MACs = weights*H_out*W_out = {weights:,}*{out[1]}*{out[2]} = {self.macs(a, shapes, out):,}")
        return lines


class ConvTransposeAttrs(Attrs):
    out: Positive
    kernel: PositivePair
    stride: PositivePair = (1, 1)
    padding: NonNegativePair = (0, 0)
    output_padding: NonNegativePair = (0, 0)
    groups: Positive = 1
    dilation: PositivePair = (1, 1)
    bias: Bool = True
    init: Init = "default"


def transposed_size(w: int, k: int, s: int, p: int, d: int, extra: int) -> tuple[int, str]:
    """nn.ConvTranspose2d's output size for one dim, with its arithmetic: (W-1)*S - 2P + D*(K-1) + O + 1."""
    value = (w - 1) * s - 2 * p + d * (k - 1) + extra + 1
    return value, f"({w} - 1)*{s} - 2*{p} + {d}*({k} - 1) + {extra} + 1 = {value}"


def transposed_taps(k: int, s: int, d: int) -> int:
    """How many adjacent input positions one output of a transposed conv can read: it reads input i through
    tap j where i*S + j*D = o + P, so the taps that hit come every S/gcd(S, D) and span (D/g)*floor((K-1)g/S)."""
    g = math.gcd(s, d)
    return (d // g) * ((k - 1) * g // s) + 1


class ConvTranspose(Convolution):
    """nn.ConvTranspose2d: the gradient of a conv, used to upsample (U-Net's up-steps, FCN's learned upsampling)."""

    name = "convtranspose"
    Attrs = ConvTransposeAttrs
    summary = (
        "transposed 2-D convolution (upsampling): convtranspose(out, kernel, stride=1, padding=0, "
        "output_padding=0, groups=1, dilation=1, bias=true)"
    )
    formula = "K_h*K_w*C_in*(C_out/groups)"
    stride_mark = "x"

    def infer(self, a: ConvTransposeAttrs, shapes):
        (shape,) = shapes
        self.check_groups(a, shape)
        for dim, extra, s, d in zip(("height", "width"), a.output_padding, a.stride, a.dilation, strict=True):
            if extra >= max(s, d):
                raise ShapeError(
                    f"output_padding {extra} must be smaller than the stride or the dilation",
                    f"{dim}: output_padding {extra} >= max(stride {s}, dilation {d})",
                    "output_padding only picks one of the stride's possible sizes: use 0..stride-1",
                )
        sizes = self.sizes(a, shape)
        require_sizes(shape, sizes, "use less padding or a larger kernel or stride")
        return (a.out, sizes[0][0], sizes[1][0])

    def sizes(self, a: ConvTransposeAttrs, shape) -> list[tuple[int, str]]:
        return [
            transposed_size(shape[1 + i], a.kernel[i], a.stride[i], a.padding[i], a.dilation[i], a.output_padding[i])
            for i in range(2)
        ]

    def factors(self, a, c_in: int) -> tuple[int, int]:
        """(C_in, C_out/groups): nn.ConvTranspose2d's weight is [C_in, C_out/groups, K_h, K_w]."""
        return c_in, a.out // a.groups

    def positions(self, shapes, out) -> int:
        """Every input position multiplies its values into a K_h x K_w patch of outputs: the conv it transposes
        applies its kernel once per input position of this one."""
        return shapes[0][1] * shapes[0][2]

    def window(self, a, shapes, out):
        (kh, kw), (sh, sw), (dh, dw) = a.kernel, a.stride, a.dilation
        return Window((transposed_taps(kh, sh, dh), transposed_taps(kw, sw, dw)), (Fraction(1, sh), Fraction(1, sw)))

    def explain(self, a: ConvTransposeAttrs, shapes, out):
        shape = shapes[0]
        kh, kw = a.kernel
        lines = [
            f"input {fmt_shape(shape)}, {a.out} filters of {kh}x{kw}, each input pixel spreads over a "
            f"{kh}x{kw} patch, patches {fmt_pair(a.stride)} apart" + (f" (groups={a.groups})" if a.groups > 1 else "")
        ]
        lines += [
            f"{dim}: (W-1)*S - 2P + D*(K-1) + output_padding + 1 = {formula}"
            for dim, (_, formula) in zip(("H_out", "W_out"), self.sizes(a, shape), strict=True)
        ]
        lines.append(f"output shape = {fmt_shape(out)}")
        weights = self.weights(a, shape[0])
        lines.append(self.params_line(a, shapes, out))
        lines.append(
            f"MACs = weights*H_in*W_in (as the conv it transposes) = {weights:,}*{shape[1]}*{shape[2]}"
            f" = {self.macs(a, shapes, out):,}"
        )
        return lines
