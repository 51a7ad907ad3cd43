"""Warnings about networks that are valid but probably not what was meant. One function per rule, in RULES."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from netspec.analysis.alignment import misaligned_join
from netspec.diagnostics import Diagnostic, Span, did_you_mean
from netspec.ir import Graph, Node
from netspec.ops import OPS
from netspec.ops.activation import Activation
from netspec.ops.conv import ConvAttrs, ConvTransposeAttrs, explicit_padding
from netspec.ops.pool import MaxPoolAttrs, PoolAttrs

Users = dict[int, list[int]]  # node id -> the ids of the nodes reading its output (Graph.users)

# every activation of the op table (a hand-kept list had missed hardsigmoid); identity is one in name only
ACTIVATIONS = frozenset(name for name, op in OPS.items() if isinstance(op, Activation)) - {"identity"}
WINDOWED = {"conv", "maxpool", "avgpool"}


def _warn(code: str, node: Node, message: str, label: str = "", help: str = "") -> Diagnostic:
    return Diagnostic("warning", message, node.span, label, help, code)


Pair = tuple[int, int]


def _geometry(node: Node) -> tuple[Pair, Pair, Pair, Pair]:
    """A windowed layer's kernel, stride, per-side padding and dilation."""
    a = node.attrs
    if isinstance(a, ConvAttrs):
        return a.kernel, a.stride, explicit_padding(a), a.dilation
    assert isinstance(a, PoolAttrs)  # WINDOWED: conv or a pool
    return a.kernel, a.stride or a.kernel, a.padding, a.dilation if isinstance(a, MaxPoolAttrs) else (1, 1)


def _sliding(graph: Graph) -> Iterator[Node]:
    """Windowed layers outside shortcuts (a shortcut subsamples by design; its branch sees every pixel)."""
    for node in graph.nodes:
        if node.op in WINDOWED and graph.scope_of(node).kind != "shortcut":
            yield node


def unseen_border(graph: Graph, users: Users) -> Iterator[Diagnostic]:
    """The last windows stop short of the input's edge: real rows/columns never reach the output.

    DESIGN.md's test is (W + 2P - K) % S != 0; that also fires when only padding is skipped (ResNet's
    stride-2 convs), which loses nothing. We warn only when input pixels themselves are never seen.
    """
    for node in _sliding(graph):
        a = node.attrs
        if (isinstance(a, PoolAttrs) and a.ceil_mode) or (isinstance(a, ConvAttrs) and a.padding == "same"):
            continue
        kernel, stride, padding, dilation = _geometry(node)
        in_shape, out_shape = graph.nodes[node.inputs[0]].out_shape, node.out_shape
        for dim, axis in ((0, "rows"), (1, "columns")):
            w, k, s, p, d = in_shape[1 + dim], kernel[dim], stride[dim], padding[dim], dilation[dim]
            reach = (out_shape[1 + dim] - 1) * s + d * (k - 1) - p  # last input index a window touches
            lost = w - 1 - reach
            if lost > 0:
                what = f"the last {lost} {axis} of the input are" if lost > 1 else f"the last {axis[:-1]} is"
                yield _warn(
                    "unseen-border",
                    node,
                    f"{what} never seen",
                    f"({w} + 2*{p} - {d * (k - 1) + 1}) % {s} = {(w + 2 * p - d * (k - 1) - 1) % s}",
                    "change the padding or stride so the windows cover the input, or use ceil_mode=true",
                )
                break


def bias_before_batchnorm(graph: Graph, users: Users) -> Iterator[Diagnostic]:
    """A conv's bias is cancelled by the batchnorm (or instancenorm) right after it: each subtracts every channel's
    mean. (groupnorm subtracts a group's mean, which leaves the bias's differences within the group: not warned.)"""
    for node in graph.nodes:
        a = node.attrs
        if not isinstance(a, ConvAttrs | ConvTransposeAttrs) or not a.bias or len(users[node.id]) != 1:
            continue
        norm = graph.nodes[users[node.id][0]].op
        if norm in ("batchnorm", "instancenorm"):
            yield _warn(
                "bias-before-batchnorm",
                node,
                f"{node.op} bias before {norm} has no effect",
                f"{a.out} bias parameters are subtracted out by the {norm}",
                "pass bias=false",
            )


