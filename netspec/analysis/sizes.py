"""ir.Graph -> Sizes: every input height and width in 1..limit for which the network runs, and why the others fail.

Each spatial dim is pushed through the graph for all sizes at once (numpy arrays of 1..limit): a window op
maps the array by PyTorch's output-size rule, a join compares its inputs' arrays, and the first node at which
a size fails is recorded with the reason. Height and width never interact, except where the weights depend
on the spatial size: a `linear` after `flatten` was built for C*H'*W' features, so H' * W' must stay what it
was at the declared input. That constraint is kept apart (`Coupling`), so `legal(h, w)` is exact for any pair.

Ops without a rule here (new layer kinds) are run through their own shape rule for each distinct size, and
rejected where their parameter count would change: slower, never wrong. The one other rule that couples the
dims, a normalisation's "more than one pixel", is kept apart like the coupling (`Sizes.single`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from netspec.analysis.patterns import pattern, ranges
from netspec.ir import Graph, Node
from netspec.ops import OPS, Shape, ShapeError
from netspec.ops.conv import ConvAttrs, ConvTransposeAttrs, explicit_padding
from netspec.ops.merge import PadAttrs
from netspec.ops.norm import GroupNorm, GroupNormAttrs, InstanceNorm, InstanceNormAttrs
from netspec.ops.pool import MaxPoolAttrs, PoolAttrs
from netspec.ops.resample import InterpolateAttrs, ResampleAttrs
from netspec.ops.reshape import ZeroPadAttrs

DIMS = ("height", "width")
SAME = frozenset(name for name, op in OPS.items() if op.keeps_grid)  # keep the size, any size


@dataclass(frozen=True, slots=True)
class Rejection:
    """The sizes of one dim that one node rejects, for one reason."""

    node: int
    reason: str  # "collapses" | "join" | "weights" | "shape"
    message: str  # what goes wrong: "output height collapses below 1"
    example: int  # the smallest input size rejected here
    detail: str  # the arithmetic at `example`, at this node
    sizes: np.ndarray  # sorted sizes (1-based)


@dataclass(slots=True)
class Coupling:
    """`flatten` feeding a layer built for a fixed number of features: H' * W' must equal `area`."""

    flatten: int  # node id of the flatten
    consumer: int  # the node whose weights fix the feature count
    area: int  # H' * W' at the declared input
    after: dict[str, np.ndarray] = field(default_factory=dict)  # dim -> H' (or W') for every input size


@dataclass(slots=True)
class DimSizes:
    """One spatial dim: which sizes the network accepts on its own (`ok`) and where the others fail."""

    dim: str
    ok: np.ndarray  # bool, index i is size i + 1; the per-dim rules only, without the coupling
    failed_at: np.ndarray  # node id of the first failure, -1 where ok
    rejections: list[Rejection]
    output: np.ndarray | None  # the network's output size in this dim for every input size; None if flat


@dataclass(slots=True)
class Sizes:
    """The legal input sizes of a network: per dim, and the coupling between them (if any)."""

    graph: Graph
    limit: int
    declared: tuple[int, int]
    dims: dict[str, DimSizes]
    coupling: Coupling | None
    single: dict[int, dict[str, np.ndarray]] = field(default_factory=dict)  # a norm needing 2 pixels -> input H, W

    def legal(self, height: int, width: int) -> bool:
        """Does the network (built at its declared input) run on [C, height, width]?"""
        if not (1 <= height <= self.limit and 1 <= width <= self.limit):
            raise ValueError(f"sizes are known in 1..{self.limit}")
        h, w = height - 1, width - 1
        if not (self.dims["height"].ok[h] and self.dims["width"].ok[w]):
            return False
        if any(a["height"][h] == 1 and a["width"][w] == 1 for a in self.single.values()):
            return False  # a normalisation of a single pixel
        c = self.coupling
        return c is None or int(c.after["height"][h]) * int(c.after["width"][w]) == c.area

    def output(self, height: int, width: int) -> tuple[int, ...]:
        """The output shape at input [C, height, width] (meaningful where `legal`)."""
        shape = self.graph.output.out_shape
        if len(shape) != 3:
            return shape
        rows, cols = self.dims["height"].output, self.dims["width"].output
        assert rows is not None and cols is not None  # an image output has a size array in each dim
        return (shape[0], int(rows[height - 1]), int(cols[width - 1]))

    def legal_mask(self, dim: str) -> np.ndarray:
        """Legal sizes of `dim` with the other dim at its declared size (bool, index i is size i + 1)."""
        ok = self.dims[dim].ok.copy()
        c = self.coupling
        if c is not None:
            other = DIMS[1 - DIMS.index(dim)]
            fixed = int(c.after[other][self.declared[1 - DIMS.index(dim)] - 1])
            ok &= c.after[dim] * fixed == c.area
        return ok

    def rejections(self, dim: str) -> list[Rejection]:
        """Why each size of `dim` (the other at its declared size) fails: the per-dim rules, then the coupling."""
        found = list(self.dims[dim].rejections)
        coupled = self.dims[dim].ok & ~self.legal_mask(dim)
        c = self.coupling
        if c is not None and coupled.any():  # without a coupling no size is lost to it
            before = self.graph.nodes[self.graph.nodes[c.flatten].inputs[0]].out_shape
            first = int(np.flatnonzero(coupled)[0])
            other = "width" if dim == "height" else "height"
            found.append(
                Rejection(
                    c.consumer,
                    "weights",
                    f"its weights were built for {before[0]}*{before[1]}*{before[2]} = "
                    f"{before[0] * c.area:,} features after flatten",
                    first + 1,
                    f"flatten gets {dim} {int(c.after[dim][first])}, {other} {before[2 if dim == 'height' else 1]}",
                    np.flatnonzero(coupled) + 1,
                )
            )
        return found

    def to_dict(self) -> dict[str, Any]:
        """Plain data: per dim the legal sizes (pattern and ranges) and every rejection with its place."""
        c, (h, w) = self.graph.input.out_shape[0], self.declared
        out: dict[str, Any] = {
            "network": self.graph.name,
            "file": self.graph.file,
            "input": [c, h, w],
            "limit": self.limit,
        }
        for dim, fixed in (("height", {"width": w}), ("width", {"height": h})):
            name = dim[0].upper()
            out[dim] = {
                "fixed": fixed,
                **_described(self.legal_mask(dim), name),
                "rejected": [self._rejection(r, name) for r in sorted(self.rejections(dim), key=lambda r: r.example)],
            }
        out["coupled"] = self._coupling()
        return out

    def _rejection(self, r: Rejection, name: str) -> dict:
        node = self.graph.nodes[r.node]
        mask = np.zeros(self.limit, dtype=bool)
        mask[r.sizes - 1] = True
        s = node.span
        return {
            "layer": node.path,
            "op": node.op,
            "at": {"file": s.file, "line": s.line, "col": s.col},
            "reason": r.reason,
            "message": r.message,
            "example": r.example,
            "detail": r.detail,
            **_described(mask, name),
        }

    def _coupling(self) -> dict | None:
        c = self.coupling
        if c is None:
            return None
        flatten, consumer = self.graph.nodes[c.flatten], self.graph.nodes[c.consumer]
        return {
            "flatten": flatten.path,
            "layer": consumer.path,
            "area": c.area,
            "at": {"file": consumer.span.file, "line": consumer.span.line, "col": consumer.span.col},
            "flatten_at": {"file": flatten.span.file, "line": flatten.span.line, "col": flatten.span.col},
        }


def _described(mask: np.ndarray, name: str) -> dict:
    """Count, minimum, text; the sizes as ranges, or (when periodic) the ranges below the period and the period."""
    p = pattern(mask)
    if p.modulus:
        return {
            "count": p.count,
            "minimum": p.minimum,
            "text": p.text(name),
            "sizes": [list(r) for r in p.runs],
            "then": {"from": p.start, "modulus": p.modulus, "residues": list(p.residues)},
        }
    return {
        "count": p.count,
        "minimum": p.minimum,
        "text": p.text(name),
        "sizes": [list(r) for r in ranges(np.flatnonzero(mask) + 1)],
        "then": None,
    }


def sizes(graph: Graph, limit: int = 4096) -> Sizes:
    """The sizes 1..limit of each spatial dim at which `graph` runs; the graph's input must be [C, H, W]."""
    shape = graph.input.out_shape
    if len(shape) != 3:
        raise ValueError("the network's input has no height and width")
    dims: dict[str, DimSizes] = {}
    couplings: list[Coupling | None] = []
    single: dict[int, dict[str, np.ndarray]] = {}
    for d, dim in enumerate(DIMS):
        walk = _Walk(graph, d, limit)
        dims[dim] = walk.run()
        couplings.append(walk.coupling)
        for node, sizes_in in walk.single.items():
            single.setdefault(node, {})[dim] = sizes_in
    coupling, other = couplings
    if coupling is not None:
        # the coupling is where the graph flattens before weights: the same node in both walks
        assert other is not None
        coupling.after = {"height": coupling.after["height"], "width": other.after["width"]}
        if all((a == a[0]).all() for a in coupling.after.values()):  # fixed by adaptive pooling: no constraint
            coupling = None
    return Sizes(graph, limit, (shape[1], shape[2]), dims, coupling, single)


