"""The module tree -> the classes of generated source: which containers share a class, and its parameters.

A block's instances that have the same structure share one class; what differs between them (channels,
strides, ...) becomes a constructor parameter, named after the block parameter it equals where one does.
A block whose instances differ in structure (a stage of 2 or 3 blocks) subclasses nn.Sequential and is
given its members; a chain that is not a block is written inline as nn.Sequential.

The network's class takes the network parameters that only move numbers (arguments.py finds them by
elaborating the spec again with each changed): each instance of a class is then seen once per variant too,
and a value that moves with a parameter becomes a constructor argument all the way up to the network's class,
where it must equal the parameter itself (else the parameter stays compiled in).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from netspec.backends.torch.layers import Parameter
from netspec.backends.torch.layout import Container, Leaf
from netspec.backends.torch.namespace import Namespace, camel
from netspec.ir import Graph

Form = Literal["root", "module", "sequential", "passthrough", "inline"]
# record(container, plan, values) -> (values, roles, split): every value the container's code uses, in order, what
# each is, and where the forward's values start (the constructor's come first); `values` holds those of the
# classes it contains, for the elaboration the container comes from
Recorder = Callable[[Container, "Plan", dict[int, list[Any]]], tuple[list[Any], list[str], int]]


@dataclass
class Param:
    name: str
    column: int  # where its value sits in an instance's value list
    annotation: str
    default: Any = None  # the compiled value: the network's class offers it as the default


@dataclass
class Variant:
    """The network elaborated with one parameter changed: its module tree, and the values of its classes."""

    graph: Graph
    boxes: dict[int, Container]  # scope id -> container; the same ids as the compiled graph's
    values: dict[int, list[Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Row:
    """One container as its class sees it: an instance, in the compiled graph or in a variant."""

    box: Container
    graph: Graph  # the elaboration it comes from
    changed: str  # the network parameter changed in that elaboration; "" for the compiled one
    values: dict[int, list[Any]]  # scope id -> the values of each class instance in that elaboration

    @property
    def params(self) -> dict[str, Any]:
        return self.graph.params

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self.graph.nodes[self.box.input].out_shape


@dataclass
class ClassDef:
    """One generated class and the containers it is instantiated for (the first one is the model)."""

    form: Form
    instances: list[Container]
    base: str  # the name it would like: the block's, the network's, or the group's
    name: str = ""
    params: list[Param] = field(default_factory=list)
    code: dict[int, str] = field(default_factory=dict)  # column -> a parameter's name, for varying columns
    constant: dict[int, Any] = field(default_factory=dict)  # column -> its value, for constant columns
    named: dict[tuple, str] = field(default_factory=dict)  # a varying column's values -> parameter name
    forward_from: int = 0  # the first column the forward uses (the constructor uses those before it)
    rows: list[Row] = field(default_factory=list)  # the instances, then each variant's counterparts
    passes: dict[int, str] = field(default_factory=dict)  # the network's class: column -> network parameter

    @property
    def first(self) -> Container:
        return self.instances[0]

    def args(self, values: list[Any]) -> list[tuple[str, Any]]:
        """The constructor arguments of an instance with these values."""
        return [(p.name, values[p.column]) for p in self.params]


@dataclass
class Plan:
    """The classes of a generated module, in the order they are written (each after the classes it uses).

    The parameters of a class are found in the same order, so those of the classes it contains are known.
    """

    classes: list[ClassDef]
    of: dict[int, ClassDef]  # container scope id -> its class (inline containers have none)
    values: dict[int, list[Any]]  # container scope id -> the values its class is instantiated with
    names: Namespace
    variants: dict[str, Variant] = field(default_factory=dict)  # network parameter -> its variant


def signature(box: Container) -> tuple:
    """The structure of a container without its numbers: equal signatures can share a class."""
    members = tuple(_member_signature(m) for m in box.members)
    local = {v: n for n, v in enumerate([*box.inputs, *(v for s in box.steps for v in s.outputs)])}
    steps = tuple(
        (s.member, _function_signature(s.function), tuple(local[i] for i in s.inputs), len(s.outputs))
        for s in box.steps
    )
    interface = len(box.inputs), tuple(local[v] for v in box.outputs)  # instances of a class take and give alike
    return box.scope.kind, box.scope.block, box.chain, members, steps, interface


def _member_signature(member: Leaf | Container) -> tuple:
    if isinstance(member, Container):
        return member.name, signature(member)
    c = member.construct
    if isinstance(c, Parameter):
        return member.name, "Parameter", len(c.shape)
    return member.name, c.cls, tuple(a.name for a in c.args), tuple(a.name for a in c.kwargs), c.init and c.init.name


def _function_signature(function) -> tuple | None:
    return function and (function.name, function.template, tuple(k for k, _ in function.params))


def plan(
    graph: Graph,
    root: Container,
    record: Recorder,
    names: Namespace,
    variants: dict[str, tuple[Graph, Container]] | None = None,
) -> Plan:
    """Group containers into classes, name them, and find each class's parameters.

    `variants`: network parameter -> the network elaborated with it changed, and its module tree. The network's
    class takes those parameters whose moves it can pass on as they are; the others stay compiled in.
    """
    candidates = dict(variants or {})
    while True:
        result = _plan(graph, root, record, names.copy(), {k: _variant(*v) for k, v in candidates.items()})
        rejected = _rejected(result)
        if not rejected:
            names.adopt(result.names)
            return result
        candidates = {k: v for k, v in candidates.items() if k not in rejected}


def _variant(graph: Graph, root: Container) -> Variant:
    return Variant(graph, {b.scope.id: b for b in root.containers()})


def _rejected(plan: Plan) -> set[str]:
    """The parameters the network's class cannot take: one that moves a value it cannot pass on as it is
    (`2 * width`), and one that moves none of its values (it only sizes the input, say)."""
    root = next(c for c in plan.classes if c.form == "root")
    base, *table = _table(root)
    rejected = set()
    for row, values in zip(root.rows[1:], table, strict=True):  # a verdict does not depend on the other variants
        moved = [column for column, value in enumerate(values) if _typed(value) != _typed(base[column])]
        if not moved or any(root.passes.get(column) != row.changed for column in moved):
            rejected.add(row.changed)
    return rejected


def _plan(graph: Graph, root: Container, record: Recorder, names: Namespace, variants: dict[str, Variant]) -> Plan:
    boxes = root.containers()
    signatures = {b.scope.id: signature(b) for b in boxes}
    chain_blocks = _chain_blocks(boxes, signatures)
    classes: dict[tuple, ClassDef] = {}
    of = {}
    for box in boxes:
        form, key, base = _form(graph, box, signatures[box.scope.id], chain_blocks)
        if form == "inline":
            continue
        cls = classes.setdefault(key, ClassDef(form, [], base))
        cls.instances.append(box)
        of[box.scope.id] = cls
    _name(list(classes.values()), names)
    result = Plan(_dependency_order(root, of), of, {}, names, variants)
    for cls in result.classes:
        if cls.form != "passthrough":  # given its members, it takes no parameters
            _parameters(graph, cls, record, result)
    return result


def _chain_blocks(boxes: list[Container], signatures: dict) -> dict[str, bool]:
    """For each block used as a chain: do all its chain instances have one structure?"""
    seen: dict[str, set] = {}
    for box in boxes:
        if box.is_block and box.chain:
            seen.setdefault(box.scope.block or "", set()).add(signatures[box.scope.id])
    return {block: len(sigs) == 1 for block, sigs in seen.items()}


def _form(graph: Graph, box: Container, sig: tuple, chain_blocks: dict[str, bool]) -> tuple[Form, tuple, str]:
    block = box.scope.block or ""  # the block's name, for block instances
    if box.is_root:
        return "root", ("root",), graph.name
    if box.is_block and box.chain:
        form: Form = "sequential" if chain_blocks[block] else "passthrough"
        return form, (form, block), block
    if box.chain:
        return "inline", (), ""
    if box.is_block:
        return "module", ("block", block, sig), block
    name = box.name if not box.name.isdigit() else box.scope.kind
    return "module", (box.scope.kind, name, sig), camel(name) or box.scope.kind.title()


def _dependency_order(root: Container, of: dict[int, ClassDef]) -> list[ClassDef]:
    """Classes in order of first use, each after the classes it contains (a post-order walk)."""
    order: dict[int, ClassDef] = {}

    def visit(box: Container) -> None:
        for member in box.members:
            if isinstance(member, Container):
                visit(member)
        cls = of.get(box.scope.id)
        if cls is not None:
            order.setdefault(id(cls), cls)

    visit(root)
    return list(order.values())


def _name(classes: list[ClassDef], names: Namespace) -> None:
    """The network first (it keeps its name), then the rest in order of first use; variants get a suffix."""
    firsts: dict[str, ClassDef] = {}
    for cls in sorted(classes, key=lambda c: (c.form != "root", min(b.output for b in c.instances))):
        model = firsts.setdefault(cls.base, cls)
        suffix = "" if model is cls else _variant_suffix(cls, model)
        cls.name = names.add(cls.base + suffix, "Block")


def _variant_suffix(cls: ClassDef, model: ClassDef) -> str:
    """What this variant has that the first one lacks: `Basic` -> `BasicDownsample`."""
    have = {m.name for m in model.first.members} | {s.node.path.rsplit(".", 1)[-1] for s in model.first.steps}
    extra = [m.name for m in cls.first.members if m.name not in have and not m.name.isdigit()]
    extra += [
        s.node.path.rsplit(".", 1)[-1]
        for s in cls.first.steps
        if s.function and s.node.path.rsplit(".", 1)[-1] not in have
    ]
    return camel("_".join(dict.fromkeys(extra))) or "Variant"


# ---- parameters: the values that differ between a class's instances --------------------------------


def _parameters(graph: Graph, cls: ClassDef, record: Recorder, plan: Plan) -> None:
    cls.rows = _rows(graph, cls, plan)
    roles: list[str] = []
    for row in cls.rows:
        row.values[row.box.scope.id], roles, cls.forward_from = record(row.box, plan, row.values)
    table = _table(cls)
    if any(len(r) != len(table[0]) for r in table):
        raise AssertionError(f"instances of {cls.name} differ in structure")
    params = Namespace(parent=plan.names, reserved={"self"})
    for column in range(len(table[0])):
        values = tuple(_typed(r[column]) for r in table)
        if len(set(values)) == 1:
            cls.constant[column] = table[0][column]
            continue
        meaning = _param_name(cls, values, roles[column])
        if values not in cls.named:
            cls.named[values] = params.add(meaning, "arg")
            cls.params.append(Param(cls.named[values], column, _annotation(values), table[0][column]))
        cls.code[column] = cls.named[values]
        if cls.form == "root" and meaning in graph.params:
            cls.passes[column] = meaning
    if cls.form == "root":  # the network's class takes its arguments in the spec's order
        order = list(graph.params)
        cls.params.sort(key=lambda p: order.index(cls.passes[p.column]) if p.column in cls.passes else len(order))


def _rows(graph: Graph, cls: ClassDef, plan: Plan) -> list[Row]:
    rows = [Row(box, graph, "", plan.values) for box in cls.instances]
    for name, variant in plan.variants.items():
        rows += [Row(variant.boxes[box.scope.id], variant.graph, name, variant.values) for box in cls.instances]
    return rows


def _table(cls: ClassDef) -> list[list[Any]]:
    return [row.values[row.box.scope.id] for row in cls.rows]


def _typed(value: Any) -> tuple:
    """A value with its type, so that 1, 1.0 and True stay apart."""
    return type(value).__name__, value


def _param_name(cls: ClassDef, values: tuple, role: str) -> str:
    """The block or network parameter these values equal in every row; else `in_channels`; else the slot's role."""
    if cls.form == "root":
        args = [row.params for row in cls.rows]
    else:
        args = [dict(row.box.scope.args) for row in cls.rows] if cls.first.is_block else []
    for name in args[0] if args else {}:
        if all(name in a and _typed(a[name]) == v for a, v in zip(args, values, strict=True)):
            return name
    channels = tuple(_typed(row.input_shape[0]) for row in cls.rows)
    return "in_channels" if channels == values else role


def _annotation(values: tuple) -> str:
    kinds = dict.fromkeys(_ANNOTATIONS.get(kind, "object") for kind, _ in values)
    return " | ".join(kinds)


_ANNOTATIONS = {"int": "int", "float": "float", "bool": "bool", "str": "str", "tuple": "tuple[int, int]"}
