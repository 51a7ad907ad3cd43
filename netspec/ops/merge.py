"""Structural ops that the language's constructs create, never written as calls: input, add, concat, pad."""

from netspec.ops.base import Attrs, Dims, NonNegative, Op, Positive, ShapeError, Window, fmt_shape


class InputAttrs(Attrs):
    shape: Dims


class Input(Op):
    name = "input"
    Attrs = InputAttrs
    callable = False
    module = False
    layout = "any"

    def infer(self, a: InputAttrs, shapes):
        return a.shape

    def describe(self, a: InputAttrs) -> str:
        return f"input {fmt_shape(a.shape)}"


class Add(Op):
    """Elementwise sum of paths of the same shape: a residual join or `add { }`."""

    name = "add"
    callable = False
    module = False
    layout = "any"

    def infer(self, a, shapes):
        first = shapes[0]
        for i, shape in enumerate(shapes[1:], start=2):
            if shape != first:
                raise ShapeError(
                    "paths cannot be added: their shapes differ",
                    f"path 1 gives {fmt_shape(first)}, path {i} gives {fmt_shape(shape)}",
                    "make every path produce the same shape (for a residual, `shortcut auto` projects)",
                )
        return first

    def explain(self, a, shapes, out):
        return [" + ".join(fmt_shape(s) for s in shapes) + f" -> {fmt_shape(out)}", "params = 0"]

    def describe(self, a) -> str:
        return "add"


class Mul(Op):
    """Elementwise product of paths, broadcasting size-1 axes: `mul { }`, squeeze-and-excitation's x * s(x)."""

    name = "mul"
    callable = False
    module = False
    layout = "any"

    def infer(self, a, shapes):
        out = shapes[0]
        for i, shape in enumerate(shapes[1:], start=2):
            if len(shape) != len(out) or any(p != q and 1 not in (p, q) for p, q in zip(out, shape, strict=True)):
                raise ShapeError(
                    "paths cannot be multiplied: their shapes differ",
                    f"path 1 gives {fmt_shape(shapes[0])}, path {i} gives {fmt_shape(shape)}",
                    "each axis must agree or be 1 (a gate of [C, 1, 1] scales a [C, H, W] map)",
                )
            out = tuple(max(p, q) for p, q in zip(out, shape, strict=True))
        return out

    def explain(self, a, shapes, out):
        return [
            " * ".join(fmt_shape(s) for s in shapes)
            + f" -> {fmt_shape(out)}"
            + (" (size-1 axes are repeated)" if any(s != out for s in shapes) else ""),
            "params = 0, MACs = 0 (elementwise products are not counted, as additions are not)",
        ]

    def describe(self, a) -> str:
        return "mul"


class Concat(Op):
    """Concatenation of paths along channels (Inception, DenseNet)."""

    name = "concat"
    callable = False
    module = False

    def infer(self, a, shapes):
        first = shapes[0]
        for i, shape in enumerate(shapes[1:], start=2):
            if len(shape) != len(first) or shape[1:] != first[1:]:
                raise ShapeError(
                    "paths cannot be concatenated: their sizes differ beyond channels",
                    f"path 1 gives {fmt_shape(first)}, path {i} gives {fmt_shape(shape)}",
                    "concat joins along channels; every path needs the same height and width",
                )
        return (sum(s[0] for s in shapes), *first[1:])

    def explain(self, a, shapes, out):
        channels = " + ".join(str(s[0]) for s in shapes)
        return [f"channels = {channels} = {out[0]}", f"output shape = {fmt_shape(out)}", "params = 0"]

    def describe(self, a) -> str:
        return "concat"


class PadAttrs(Attrs):
    stride: Positive
    front: NonNegative  # zero channels before the input's
    back: NonNegative


class PadShortcut(Op):
    """CIFAR ResNet option A: subsample by the stride, then pad channels with zeros; no parameters."""

    name = "pad"
    Attrs = PadAttrs
    callable = False
    module = False
    ranks = (3,)

    def infer(self, a: PadAttrs, shapes):
        c, h, w = shapes[0]
        return (c + a.front + a.back, -(-h // a.stride), -(-w // a.stride))

    def window(self, a: PadAttrs, shapes, out):
        return Window((1, 1), (a.stride, a.stride))

    def explain(self, a: PadAttrs, shapes, out):
        return [
            f"take every {a.stride}th row and column of {fmt_shape(shapes[0])}",
            f"add {a.front} + {a.back} zero channels -> {fmt_shape(out)}",
            "params = 0 (option A shortcut)",
        ]

    def describe(self, a: PadAttrs) -> str:
        return f"pad /{a.stride}, +{a.front + a.back}ch"
