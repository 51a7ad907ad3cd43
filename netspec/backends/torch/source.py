"""ir.Graph -> standalone PyTorch source: one class per block, and the network's class with a straight-line forward.

Every forward line is commented with its output shape (per sample) and the spec line that made it, and the
source map records the same. Identifiers come from one Namespace; spec text reaches the code only as
checked identifiers, string literals, or escaped comments. Same graph, same bytes.
"""

from __future__ import annotations

import ast
import functools
import textwrap
from collections import Counter
from importlib import resources
from pathlib import PurePath
from typing import Any

from netspec import __version__
from netspec.backends.torch.arguments import variants
from netspec.backends.torch.classes import ClassDef, Plan, plan
from netspec.backends.torch.layers import CUSTOM, REQUIRED, Arg, Construct, Init, Parameter
from netspec.backends.torch.layout import Container, Leaf, layout, named_outputs, outputs
from netspec.backends.torch.namespace import Namespace, attribute, comment, literal, safe_attribute
from netspec.backends.torch.writer import LINE_LENGTH, Call, Source, Writer, breakable
from netspec.elaborate.names import MODULE_ATTRIBUTES
from netspec.ir import Graph
from netspec.ops import OPS, fmt_shape
from netspec.values import spec_text

IMPORTS = ("torch", "nn", "F", "OrderedDict")
LISTED = 4  # instance paths named in a class docstring
SEQUENTIAL_ATTRIBUTES = frozenset({"append", "extend", "insert", "pop"})  # nn.Sequential's, beyond nn.Module's


def emit_source(graph: Graph) -> Source:
    """The generated module for a checked graph."""
    return Generator(graph).source()


class Recording:
    """Slots that collect the values a container's code uses (to compare the instances of a class)."""

    def __init__(self):
        self.values: list[Any] = []
        self.roles: list[str] = []

    def value(self, value: Any, role: str) -> str:
        self.values.append(value)
        self.roles.append(role)
        return literal(value)

    def kwarg(self, arg: Arg) -> str | None:
        return self.value(arg.value, arg.name)


class Rendering:
    """Slots that write a class's code: a constant as a literal, a value that varies as its parameter.

    The forward reads a parameter from the attribute the constructor stored it in (`self.front`).
    """

    def __init__(self, cls: ClassDef, stored: dict[str, str]):
        self.cls, self.stored, self.column = cls, stored, 0

    def value(self, value: Any, role: str) -> str:
        column, self.column = self.column, self.column + 1
        if column not in self.cls.code:
            return literal(self.cls.constant[column])
        name = self.cls.code[column]
        return f"self.{self.stored[name]}" if column >= self.cls.forward_from else name

    def kwarg(self, arg: Arg) -> str | None:
        column = self.column
        code = self.value(arg.value, arg.name)
        constant = self.cls.constant.get(column, REQUIRED)
        return None if _same(constant, arg.default) else code


def indexed(box: Container) -> bool:
    """Does a container with a forward of its own hold numbered members? Then its class is an nn.Sequential, so
    that they are registered and called as PyTorch code does (`self[2](x)`), not through add_module/getattr.
    A number must be the member's position among the modules, as nn.Sequential indexes them."""
    modules = [m for m in box.members if not (isinstance(m, Leaf) and m.parameter)]
    numbered = [(n, m.name) for n, m in enumerate(modules) if m.name.isdigit()]
    return (
        bool(numbered)
        and all(name == str(n) for n, name in numbered)
        and not any(m.name in SEQUENTIAL_ATTRIBUTES for m in modules)
    )


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


