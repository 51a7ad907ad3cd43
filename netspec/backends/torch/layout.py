"""ir.Graph -> the module tree: which scopes are submodules, what each holds, and the steps its forward runs.

Shared by the live builder and the code generator, so both give every layer the module path `node.path`.
A scope with a path of its own (a named group, a block instance, a named branch) is a container; a
transparent scope (an unnamed residual or concat) is not, and its layers belong to the enclosing container.

A node may read any earlier node, from any scope (`@enc.stage2`). So a container's forward takes its main
input and then every value it reads from outside (`forward(x, stage2)`), and returns its main output and then
every value of its own that is read outside it or is a network output (`return out, stage2`). A container is
an nn.Sequential only while it is still a chain: one value in, one out, each step reading the one before.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from netspec.backends.torch.layers import Construct, Function, Parameter, Site, emit
from netspec.diagnostics import Span
from netspec.ir import Graph, Node, Scope

# Ops whose output is (or may be) their input itself, or a view of it.
ALIASES = frozenset({"identity", "dropout", "flatten"})
# Ops that do not keep their output for the backward pass: an in-place activation may overwrite it.
OVERWRITABLE = frozenset(
    {
        "conv",
        "linear",
        "batchnorm",
        "maxpool",
        "avgpool",
        "adaptive_avgpool",
        "adaptive_maxpool",
        "global_avgpool",
        "global_maxpool",
        "lrn",
        "add",
        "concat",
        "pad",
        "layernorm",
        "layernorm2d",
    }
)


class LayoutError(Exception):
    """The graph breaks an assumption of the module tree (an elaborator bug, never a user error)."""


@dataclass(slots=True)
class Leaf:
    """A layer that is a module (or a parameter): its attribute name in the container, its node, how torch builds it."""

    name: str
    node: Node
    construct: Construct | Parameter

    @property
    def parameter(self) -> bool:
        return isinstance(self.construct, Parameter)


@dataclass(slots=True)
class Step:
    """One line of a forward: call a member (a leaf or a child container) or apply a function."""

    node: Node  # the node whose value the step computes; for a child container, its main output node
    inputs: tuple[int, ...]  # node ids of the values read
    member: str | None = None
    function: Function | None = None
    span: Span | None = None  # the spec text it comes from: the node's, or the child container's
    outputs: tuple[int, ...] = ()  # node ids of the values it gives: the node's; a child container's outputs

    def __post_init__(self):
        self.span = self.span or self.node.span
        self.outputs = self.outputs or (self.node.id,)


@dataclass(slots=True)
class Container:
    """A submodule holding leaves and child containers, with the steps of its forward."""

    name: str  # attribute name in the parent; "" for the network
    scope: Scope
    members: list[Leaf | Container] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    items: list[Node | Container] = field(default_factory=list)  # direct nodes and children, in order
    inputs: tuple[int, ...] = (0,)  # the main input, then the values it reads from outside, in order of use
    outputs: tuple[int, ...] = (0,)  # the main output, then its values read outside it; the network's outputs
    first: int = 0  # the range of node ids inside it (its nodes are contiguous)
    last: int = -1

    @property
    def path(self) -> str:
        return self.scope.path

    @property
    def input(self) -> int:
        return self.inputs[0]

    @property
    def output(self) -> int:
        return self.outputs[0]

    @property
    def is_root(self) -> bool:
        return self.scope.parent is None

    @property
    def is_block(self) -> bool:
        return self.scope.kind == "block"

    @property
    def chain(self) -> bool:
        """Each step calls the next member on the previous step's value: an nn.Sequential."""
        if self.is_root or not self.steps or any(s.member is None for s in self.steps):
            return False
        if any(isinstance(m, Leaf) and m.parameter for m in self.members):  # nn.Sequential cannot call one
            return False
        if len(self.inputs) != 1 or len(self.outputs) != 1:
            return False
        previous = self.input
        for step in self.steps:
            if step.inputs != (previous,) or len(step.outputs) != 1:
                return False
            previous = step.node.id
        return previous == self.output

    def holds(self, node: int) -> bool:
        return self.first <= node <= self.last

    def containers(self) -> list[Container]:
        """This container and every one inside it, parents before children."""
        out = [self]
        for member in self.members:
            if isinstance(member, Container):
                out += member.containers()
        return out


def outputs(graph: Graph) -> list[tuple[str, int]]:
    """The network's outputs, (name, node id) in declaration order; one unnamed one when none is declared."""
    return list(graph.outputs or [("", graph.nodes[-1].id)])


def named_outputs(graph: Graph) -> bool:
    """Does the network return a dict of named outputs (it declares `output`) rather than one tensor?"""
    return graph.named_outputs


def layout(graph: Graph) -> Container:
    """The module tree of a checked graph."""
    root = Container("", graph.scopes[0])
    containers = {root.scope.id: root}
    chains: dict[int, list[Scope]] = {}
    for node in graph.nodes[1:]:
        if node.scope not in chains:
            chains[node.scope] = [s for s in reversed(graph.ancestry(node.scope)) if owns(graph, s)]
        _place(node, chains[node.scope], containers)
    _finish(graph, root, _Reads(graph))
    return root


def owns(graph: Graph, scope: Scope) -> bool:
    """A scope is a submodule when it has a path of its own."""
    return scope.parent is None or scope.path != graph.scopes[scope.parent].path


