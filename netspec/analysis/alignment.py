"""ir.Graph -> where each value's pixels sit on the input: per spatial dim the grid step (cumulative stride) and
the input coordinate of the centre of output pixel 0's receptive field; and the lint for joins whose paths
have equal shapes but different grids.

Output pixel i of a value is centred on input coordinate `offset + i * jump`. A window op with kernel K,
dilation D, padding P (the left/top amount) and stride S maps (jump, offset) to
(jump * S, offset + jump * ((K - 1) * D / 2 - P)). Only stride-1 paths of equal size are always aligned
(their sizes agree only when the sum of 2P - D(K-1) is 0, and then so is the shift); strides, asymmetric
padding and ceil_mode can give equal shapes on shifted grids: an `add` then sums pixels that do not
correspond. An even window's centre lies between two pixels: offsets are kept doubled.

The ops that refine the grid run the other way. A transposed conv is the adjoint of the conv with its
parameters: its input pixel i sits where that conv's output pixel i is centred, i * S - P + D(K-1)/2 of its
output, so output pixel o is at input step (o + P - D(K-1)/2) / S: (jump / S, offset + jump * (P - D(K-1)/2)
/ S); output_padding only adds rows at the end. Interpolation samples output pixel o at source coordinate
(o + 1/2) * r - 1/2 (PyTorch's align_corners=False, with r the input pixels per output pixel: 1/scale, or
in/out for a size) or o * r (align_corners=True, r = (in - 1)/(out - 1)); nearest copies the pixel whose area
holds that centre when it enlarges by a whole factor, and samples o * r when it shrinks by one. Jumps and
offsets are then fractions.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from fractions import Fraction

from netspec.diagnostics import Diagnostic
from netspec.ir import Graph, Node
from netspec.ops import OPS, Attrs
from netspec.ops.conv import ConvAttrs, ConvTransposeAttrs, explicit_padding
from netspec.ops.merge import PadAttrs
from netspec.ops.pool import MaxPoolAttrs, PoolAttrs
from netspec.ops.resample import InterpolateAttrs, Resample, ResampleAttrs
from netspec.ops.reshape import PermuteAttrs

Grid = tuple[int, int | Fraction, int | Fraction]  # (input dim: 0 rows, 1 columns; jump; twice the offset)
Known = tuple[Grid | None, ...]  # per axis of the value: its grid, None for the channel axis
Place = Known | None  # None: unknown
Step = tuple[int, int, int, int]  # one dim of a sliding window: kernel, stride, left padding, dilation
JOINS = frozenset({"add", "concat", "mul"})
KEEPS = frozenset(name for name, op in OPS.items() if op.keeps_grid)  # the grid passes through unchanged
LAST_AXIS = frozenset({"linear", "layernorm"})  # per pixel when the last axis is the channels (ConvNeXt's MLP)
ADAPTIVE = frozenset(name for name, op in OPS.items() if op.fixed_grid)
REFINES = frozenset({"convtranspose", "upsample", "interpolate"})  # grids finer than their input's


def places(graph: Graph) -> list[Place]:
    """Every node's grid on the input; None where it is not known (after flatten, an unknown op, or an adaptive
    pool whose windows differ in size)."""
    return _walk(graph)[0]


def _walk(graph: Graph) -> tuple[list[Place], list[tuple[Node, tuple[int, Known], tuple[int, Known]]]]:
    """Every node's grid, and the joins whose paths disagree: (join, (id, grid) of its first path, of another)."""
    out: list[Place] = []
    conflicts = []
    for node in graph.nodes:
        if node.op in KEEPS:  # most nodes: answered first
            out.append(out[node.inputs[0]])
        elif node.op in JOINS:
            paths = [(i, place) for i in _gridded(node, graph) if (place := out[i]) is not None]
            other = next((p for p in paths[1:] if p[1] != paths[0][1]), None)
            if other is not None:
                conflicts.append((node, paths[0], other))
            out.append(paths[0][1] if paths else None)  # misaligned paths are warned about once, at the join
        else:
            out.append(_place(node, graph, out))
    return out, conflicts


def _place(node: Node, graph: Graph, done: list[Place]) -> Place:
    if not node.inputs:
        return (None, (0, 1, 0), (1, 1, 0)) if len(node.out_shape) == 3 else None
    before = done[node.inputs[0]]
    if before is None:
        return None
    if isinstance(node.attrs, PermuteAttrs):
        return tuple(before[d] for d in node.attrs.dims)
    if node.op in LAST_AXIS:
        return before if before[-1] is None else None
    if len(before) != 3:
        return None
    channels, rows, columns = before
    if channels is not None or rows is None or columns is None:  # a window slides over [C, H, W] only
        return None
    if node.op in REFINES:
        steps = _refined(node, graph)
        return None if steps is None else (None, _map(rows, *steps[0]), _map(columns, *steps[1]))
    window = _window(node, graph)
    return None if window is None else _moved(rows, columns, window)