class _Walk:
    """One dim through the graph: the size array after every node, and the first failure of each size."""

    def __init__(self, graph: Graph, d: int, limit: int):
        self.graph, self.d, self.dim = graph, d, DIMS[d]
        self.alive = np.ones(limit, dtype=bool)
        self.failed_at = np.full(limit, -1, dtype=np.int64)
        self.reasons: dict[tuple[int, str], tuple[str, int, str]] = {}  # (node, reason) -> message, example, detail
        self.masks: dict[tuple[int, str], np.ndarray] = {}  # (node, reason) -> the sizes rejected for it
        self.values: dict[int, np.ndarray | None] = {}  # node id -> size array; None once the node is rank 1
        self.coupling: Coupling | None = None
        self.flattened: dict[int, int] = {}  # rank-1 node id -> the flatten it comes from
        self.single: dict[int, np.ndarray] = {}  # node id of a norm needing 2 pixels -> its input size here

    def run(self) -> DimSizes:
        for node in self.graph.nodes:
            self.values[node.id] = self.step(node)
        rejections = [
            Rejection(node, reason, *found, np.flatnonzero(self.masks[node, reason]) + 1)
            for (node, reason), found in self.reasons.items()
        ]
        return DimSizes(self.dim, self.alive, self.failed_at, rejections, self.values[self.graph.output.id])

    def step(self, node: Node) -> np.ndarray | None:
        if node.op == "input":
            return np.arange(1, len(self.alive) + 1, dtype=np.int64)
        values = [self.values[i] for i in node.inputs]
        ins = [x for x in values if x is not None]
        if len(ins) < len(values):  # rank 1: after flatten
            self.flat(node)
            return None
        rule = _RULES.get(node.op)
        if rule is not None:
            return rule(self, node, ins)
        return self.fallback(node, ins)

    # ---- recording ------------------------------------------------------------------------------

    def reject(self, node: Node, bad: np.ndarray, reason: str, message: str, detail: Callable[[int], str]) -> None:
        """Mark sizes still alive that fail here; `detail(size)` shows the arithmetic for the smallest of them."""
        new = bad & self.alive
        if not new.any():
            return
        key = (node.id, reason)
        self.masks[key] = self.masks.get(key, np.zeros_like(self.alive)) | new
        if key not in self.reasons:
            first = int(np.flatnonzero(new)[0]) + 1
            self.reasons[key] = (message, first, detail(first))
        self.failed_at[new] = node.id
        self.alive &= ~new

    # ---- rules ----------------------------------------------------------------------------------

    def window(self, node: Node, ins: list[np.ndarray], k: int, s: int, p: int, dil: int, ceil: bool) -> np.ndarray:
        x = ins[0]
        span = x + 2 * p - dil * (k - 1) - 1
        if ceil:
            out = -(-span // s) + 1
            out = np.where((out - 1) * s >= x + p, out - 1, out)
        else:
            out = span // s + 1
        sizes = x

        def explain(size: int) -> str:
            i = size - 1
            w = int(sizes[i])
            shown = f"({w} - {k} + 2*{p})" if dil == 1 else f"({w} + 2*{p} - {dil}*({k} - 1) - 1)"
            return f"its input {self.dim} is {w}, {'ceil' if ceil else 'floor'}({shown}/{s}) + 1 = {int(out[i])}"

        self.reject(node, out < 1, "collapses", f"output {self.dim} collapses below 1", explain)
        return np.maximum(out, 1)

    def join(self, node: Node, ins: list[np.ndarray]) -> np.ndarray:
        first = ins[0]
        for n, other in enumerate(ins[1:], start=2):

            def explain(size: int, other=other, n=n) -> str:
                return f"path 1 gives {int(first[size - 1])}, path {n} gives {int(other[size - 1])}"

            self.reject(node, first != other, "join", f"the paths' {self.dim}s differ", explain)
        return first

    def flat(self, node: Node) -> None:
        """A rank-1 node: the first one whose weights depend on the features couples height and width."""
        source = next(self.flattened[i] for i in node.inputs if i in self.flattened)
        self.flattened[node.id] = source
        shapes = self.graph.in_shapes(node)
        out = node.out_shape
        weights = node.kind.params(node.attrs, shapes, out) + node.kind.buffers(node.attrs, shapes, out)
        if self.coupling is None and weights:
            flatten = self.graph.nodes[source]
            before = self.graph.nodes[flatten.inputs[0]].out_shape
            sizes = self.values[flatten.inputs[0]]
            assert sizes is not None  # flatten's input is an image: it has a size array
            self.coupling = Coupling(source, node.id, before[1] * before[2], {self.dim: sizes})

    def fallback(self, node: Node, ins: list[np.ndarray]) -> np.ndarray:
        """Any other op: its own shape rule at each distinct size, the other dims as declared."""
        op, declared, built = node.kind, self.graph.in_shapes(node), node.out_shape
        if len(built) != 3:
            raise ValueError(f"no size rule for `{node.op}` producing rank {len(built)}")
        want = op.params(node.attrs, declared, built)
        keys = np.stack(ins, axis=1)
        unique, where = np.unique(keys, axis=0, return_inverse=True)
        out = np.ones(len(unique), dtype=np.int64)
        failed: dict[int, tuple[str, str, str]] = {}  # index into `unique` -> reason, message, detail
        for j, row in enumerate(unique):
            shapes = [_with(s, self.d, int(v)) for s, v in zip(declared, row, strict=True)]
            try:
                shape = op.infer(node.attrs, shapes)
                out[j] = shape[1 + self.d]
                if op.params(node.attrs, shapes, shape) != want:
                    failed[j] = (
                        "weights",
                        f"its weights were built for {self.dim} {declared[0][1 + self.d]}",
                        f"{self.dim} {int(row[0])} changes its parameter count",
                    )
            except ShapeError as e:
                failed[j] = ("shape", e.message, e.label)
        where = where.reshape(-1)
        for reason in ("shape", "weights"):
            bad = np.array([j in failed and failed[j][0] == reason for j in range(len(unique))])[where]
            if bad.any():
                message = failed[int(where[np.flatnonzero(bad & self.alive)[0]])][1] if (bad & self.alive).any() else ""
                self.reject(node, bad, reason, message, lambda size: failed[int(where[size - 1])][2])
        return out[where]


def _with(shape: Shape, d: int, value: int) -> Shape:
    return (*shape[: 1 + d], value, *shape[2 + d :])


def _conv(walk: _Walk, node: Node, ins: list[np.ndarray]) -> np.ndarray:
    a, d = node.attrs, walk.d
    assert isinstance(a, ConvAttrs)  # the rule of `conv` nodes
    if a.padding == "same":
        return ins[0]
    return walk.window(node, ins, a.kernel[d], a.stride[d], explicit_padding(a)[d], a.dilation[d], False)


def _pool(walk: _Walk, node: Node, ins: list[np.ndarray]) -> np.ndarray:
    a, d = node.attrs, walk.d
    assert isinstance(a, PoolAttrs)  # the rule of `maxpool` and `avgpool` nodes
    stride = (a.stride or a.kernel)[d]
    dilation = a.dilation if isinstance(a, MaxPoolAttrs) else (1, 1)
    return walk.window(node, ins, a.kernel[d], stride, a.padding[d], dilation[d], a.ceil_mode)


def _convtranspose(walk: _Walk, node: Node, ins: list[np.ndarray]) -> np.ndarray:
    a, d, x = node.attrs, walk.d, ins[0]
    assert isinstance(a, ConvTransposeAttrs)  # the rule of `convtranspose` nodes
    k, s, p, dil, extra = a.kernel[d], a.stride[d], a.padding[d], a.dilation[d], a.output_padding[d]
    out = (x - 1) * s - 2 * p + dil * (k - 1) + extra + 1

    def explain(size: int) -> str:
        w = int(x[size - 1])
        value = int(out[size - 1])
        return f"its input {walk.dim} is {w}, ({w} - 1)*{s} - 2*{p} + {dil}*({k} - 1) + {extra} + 1 = {value}"

    walk.reject(node, out < 1, "collapses", f"output {walk.dim} collapses below 1", explain)
    return np.maximum(out, 1)


def _resample(walk: _Walk, node: Node, ins: list[np.ndarray]) -> np.ndarray:
    """upsample / interpolate: floor(W * scale) as PyTorch computes it (in float64), the fixed size, or like's."""
    a, d, x = node.attrs, walk.d, ins[0]
    assert isinstance(a, ResampleAttrs | InterpolateAttrs)  # the rule of `upsample` and `interpolate` nodes
    if isinstance(a, InterpolateAttrs) and a.like is not None:
        return ins[a.like]  # the reference's size, whatever the input's: never a join that can fail
    if a.size is not None:
        return np.full_like(x, a.size[d])
    assert a.scale is not None  # the shape rule let exactly one of scale, size and like through
    scale = a.scale[d]
    out = np.floor(x * float(scale)).astype(np.int64)
    walk.reject(
        node,
        out < 1,
        "collapses",
        f"output {walk.dim} collapses below 1",
        lambda size: (
            f"its input {walk.dim} is {int(x[size - 1])}, floor({int(x[size - 1])} * {scale:g}) = {int(out[size - 1])}"
        ),
    )
    return np.maximum(out, 1)


def _single(walk: _Walk, node: Node, ins: list[np.ndarray]) -> np.ndarray:
    """instancenorm, and groupnorm with one channel per group, need more than one pixel (one value has no spread):
    rejected here where the other dim is 1 as declared; `Sizes.legal` pairs the dims."""
    if _needs_pixels(node, walk.graph.in_shapes(node)):
        walk.single[node.id] = ins[0]
        other = walk.graph.in_shapes(node)[0][2 - walk.d]
        if other == 1:
            walk.reject(
                node,
                ins[0] == 1,
                "shape",
                f"{node.op} needs more than one pixel",
                lambda size: f"its input is 1x1 at {walk.dim} {size}",
            )
    return ins[0]


def _needs_pixels(node: Node, shapes: list[Shape]) -> bool:
    match node.kind, node.attrs:
        case GroupNorm() as op, GroupNormAttrs() as a:
            return op.needs_pixels(a, shapes)
        case InstanceNorm() as op, InstanceNormAttrs() as a:
            return op.needs_pixels(a, shapes)
    raise TypeError(f"`{node.op}` has no rule for needing more than one pixel")


def _zeropad(walk: _Walk, node: Node, ins: list[np.ndarray]) -> np.ndarray:
    assert isinstance(node.attrs, ZeroPadAttrs)  # the rule of `zeropad` nodes
    left, right, top, bottom = node.attrs.padding
    return ins[0] + ((top + bottom) if walk.d == 0 else (left + right))


def _adaptive(walk: _Walk, node: Node, ins: list[np.ndarray]) -> np.ndarray:
    return np.full_like(ins[0], node.out_shape[1 + walk.d])


def _pad(walk: _Walk, node: Node, ins: list[np.ndarray]) -> np.ndarray:
    assert isinstance(node.attrs, PadAttrs)  # the rule of `pad` (shortcut option A) nodes
    return -(-ins[0] // node.attrs.stride)


def _flatten(walk: _Walk, node: Node, ins: list[np.ndarray]) -> None:
    walk.flattened[node.id] = node.id
    return None


def _linear(walk: _Walk, node: Node, ins: list[np.ndarray]) -> np.ndarray:
    """A linear on [C, H, W] acts on the last axis: the width is fixed by its weights."""
    if walk.d == 1:
        built = walk.graph.in_shapes(node)[0][2]
        walk.reject(
            node,
            ins[0] != built,
            "weights",
            f"its weights were built for width {built}",
            lambda size: f"the input width is {int(ins[0][size - 1])}",
        )
    return ins[0]


Rule = Callable[[_Walk, Node, list[np.ndarray]], np.ndarray | None]  # a node's size array from its inputs'; None: flat

_RULES: dict[str, Rule] = {
    **{op: (lambda walk, node, ins: ins[0]) for op in SAME},  # first: the rules below refine some of them
    "conv": _conv,
    "maxpool": _pool,
    "avgpool": _pool,
    "convtranspose": _convtranspose,
    "upsample": _resample,
    "interpolate": _resample,
    "zeropad": _zeropad,
    "instancenorm": _single,
    "groupnorm": _single,
    **{name: _adaptive for name, op in OPS.items() if op.fixed_grid},
    "pad": _pad,
    "flatten": _flatten,
    "linear": _linear,
    "add": lambda walk, node, ins: walk.join(node, ins),
    "concat": lambda walk, node, ins: walk.join(node, ins),
}