def _place(node: Node, owning: list[Scope], containers: dict[int, Container]) -> None:
    """Put a node in its innermost container (`owning`: the scopes that are containers, outermost first)."""
    parent = containers[owning[0].id]
    for scope in owning[1:]:
        child = containers.get(scope.id)
        if child is None:
            child = containers[scope.id] = Container(_relative(parent.path, scope.path), scope)
            parent.items.append(child)
        parent = child
    parent.items.append(node)


def _relative(parent: str, path: str) -> str:
    prefix = f"{parent}." if parent else ""
    name = path[len(prefix) :]
    if not path.startswith(prefix) or not name or "." in name:
        raise LayoutError(f"`{path}` is not a direct member of `{parent or 'the network'}`")
    return name


class _Reads:
    """Who reads each value: the nodes that take it as an input, and the network's outputs."""

    def __init__(self, graph: Graph):
        self.users = graph.users()
        self.outputs = {i for _, i in outputs(graph)}

    def outside(self, box: Container, node: int) -> bool:
        """Is the value read outside the container (or is it a network output)?"""
        return node in self.outputs or any(not box.holds(u) for u in self.users[node])


def _finish(graph: Graph, box: Container, reads: _Reads) -> None:
    """Members, steps, inputs and outputs of a container and its children (children first)."""
    for item in box.items:
        if isinstance(item, Container):
            _finish(graph, item, reads)
    if box.items:
        _span(box)
        box.inputs = (0,) if box.is_root else _inputs(box)
        box.outputs = tuple(i for _, i in outputs(graph)) if box.is_root else _outputs(box, reads)
        for item in box.items:
            _add_step(graph, box, item, reads)
    elif box.is_root:  # a network with no layers passes its input through
        box.outputs = (0,) * len(outputs(graph))
    _verify(box)


def _span(box: Container) -> None:
    """The container's node ids, checked contiguous: its forward runs as one step of its parent's."""
    ids = [
        i
        for item in box.items
        for i in ((item.first, item.last) if isinstance(item, Container) else (item.id, item.id))
    ]
    box.first, box.last = min(ids), max(ids)
    count = sum(item.last - item.first + 1 if isinstance(item, Container) else 1 for item in box.items)
    if count != box.last - box.first + 1 and not box.is_root:
        raise LayoutError(f"`{box.path}`: its nodes are not contiguous")


def _inputs(box: Container) -> tuple[int, ...]:
    """What it reads from outside, in order of first use: the first is what its chain starts from."""
    read = [i for item in box.items for i in item.inputs if not box.holds(i)]
    if not read:
        raise LayoutError(f"`{box.path}` reads no value")
    return tuple(dict.fromkeys(read))


def _outputs(box: Container, reads: _Reads) -> tuple[int, ...]:
    """Its last value, then the values of its own read outside it, in execution order."""
    last = box.items[-1]
    main = last.output if isinstance(last, Container) else last.id
    exported = [i for i in range(box.first, box.last + 1) if i != main and reads.outside(box, i)]
    return (main, *exported)


def _add_step(graph: Graph, box: Container, item: Node | Container, reads: _Reads) -> None:
    if isinstance(item, Container):
        box.members.append(item)
        box.steps.append(
            Step(graph.nodes[item.output], item.inputs, member=item.name, span=item.scope.span, outputs=item.outputs)
        )
        return
    site = Site(item.attrs, tuple(graph.in_shapes(item)), item.out_shape, _inplace_ok(graph, item, reads.users))
    made = emit(item.op, site)
    if isinstance(made, Function):
        box.steps.append(Step(item, item.inputs, function=made))
        return
    leaf = Leaf(_relative(box.path, item.path), item, made)
    box.members.append(leaf)
    box.steps.append(Step(item, item.inputs, member=leaf.name))


def _inplace_ok(graph: Graph, node: Node, users: dict[int, list[int]]) -> bool:
    """May this node overwrite its input? Only if no one else reads it, through aliases, nor needs it for backward,
    and it is no network output. (analysis/memory.py asks the same, to count what autograd keeps.)"""
    if len(node.inputs) != 1:
        return False
    kept = {i for _, i in outputs(graph)}
    value = node.inputs[0]
    while value != 0 and value not in kept and len(users[value]) == 1 and graph.nodes[value].op in ALIASES:
        value = graph.nodes[value].inputs[0]
    return value != 0 and value not in kept and len(users[value]) == 1 and graph.nodes[value].op in OVERWRITABLE


def _verify(box: Container) -> None:
    """Every step reads the container's inputs or an earlier step's value; it gives what it says it returns;
    member names are unique."""
    known = set(box.inputs)
    for step in box.steps:
        missing = [i for i in step.inputs if i not in known]
        if missing:
            raise LayoutError(
                f"`{box.path or 'the network'}`: step for node {step.node.id} reads {missing}, "
                "which is not computed before it in this container"
            )
        known.update(step.outputs)
    if not known.issuperset(box.outputs):
        raise LayoutError(f"`{box.path or 'the network'}` returns values it does not compute")
    names = [m.name for m in box.members]
    if len(set(names)) != len(names):
        raise LayoutError(f"`{box.path or 'the network'}` has duplicate member names")
