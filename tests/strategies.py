"""Hypothesis strategies for random VALID specs as .net text, with the output shape they must have.

The generator tracks every shape itself, with PyTorch's formulas written out here independently of netspec,
so a spec is valid by construction (and netspec disagreeing with it is a bug the tests find). It covers
conv (padding, same/valid, stride, dilation, groups, bias, init), max/avg pooling (ceil_mode, padding),
adaptive and global pooling, batchnorm, lrn, dropout, activations, resampling (convtranspose with
output_padding, upsample and interpolate by scale or to a size), groupnorm, instancenorm, dropout2d,
zeropad, residuals (auto/identity/pad/none and
explicit shortcuts), concat and add paths, named and unnamed groups, blocks, repeat and for loops, and a
flatten + linear head. `receptive=True` draws only what the gradient-based receptive-field test can measure:
no padding, no adaptive pooling, no softmax, no head, no resampling.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from hypothesis import strategies as st

ACTIVATIONS = (
    "relu()",
    "relu(inplace=true)",
    "leaky_relu(0.2)",
    "relu6()",
    "elu()",
    "sigmoid()",
    "tanh()",
    "gelu()",
    "silu()",
    "hardswish()",
    "identity()",
)
NAMES = ("a", "b", "c", "conv", "bn", "act", "pool", "head", "stem", "body", "left", "right", "mix", "proj", "fc")


@dataclass
class Spec:
    text: str
    output: tuple[int, ...]


def out_size(w: int, k: int, s: int, p: int, d: int = 1, ceil: bool = False) -> int:
    """PyTorch's conv/pool output size, ceil_mode included (the last window must start inside)."""
    span = w + 2 * p - d * (k - 1) - 1
    if not ceil:
        return span // s + 1 if span >= 0 else 0
    out = -(-span // s) + 1 if span >= 0 else 0
    return out - 1 if out > 0 and (out - 1) * s >= w + p else out


@dataclass
class Names:
    """Member names of one namespace: labels are unique, never reserved."""

    used: set[str] = field(default_factory=set)


class Generator:
    def __init__(self, draw, receptive: bool):
        self.draw = draw
        self.receptive = receptive
        self.blocks: list[str] = []  # block definitions, written at the top of the network
        self.depth = 0
        self.label_pool = NAMES  # label names
        self.block_names = None  # a strategy of block names; None: Blk0, Blk1, ...

    # ---- helpers ----------------------------------------------------------------------------------

    def label(self, names: Names) -> str:
        """`name: ` or nothing."""
        if not self.draw(st.booleans()):
            return ""
        free = [n for n in self.label_pool if n not in names.used]
        if not free:
            return ""
        name = self.draw(st.sampled_from(free))
        names.used.add(name)
        return f"{name}: "

    def pick(self, options):
        return self.draw(st.sampled_from(options))

    # ---- image layers: (text, new shape) ----------------------------------------------------------

    def conv(self, shape, same_size: bool = False, out: int | None = None) -> tuple[str, tuple]:
        c, h, w = shape
        out = out or self.draw(st.integers(1, 8))
        groups = self.pick([g for g in range(1, 5) if c % g == 0 and out % g == 0])
        args = [str(out)]
        if same_size:
            k = self.pick([1, 3, 5] if not self.receptive else [1])
            p = (k - 1) // 2
            args.append(str(k))
            if p and self.draw(st.booleans()):
                args.append('padding="same"')
            elif p:
                args.append(f"padding={p}")
            s, d = 1, 1
        else:
            for _ in range(20):
                k = self.pick([1, 2, 3])
                kh, kw = (k, k) if self.draw(st.booleans()) else (k, self.pick([1, 2, 3]))
                s = self.pick([1, 1, 2])
                d = self.pick([1, 1, 2])
                p = 0 if self.receptive else self.pick([0, 1])
                if out_size(h, kh, s, p, d) >= 1 and out_size(w, kw, s, p, d) >= 1:
                    break
            else:
                kh = kw = 1
                s, d, p = 1, 1, 0
            args.append(str(kh) if kh == kw else f"[{kh}, {kw}]")
            if s > 1:
                args.append(f"stride={s}")
            if p:
                args.append(f"padding={p}")
            elif self.draw(st.booleans()) and not self.receptive:
                args.append('padding="valid"')
            if d > 1:
                args.append(f"dilation={d}")
            h, w = out_size(h, kh, s, p, d), out_size(w, kw, s, p, d)
        if groups > 1:
            args.append(f"groups={groups}")
        if self.draw(st.booleans()):
            args.append(f"bias={self.pick(['true', 'false'])}")
        if self.draw(st.integers(0, 4)) == 0:
            args.append(f'init="{self.pick(["kaiming", "xavier", "zeros"])}"')
        return f"conv({', '.join(args)})", (out, h, w)

    def pool(self, shape) -> tuple[str, tuple]:
        c, h, w = shape
        kind = self.pick(["maxpool", "avgpool"])
        for _ in range(20):
            k = self.pick([1, 2, 3])
            stride = self.pick([None, 1, 2])
            s = stride or k
            p = 0 if self.receptive else self.pick([0] + ([1] if k >= 2 else []))
            d = self.pick([1, 2]) if kind == "maxpool" and not self.receptive else 1
            if 2 * p > d * (k - 1) + 1:
                continue
            ceil = self.draw(st.booleans())
            oh, ow = out_size(h, k, s, p, d, ceil), out_size(w, k, s, p, d, ceil)
            if oh >= 1 and ow >= 1:
                break
        else:
            return "identity()", shape
        args = [str(k)] + ([f"stride={stride}"] if stride else []) + ([f"padding={p}"] if p else [])
        args += [f"dilation={d}"] if d > 1 else []
        args += ["ceil_mode=true"] if ceil else []
        if kind == "avgpool" and self.draw(st.booleans()):
            args.append("count_include_pad=false")
        return f"{kind}({', '.join(args)})", (c, oh, ow)

    def resample(self, shape) -> tuple[str, tuple]:
        """A transposed conv, an upsample or an interpolate, kept small (maps up to 36 pixels a side)."""
        c, h, w = shape
        kind = self.pick(["convtranspose", "upsample", "interpolate"])
        if kind == "convtranspose":
            return self.convtranspose(shape)
        mode = self.pick(["nearest", "bilinear", "bicubic"])
        if self.draw(st.booleans()):
            oh, ow = self.draw(st.integers(1, 24)), self.draw(st.integers(1, 24))
            args = [f"size={oh}" if oh == ow else f"size=[{oh}, {ow}]"]
        else:
            sh = self.pick([0.5, 1.5, 2] if max(h, w) <= 18 else [0.5])
            sw = sh if self.draw(st.booleans()) else self.pick([0.5, 1, 2] if max(h, w) <= 18 else [0.5])
            oh, ow = math.floor(h * sh), math.floor(w * sw)
            if oh < 1 or ow < 1:
                return "identity()", shape
            args = [f"scale={sh}" if sh == sw else f"scale=[{sh}, {sw}]"]
        if mode != "nearest":
            args.append(f'mode="{mode}"')
            if self.draw(st.booleans()):
                args.append(f"align_corners={self.pick(['true', 'false'])}")
        return f"{kind}({', '.join(args)})", (c, oh, ow)

    def convtranspose(self, shape) -> tuple[str, tuple]:
        c, h, w = shape
        out = self.draw(st.integers(1, 8))
        groups = self.pick([g for g in range(1, 5) if c % g == 0 and out % g == 0])
        for _ in range(20):
            k, s, d = self.pick([1, 2, 3, 4]), self.pick([1, 2] if max(h, w) <= 18 else [1]), self.pick([1, 1, 2])
            p, extra = self.pick([0, 0, 1]), self.pick(list(range(max(s, d))))
            oh, ow = ((x - 1) * s - 2 * p + d * (k - 1) + extra + 1 for x in (h, w))
            if oh >= 1 and ow >= 1:
                break
        else:
            return "identity()", shape
        args = [str(out), str(k)] + [
            f"{name}={v}"
            for name, v, default in (
                ("stride", s, 1),
                ("padding", p, 0),
                ("output_padding", extra, 0),
                ("dilation", d, 1),
                ("groups", groups, 1),
            )
            if v != default
        ]
        if self.draw(st.booleans()):
            args.append("bias=false")
        return f"convtranspose({', '.join(args)})", (out, oh, ow)

    def normalise(self, shape) -> tuple[str, tuple]:
        """groupnorm, instancenorm, dropout2d or zeropad: the image layers that keep (or pad) the map."""
        c, h, w = shape
        kind = self.pick(["groupnorm", "instancenorm", "dropout2d", "zeropad"])
        if kind == "groupnorm" and c * h * w > 1:
            groups = self.pick([g for g in range(1, c + 1) if c % g == 0 and (c // g > 1 or h * w > 1)] or [1])
            return f"groupnorm({groups}" + (", affine=false)" if self.draw(st.booleans()) else ")"), shape
        if kind == "instancenorm" and h * w > 1:
            return "instancenorm(" + self.pick(["", "affine=true", "track_running_stats=true"]) + ")", shape
        if kind == "zeropad":
            pads = [self.draw(st.integers(0, 2)) for _ in range(4)]
            arg = str(pads[0]) if len(set(pads)) == 1 else f"[{', '.join(map(str, pads))}]"
            return f"zeropad({arg})", (c, h + pads[2] + pads[3], w + pads[0] + pads[1])
        return f"dropout2d({self.pick([0.2, 0.5])})", shape

    def elementwise(self, shape) -> str:
        options = list(ACTIVATIONS) + ["batchnorm()", "batchnorm(zero_init=true, eps=0.001)", "dropout(0.3)"]
        if len(shape) == 3:
            options.append("lrn(3)")
        if not self.receptive:
            options += ["softmax()", "batchnorm(affine=false, momentum=0.2)"]
        return self.pick(options)

    def adaptive(self, shape) -> tuple[str, tuple]:
        c, _, _ = shape
        kind = self.pick(["adaptive_avgpool", "adaptive_maxpool", "global_avgpool", "global_maxpool"])
        if kind.startswith("global"):
            return f"{kind}()", (c, 1, 1)
        oh, ow = self.draw(st.integers(1, 3)), self.draw(st.integers(1, 3))
        return f"{kind}({oh if oh == ow else f'[{oh}, {ow}]'})", (c, oh, ow)

    # ---- composites -------------------------------------------------------------------------------

    def residual(self, shape, names: Names) -> tuple[list[str], tuple]:
        c, h, w = shape
        kind = self.pick(["identity", "auto", "pad", "none", "body"] if not self.receptive else ["identity", "auto"])
        inner = names  # an unnamed residual names its members in the enclosing namespace
        if kind == "identity":
            layers, out = self.keep_shape(shape, inner, 2)
            return ["residual {", *layers, "} shortcut identity"], out
        stride = self.pick([1, 2]) if min(h, w) >= 2 else 1
        out_c = c + self.draw(st.integers(1, 4)) if kind == "pad" else self.draw(st.integers(1, 8))
        if self.receptive:
            first = f"conv({out_c}, 1, stride={stride})"
        else:
            first = f"conv({out_c}, 3, stride={stride}, padding=1, bias=false)"
        out = (out_c, -(-h // stride), -(-w // stride))
        rest, out = self.keep_shape(out, inner, 1)
        layers = [f"{self.label(inner)}{first}", *rest]
        if kind == "body":
            proj = f"conv({out_c}, 1, stride={stride})"
            return ["residual {", *layers, f"}} shortcut {self.label(inner)}{{ {proj} }}"], out
        label = self.label(inner) if kind == "auto" else ""
        return ["residual {", *layers, f"}} shortcut {label}{kind}"], out

    def keep_shape(self, shape, names: Names, most: int) -> tuple[list[str], tuple]:
        """Up to `most` layers that keep the shape (1x1 or padded convs, elementwise layers)."""
        lines = []
        for _ in range(self.draw(st.integers(0, most))):
            if len(shape) == 3 and self.draw(st.booleans()):
                text, shape = self.conv(shape, same_size=True, out=shape[0])
            else:
                text = self.elementwise(shape)
            lines.append(self.label(names) + text)
        return lines, shape

    def paths(self, shape, names: Names) -> tuple[list[str], tuple]:
        c, h, w = shape
        op = self.pick(["concat", "add"])
        width = self.draw(st.integers(1, 6))
        lines, total = [], 0
        inner = Names()
        for _ in range(self.draw(st.integers(1, 3))):
            if op == "add" and width == c and self.draw(st.booleans()):
                text, out_c = "identity()", c
            elif op == "concat" and self.draw(st.integers(0, 3)) == 0:
                text, out_c = ("identity()", c) if self.receptive else ("maxpool(3, stride=1, padding=1)", c)
            else:
                text, (out_c, _, _) = self.conv(shape, same_size=True, out=width if op == "add" else None)
            lines.append(self.label(inner) + text)
            total = width if op == "add" else total + out_c
        label = self.label(names)
        if label:  # a named concat/add: its paths live in their own namespace
            return [f"{label}{op} {{", *lines, "}"], (total, h, w)
        renamed = [line.split(": ", 1)[-1] if ": " in line else line for line in lines]
        return [f"{op} {{", *renamed, "}"], (total, h, w)

    def block(self, shape, names: Names) -> tuple[list[str], tuple]:
        """Define a block (conv, batchnorm, activation) and call it one or more times."""
        taken = {line.split()[1].split("(")[0] for line in self.blocks if line.startswith("block ")}
        name = (
            f"Blk{len(self.blocks)}"
            if self.block_names is None
            else self.draw(self.block_names.filter(lambda n: n not in taken))
        )
        act = self.pick(ACTIVATIONS)
        k, p = (3, 0) if self.receptive else (3, 1)
        self.blocks += [
            f"block {name}(width: int, stride: int = 1) {{",
            f"    c1: conv(width, {k}, stride=stride, padding={p}, bias=false)",
            "    bn: batchnorm()",
            f"    {act}",
            "}",
        ]
        lines = []
        for _ in range(self.draw(st.integers(1, 2))):
            _, h, w = shape
            width = self.draw(st.integers(1, 8))
            stride = 2 if self.draw(st.booleans()) and out_size(min(h, w), k, 2, p) >= 1 else 1
            if out_size(h, k, stride, p) < 1 or out_size(w, k, stride, p) < 1:
                break
            lines.append(f"{self.label(names)}{name}({width}" + (f", stride={stride})" if stride > 1 else ")"))
            shape = (width, out_size(h, k, stride, p), out_size(w, k, stride, p))
        return lines, shape

    def loop(self, shape, names: Names) -> tuple[list[str], tuple]:
        if self.draw(st.booleans()):
            body, out = self.keep_shape(shape, Names(), 2)
            count = self.draw(st.integers(0, 3))
            return [f"repeat {count} {{", *[line.split(": ", 1)[-1] for line in body], "}"], out if count else shape
        widths = self.draw(st.lists(st.integers(1, 6), min_size=1, max_size=3))
        k, p = (1, 0) if self.receptive else (3, 1)
        lines = [
            f"for c in [{', '.join(map(str, widths))}] {{",
            f"    conv(c, {k}, padding={p})",
            f"    {self.elementwise((1, 1, 1))}",
            "}",
        ]
        return lines, (widths[-1], shape[1], shape[2])

    def group(self, shape, names: Names, budget: int) -> tuple[list[str], tuple]:
        label = self.label(names)  # named or not, a group has a namespace of its own
        lines, shape = self.stage(shape, Names(), budget)
        return [f"{label}{{", *lines, "}"], shape

    # ---- sequences --------------------------------------------------------------------------------

    def stage(self, shape, names: Names, budget: int) -> tuple[list[str], tuple]:
        """A sequence of image members."""
        lines: list[str] = []
        for _ in range(self.draw(st.integers(1, budget))):
            kind = self.pick(
                ["conv", "conv", "pool", "pool", "elementwise", "residual", "paths", "block", "loop", "group"]
                + ([] if self.receptive else ["resample", "normalise"])
            )
            if kind == "group" and self.depth >= 2:
                kind = "conv"
            if kind == "conv":
                text, shape = self.conv(shape)
                lines.append(self.label(names) + text)
            elif kind == "pool":
                text, shape = self.pool(shape)
                lines.append(self.label(names) + text)
            elif kind == "elementwise":
                lines.append(self.label(names) + self.elementwise(shape))
            elif kind in ("resample", "normalise"):
                text, shape = getattr(self, kind)(shape)
                lines.append(self.label(names) + text)
            elif kind == "group":
                self.depth += 1
                more, shape = self.group(shape, names, 3)
                self.depth -= 1
                lines += more
            else:
                more, shape = getattr(self, kind)(shape, names)
                lines += more
        return lines, shape

    def head(self, shape, names: Names) -> tuple[list[str], tuple]:
        lines = []
        if self.draw(st.booleans()):
            text, shape = self.adaptive(shape)
            lines.append(self.label(names) + text)
        lines.append(self.label(names) + "flatten()")
        shape = (math.prod(shape),)
        for _ in range(self.draw(st.integers(1, 3))):
            out = self.draw(st.integers(1, 12))
            bias = "" if self.draw(st.booleans()) else ", bias=false"
            init = self.pick(["", "", ', init="xavier"', ', init="kaiming"'])
            lines.append(f"{self.label(names)}linear({out}{bias}{init})")
            shape = (out,)
            if self.draw(st.booleans()):
                lines.append(self.label(names) + self.elementwise(shape))
        return lines, shape


def _indent(lines: list[str], level: int = 1) -> list[str]:
    out, depth = [], level
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("}"):
            depth -= 1
        out.append("    " * depth + stripped)
        if stripped.endswith("{"):
            depth += 1
    return out


@st.composite
def specs(draw, receptive: bool = False, names=None) -> Spec:
    """A random valid network: small images, a few layers, and (unless `receptive`) sometimes a dense head.
    `names`: a strategy of identifiers for the network, its blocks and its labels (default: fixed tame ones)."""
    gen, chosen = Generator(draw, receptive), names
    if chosen is not None:
        gen.label_pool = tuple(draw(st.lists(chosen, min_size=3, max_size=12, unique=True)))
        gen.block_names = chosen
    c = draw(st.integers(1, 4))
    h, w = draw(st.integers(6, 18)), draw(st.integers(6, 18))
    names = Names()
    lines, shape = gen.stage((c, h, w), names, 5)
    if not receptive and draw(st.booleans()):
        more, shape = gen.head(shape, names)
        lines += more
    body = _indent([f"input [{c}, {h}, {w}]", *gen.blocks, *lines])
    network = "Random" if chosen is None else draw(chosen)
    return Spec("\n".join([f"network {network} {{", *body, "}"]) + "\n", shape)