def uneven_overlap(graph: Graph, users: Users) -> Iterator[Diagnostic]:
    """A transposed conv whose kernel is not a multiple of its stride overlaps some outputs more than others: the
    checkerboard artefacts of Odena et al. (2016), "Deconvolution and Checkerboard Artifacts"."""
    for node in graph.nodes:
        a = node.attrs
        if not isinstance(a, ConvTransposeAttrs):
            continue
        if any(k % s for k, s in zip(a.kernel, a.stride, strict=True)):
            yield _warn(
                "uneven-overlap",
                node,
                "kernel is not a multiple of the stride: uneven overlap",
                f"kernel {list(a.kernel)}, stride {list(a.stride)}: some outputs get more taps than others "
                "(checkerboard artefacts)",
                "use a kernel divisible by the stride (2 with stride 2, as U-Net), or upsample() followed by conv()",
            )


def dropout_before_batchnorm(graph: Graph, users: Users) -> Iterator[Diagnostic]:
    for node in graph.nodes:
        if node.op in ("dropout", "dropout2d") and _only_user(graph, users, node, "batchnorm"):
            yield _warn(
                "dropout-before-batchnorm",
                node,
                f"{node.op} right before batchnorm",
                "batchnorm's running variance is learnt with dropout on and used with it off",
                "put dropout after the normalisation (Li et al., 2019)",
            )


def softmax_placement(graph: Graph, users: Users) -> Iterator[Diagnostic]:
    for node in graph.nodes:
        if node.op != "softmax":
            continue
        if users[node.id]:
            yield _warn(
                "softmax-inside",
                node,
                "softmax in the middle of the network",
                "its output is fed to more layers",
                "softmax normally ends a classifier",
            )
        else:
            yield _warn(
                "softmax-output",
                node,
                "the network ends in softmax",
                "nn.CrossEntropyLoss expects logits and applies log-softmax itself",
                "drop it for training, or apply it at inference time",
            )


def stacked_activations(graph: Graph, users: Users) -> Iterator[Diagnostic]:
    for node in graph.nodes:
        source = graph.nodes[node.inputs[0]] if node.inputs else None
        if node.op in ACTIVATIONS and source is not None and source.op in ACTIVATIONS and len(users[source.id]) == 1:
            yield _warn(
                "double-activation",
                node,
                f"{node.op} right after {source.op}",
                "",
                "one activation between layers is enough",
            )


def skipping_windows(graph: Graph, users: Users) -> Iterator[Diagnostic]:
    """A stride larger than the window leaves gaps that no window sees."""
    for node in _sliding(graph):
        kernel, stride, _, dilation = _geometry(node)
        if any(s > d * (k - 1) + 1 for k, s, d in zip(kernel, stride, dilation, strict=True)):
            yield _warn(
                "gaps",
                node,
                "stride is larger than the window: pixels between windows are skipped",
                f"window {kernel}, stride {stride}",
                "use a stride no larger than the kernel",
            )


def channels_last(graph: Graph, users: Users) -> Iterator[Diagnostic]:
    """`input [32, 32, 3]`: an image written height, width, channels (NumPy's and Keras's order)."""
    shape = graph.input.out_shape
    if len(shape) == 3 and shape[2] in (1, 3, 4) and shape[0] >= 8 and shape[0] == shape[1]:
        c, h, w = shape[2], shape[0], shape[1]
        yield _warn(
            "channels-last",
            graph.input,
            f"the input reads as {shape[0]} channels of {h}x{shape[2]}",
            f"[{shape[0]}, {shape[1]}, {shape[2]}] looks like height, width, channels",
            f"netspec's order is [C, H, W]: `input [{c}, {h}, {w}]`",
        )


