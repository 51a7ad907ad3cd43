"""The IR: a flat, topologically ordered DAG of nodes, plus the tree of scopes (groups, blocks) they sit in."""

from __future__ import annotations

import os
from dataclasses import field
from typing import Any, Literal

from netspec.diagnostics import Span
from netspec.ops import OPS, Attrs, Op, Shape, fmt_shape
from netspec.records import record
from netspec.values import spec_text

ScopeKind = Literal["network", "group", "block", "residual", "shortcut", "paths", "path"]


@record(frozen=False, slots=True)
class Scope:
    """A group or block instance: a box in the diagram, a fold in the summary, a submodule when it has a path."""

    id: int
    parent: int | None
    kind: ScopeKind
    path: str  # module path ("layer1.0"); the parent's path when the scope is transparent
    label: str  # what a person calls it: "layer1", "Basic(64, stride=2)", "residual"
    span: Span
    block: str | None = None  # the block definition's name, for block instances
    depth: int = 0  # number of enclosing scopes
    args: dict[str, Any] = field(default_factory=dict)  # a block instance's parameters, in definition order

    @property
    def name(self) -> str:
        return self.path.rsplit(".", 1)[-1]


@record(frozen=False, slots=True)
class Node:
    """One op applied to the outputs of earlier nodes."""

    id: int
    op: str
    attrs: Attrs
    inputs: tuple[int, ...]
    shape: Shape | None  # None when an error upstream left it unknown
    path: str  # module path for module ops ("layer1.0.conv1"); a display name for structural ones
    scope: int
    span: Span

    @property
    def kind(self) -> Op:
        return OPS[self.op]

    @property
    def is_module(self) -> bool:
        """Whether torch gets a submodule for it (a layerscale is a parameter of its container instead)."""
        return self.kind.module and not self.kind.parameter

    def describe(self) -> str:
        return self.kind.describe(self.attrs)

    @property
    def out_shape(self) -> Shape:
        """The output shape in a checked graph; ValueError where an error upstream left it unknown (only
        `elaborate_partial`, for editors, makes such graphs)."""
        if self.shape is None:
            raise ValueError(f"the shape of {self.path or self.op} is unknown: an error upstream left it so")
        return self.shape


@record(slots=True)
class Expectation:
    """An `expect` statement, its value evaluated: checked against the analysis (netspec/analysis/expect.py)."""

    subject: str  # as written: `params`, `layer4.rf`
    op: str  # "==", "!=", "<", "<=", ">", ">="
    value: Any  # an int, float or tuple
    shown: str  # the value as written: `2G`, `[1000]`
    tolerance: float  # `== 11.7M` holds within half a unit of the last written digit; 0 otherwise
    scope: int  # the scope it was written in: bare subjects and dotted paths are relative to it
    span: Span
    unit: str = ""  # the suffix written (`M`, `GiB`), for suggesting a corrected figure in the same form
    decimals: int = 0


@record(frozen=False, slots=True)
class Graph:
    """A whole elaborated network. Nodes are in execution order; the last one is the output."""

    name: str
    params: dict[str, Any]
    nodes: list[Node] = field(default_factory=list)
    scopes: list[Scope] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    file: str = "<input>"
    expectations: list[Expectation] = field(default_factory=list)
    allowed: list[tuple[str, Span]] = field(default_factory=list)  # lint code, the `allow` comment's place
    # The network's outputs in declaration order: (name, node id). One unnamed entry ("", node) when the spec
    # declares none (the network returns a tensor); named ones when it has `output` statements (a dict).
    outputs: list[tuple[str, int]] = field(default_factory=list)

    @property
    def input(self) -> Node:
        return self.nodes[0]

    @property
    def output(self) -> Node:
        """The main output: the one named `out` if declared, else the first (the last node if none is known)."""
        if not self.outputs:
            return self.nodes[-1]
        node = next((i for name, i in self.outputs if name == "out"), self.outputs[0][1])
        return self.nodes[node]

    @property
    def named_outputs(self) -> bool:
        """Whether the network returns a dict of named outputs (it declares `output`) rather than one tensor."""
        return any(name for name, _ in self.outputs)

    def in_shapes(self, node: Node) -> list[Shape]:
        return [self.nodes[i].out_shape for i in node.inputs]

    def scope_of(self, node: Node) -> Scope:
        return self.scopes[node.scope]

    def ancestry(self, scope_id: int) -> list[Scope]:
        """The scope and all its enclosing scopes, innermost first."""
        chain = []
        current: int | None = scope_id
        while current is not None:
            chain.append(self.scopes[current])
            current = self.scopes[current].parent
        return chain

    def modules(self) -> list[Node]:
        return [n for n in self.nodes if n.is_module]

    def users(self) -> dict[int, list[int]]:
        """For every node id, the ids of nodes that consume its output."""
        out: dict[int, list[int]] = {n.id: [] for n in self.nodes}
        for node in self.nodes:
            for i in node.inputs:
                out[i].append(node.id)
        return out

    def text(self) -> str:
        """A readable dump, like the spec expanded: one line per node."""
        lines = [f"network {self.name}({', '.join(f'{k}={spec_text(v)}' for k, v in self.params.items())})"]
        for node in self.nodes:
            args = ", ".join(f"%{i}" for i in node.inputs)
            lines.append(
                f"  %{node.id} {node.path} = {node.describe()} ({args}) -> {fmt_shape(node.shape)}"
                f"  # {self._where(node.span)}"
            )
        if self.named_outputs:
            lines.append("  outputs " + ", ".join(f"{name} = %{i}" for name, i in self.outputs))
        return "\n".join(lines)

    def _where(self, span: Span) -> str:
        """`line 12` in the network's own file; `lib/blocks.net:12` (relative to it) for imported blocks."""
        if span.file == self.file:
            return f"line {span.line}"
        return f"{os.path.relpath(span.file, os.path.dirname(self.file) or '.')}:{span.line}"

    def __str__(self) -> str:
        return self.text()