Shift = tuple[Fraction, Fraction]  # one dim of an up-step: output pixel o sits at step o * scale + shift


def _map(grid: Grid, scale: Fraction, shift: Fraction) -> Grid:
    """The grid of output pixel o at input step `o * scale + shift` of the grid before: (jump, 2 * offset)."""
    dim, jump, twice = grid
    return dim, jump * scale, twice + 2 * jump * shift


def _refined(node: Node, graph: Graph) -> tuple[Shift, Shift] | None:
    """Per dim (scale, shift) of a transposed conv, upsample or interpolate; None where o's place is not affine
    in o (nearest by a factor that is not whole)."""
    a = node.attrs
    if isinstance(a, ConvTransposeAttrs):
        rows, columns = (
            (Fraction(1, a.stride[d]), Fraction(2 * a.padding[d] - a.dilation[d] * (a.kernel[d] - 1), 2 * a.stride[d]))
            for d in range(2)
        )
        return rows, columns
    if not isinstance(a, ResampleAttrs | InterpolateAttrs) or not isinstance(node.kind, Resample):
        return None
    (_, h, w), (_, oh, ow) = graph.nodes[node.inputs[0]].out_shape, node.out_shape
    dims = _resampled(a, node.kind.step(a, h, oh, 0)), _resampled(a, node.kind.step(a, w, ow, 1))
    return None if dims[0] is None or dims[1] is None else (dims[0], dims[1])


def _resampled(a: ResampleAttrs | InterpolateAttrs, r: Fraction) -> Shift | None:
    """(scale, shift) of one dim of upsample/interpolate, r input pixels apart per output pixel."""
    if a.align_corners:
        return r, Fraction(0)  # the corner pixels' centres coincide: o * (in - 1) / (out - 1)
    if a.mode != "nearest" or r.numerator == 1:
        return r, (r - 1) / 2  # (o + 1/2) * r - 1/2; nearest enlarging by a whole factor copies that pixel
    if r.denominator == 1:
        return r, Fraction(0)  # nearest shrinking by a whole factor: input pixel o * r
    return None  # nearest by a factor that is not whole: floor(o * r) is no fixed step of the grid


@functools.lru_cache(maxsize=4096)
def _moved(rows: Grid, columns: Grid, window: tuple[Step, Step]) -> Place:
    """The grid after a window (cached: the layers of repeated blocks see the same grids)."""
    return (None, _step(rows, *window[0]), _step(columns, *window[1]))


def _step(grid: Grid, kernel: int, stride: int, padding: int, dilation: int) -> Grid:
    dim, jump, twice = grid
    return dim, jump * stride, twice + jump * ((kernel - 1) * dilation - 2 * padding)


