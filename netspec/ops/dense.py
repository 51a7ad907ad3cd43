"""linear and flatten: the fully connected end of a network."""

import math

from netspec.ops.base import Attrs, Bool, Init, Op, Positive, ShapeError, Window, fmt_shape


class LinearAttrs(Attrs):
    out: Positive
    bias: Bool = True
    init: Init = "default"


class Linear(Op):
    name = "linear"
    Attrs = LinearAttrs
    ranks = (1,)
    summary = "fully connected: linear(out, bias=true) on a flat input"

    def infer(self, a: LinearAttrs, shapes):
        (shape,) = shapes
        if len(shape) != 1:
            features = " * ".join(str(d) for d in shape)
            raise ShapeError("linear needs a flat input", f"input is {fmt_shape(shape)}",
                             f"add flatten() before it ({features} = {math.prod(shape):,} features)")
        return (a.out,)

    def params(self, a, shapes, out):
        return shapes[0][0] * a.out + (a.out if a.bias else 0)

    def macs(self, a, shapes, out):
        return shapes[0][0] * a.out

    def explain(self, a: LinearAttrs, shapes, out):
        n = shapes[0][0]
        bias = f" + {a.out}" if a.bias else ""
        return [f"input {fmt_shape(shapes[0])} -> output {fmt_shape(out)}",
                f"params = in*out + bias = {n}*{a.out}{bias} = {self.params(a, shapes, out):,}",
                f"MACs = in*out = {n}*{a.out} = {self.macs(a, shapes, out):,}"]

    def describe(self, a: LinearAttrs) -> str:
        return f"linear {a.out}"


class Flatten(Op):
    name = "flatten"
    summary = "flatten [C, H, W] to [C*H*W]"

    def infer(self, a, shapes):
        return (math.prod(shapes[0]),)

    def window(self, a, shapes, out):
        # every feature after flatten may depend on any pixel: the field spans the whole input
        return Window(shapes[0][1:], (1, 1)) if len(shapes[0]) == 3 else None

    def explain(self, a, shapes, out):
        return [f"{' * '.join(str(d) for d in shapes[0])} = {out[0]:,} features"]