class Variables:
    """The local variables of a forward: `x` flows on while the line continues; a branch gets a name, and so does
    a value from outside (`stage2`) or one given back to the caller besides the main output."""

    def __init__(self, box: Container, module_names: Namespace, graph: Graph, owners: dict[int, list[Container]]):
        self.graph, self.box, self.owners = graph, box, owners
        self.outputs = dict(reversed([(i, name) for name, i in outputs(graph) if name])) if box.is_root else {}
        self.names = Namespace({"self"}, parent=module_names)
        self.of = {box.input: self.names.add("x")}  # node id -> variable holding its value
        self.made = dict.fromkeys(box.inputs, -1)  # node id -> the step that computed it
        self.last_use = {i: n for n, step in enumerate(box.steps) for i in step.inputs}
        self.last_use |= dict.fromkeys(box.outputs, len(box.steps))  # what it returns lives to the end
        self.children = {m.name for m in box.members if isinstance(m, Container)}
        self.branches: set[str] = set()  # variables named after a branch: a join does not take them over
        self.kept = set(box.outputs[1:])
        self.readers = Counter(i for step in box.steps for i in set(step.inputs))
        tensors = {getattr(v, "node", None): k for k, v in box.scope.args.items()} if box.is_block else {}
        for value in box.inputs[1:]:  # a block names a value from outside after its tensor parameter (`skip`)
            self.of[value] = self.value(value, tensors.get(value))

    def value(self, node: int, hint: str | None = None) -> str:
        """A variable named after what the value is: a network output (`aux`), the scope it ends (`stage2`),
        its layer (`conv1`), or its op (`conv`)."""
        name = self.names.add(hint or self._hint(node))
        self.branches.add(name)
        return name

    def _hint(self, node: int) -> str:
        if node in self.outputs:
            return self.outputs[node]
        around = f"{self.box.path}.".startswith  # the container itself and those around it end elsewhere
        scope = next(
            (c.name for c in self.owners.get(node, []) if not around(f"{c.path}.") and not c.name.isdigit()), None
        )
        path = self.graph.nodes[node].path.rsplit(".", 1)[-1]
        return scope or ("network_input" if node == 0 else path if path.isidentifier() else self.graph.nodes[node].op)

    def assign_all(self, step, n: int) -> list[str]:
        """The variables a step assigns: its main value's (see `assign`), then one per further value it gives."""
        main = self.assign(step, n)
        for value in step.outputs[1:]:
            self.of[value], self.made[value] = self.value(value), n
        return [main, *(self.of[v] for v in step.outputs[1:])]

    def assign(self, step, n: int) -> str:
        """The variable step n assigns: its first input's, if that is dead and the line continues; else a new one."""
        first = self.of[step.inputs[0]]
        dead = self.last_use[step.inputs[0]] == n
        continues = self.made[step.inputs[0]] == n - 1 if len(step.inputs) == 1 else first not in self.branches
        if step.node.id in self.kept:  # given back to the caller beside the main output: named after its layer
            target = self.value(step.node.id)
        else:
            target = first if dead and continues else self._new(step)
        self.of[step.node.id], self.made[step.node.id] = target, n
        return target

    def _new(self, step) -> str:
        named = step.member is not None and not step.member.isdigit()
        if step.node.id in self.outputs:
            hint = self.outputs[step.node.id]
        elif named and (step.member in self.children or self.readers[step.node.id] > 1):
            hint = step.member  # a branch, or a value read again further down (a skip's start)
        elif step.function is not None and len(step.inputs) == 1:
            hint = step.node.path.rsplit(".", 1)[-1]
        else:
            return self.names.add("out")
        name = self.names.add(hint)
        self.branches.add(name)
        return name