def _window(node: Node, graph: Graph) -> tuple[Step, Step] | None:
    """Per dim (kernel, stride, left padding, dilation) of a sliding window; None for anything else."""
    if node.op in ADAPTIVE:  # equal windows only when the output size divides the input size
        (_, h, w), (_, oh, ow) = graph.nodes[node.inputs[0]].out_shape, node.out_shape
        if h % oh == 0 and w % ow == 0:
            return (h // oh, h // oh, 0, 1), (w // ow, w // ow, 0, 1)
        return None
    return _sliding(node.attrs)


@functools.lru_cache(maxsize=4096)
def _sliding(a: Attrs) -> tuple[Step, Step] | None:
    if isinstance(a, ConvAttrs):
        return _steps(a.kernel, a.stride, explicit_padding(a), a.dilation)
    if isinstance(a, PoolAttrs):  # maxpool, avgpool
        return _steps(a.kernel, a.stride or a.kernel, a.padding, a.dilation if isinstance(a, MaxPoolAttrs) else (1, 1))
    if isinstance(a, PadAttrs):
        return ((1, a.stride, 0, 1), (1, a.stride, 0, 1))
    return None


def _steps(
    kernel: tuple[int, int], stride: tuple[int, int], padding: tuple[int, int], dilation: tuple[int, int]
) -> tuple[Step, Step]:
    return (kernel[0], stride[0], padding[0], dilation[0]), (kernel[1], stride[1], padding[1], dilation[1])


def _can_shift(graph: Graph) -> bool:
    """Whether two values of equal size can sit on different grids. Not when every window has stride 1 and
    symmetric padding: a value's size is then H + sum(2P - D(K-1)) and its offset -sum(2P - D(K-1)) / 2, so
    equal sizes mean equal grids. Strides, adaptive pools, `pad` and an odd total of `same` padding can."""
    for node in graph.nodes:
        op, a = node.op, node.attrs
        if isinstance(a, ConvAttrs | PoolAttrs) and (  # conv or a pool
            (a.stride or a.kernel) != (1, 1)
            or (
                isinstance(a, ConvAttrs)
                and a.padding == "same"
                and any((k - 1) * d % 2 for k, d in zip(a.kernel, a.dilation, strict=True))
            )
        ):
            return True
        if op in ADAPTIVE or op == "pad" or op in REFINES:
            return True
    return False


def _gridded(node: Node, graph: Graph) -> list[int]:
    """The inputs of a join that lie on the output's grid (not a broadcast gate of [C, 1, 1])."""
    return [i for i in node.inputs if graph.nodes[i].out_shape[1:] == node.out_shape[1:]]


def misaligned_join(graph: Graph, users: dict[int, list[int]]) -> Iterator[Diagnostic]:
    """A join whose paths give equal shapes on different grids: different cumulative strides, or centres
    shifted by some pixels (the padding off-by-one). Axes of size 1 have no grid and are not compared."""
    if not any(node.op in JOINS for node in graph.nodes) or not _can_shift(graph):
        return
    for node, first, other in _walk(graph)[1]:
        grids = [
            (ga, gb)
            for k, (ga, gb) in enumerate(zip(first[1], other[1], strict=True))
            if ga is not None and gb is not None and node.out_shape[k] > 1
        ]
        if any(ga != gb for ga, gb in grids):
            yield _warning(node, graph, first, other, grids)


def _warning(
    node: Node, graph: Graph, a: tuple[int, Known], b: tuple[int, Known], grids: list[tuple[Grid, Grid]]
) -> Diagnostic:
    """The warning for a join whose first path `a` and path `b` (node id, place) differ on `grids` (A's, B's)."""
    (ia, pa), (ib, pb) = a, b
    if any(ga[1] != gb[1] for ga, gb in grids):
        message = f"the paths of this {node.op} have equal shapes but different strides"
        help = (
            "the same size from different strides is a coincidence of this input size: give both paths "
            "the same cumulative stride"
        )
    else:
        apart = [(ga, abs(Fraction(gb[2]) - Fraction(ga[2]))) for ga, gb in grids if ga[2] != gb[2]]
        shift = " and ".join(f"{_fmt(Fraction(d, 2))} {'rows' if ga[0] == 0 else 'columns'}" for ga, d in apart)
        pixels = {Fraction(d, 2 * ga[1]) for ga, d in apart}
        of_map = f" ({_fmt(pixels.pop())} pixels of this map)" if len(pixels) == 1 and grids[0][0][1] > 1 else ""
        message = f"the paths of this {node.op} are {shift} of the input apart{of_map}"
        help = (
            "pad both paths so that their windows are centred alike (padding = (K - 1) * D / 2 for odd K), or "
            "accept it with `# netspec: allow(misaligned-join)`"
        )
        if any(graph.nodes[i].op in REFINES for i in (ia, ib)):
            help = (
                "a 2x2 up-step (convtranspose(C, 2, stride=2), or upsample(2)) moves the centres half a coarse "
                "pixel back, as a 2x2 pool moved them on: pair it with maxpool(2), or " + help.split(", or ")[-1]
            )
    label = "; ".join(
        f"{_name(graph, i)} puts output pixel (i, j) on input ({_where(p)})" for i, p in ((ia, pa), (ib, pb))
    )
    return Diagnostic("warning", message, node.span, label, help, "misaligned-join")


def _name(graph: Graph, node_id: int) -> str:
    node = graph.nodes[node_id]
    numbered = node.path.rsplit(".", 1)[-1].isdigit()  # an unnamed layer: say what it is
    return f"`{node.path}` ({node.op})" if numbered else f"`{node.path}`"


def _where(place: Known) -> str:
    grids = sorted(g for g in place if g is not None)
    return ", ".join(_coordinate(g) for g in grids)


def _coordinate(grid: Grid) -> str:
    dim, jump, twice = grid
    offset, var, step = Fraction(twice, 2), "ij"[dim], Fraction(jump)
    text = f"{step.numerator if step.numerator != 1 else ''}{var}" + (
        f"/{step.denominator}" if step.denominator > 1 else ""
    )
    return text if offset == 0 else f"{text} {'+' if offset > 0 else '-'} {_fmt(abs(offset))}"


def _fmt(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{float(value):g}"
