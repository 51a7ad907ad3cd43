"""ir.Graph -> the module tree: which scopes are submodules, what each holds, and the steps its forward runs.

Shared by the live builder and the code generator, so both give every layer the module path `node.path`.
A scope with a path of its own (a named group, a block instance, a named branch) is a container; a
transparent scope (an unnamed residual or concat) is not, and its layers belong to the enclosing container.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from netspec.backends.torch.layers import Construct, Function, Parameter, Site, emit
from netspec.diagnostics import Span
from netspec.ir import Graph, Node, Scope

# Ops whose output is (or may be) their input itself, or a view of it.
ALIASES = frozenset({"identity", "dropout", "flatten"})
# Ops that do not keep their output for the backward pass: an in-place activation may overwrite it.
OVERWRITABLE = frozenset({"conv", "linear", "batchnorm", "maxpool", "avgpool", "adaptive_avgpool",
                          "adaptive_maxpool", "global_avgpool", "global_maxpool", "lrn", "add", "concat", "pad",
                          "layernorm", "layernorm2d"})


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

    node: Node  # the node whose value the step computes; for a child container, its output node
    inputs: tuple[int, ...]  # node ids of the values read
    member: str | None = None
    function: Function | None = None
    span: Span | None = None  # the spec text it comes from: the node's, or the child container's

    def __post_init__(self):
        self.span = self.span or self.node.span


@dataclass(slots=True)
class Container:
    """A submodule holding leaves and child containers, with the steps of its forward."""

    name: str  # attribute name in the parent; "" for the network
    scope: Scope
    members: list[Leaf | Container] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    items: list[Node | Container] = field(default_factory=list)  # direct nodes and children, in order
    input: int = 0
    output: int = 0

    @property
    def path(self) -> str:
        return self.scope.path

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
        previous = self.input
        for step in self.steps:
            if step.inputs != (previous,):
                return False
            previous = step.node.id
        return previous == self.output

    def containers(self) -> list[Container]:
        """This container and every one inside it, parents before children."""
        out = [self]
        for member in self.members:
            if isinstance(member, Container):
                out += member.containers()
        return out


def layout(graph: Graph) -> Container:
    """The module tree of a checked graph."""
    root = Container("", graph.scopes[0])
    containers = {root.scope.id: root}
    chains: dict[int, list[Scope]] = {}
    for node in graph.nodes[1:]:
        if node.scope not in chains:
            chains[node.scope] = [s for s in reversed(graph.ancestry(node.scope)) if owns(graph, s)]
        _place(node, chains[node.scope], containers)
    users = graph.users()
    _finish(graph, root, users)
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
    name = path[len(prefix):]
    if not path.startswith(prefix) or not name or "." in name:
        raise LayoutError(f"`{path}` is not a direct member of `{parent or 'the network'}`")
    return name


def _finish(graph: Graph, box: Container, users: dict[int, list[int]]) -> None:
    """Members, steps, input and output of a container and its children (children first).

    A scope's nodes are contiguous, so the container's output is its last item's, and its input is what its
    first node reads; _verify proves that every step reads only that input or what an earlier step computed.
    """
    for item in box.items:
        if isinstance(item, Container):
            _finish(graph, item, users)
    if not box.items:  # a network with no layers passes its input through
        return
    last = box.items[-1]
    box.output = last.output if isinstance(last, Container) else last.id
    box.input = _input(box)
    for item in box.items:
        _add_step(graph, box, item, users)
    _verify(box)


def _input(box: Container) -> int:
    first = box.items[0]
    if isinstance(first, Container):
        return first.input
    if len(set(first.inputs)) != 1:
        raise LayoutError(f"`{box.path or 'the network'}` starts with a node reading {len(first.inputs)} values")
    return first.inputs[0]


def _add_step(graph: Graph, box: Container, item: Node | Container, users) -> None:
    if isinstance(item, Container):
        box.members.append(item)
        box.steps.append(Step(graph.nodes[item.output], (item.input,), member=item.name, span=item.scope.span))
        return
    site = Site(item.attrs, tuple(graph.in_shapes(item)), item.out_shape, _inplace_ok(graph, item, users))
    made = emit(item.op, site)
    if isinstance(made, Function):
        box.steps.append(Step(item, item.inputs, function=made))
        return
    leaf = Leaf(_relative(box.path, item.path), item, made)
    box.members.append(leaf)
    box.steps.append(Step(item, item.inputs, member=leaf.name))


def _inplace_ok(graph: Graph, node: Node, users) -> bool:
    """May this node overwrite its input? Only if no one else reads it, through aliases, nor needs it for backward."""
    if len(node.inputs) != 1:
        return False
    value = node.inputs[0]
    while value != 0 and len(users[value]) == 1 and graph.nodes[value].op in ALIASES:
        value = graph.nodes[value].inputs[0]
    return value != 0 and len(users[value]) == 1 and graph.nodes[value].op in OVERWRITABLE


def _verify(box: Container) -> None:
    """Every step reads the container's input or an earlier step's value; member names are unique."""
    known = {box.input}
    for step in box.steps:
        missing = [i for i in step.inputs if i not in known]
        if missing:
            raise LayoutError(f"`{box.path or 'the network'}`: step for node {step.node.id} reads {missing}, "
                              "which is not computed before it in this container")
        known.add(step.node.id)
    names = [m.name for m in box.members]
    if len(set(names)) != len(names):
        raise LayoutError(f"`{box.path or 'the network'}` has duplicate member names")