class Generator:
    """Writes the module: header, imports, init helpers, then the classes of the plan, dependencies first."""

    plan: Plan  # which class each container becomes: set by `source` (and `record`) before any code is written

    def __init__(self, graph: Graph):
        self.graph = graph
        self.names = Namespace(IMPORTS + CUSTOM + ("self",))  # a class named `self` would hide the instance
        self.used: set[str] = set()  # optional imports the code needs: "F", "OrderedDict", custom classes
        self.helpers: dict[str, str] = {}  # init name -> helper function name
        self.inits: dict[str, Init] = {}
        self.values: dict[int, list[Any]] = {}  # class instances' values, of the elaboration being recorded
        self.parameters: set[str] = set()  # members of the container being written that are parameters
        self.indexed = False  # the container being written is an nn.Sequential with a forward of its own
        self.owners: dict[int, list[Container]] = {}  # node id -> the containers whose main output it is

    def source(self) -> Source:
        root = layout(self.graph)
        self.owners = {}
        for box in root.containers():  # parents first: a value is named after the outermost scope it ends
            self.owners.setdefault(box.output, []).append(box)
        self._name_helpers(root)
        changed = {name: (graph, layout(graph)) for name, graph in variants(self.graph).items()}
        self.plan = plan(self.graph, root, self.record, self.names, changed)
        self.values = self.plan.values
        w = Writer()
        self._header(w)  # the imports it needs are known once every class has been recorded
        for cls in self.plan.classes:
            w.blank(2)
            self.write_class(w, cls)
        return w.source()

    # ---- the file around the classes --------------------------------------------------------------

    def _name_helpers(self, root: Container) -> None:
        leaves = [m for box in root.containers() for m in box.members if isinstance(m, Leaf)]
        for leaf in sorted(leaves, key=lambda m: m.node.id):
            init = getattr(leaf.construct, "init", None)  # a Parameter has none
            if init is not None and init.name not in self.helpers:
                self.inits[init.name] = init
                self.helpers[init.name] = self.names.add(init.name, "init")

    def _header(self, w: Writer) -> None:
        g = self.graph
        params = ", ".join(f"{k}={spec_text(v)}" for k, v in g.params.items())
        head = f"{comment(g.name)}: PyTorch source compiled by netspec {__version__} from {comment(_basename(g.file))}"
        tail = f" ({comment(params)})." if params else "."
        if len(f"# {head}{tail}") <= LINE_LENGTH:
            w.line(f"# {head}{tail}")
        else:  # the parameters on lines of their own
            w.line(f"# {head}")
            for line in textwrap.wrap(tail.strip(), LINE_LENGTH - 2, break_long_words=False, break_on_hyphens=False):
                w.line(f"# {line}")
        w.line("# Standalone: it needs only torch. Edit it freely; recompiling the spec writes it anew.")
        w.line("# Shapes in comments are per sample (the batch dimension is left out); file:line is the spec line.")
        w.blank()
        if "OrderedDict" in self.used:
            w.line("from collections import OrderedDict")
            w.blank()
        w.line("import torch")
        if "F" in self.used:
            w.line("import torch.nn.functional as F")
        w.line("from torch import nn")
        w.blank()
        w.expr("__all__ = ", Call("[", tuple(f'"{c.name}"' for c in self.plan.classes), "]", "items"))
        for name in CUSTOM:  # torchvision's definitions of what torch.nn lacks, as the live model runs them
            if name in self.used:
                w.blank(2)
                for line in _custom_source()[name].split("\n"):
                    w.line(line) if line else w.blank()
        for name, function in self.helpers.items():
            w.blank(2)
            self._helper(w, function, self.inits[name])

    def _helper(self, w: Writer, name: str, init: Init) -> None:
        w.line(f"def {name}(module: nn.Module) -> nn.Module:")
        with w.indented():
            w.docstring(comment(init.doc))
            for function, param, kwargs in init.calls:
                args = "".join(f", {k}={literal(v)}" for k, v in kwargs)
                w.line(f"if module.{param} is not None:")
                with w.indented():
                    w.line(f"nn.init.{function}(module.{param}{args})")
            w.line("return module")

    # ---- classes ----------------------------------------------------------------------------------

    def write_class(self, w: Writer, cls: ClassDef) -> None:
        base = "nn.Sequential" if cls.form in ("sequential", "passthrough") or indexed(cls.first) else "nn.Module"
        w.line(f"class {cls.name}({base}):")
        with w.indented():
            w.docstring(*self._docstring(cls))
            if cls.form == "passthrough":
                return
            w.blank()
            signature = ("self", *(self._param(p, cls) for p in cls.params))
            w.expr("def __init__", Call("(", signature, ") -> None:"))
            stored = _stored(cls)
            slots = Rendering(cls, stored)  # one pass over the values, in the order record() took them
            with w.indented():
                self.constructor(w, cls.first, slots, cls.form)
                for param, attr in stored.items():
                    w.line(f"self.{attr} = {param}")
            if cls.form in ("module", "root"):
                w.blank()
                self.forward(w, cls.first, slots, cls)

    @staticmethod
    def _param(param, cls: ClassDef) -> str:
        """`out: int`; the network's class offers the compiled value as the default: `classes: int = 1000`."""
        text = f"{param.name}: {param.annotation}"
        return f"{text} = {literal(param.default)}" if cls.form == "root" else text

    def record(self, box: Container, plan_: Plan, values: dict[int, list[Any]]) -> tuple[list[Any], list[str], int]:
        """The values an instance's class code uses, in the order the code uses them (`values`: those of the
        class instances it holds)."""
        self.plan, self.values = plan_, values
        slots = Recording()
        form = plan_.of[box.scope.id].form
        self.constructor(Writer(), box, slots, form)
        split = len(slots.values)
        if form in ("module", "root"):
            self.forward(Writer(), box, slots, None)
        return slots.values, slots.roles, split

    def constructor(self, w: Writer, box: Container, slots, form: str) -> None:
        if form == "sequential":
            w.expr("super().__init__", Call("(", self.sequential(box.members, slots)))
            return
        members = box.members
        if indexed(box):  # numbered members are registered as nn.Sequential numbers them, in order
            members = [m for m in box.members if isinstance(m, Leaf) and m.parameter]
            w.expr("super().__init__", Call("(", self.sequential([m for m in box.members if m not in members], slots)))
        else:
            w.line("super().__init__()")
        for member in members:
            expr = self.member(member, slots)
            if isinstance(member, Leaf) and member.parameter and not safe_attribute(member.name):
                w.expr("", Call("self.register_parameter(", (literal(member.name), expr)))
            elif safe_attribute(member.name):
                w.expr(f"self.{member.name} = ", expr)
            else:
                w.expr("", Call("self.add_module(", (literal(member.name), expr)))

    def forward(self, w: Writer, box: Container, slots, cls: ClassDef | None) -> None:
        variables = Variables(box, self.names, self.graph, self.owners)  # the input is `x` unless a class took it
        self.parameters = {m.name for m in box.members if isinstance(m, Leaf) and m.parameter}
        self.indexed = indexed(box)
        arguments = ("self", *(f"{variables.of[i]}: torch.Tensor" for i in box.inputs))
        w.expr("def forward", Call("(", arguments, f") -> {self._returns(box)}:"))
        with w.indented():
            for n, step in enumerate(box.steps):
                inputs = [variables.of[i] for i in step.inputs]
                targets = ", ".join(variables.assign_all(step, n))
                note = f"{self._shape(cls, n)}  {_where(step.span)}" if cls is not None else ""
                w.expr(f"{targets} = ", breakable(self._call(step, inputs, slots)), span=step.span, note=note)
            w.expr("return ", self._result(box, variables))

    def _returns(self, box: Container) -> str:
        if box.is_root and named_outputs(self.graph):
            return "dict[str, torch.Tensor]"
        if len(box.outputs) == 1:
            return "torch.Tensor"
        return "tuple[" + ", ".join(["torch.Tensor"] * len(box.outputs)) + "]"

    def _result(self, box: Container, variables: Variables) -> str | Call:
        """The main output; a tuple of it and the values read outside; the network's outputs as a dict."""
        values = [variables.of[i] for i in box.outputs]
        if box.is_root and named_outputs(self.graph):
            names = [name for name, _ in outputs(self.graph)]
            return Call("{", tuple(f"{literal(n)}: {v}" for n, v in zip(names, values, strict=True)), "}", "items")
        return Call("(", tuple(values), ")", "items", bare=True) if len(values) > 1 else values[0]

    def _call(self, step, inputs: list[str], slots) -> str:
        if step.member in self.parameters:
            return f"{inputs[0]} * {attribute('self', step.member)}"
        if step.member is not None and self.indexed and step.member.isdigit():
            return f"self[{step.member}]({', '.join(inputs)})"
        if step.member is not None:
            return f"{attribute('self', step.member)}({', '.join(inputs)})"
        function = step.function
        self.used.update(function.imports)
        params = {k: slots.value(v, k) for k, v in function.params}
        return function.template.format(*inputs, **params)

    # ---- expressions for members ------------------------------------------------------------------

    def member(self, member: Leaf | Container, slots) -> str | Call:
        if isinstance(member, Leaf):
            return self.leaf(member.construct, slots)
        cls = self.plan.of.get(member.scope.id)
        if cls is None:
            return Call("nn.Sequential(", self.sequential(member.members, slots))
        if cls.form == "passthrough":
            return Call(f"{cls.name}(", self.sequential(member.members, slots))
        values = self.values[member.scope.id]
        return Call(f"{cls.name}(", tuple(f"{name}={slots.value(v, name)}" for name, v in cls.args(values)))

    def leaf(self, c: Construct | Parameter, slots) -> Call:
        if isinstance(c, Parameter):
            shape = ", ".join([slots.value(c.shape[0], "channels"), *map(str, c.shape[1:])])
            return Call(
                "nn.Parameter(", (f"torch.full(({shape}{',' * (len(c.shape) == 1)}), {slots.value(c.value, 'init')})",)
            )
        args = [slots.value(a.value, a.name) for a in c.args]
        args += [f"{a.name}={code}" for a in c.kwargs if (code := slots.kwarg(a)) is not None]
        if c.custom:
            self.used.add(c.cls)
            if "F." in _custom_source()[c.cls]:  # an unused import would fail the user's linter
                self.used.add("F")
        expr = Call(f"{'' if c.custom else 'nn.'}{c.cls}(", tuple(args))
        return expr if c.init is None else Call(f"{self.helpers[c.init.name]}(", (expr,))

    def sequential(self, members: list[Leaf | Container], slots) -> tuple[str | Call, ...]:
        """nn.Sequential's arguments: the members, or an OrderedDict of them when they are not numbered 0, 1, ..."""
        items = tuple(self.member(m, slots) for m in members)
        names = [m.name for m in members]
        if names == [str(i) for i in range(len(names))]:
            return items
        self.used.add("OrderedDict")
        pairs = tuple(Call("(", (literal(n), e), ")", "items") for n, e in zip(names, items, strict=True))
        return (Call("OrderedDict(", (Call("[", pairs, "]", "items"),)),)

    # ---- comments ---------------------------------------------------------------------------------

    def _shape(self, cls: ClassDef, n: int) -> str:
        """A step's output shape over the class's instances: numbers where they agree, names where not."""
        nodes = [row.box.steps[n].node for row in cls.rows]
        if len({node.out_shape for node in nodes}) == 1:
            return fmt_shape(nodes[0].out_shape)
        return "[" + ", ".join(self._dim(cls, nodes, d) for d in range(len(nodes[0].out_shape))) + "]"

    def _dim(self, cls: ClassDef, nodes: list, d: int) -> str:
        """One dimension: a parameter, a function of the input's H or W, or (concat channels) a sum of those."""
        inputs = [row.input_shape for row in cls.rows]
        text = _dim(cls, d, tuple(node.out_shape[d] for node in nodes), inputs)
        if text != "?" or d != 0 or nodes[0].op != "concat":
            return text
        graphs = [row.graph for row in cls.rows]
        parts = [
            self._dim(cls, [g.nodes[node.inputs[i]] for g, node in zip(graphs, nodes, strict=True)], 0)
            for i in range(len(nodes[0].inputs))
        ]
        return "?" if "?" in parts else " + ".join(parts)

    def _docstring(self, cls: ClassDef) -> tuple[str, ...]:
        box = cls.first
        if cls.form == "root":
            return self._network_doc()
        file = _basename(box.steps[0].node.span.file if box.steps else box.scope.span.file)
        what = f"block {box.scope.block}" if box.is_block else f"{box.scope.kind} {box.path}"
        if box.is_block:
            what += "(" + ", ".join(box.scope.args) + ")"
        paths = [b.path for b in cls.instances]
        shown = ", ".join(paths[:LISTED]) + (f" and {len(paths) - LISTED} more" if len(paths) > LISTED else "")
        used = f"Used as {shown}."
        if cls.form == "passthrough":
            used += " Its instances differ in structure, so each is given its layers."
        return comment(f"{what} from {file}."), comment(used)

    def _network_doc(self) -> tuple[str, ...]:
        g = self.graph
        params = sum(OPS[n.op].params(n.attrs, g.in_shapes(n), n.out_shape) for n in g.nodes)
        args = ", ".join(f"{k}={spec_text(v)}" for k, v in g.params.items())
        if named_outputs(g):
            shown = "outputs " + ", ".join(f"{name} {fmt_shape(g.nodes[i].shape)}" for name, i in outputs(g))
        else:
            shown = f"output {fmt_shape(g.output.shape)}"
        return (
            comment(f"network {g.name}({args}) from {_basename(g.file)}."),
            comment(f"Input {fmt_shape(g.input.shape)} -> {shown}, {params:,} parameters."),
        )


