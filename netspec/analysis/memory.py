"""ir.Graph + batch + optimizer -> Memory: bytes of parameters, gradients, optimizer state and saved activations.

The activations are the tensors autograd keeps for backward in a training-mode forward pass of the compiled
module on CPU, modelled op by op after PyTorch's derivative formulas (tools/autograd/derivatives.yaml):

- a tensor is counted once, however many ops save it (a relu's output that the next conv saves too), and views
  (flatten, identity) and in-place activations share their input's storage, as the torch backend builds them;
- parameters and module buffers that ops save (conv weights, batchnorm running statistics) are counted as
  parameters, not activations;
- dtype by dtype: max pooling saves int64 indices, batchnorm float32 [C] batch statistics, dropout on CPU a
  float32 mask of its input's size (CUDA saves a bool mask instead: 1 byte per element).

tests/test_memory.py checks every figure against `torch.autograd.graph.saved_tensors_hooks` and real optimizers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from netspec.analysis.analyse import DTYPE_BYTES
from netspec.ir import Graph, Node
from netspec.ops.conv import ConvAttrs, ConvTransposeAttrs
from netspec.ops.dense import LinearAttrs
from netspec.ops.norm import (
    BatchNormAttrs,
    DropoutAttrs,
    GroupNormAttrs,
    InstanceNormAttrs,
    LayerNormAttrs,
    LayerScaleAttrs,
    LRNAttrs,
)

Users = dict[int, list[int]]  # node id -> the nodes reading its output (Graph.users)
Storage = dict[int, int]  # node id -> the node whose output storage it is (itself, or what it aliases)

OPTIMIZERS = ("sgd", "momentum", "adam", "adamw")
STATE_COPIES = {"sgd": 0, "momentum": 1, "adam": 2, "adamw": 2}  # buffers of each parameter's size
SCALAR_STEP = {"adam", "adamw"}  # plus a float32 `step` tensor per parameter tensor
# What each op saves for backward: its input ("in"), its output ("out"), nothing (absent).
SAVES = {
    "conv": "in",
    "linear": "in",
    "batchnorm": "in",
    "avgpool": "in",
    "maxpool": "in",
    "adaptive_maxpool": "in",
    "global_maxpool": "in",
    "lrn": "in",
    "relu": "out",
    "sigmoid": "out",
    "tanh": "out",
    "softmax": "out",
    "leaky_relu": "in",
    "relu6": "in",
    "elu": "in",
    "gelu": "in",
    "silu": "in",
    "hardswish": "in",
    "convtranspose": "in",
    "groupnorm": "in",
    "instancenorm": "in",
}  # upsample, interpolate and zeropad save nothing: their backward needs only the sizes
RESULT_WHEN_INPLACE = {"leaky_relu", "relu6", "elu", "silu", "hardswish"}  # the `_` forms save their result
ALIASES = {"flatten", "identity"}


@dataclass(frozen=True, slots=True)
class Saved:
    """One tensor autograd keeps: who makes it, its elements per sample, its dtype."""

    node: int
    what: str  # "input", "output", "indices", "mask", "batch statistics"
    elements: int  # per sample, or in total when `per_sample` is false
    dtype: str
    per_sample: bool = True


@dataclass(slots=True)
class Memory:
    """Training memory for one batch size and optimizer; bytes."""

    batch: int
    optimizer: str
    dtype: str
    params: int
    buffers: int
    gradients: int
    optimizer_state: int
    saved: list[Saved] = field(default_factory=list)
    per_layer: dict[int, int] = field(default_factory=dict)  # node id -> bytes of saved tensors it adds

    @property
    def activations(self) -> int:
        return sum(self.per_layer.values())

    @property
    def peak(self) -> int:
        """Every tensor live at the end of the forward pass, gradients of the previous step kept: an upper bound."""
        return self.params + self.buffers + self.gradients + self.optimizer_state + self.activations


def memory(graph: Graph, batch: int = 1, optimizer: str = "sgd", dtype: str = "float32") -> Memory:
    """The bytes of a training step of `graph` at this batch size with this optimizer."""
    from netspec.analysis.analyse import analyse

    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}")
    size = DTYPE_BYTES[dtype]
    report = analyse(graph, dtype, expectations=False)
    params, tensors = report.totals.params, _param_tensors(graph)
    state = STATE_COPIES[optimizer] * params * size + (4 * tensors if optimizer in SCALAR_STEP else 0)
    norms = sum(1 for node in graph.nodes if _counts_batches(node))  # each has an int64 num_batches_tracked
    buffers = (report.totals.buffers - norms) * size + 8 * norms
    out = Memory(batch, optimizer, dtype, params * size, buffers, params * size, state)
    out.saved = saved_tensors(graph, dtype)
    for s in out.saved:
        nbytes = s.elements * DTYPE_BYTES.get(s.dtype, 8) * (batch if s.per_sample else 1)
        out.per_layer[s.node] = out.per_layer.get(s.node, 0) + nbytes
    return out


def saved_tensors(graph: Graph, dtype: str = "float32") -> list[Saved]:
    """Every distinct tensor autograd saves in a training forward pass, attributed to the node that made it."""
    users = graph.users()
    storage: Storage = {}
    grad: dict[int, bool] = {}  # does the node's output require grad? autograd saves nothing where none is needed
    found: dict[tuple[int, str], Saved] = {}
    for node in graph.nodes:
        storage[node.id] = _storage(graph, node, users, storage)
        reads = [node.inputs[i] for i in node.kind.field_inputs(node.attrs, len(node.inputs))]
        grad[node.id] = any(grad[i] for i in reads) or _weighted(graph, node)
        if not grad[node.id]:
            continue
        for saved in _saves(graph, node, users, storage, dtype):
            found.setdefault((saved.node, saved.what), saved)
    return list(found.values())


def _storage(graph: Graph, node: Node, users: Users, storage: Storage) -> int:
    a = node.attrs
    if node.op in ALIASES or (node.op == "dropout" and isinstance(a, DropoutAttrs) and a.p == 0):
        return storage[node.inputs[0]]
    if _inplace(graph, node, users):
        return storage[node.inputs[0]]
    return node.id


def _inplace(graph: Graph, node: Node, users: Users) -> bool:
    from netspec.backends.torch.layout import _inplace_ok  # the torch backend's own decision, no torch import

    return bool(getattr(node.attrs, "inplace", False)) and _inplace_ok(graph, node, users)


def _saves(graph: Graph, node: Node, users: Users, storage: Storage, dtype: str) -> list[Saved]:
    kind = SAVES.get(node.op)
    if node.op in RESULT_WHEN_INPLACE and _inplace(graph, node, users):
        kind = "out"
    found = []
    a, shape = node.attrs, node.out_shape
    if node.op == "adaptive_avgpool" and tuple(shape[1:]) != (1, 1):
        kind = "in"  # to 1x1 PyTorch takes the mean, which saves nothing
    if kind == "in":
        source = storage[node.inputs[0]]
        found.append(Saved(source, "output", _elements(graph.nodes[source]), dtype))
    elif kind == "out":
        found.append(Saved(storage[node.id], "output", _elements(graph.nodes[storage[node.id]]), dtype))
    if node.op in ("maxpool", "adaptive_maxpool", "global_maxpool"):
        found.append(Saved(node.id, "indices", math.prod(shape), "int64"))
    if node.op == "batchnorm":
        found.append(Saved(node.id, "batch statistics", 2 * shape[0], "float32", per_sample=False))
    if isinstance(a, LRNAttrs):  # F.local_response_norm: avg_pool3d keeps the padded squares, pow its base, the
        c, h, w = shape  # division the power (and the input, counted above)
        found += [
            Saved(node.id, "padded squares", (c + a.size - 1) * h * w, dtype),
            Saved(node.id, "k + alpha * mean", c * h * w, dtype),
            Saved(node.id, "denominator", c * h * w, dtype),
        ]
    if node.op == "dropout" and isinstance(a, DropoutAttrs) and 0 < a.p < 1:
        found.append(Saved(node.id, "mask", math.prod(shape), dtype))
    return found + _saves_of_new_norms(node, dtype)


def _saves_of_new_norms(node: Node, dtype: str) -> list[Saved]:
    """groupnorm: mean and 1/std per group; instancenorm runs batch_norm on [1, N*C, H, W]: mean and 1/std per
    channel, and the affine weight and running statistics repeated N times; dropout2d: a mask per channel."""
    c, a = node.out_shape[0], node.attrs
    if isinstance(a, GroupNormAttrs):
        return [Saved(node.id, "mean and 1/std", 2 * a.groups, "float32")]
    if isinstance(a, InstanceNormAttrs):
        found = [Saved(node.id, "mean and 1/std", 2 * c, "float32")]
        if a.affine:
            found.append(Saved(node.id, "repeated weight", c, dtype))
        if a.track_running_stats:
            found.append(Saved(node.id, "repeated running statistics", 2 * c, dtype))
        return found
    if node.op != "dropout2d" or not isinstance(a, DropoutAttrs):
        return []
    if 0 < a.p < 1:
        return [Saved(node.id, "mask", c, dtype)]
    if a.p == 1:
        return [Saved(node.id, "zero", 1, dtype, per_sample=False)]  # input * 0: the scalar is kept
    return []


def _counts_batches(node: Node) -> bool:
    a = node.attrs
    return isinstance(a, BatchNormAttrs) or (isinstance(a, InstanceNormAttrs) and a.track_running_stats)


def _weighted(graph: Graph, node: Node) -> bool:
    return node.kind.params(node.attrs, graph.in_shapes(node), node.out_shape) > 0


def _elements(node: Node) -> int:
    return math.prod(node.out_shape)


def _param_tensors(graph: Graph) -> int:
    """How many parameter tensors (weight, bias) the module has: the optimizers keep a `step` for each."""
    count = 0
    for node in graph.nodes:
        a = node.attrs
        if isinstance(a, ConvAttrs | ConvTransposeAttrs | LinearAttrs):
            count += 1 + bool(a.bias)
        elif isinstance(a, BatchNormAttrs | GroupNormAttrs | InstanceNormAttrs | LayerNormAttrs) and a.affine:
            count += 2  # weight and bias (layernorm and layernorm2d share LayerNormAttrs)
        elif isinstance(a, LayerScaleAttrs):
            count += 1  # gamma
    return count
