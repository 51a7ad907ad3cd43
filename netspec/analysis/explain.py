"""Report + layer name -> the formulas of that layer with its numbers filled in, as a lecture would write them."""

from __future__ import annotations

from netspec.analysis.report import Report
from netspec.diagnostics import Diagnostics, Span, did_you_mean
from netspec.ops import OPS


def explain(report: Report, name: str) -> str:
    """Every formula of one layer, its inputs, and where the spec wrote it; NetspecError for an unknown name."""
    graph = report.graph
    node = next((n for n in graph.nodes if n.path == name), None)
    if node is None:
        diags = Diagnostics()
        diags.error(f"no layer named `{name}` in {report.network}", None, "",
                    did_you_mean(name, [n.path for n in graph.nodes]) or "`netspec summary` lists the names")
        diags.raise_if_errors()
    layer = report.layers[node.id]
    shapes = graph.in_shapes(node)
    lines = [f"{layer.name}: {layer.label}    ({_where(node.span)})",
             f"  scope: {' > '.join(s.label for s in reversed(graph.ancestry(node.scope)))}"]
    lines += ["  " + line for line in OPS[node.op].explain(node.attrs, shapes, node.shape)]
    lines += ["  " + line for line in _receptive_field(report, node)]
    lines.append(f"  activation memory per sample = {' * '.join(map(str, layer.shape))} * "
                 f"{_bytes(report)} bytes = {layer.activation_bytes:,} bytes")
    return "\n".join(lines)


def _receptive_field(report: Report, node) -> list[str]:
    layer = report.layers[node.id]
    if not node.inputs:
        return ["receptive field = 1 (the input pixel itself), jump = 1"]
    before = [report.layers[i] for i in node.inputs]
    window = OPS[node.op].window(node.attrs, report.graph.in_shapes(node), node.shape)
    rf_in, jump_in = max(b.rf[0] for b in before), max(b.jump[0] for b in before)
    if window is None:
        return [f"receptive field = {_pair(layer.rf)} (unchanged: each output sees one input position), "
                f"jump = {_pair(layer.jump)}"]
    k, d, s = window.kernel[0], window.dilation[0], window.stride[0]
    dil = f"*{d}" if d != 1 else ""
    return [f"receptive field = rf_in + (K-1)*D*jump_in = {rf_in} + ({k}-1){dil}*{jump_in} = {layer.rf[0]}"
            + ("" if layer.rf[0] == layer.rf[1] else f" (width: {layer.rf[1]})"),
            f"jump (input pixels between adjacent outputs) = jump_in*S = {jump_in}*{s} = {layer.jump[0]}"]


def _pair(values: list[int]) -> str:
    return str(values[0]) if values[0] == values[1] else f"{values[0]}x{values[1]}"


def _bytes(report: Report) -> int:
    from netspec.analysis.analyse import DTYPE_BYTES

    return DTYPE_BYTES[report.totals.dtype]


def _where(span: Span) -> str:
    return f"{span.file}:{span.line}:{span.col}"

