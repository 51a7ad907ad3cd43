"""ir.Graph -> Report: parameters, buffers, MACs, receptive field, jump and memory per node, per scope and in total."""

from __future__ import annotations

import math
from fractions import Fraction

from netspec.analysis.lints import lint
from netspec.analysis.report import Layer, Location, Report, ScopeSummary, Totals, Warning
from netspec.diagnostics import Diagnostic, NetspecError, Span
from netspec.ir import Graph, Node
from netspec.ops import Shape

Grid = tuple[int | Fraction, int | Fraction]  # (height, width) in input pixels: a Fraction after upsampling

DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2, "float64": 8, "int8": 1}


def analyse(graph: Graph, dtype: str = "float32", expectations: bool = True) -> Report:
    """The static report of an elaborated, error-free graph; NetspecError when an `expect` does not hold.

    `expectations=False` skips the `expect` statements: they describe the network at its declared input.
    """
    size = DTYPE_BYTES[dtype]
    layers = _layers(graph, size)
    scopes = _scopes(graph, layers)
    totals = _totals(layers, size, dtype)
    report = Report(
        network=graph.name,
        file=graph.file,
        params=dict(graph.params),
        input=list(graph.input.out_shape),
        output=list(graph.output.out_shape),
        layers=layers,
        scopes=scopes,
        totals=totals,
        warnings=[_warning(d) for d in lint(graph)],
        graph=graph,
        outputs=[
            {"name": name, "layer": graph.nodes[i].path, "shape": list(graph.nodes[i].out_shape)}
            for name, i in graph.outputs
        ],
    )
    if expectations and graph.expectations:
        from netspec.analysis.expect import check_expectations  # imported for the specs that state figures

        failed = check_expectations(report, graph.expectations)
        if failed:
            raise NetspecError(failed, graph.sources)
    return report


def _layers(graph: Graph, size: int) -> list[Layer]:
    layers: list[Layer] = []
    fields: list[tuple[Grid, Grid]] = []  # node id -> its receptive field and jump
    for node in graph.nodes:
        shapes = graph.in_shapes(node)
        rf, jump = _receptive_field(node, shapes, fields)
        fields.append((rf, jump))
        layers.append(_layer(node, shapes, rf, jump, size))
    return layers


def _layer(node: Node, shapes: list[Shape], rf: Grid, jump: Grid, size: int) -> Layer:
    op, out = node.kind, node.out_shape
    return Layer(
        id=node.id,
        name=node.path,
        op=node.op,
        label=node.describe(),
        attrs=node.attrs.as_dict(),
        inputs=list(node.inputs),
        scope=node.scope,
        shape=list(out),
        params=op.params(node.attrs, shapes, out),
        buffers=op.buffers(node.attrs, shapes, out),
        macs=op.macs(node.attrs, shapes, out),
        rf=[_exact(v) for v in rf],
        jump=[_exact(v) for v in jump],
        activation_bytes=math.prod(out) * size,
        at=_location(node.span),
    )


def _exact(value: int | Fraction) -> int | Fraction:
    """A whole Fraction as an int: fractions appear only on a grid finer than the input's (after upsampling)."""
    return value.numerator if isinstance(value, Fraction) and value.denominator == 1 else value


def _receptive_field(node: Node, shapes: list[Shape], fields: list[tuple[Grid, Grid]]) -> tuple[Grid, Grid]:
    """rf_out = rf_in + (K-1)*D*jump_in, jump_out = jump_in*S; joins take the widest field of their inputs and
    the jump of those on the output's grid (not a broadcast gate's). Upsampling has S < 1 (a Fraction): the jump,
    and the fields of the layers after it, become exact fractions of an input pixel."""
    if not node.inputs:
        return (1, 1), (1, 1)
    out = node.out_shape
    if len(node.inputs) == 1:  # the common case, without the generators (a tenth of analysis on long chains)
        rf, jump = fields[node.inputs[0]]
    else:
        reads = [node.inputs[i] for i in node.kind.field_inputs(node.attrs, len(node.inputs))]
        rf = (max(fields[i][0][0] for i in reads), max(fields[i][0][1] for i in reads))
        # a broadcast path (a [C, 1, 1] gate) has no grid of its own: the output's grid is the other paths'
        grid = [i for i, shape in zip(node.inputs, shapes, strict=True) if i in reads and shape[1:] == out[1:]] or reads
        jump = (max(fields[i][1][0] for i in grid), max(fields[i][1][1] for i in grid))
    window = node.kind.window(node.attrs, shapes, out)
    if window is None:
        return rf, jump
    (kh, kw), (dh, dw), (sh, sw) = window.kernel, window.dilation, window.stride
    return (rf[0] + (kh - 1) * dh * jump[0], rf[1] + (kw - 1) * dw * jump[1]), (jump[0] * sh, jump[1] * sw)


def _scopes(graph: Graph, layers: list[Layer]) -> list[ScopeSummary]:
    members: dict[int, list[int]] = {s.id: [] for s in graph.scopes}
    chains: dict[int, list[int]] = {}  # scope -> it and its enclosing scopes, walked once per scope, not per node
    for node in graph.nodes:
        chain = chains.get(node.scope)
        if chain is None:
            chain = chains[node.scope] = [scope.id for scope in graph.ancestry(node.scope)]
        for scope_id in chain:
            members[scope_id].append(node.id)
    out = []
    for scope in graph.scopes:
        ids = members[scope.id]
        last = layers[ids[-1]].shape if ids else []
        out.append(
            ScopeSummary(
                id=scope.id,
                parent=scope.parent,
                kind=scope.kind,
                path=scope.path,
                label=scope.label,
                depth=scope.depth,
                block=scope.block,
                params=sum(layers[i].params for i in ids),
                macs=sum(layers[i].macs for i in ids),
                layers=ids,
                shape=last,
                at=_location(scope.span),
            )
        )
    return out


def _totals(layers: list[Layer], size: int, dtype: str) -> Totals:
    params = sum(layer.params for layer in layers)
    buffers = sum(layer.buffers for layer in layers)
    macs = sum(layer.macs for layer in layers)
    return Totals(
        layers=sum(1 for layer in layers if layer.op != "input"),
        params=params,
        trainable_params=params,
        buffers=buffers,
        macs=macs,
        flops=2 * macs,
        activation_bytes=sum(layer.activation_bytes for layer in layers),
        param_bytes=(params + buffers) * size,
        dtype=dtype,
    )


def _location(span: Span) -> Location:
    return Location(file=span.file, line=span.line, col=span.col, end_line=span.end_line, end_col=span.end_col)


def _warning(d: Diagnostic) -> Warning:
    return Warning(code=d.code, message=d.message, label=d.label, help=d.help, at=_location(d.span) if d.span else None)
