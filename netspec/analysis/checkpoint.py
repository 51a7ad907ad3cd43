"""ir.Graph -> the state_dict the torch backend's module will have: every key and its shape, in order; no torch.

Keys are `<module path>.<tensor>` as torch.nn names them; the tensors of each layer kind are the function
below named after its op (a layer kind without one holds no tensors). Each rule is held to the op table's own
parameter and buffer counts, so a rule that forgot a tensor fails loudly instead of answering wrongly.
"""

from __future__ import annotations

import math

from netspec.ir import Graph, Node

Entry = tuple[str, tuple[int, ...], str]  # tensor name, shape, "parameter" | "buffer"


def state_dict(graph: Graph) -> dict[str, tuple[int, ...]]:
    """Every state_dict key of the compiled module and its shape, in graph order (torch lists a container's own
    parameter, a layerscale, before its submodules' tensors: compare as mappings)."""
    out: dict[str, tuple[int, ...]] = {}
    for node in graph.nodes:
        for name, shape, _ in tensors(node, graph):
            out[f"{node.path}.{name}" if name else node.path] = shape
    return out


def tensors(node: Node, graph: Graph) -> list[Entry]:
    """A node's tensors; ValueError when they disagree with the op table's counts."""
    rule = globals().get(f"_{node.op}")
    shapes = graph.in_shapes(node)
    found = rule(node.attrs, shapes, node.out_shape) if rule is not None else []
    kind = node.kind
    for what, expected in (
        ("parameter", kind.params(node.attrs, shapes, node.out_shape)),
        ("buffer", kind.buffers(node.attrs, shapes, node.out_shape)),
    ):
        counted = sum(math.prod(shape) for _, shape, k in found if k == what)
        if counted != expected:
            raise ValueError(
                f"{node.path} ({node.op}): the checkpoint rule gives {counted:,} {what} values, the op "
                f"table {expected:,}"
            )
    return found


def _conv(a, shapes, out) -> list[Entry]:
    weight = ("weight", (a.out, shapes[0][0] // a.groups, *a.kernel), "parameter")
    return [weight, ("bias", (a.out,), "parameter")] if a.bias else [weight]


def _linear(a, shapes, out) -> list[Entry]:
    weight = ("weight", (a.out, shapes[0][-1]), "parameter")
    return [weight, ("bias", (a.out,), "parameter")] if a.bias else [weight]


def _norm(c: int, affine: bool, running: bool = False) -> list[Entry]:
    """A normalisation's scale and shift (`affine`), then its running statistics, as torch's norms hold them."""
    affine_ = [("weight", (c,), "parameter"), ("bias", (c,), "parameter")] if affine else []
    stats = [("running_mean", (c,), "buffer"), ("running_var", (c,), "buffer"), ("num_batches_tracked", (), "buffer")]
    return affine_ + (stats if running else [])


def _batchnorm(a, shapes, out) -> list[Entry]:
    return _norm(shapes[0][0], a.affine, running=True)


def _layernorm(a, shapes, out) -> list[Entry]:
    return _norm(shapes[0][-1], a.affine)


def _layernorm2d(a, shapes, out) -> list[Entry]:
    return _norm(shapes[0][0], a.affine)


def _groupnorm(a, shapes, out) -> list[Entry]:
    return _norm(shapes[0][0], a.affine)


def _instancenorm(a, shapes, out) -> list[Entry]:
    return _norm(shapes[0][0], a.affine, running=a.track_running_stats)


def _layerscale(a, shapes, out) -> list[Entry]:
    """The member is the parameter itself (ConvNeXt's `layer_scale`), shaped to broadcast over H and W."""
    shape = shapes[0]
    return [("", (shape[0],) + (1,) * (len(shape) - 1), "parameter")]
