"""Takes an exported ModelProto and its IR graph, gives each node its spec path and file:line, the model the spec's."""

from __future__ import annotations

import ast
from collections import Counter, defaultdict
from dataclasses import dataclass

from netspec.diagnostics import Span
from netspec.ir import Graph, Node, Scope

NAME_SCOPES = "pkg.torch.onnx.name_scopes"  # the exporter's module call stack: ['', 'layer1', 'layer1.0', 'add_3']
TORCH_KEYS = ("pkg.torch.", "pkg.onnxscript.", "namespace")  # absolute stack traces, fx dumps: machine-specific
JOINS = {"Add": "add", "Sum": "add", "Mul": "mul", "Concat": "concat"}  # ONNX ops that are a structural IR op alone
FOLDED = {"batchnorm": {"conv": "Conv", "linear": "Gemm"}}  # the optimiser folds batchnorm into the op before it


@dataclass(frozen=True, slots=True)
class Origin:
    """Where one ONNX node came from in the spec."""

    path: str  # IR node path ("layer1.0.conv1"), or a scope's path for ops that belong to no single layer
    span: Span
    block: str = ""  # the innermost block instance, as the summary labels it: "Basic(out=64, stride=1)"
    folded: str = ""  # a batchnorm the optimiser folded into this conv or linear

    def doc(self) -> str:
        name = self.path + (f" + {self.folded}" if self.folded else "")
        block = f" ({self.block})" if self.block else ""
        return f"{name}{block} at {self.span.file}:{self.span.line}"

    def metadata(self) -> dict[str, str]:
        s = self.span
        out = {"netspec.path": self.path, "netspec.source": f"{s.file}:{s.line}:{s.col}"}
        out |= {"netspec.block": self.block} if self.block else {}
        return out | ({"netspec.folded": self.folded} if self.folded else {})


def annotate(model, graph: Graph, metadata: dict[str, str]) -> int:
    """Replace the exporter's metadata by netspec's, in place; the number of nodes traced to the spec."""
    index = Index(graph)
    nodes = list(model.graph.node)
    origins = index.locate(nodes)
    for node, origin in zip(nodes, origins, strict=True):
        _strip(node)
        if origin is not None:
            node.doc_string = origin.doc()
            _set_props(node, origin.metadata())
    _strip_values(model.graph)
    _describe_model(model, graph, metadata)
    return sum(o is not None for o in origins)


def unscoped(model) -> int:
    """How many nodes lack the exporter's module path: onnx's C version converter (opsets below 18, above 25)
    drops node metadata."""
    return sum(_module_paths(n) is None for n in model.graph.node)


def borrow_scopes(model, donor) -> None:
    """Give nodes that lost their module path the one of the donor's node with the same op and name, or the
    same op and output (the donor is the same network exported at torch's native opset: nothing converted)."""
    scopes = {}
    for n in donor.graph.node:
        for prop in (p for p in n.metadata_props if p.key == NAME_SCOPES):
            scopes[(n.op_type, "name", n.name)] = scopes[(n.op_type, "output", tuple(n.output))] = prop.value
    for node in model.graph.node:
        found = scopes.get((node.op_type, "name", node.name)) or scopes.get(
            (node.op_type, "output", tuple(node.output))
        )
        if found is not None and _module_paths(node) is None:
            _set_props(node, {NAME_SCOPES: found})


