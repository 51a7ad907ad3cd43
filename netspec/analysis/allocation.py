"""ir.Graph + a byte limit -> nothing, or a located error: what building the module and running one sample would
allocate, checked before torch allocates any of it (a 10 GB linear layer, an 18 EB one, a 10 GB input)."""

from __future__ import annotations

import math
import os
import re

from netspec.diagnostics import Diagnostics, NetspecError
from netspec.ir import Graph

DEFAULT_MAX_BYTES = 8 * 2**30
MAX_BYTES_ENV = "NETSPEC_MAX_BYTES"
_UNITS = {
    "": 1,
    "b": 1,
    "k": 10**3,
    "kb": 10**3,
    "kib": 2**10,
    "m": 10**6,
    "mb": 10**6,
    "mib": 2**20,
    "g": 10**9,
    "gb": 10**9,
    "gib": 2**30,
    "t": 10**12,
    "tb": 10**12,
    "tib": 2**40,
}
_SIZE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*\Z")
BYTES = 4  # float32, as build_module makes it


def max_bytes(value: int | str | None = None) -> int:
    """The limit: `value` if given (bytes, or a size like "16GiB"), else $NETSPEC_MAX_BYTES, else 8 GiB."""
    if value is None:
        value = os.environ.get(MAX_BYTES_ENV) or DEFAULT_MAX_BYTES
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise TypeError(f"max_bytes must be an int or a size like '16GiB', not {type(value).__name__}")
    if isinstance(value, int):
        if value < 1:
            raise ValueError(f"max_bytes must be at least 1, not {value}")
        return value
    match = _SIZE.match(value)
    if match is None or match.group(2).lower() not in _UNITS:
        raise ValueError(
            f"cannot read the size {value!r} (from {MAX_BYTES_ENV} or max_bytes): write e.g. 16GiB, 500MB or 1000000"
        )
    return max(1, int(float(match.group(1)) * _UNITS[match.group(2).lower()]))


def check_memory(graph: Graph, limit: int | str | None = None) -> None:
    """Raise NetspecError when the module's parameters and buffers plus one sample's activations exceed `limit`."""
    try:
        limit = max_bytes(limit)
    except ValueError as e:
        diags = Diagnostics()
        diags.error(str(e), None, help="e.g. --max-bytes 16GiB or NETSPEC_MAX_BYTES=16GiB")
        raise NetspecError(diags.items) from None
    weights = [_weight_bytes(graph, node) for node in graph.nodes]
    outputs = [math.prod(node.out_shape) * BYTES for node in graph.nodes]
    params, activations = sum(weights), sum(outputs)
    if params + activations <= limit:
        return
    largest = max(range(len(graph.nodes)), key=lambda i: weights[i] + outputs[i])
    diags = Diagnostics()
    diags.error(
        f"building `{graph.name}` needs {size(params + activations)}: parameters and buffers "
        f"{size(params)}, activations of one sample {size(activations)}; the limit is {size(limit)}",
        graph.nodes[largest].span,
        f"the largest layer: {size(weights[largest] + outputs[largest])}",
        f"if the machine has the memory, raise the limit: max_bytes= in netspec.load/export_onnx, "
        f"--max-bytes in netspec export, or {MAX_BYTES_ENV}=64GiB",
    )
    raise NetspecError(diags.items, graph.sources)


def _weight_bytes(graph: Graph, node) -> int:
    shapes = graph.in_shapes(node)
    kind = node.kind
    return (kind.params(node.attrs, shapes, node.out_shape) + kind.buffers(node.attrs, shapes, node.out_shape)) * BYTES


def size(n: int) -> str:
    """Bytes for people: 512 B, 1.50 KiB ... 16.00 EiB; integer arithmetic first, so no size overflows a float."""
    units = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB")
    power = min(len(units) - 1, max(0, (n.bit_length() - 1) // 10))
    return f"{n:,} B" if power == 0 else f"{n / 2 ** (10 * power):,.2f} {units[power]}"