def torch_argument_order(graph: Graph, users: Users) -> Iterator[Diagnostic]:
    """`conv(3, 16, 3)` in PyTorch's order (in, out, kernel) reads as out=3, kernel=16, stride=3."""
    for node in graph.nodes:
        a = node.attrs
        if not isinstance(a, ConvAttrs) or not node.inputs:
            continue
        c_in = graph.nodes[node.inputs[0]].out_shape[0]
        kernel, stride = a.kernel[0], a.stride[0]
        if a.out == c_in and kernel >= 8 and 1 < stride <= 7 and kernel != stride:
            yield _warn(
                "torch-argument-order",
                node,
                f"this reads as out={a.out}, kernel={kernel}, stride={stride}",
                "conv's arguments are (out, kernel, stride); PyTorch's Conv2d takes (in, out, kernel)",
                f"for a {stride}x{stride} conv to {kernel} channels write `conv({kernel}, {stride})`: "
                "the input channels are inferred",
            )


def _only_user(graph: Graph, users: Users, node: Node, op: str) -> bool:
    return len(users[node.id]) == 1 and graph.nodes[users[node.id][0]].op == op


def unused(graph: Graph, users: Users) -> Iterator[Diagnostic]:
    """Layers whose value reaches no output (a chain restarted with `@name`, or left after the last `output`)."""
    live = {i for _, i in graph.outputs}
    for node in reversed(graph.nodes):
        if node.id in live:
            live.update(node.inputs)
    for node in graph.nodes[1:]:
        if node.id not in live and not users[node.id]:  # the end of a dead chain: one warning for it
            yield _warn(
                "unused",
                node,
                "this layer's output is never used",
                f"`{node.path}` ({node.op}): no network output depends on it",
                "remove it, use it with `@name`, or declare it with `output NAME`",
            )


RULES = (
    unseen_border,
    bias_before_batchnorm,
    dropout_before_batchnorm,
    softmax_placement,
    stacked_activations,
    skipping_windows,
    channels_last,
    torch_argument_order,
    unused,
    misaligned_join,
    uneven_overlap,
)


# What the rules above report; `# netspec: allow(code)` names them.
CODES = (
    "unseen-border",
    "bias-before-batchnorm",
    "dropout-before-batchnorm",
    "softmax-inside",
    "softmax-output",
    "double-activation",
    "gaps",
    "channels-last",
    "torch-argument-order",
    "unused",
    "misaligned-join",
    "uneven-overlap",
)


def lint(graph: Graph) -> list[Diagnostic]:
    """Every rule's warnings; a line that a loop or block expands many times is reported once, with a count.

    A warning whose first line carries `# netspec: allow(its-code)` is left out; an allow naming no lint is a
    warning itself."""
    users = graph.users()
    allowed = {(span.file, span.line, code) for code, span in graph.allowed}
    found: dict[tuple[str, Span], list[Diagnostic]] = {}
    for rule in RULES:
        for d in rule(graph, users):
            span = d.span
            assert span is not None  # a lint points at a node
            if (span.file, span.line, d.code) not in allowed:
                found.setdefault((d.code, span), []).append(d)
    return [_once(same) for same in found.values()] + list(_unknown_allows(graph))


def _unknown_allows(graph: Graph) -> Iterator[Diagnostic]:
    for code, span in graph.allowed:
        if code not in CODES:
            yield Diagnostic(
                "warning",
                f"`{code}` is not a lint netspec knows",
                span,
                "in this allow comment",
                did_you_mean(code, CODES) or f"the lints: {', '.join(CODES)}",
                "unknown-lint",
            )


def _once(same: list[Diagnostic]) -> Diagnostic:
    if len(same) == 1:
        return same[0]
    return dataclasses.replace(same[0], message=f"{same[0].message} (in {len(same)} layers made by this line)")