class Index:
    """The IR looked up by module path, from the exporter's record of which modules' forwards made each ONNX node.

    - An op inside a layer's module (Conv, Relu, Gemm, ...) is that layer; a Conv or Gemm into which the
      optimiser folded a batchnorm names the conv or linear and, as `folded`, the batchnorm.
    - An op in a container's own forward (the Add of a residual, the Concat of branches, the Slice and Pad of
      a `pad` shortcut) is the only structural node of its kind in that scope, or the nth of as many.
    - Any other op made in a container's forward falls back to the nearest scope: its path (the network's
      name at the top), the block's label, and the scope's `file:line`.
    - An op with no recorded module at all gets no doc_string and no netspec metadata.
    """

    def __init__(self, graph: Graph):
        self.graph = graph
        self.layers = {n.path: n for n in graph.nodes if n.is_module}
        self.scopes: dict[str, Scope] = {}
        for scope in graph.scopes:  # scopes come outermost first: the innermost of a shared path wins
            self.scopes[scope.path] = scope
        self.joins: dict[tuple[str, str], list[Node]] = defaultdict(list)
        for n in graph.nodes:
            if not n.is_module and n.op != "input":
                self.joins[(graph.scope_of(n).path, _ir_kind(n.op))].append(n)

    def locate(self, nodes) -> list[Origin | None]:
        """Every ONNX node's origin; one without a recorded module path takes its neighbours' (see _neighbours)."""
        return _neighbours(nodes, self.recorded(nodes))

    def recorded(self, nodes) -> list[Origin | None]:
        """Every ONNX node's origin, or None when the exporter recorded no module path for it."""
        stacks = [_module_paths(n) for n in nodes]
        keys = [self._join_key(s, n.op_type) for s, n in zip(stacks, nodes, strict=True)]
        totals, seen = Counter(k for k in keys if k), Counter[tuple[str, str]]()
        out: list[Origin | None] = []
        for node, stack, key in zip(nodes, stacks, keys, strict=True):
            if key is not None:
                seen[key] += 1
                out.append(self._join(key, seen[key], totals[key]))
            else:
                out.append(self._layer(stack, node.op_type))
        return out

    def _join_key(self, stack: list[str] | None, op_type: str) -> tuple[str, str] | None:
        """Ops in a container's own forward (add, concat, pad) are keyed by its path and the kind of op."""
        if stack is None:
            return None
        deepest = next((p for p in reversed(stack) if p in self.layers or p in self.scopes), None)
        if deepest is None or deepest in self.layers:
            return None
        return (deepest, JOINS.get(op_type, "other"))

    def _join(self, key: tuple[str, str], nth: int, total: int) -> Origin:
        """The IR node a structural ONNX op stands for: the only one of its kind in that scope, or the nth of
        as many; failing both, the scope itself."""
        candidates = self.joins.get(key, [])
        if len(candidates) == 1 or len(candidates) == total:
            return self._origin(candidates[min(nth, len(candidates)) - 1])
        scope = self.scopes[key[0]]
        return Origin(scope.path or self.graph.name, scope.span, self._block(scope.id))

    def _layer(self, stack: list[str] | None, op_type: str) -> Origin | None:
        node = next((self.layers[p] for p in reversed(stack or []) if p in self.layers), None)
        if node is None:
            return None
        before = self.graph.nodes[node.inputs[0]] if node.inputs else None
        if before is not None and FOLDED.get(node.op, {}).get(before.op) == op_type:
            return Origin(before.path, before.span, self._block(before.scope), folded=node.path)
        return self._origin(node)

    def _origin(self, node: Node) -> Origin:
        return Origin(node.path, node.span, self._block(node.scope))

    def _block(self, scope_id: int) -> str:
        return next((s.label for s in self.graph.ancestry(scope_id) if s.kind == "block"), "")


def _neighbours(nodes, origins: list[Origin | None]) -> list[Origin | None]:
    """Origins for the nodes the exporter left without a module path (a Split of `chunk` merged from two
    calls): the origin of the first node that reads one of its outputs, else of the node whose output it reads.
    ONNX nodes are in topological order, so a consumer comes later and a producer earlier."""
    if all(o is not None for o in origins):
        return origins
    out = list(origins)
    readers: dict[str, int] = {}
    for i, node in enumerate(nodes):
        for name in node.input:
            readers.setdefault(name, i)
    made = {name: i for i, node in enumerate(nodes) for name in node.output}
    for i in reversed(range(len(nodes))):  # consumers first, so a chain of such nodes takes its reader's
        if out[i] is None:
            later = [readers[n] for n in nodes[i].output if n in readers and out[readers[n]] is not None]
            out[i] = out[min(later)] if later else None
    for i, node in enumerate(nodes):
        if out[i] is None:
            earlier = [made[n] for n in node.input if n in made and out[made[n]] is not None]
            out[i] = out[max(earlier)] if earlier else None
    return out


def _ir_kind(op: str) -> str:
    return op if op in JOINS.values() else "other"


def _module_paths(node) -> list[str] | None:
    """The module paths of the exporter's call stack, outermost first ('' is the root); None if not recorded."""
    for prop in node.metadata_props:
        if prop.key == NAME_SCOPES:
            try:
                return [str(p) for p in ast.literal_eval(prop.value)[:-1]]  # the last entry is the op itself
            except (ValueError, SyntaxError):
                return None
    return None


def _strip(item) -> None:
    keep = [(p.key, p.value) for p in item.metadata_props if not p.key.startswith(TORCH_KEYS)]
    _set_props(item, dict(keep), replace=True)


def _strip_values(graph) -> None:
    for item in (*graph.input, *graph.output, *graph.value_info, *graph.initializer):
        _strip(item)


def _set_props(item, props: dict[str, str], replace: bool = False) -> None:
    if replace:
        del item.metadata_props[:]
    for key, value in props.items():
        entry = item.metadata_props.add()
        entry.key, entry.value = key, value


def _describe_model(model, graph: Graph, metadata: dict[str, str]) -> None:
    model.graph.name = graph.name
    model.graph.doc_string = f"{graph.name}, compiled from {graph.file} by netspec"
    _set_props(model, metadata, replace=True)
