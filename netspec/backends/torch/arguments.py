"""ir.Graph -> its variants: the network elaborated again with one parameter changed, for each parameter that
changes only numbers (no layer, scope or edge), as a constructor argument of generated source may.

Which parameters can become arguments is measured, not guessed: a parameter qualifies when changing it
leaves the graph's structure as it is; classes.py then keeps it only if every value it moves in the
network's own code equals the parameter itself (`nn.Linear(512, classes)`), in both elaborations.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from netspec.diagnostics import Diagnostics, NetspecError
from netspec.elaborate import Loader, elaborate
from netspec.elaborate.imports import import_roots
from netspec.ir import Graph


def variants(graph: Graph) -> dict[str, Graph]:
    """Parameter name -> the graph elaborated with that parameter changed, where the structure stays the same.

    A parameter that sizes the input (`input [channels, 56, 56]`) changes the structure, unless the input was
    given from outside (`--input`): then every variant is elaborated at that input too.
    """
    out: dict[str, Graph] = {}
    given: tuple[int, ...] | None = None  # the input override, once known to be one
    for name, value in graph.params.items():
        changed = _changed(value)
        if changed is None:
            continue
        params = {**graph.params, name: changed}
        variant = _rebuild(graph, params, given)
        if variant is not None and variant.input.shape != graph.input.shape and given is None and _given(graph):
            given = graph.input.shape
            variant = _rebuild(graph, params, given)
        if variant is not None and structure(variant) == structure(graph):
            out[name] = variant
    return out


def _given(graph: Graph) -> bool:
    """Was the input shape given from outside (it differs from the one the spec declares)?"""
    declared = _rebuild(graph, graph.params, None)
    return declared is not None and declared.input.shape != graph.input.shape


def _changed(value: Any) -> Any:
    """Another value of the same type, one a spec is likely to accept (a number doubled or halved)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value * 2 if value else 1
    if isinstance(value, float):
        return value / 2 if value else 0.5
    return None  # strings name variants (`"y_400mf"`), lists shape stages: structure, not a number


def _rebuild(graph: Graph, params: dict[str, Any], input_shape: tuple[int, ...] | None) -> Graph | None:
    """The spec of `graph`, from the text it was read from, elaborated with `params`; None if that fails."""
    text = graph.sources.get(graph.file)
    if text is None:
        return None
    loader = Loader(Diagnostics())
    if not graph.file.startswith("<"):
        loader.roots = import_roots(Path(graph.file).parent)  # imports resolve as when the file was read
    spec = loader.parse(text, graph.file)
    if spec is None:
        return None
    try:
        return elaborate(spec, loader, params, input_shape)
    except NetspecError:
        return None


def structure(graph: Graph) -> tuple:
    """What a constructor argument cannot change: the input, every node's op, inputs, path and scope, the scopes."""
    nodes = (graph.input.shape, *((n.op, n.inputs, n.path, n.scope) for n in graph.nodes))
    return nodes, tuple((s.parent, s.kind, s.path) for s in graph.scopes)
