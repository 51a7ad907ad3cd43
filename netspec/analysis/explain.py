"""Report + a name -> the formulas of that layer, or the totals and members of that block or group, as data
(`explanation`, what `explain --json` prints) and as the text a lecture would write (`explain`)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from netspec.analysis.report import Layer, Location, Report, ScopeSummary, readable_name
from netspec.diagnostics import Diagnostics, Span, did_you_mean
from netspec.ops import OPS, fmt_shape


def explain(report: Report, name: str) -> str:
    """Every formula of one layer, or a block's totals and members; NetspecError for an unknown name."""
    data = explanation(report, name)
    lines = [f"{data['name']}: {data['label']}    ({data['at']})", f"  scope: {data['scope']}"]
    lines += ["  " + line for line in data["formulas"]]
    if data["kind"] != "layer":
        lines += [
            f"  {readable_name(m['name'], m['op'])}: {m['label']} -> {m['shape']}, "
            f"{m['params']:,} params, {m['macs']:,} MACs"
            for m in data["members"]
        ]
    return "\n".join(lines)


def explanation(report: Report, name: str) -> dict[str, Any]:
    """What `explain` says, as plain data: name, kind, label, where, scope, formulas (and members of a scope)."""
    layer = next((layer for layer in report.layers if layer.name == name), None)
    if layer is not None:
        return _layer(report, layer)
    scope = next((s for s in report.scopes if s.path == name and s.kind in ("block", "group", "shortcut")), None)
    if scope is None:
        scope = next((s for s in report.scopes if s.path == name and s.id != 0), None)
    if scope is None:
        diags = Diagnostics()
        known = [layer.name for layer in report.layers] + [s.path for s in report.scopes if s.path]
        diags.error(
            f"no layer or block named `{name}` in {report.network}",
            None,
            "",
            did_you_mean(name, known) or "`netspec summary` lists the names",
            code="unknown-name",
        )
        diags.raise_if_errors()
        raise AssertionError("unreachable: the error above was raised")
    return _scope(report, scope)


def _layer(report: Report, layer: Layer) -> dict[str, Any]:
    graph = report.graph
    node = graph.nodes[layer.id]
    shapes = graph.in_shapes(node)
    formulas = list(OPS[node.op].explain(node.attrs, shapes, node.out_shape)) + _receptive_field(report, node)
    formulas.append(
        f"activation memory per sample = {' * '.join(map(str, layer.shape))} * "
        f"{_bytes(report)} bytes = {layer.activation_bytes:,} bytes"
    )
    return {
        "name": layer.name,
        "kind": "layer",
        "op": layer.op,
        "label": layer.label,
        "at": _where(node.span),
        "scope": _chain(report, layer.scope),
        "shape": layer.shape,
        "params": layer.params,
        "macs": layer.macs,
        "rf": layer.rf,
        "jump": layer.jump,
        "formulas": formulas,
    }


def _scope(report: Report, scope: ScopeSummary) -> dict[str, Any]:
    members = [report.layers[i] for i in scope.layers]
    first = report.layers[members[0].inputs[0]] if members and members[0].inputs else None
    last = members[-1] if members else None
    what = {"block": "block", "group": "group"}.get(scope.kind, scope.kind)
    formulas = [
        f"{what} of {len(members)} layers: input {fmt_shape(first.shape if first else None)} -> "
        f"output {fmt_shape(scope.shape)}",
        "params = " + _sum([m.params for m in members if m.params], scope.params),
        "MACs = " + _sum([m.macs for m in members if m.macs], scope.macs),
    ]
    if last is not None:
        formulas.append(
            f"receptive field at its output = {_pair(last.rf)}, jump = {_pair(last.jump)}" + _beyond(report, last.rf)
        )
    rows = [
        {"name": m.name, "op": m.op, "label": m.label, "shape": fmt_shape(m.shape), "params": m.params, "macs": m.macs}
        for m in members
    ]
    label = scope.label if scope.kind == "block" else scope.kind
    return {
        "name": scope.path,
        "kind": scope.kind,
        "label": label,
        "at": _where(scope.at),
        "scope": _chain(report, scope.id),
        "shape": scope.shape,
        "params": scope.params,
        "macs": scope.macs,
        "formulas": formulas,
        "members": rows,
    }


def _sum(parts: list[int], total: int) -> str:
    if len(parts) <= 1:
        return f"{total:,}"
    shown = parts if len(parts) <= 12 else parts[:11] + ["..."]
    return " + ".join(f"{p:,}" if isinstance(p, int) else p for p in shown) + f" = {total:,}"


def _chain(report: Report, scope_id: int) -> str:
    chain: list[str] = []
    current: int | None = scope_id
    while current is not None:
        scope = report.scopes[current]
        chain.append(scope.label)
        current = scope.parent
    return " > ".join(reversed(chain))


def _receptive_field(report: Report, node) -> list[str]:
    layer = report.layers[node.id]
    if not node.inputs:
        return ["receptive field = 1 (the input pixel itself), jump = 1"]
    before = [report.layers[node.inputs[i]] for i in node.kind.field_inputs(node.attrs, len(node.inputs))]
    window = OPS[node.op].window(node.attrs, report.graph.in_shapes(node), node.out_shape)
    beyond = _beyond(report, layer.rf)
    if window is None and len(before) > 1:
        widest = ", ".join(_pair(b.rf) for b in before)
        return [
            f"receptive field = the widest of its {len(before)} inputs' = max({widest}) = {_pair(layer.rf)}"
            f"{beyond}, jump = {_pair(layer.jump)} (each output combines the same position of every input)"
        ]
    if window is None:
        how = (
            "each output sees one input position"
            if list(before[0].shape) == layer.shape
            else "it adds no window of its own"
        )
        return [f"receptive field = {_pair(layer.rf)} (unchanged: {how}){beyond}, jump = {_pair(layer.jump)}"]
    rf_in, jump_in = max(b.rf[0] for b in before), max(b.jump[0] for b in before)
    k, d, s = window.kernel[0], window.dilation[0], window.stride[0]
    dil = f"*{d}" if d != 1 else ""
    lines = [
        f"receptive field = rf_in + (K-1)*D*jump_in = {rf_in} + ({k}-1){dil}*{jump_in} = {layer.rf[0]}"
        + ("" if layer.rf[0] == layer.rf[1] else f" (width: {layer.rf[1]})")
        + beyond,
        f"jump (input pixels between adjacent outputs) = jump_in*S = {jump_in}*{s} = {layer.jump[0]}",
    ]
    if s < 1:
        lines.append(
            f"upsampling: each output reads K = {k} neighbouring inputs, and outputs are S = {s} of an input step apart"
        )
    if any(isinstance(v, Fraction) for v in layer.rf):
        lines.append(
            "a fractional field: where an output falls between input pixels decides how many it sees; "
            "the most any output sees is the field rounded up"
        )
    return lines


def _beyond(report: Report, rf: list[int | Fraction]) -> str:
    """A note when the receptive field is wider than the input: the arithmetic counts padding too."""
    if len(report.input) != 3 or (rf[0] <= report.input[1] and rf[1] <= report.input[2]):
        return ""
    return f" (larger than the {report.input[1]}x{report.input[2]} input: each output sees all of it, and padding)"


def _pair(values: list[int | Fraction]) -> str:
    return str(values[0]) if values[0] == values[1] else f"{values[0]}x{values[1]}"


def _bytes(report: Report) -> int:
    from netspec.analysis.analyse import DTYPE_BYTES

    return DTYPE_BYTES[report.totals.dtype]


def _where(span: Span | Location) -> str:
    return f"{span.file}:{span.line}:{span.col}"
