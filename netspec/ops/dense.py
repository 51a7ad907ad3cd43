"""linear and flatten: the fully connected end of a network."""

import math

from netspec.ops.base import Attrs, Bool, Init, Op, Positive, ShapeError, Window, fmt_shape


class LinearAttrs(Attrs):
    out: Positive
    bias: Bool = True
    init: Init = "default"


class Linear(Op):
    """nn.Linear: on a flat input, or on the channels of a channels-last [H, W, C] (ConvNeXt's MLP)."""

    name = "linear"
    Attrs = LinearAttrs
    layout = "last"
    summary = "fully connected: linear(out, bias=true) on a flat input (or on the last axis after permute)"

    def axes(self, a, shapes, axes):
        (shape,), (names,) = shapes, axes
        if len(shape) > 1 and names[-1] != "C":
            features = " * ".join(str(d) for d in shape)
            raise ShapeError(
                "linear needs a flat input",
                f"input is {fmt_shape(shape)}",
                f"add flatten() before it ({features} = {math.prod(shape):,} features)",
            )
        return names

    def infer(self, a: LinearAttrs, shapes):
        return (*shapes[0][:-1], a.out)

    def params(self, a, shapes, out):
        return shapes[0][-1] * a.out + (a.out if a.bias else 0)

    def macs(self, a, shapes, out):
        return math.prod(shapes[0]) * a.out

    def explain(self, a: LinearAttrs, shapes, out):
        n, positions = shapes[0][-1], math.prod(shapes[0][:-1])
        bias = f" + {a.out}" if a.bias else ""
        where = f"*{positions} positions" if positions > 1 else ""
        return [
            f"input {fmt_shape(shapes[0])} -> output {fmt_shape(out)}"
            + (f" (the last axis, at each of {positions:,} positions)" if positions > 1 else ""),
            f"params = in*out + bias = {n}*{a.out}{bias} = {self.params(a, shapes, out):,}",
            f"MACs = in*out{where} = {n}*{a.out}{where.replace(' positions', '')} = {self.macs(a, shapes, out):,}",
        ]

    def describe(self, a: LinearAttrs) -> str:
        return f"linear {a.out}"


class Flatten(Op):
    name = "flatten"
    layout = "any"
    summary = "flatten [C, H, W] to [C*H*W]"

    def infer(self, a, shapes):
        return (math.prod(shapes[0]),)

    def window(self, a, shapes, out):
        # every feature after flatten may depend on any pixel: the field spans the whole input
        return Window(shapes[0][1:], (1, 1)) if len(shapes[0]) == 3 else None

    def axes(self, a, shapes, axes):
        return None  # one axis of features, whatever the order before

    def explain(self, a, shapes, out):
        return [f"{' * '.join(str(d) for d in shapes[0])} = {out[0]:,} features"]