@functools.cache
def _custom_source() -> dict[str, str]:
    """The text of each class in custom.py, read without importing it (that would import torch)."""
    text = resources.files("netspec.backends.torch").joinpath("custom.py").read_text(encoding="utf-8")
    tree = ast.parse(text)
    return {node.name: ast.get_source_segment(text, node) or "" for node in tree.body if isinstance(node, ast.ClassDef)}


def _stored(cls: ClassDef) -> dict[str, str]:
    """Parameters the forward uses -> the attributes the constructor keeps them in (not a member's name)."""
    used = dict.fromkeys(name for column, name in sorted(cls.code.items()) if column >= cls.forward_from)
    attrs = Namespace({m.name for m in cls.first.members} | MODULE_ATTRIBUTES | SEQUENTIAL_ATTRIBUTES)
    return {name: attrs.add(name, "arg") for name in used}


def _dim(cls: ClassDef, d: int, values: tuple, inputs: list) -> str:
    """Dimension d of a shape over the instances: a parameter's name, or a function of the input's H or W."""
    typed = tuple(("int", v) for v in values)
    if typed in cls.named:
        return cls.named[typed]
    if d in (1, 2) and all(len(s) == 3 for s in inputs):
        return _ratio(values, [s[d] for s in inputs], "HW"[d - 1]) or "?"
    return "?"


def _ratio(values: tuple, size: list[int], letter: str) -> str | None:
    """`H`, `H/2` or `H//2` when every instance's value is that function of its input size."""
    for k in range(1, 65):
        if all(v * k == s for v, s in zip(values, size, strict=True)):
            return letter if k == 1 else f"{letter}/{k}"
        if all(v == s // k for v, s in zip(values, size, strict=True)):
            return f"{letter}//{k}"
        if all(v == -(-s // k) for v, s in zip(values, size, strict=True)):
            return f"ceil({letter}/{k})"
    return None


def _basename(file: str) -> str:
    return PurePath(file).name if file and not file.startswith("<") else file


def _where(span) -> str:
    return comment(f"{_basename(span.file)}:{span.line}")
