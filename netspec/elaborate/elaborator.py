"""ast.NetworkDef + parameters -> ir.Graph: blocks instantiated, loops unrolled, every shape inferred as it is built."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import field, replace

from netspec.diagnostics import Diagnostics, Span, did_you_mean
from netspec.elaborate.binding import Given, bind_params, collect, layer_attrs
from netspec.elaborate.evaluate import (
    INPUT,
    REFS,
    UNKNOWN,
    Env,
    EvalError,
    Reported,
    bind_function,
    evaluate,
    iterated,
)
from netspec.elaborate.names import RESERVED, foreign_name
from netspec.elaborate.shortcut import SHORTCUTS, shortcut_kind
from netspec.ir import Graph, Node, Scope
from netspec.ops import LAYERS, OPS, Attrs, ShapeError, describe, fmt_shape
from netspec.ops.base import Slot, Tensor, canonical
from netspec.parse import ast
from netspec.records import record
from netspec.values import spec_text

# Expansion budget: room for the 100k-layer networks that benchmarks/ checks (issue 2; ResNet-1001 has ~3,500
# nodes), and small enough that hitting it takes a second or two rather than minutes.
MAX_NODES = 120_000
MAX_STEPS = 480_000
MAX_DEPTH = 64  # nested bodies while expanding (elaboration recurses per level)


_CONTROL = (ast.Repeat, ast.For, ast.If)  # members that expand to other members
_LABEL = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*\Z")  # what a computed label may be: a module name without dots
_HANDLERS = {
    ast.Call: "call",
    ast.Group: "group",
    ast.Residual: "residual",
    ast.Paths: "paths",
    ast.Ref: "reference",
    ast.Output: "output",
}


class Abort(Exception):
    """Stop elaborating: the expansion budget is spent (the diagnostic is recorded)."""


class Halt(Exception):
    """Stop the block instance (or network) being built: an `assert` guarding it does not hold (the diagnostic is
    recorded). What follows the assert assumes it, so elaborating on would report its consequences as errors."""


@record(frozen=False)
class Block:
    """A block definition with the names and blocks visible where it was defined."""

    definition: ast.BlockDef
    env: Env
    blocks: dict[str, Block]


@record(frozen=False)
class Namespace:
    """Member names of one module scope: labels as written, unnamed members numbered like nn.Sequential."""

    path: str
    counter: int = 0
    used: dict[str, Span] = field(default_factory=dict)

    def qualify(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name


@record(frozen=False)
class Ctx:
    """Where elaboration is: names and blocks in scope, the enclosing scope, and the namespace members go in."""

    env: Env
    blocks: dict[str, Block]
    scope: int
    ns: Namespace
    depth: int = 0  # bodies entered, through groups, blocks, branches and loops alike
    owner: int = 0  # the block instance being built (0: the network); `@name` sees only its own members
    root: str = ""  # that instance's namespace path: references look no further out
    entry: int | None = 0  # the node `@in` names: the instance's input (the network's input at top level)
    bodies: tuple = ()  # the enclosing bodies up to the instance, for "defined later" hints

    def evolve(self, **changes) -> Ctx:
        """A copy with some fields changed: dataclasses.replace without its per-call checks (once per body)."""
        new = object.__new__(Ctx)
        new.__dict__.update(self.__dict__, **changes)
        return new


class Elaborator:
    def __init__(self, diags: Diagnostics, graph: Graph):
        self.diags = diags
        self.graph = graph
        self.steps = 0
        self.instantiating: list[str] = []
        self.attrs: dict = {}  # (call, argument values) -> checked attributes; see layer_attrs
        self.axes: dict[int, tuple[str, ...]] = {}  # node -> its axis names, where permute changed the order
        self.named: dict[str, tuple[int | None, int, Span]] = {}  # member path -> (output node, owner, label span)
        self.instances = 0  # block instances made so far: each is an owner of the names inside it
        self.outputs: dict[str, Span] = {}  # declared network outputs -> where
        self.incomplete: set[str] = set()  # namespaces a failed block instance left without all its members

    # ---- entry ------------------------------------------------------------------------------------

    def network(self, net: ast.NetworkDef, env: Env, blocks: dict[str, Block], shape) -> None:
        root = self.scope(None, "network", "", net.name, net.span)
        ctx = Ctx(env.child({INPUT: shape}), dict(blocks), root, Namespace(""))
        stmt = next((s for s in net.body if isinstance(s, ast.Input)), None)  # where the shape was written
        self.node("input", OPS["input"].Attrs(shape=shape), (), shape, "input", ctx, stmt.span if stmt else net.span)
        try:
            last = self.sequence(net.body, 0, ctx)
        except (Abort, Halt):
            return
        if not self.outputs and last is not None:
            self.graph.outputs.append(("", last))

    # ---- scopes and nodes ---------------------------------------------------------------------------

    def scope(self, parent: int | None, kind, path: str, label: str, span: Span, block: str | None = None) -> int:
        depth = 0 if parent is None else self.graph.scopes[parent].depth + 1
        scope = Scope(len(self.graph.scopes), parent, kind, path, label, span, block, depth)
        self.graph.scopes.append(scope)
        return scope.id

    def node(self, op: str, attrs: Attrs, inputs: tuple[int, ...], shape, path: str, ctx: Ctx, span: Span) -> int:
        if len(self.graph.nodes) >= MAX_NODES:
            self.diags.error(
                f"the network expands to more than {MAX_NODES:,} layers",
                span,
                "this is where the limit was reached",
                "check the counts of repeat and for loops",
                code="limit",
            )
            raise Abort
        node = Node(len(self.graph.nodes), op, attrs, inputs, shape, path, ctx.scope, span)
        self.graph.nodes.append(node)
        return node.id

    def step(self, span: Span) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            self.diags.error(
                f"the network takes more than {MAX_STEPS:,} expansion steps",
                span,
                "this loop runs too often",
                "check the counts of repeat and for loops",
                code="limit",
            )
            raise Abort

    def shape(self, node_id: int | None):
        return None if node_id is None else self.graph.nodes[node_id].shape

    def report(self, e: EvalError | ShapeError, span: Span | None = None, related=()) -> None:
        if isinstance(e, Reported):
            return
        if isinstance(e, EvalError):
            for one in (e, *e.more):
                self.diags.error(one.message, one.span, one.label, one.help, code=one.code, related=one.related)
        else:
            self.diags.error(e.message, span, e.label, e.help, code="shape", related=related)

    # ---- bodies -----------------------------------------------------------------------------------

    def sequence(self, body, x: int | None, ctx: Ctx) -> int | None:
        """Members one after another, each fed the previous one's output."""
        for member, member_ctx in self.members(body, ctx):
            x = self.member(member, x, member_ctx)
        return x

    def fanout(self, body, x: int | None, ctx: Ctx) -> list[int | None]:
        """Members side by side, each fed the same input: the paths of concat/add."""
        outputs = []
        for member, member_ctx in self.members(body, ctx):
            if isinstance(member, ast.Output):
                self.diags.error(
                    "`output` cannot be a path of a join",
                    member.span,
                    "a path must give a value",
                    "declare the output before or after the join, or in a path's own `{ ... }`",
                    code="output",
                )
                continue
            outputs.append(self.member(member, x, member_ctx))
        return outputs

    def members(self, body, ctx: Ctx) -> Iterator[tuple[ast.Member | ast.Output, Ctx]]:
        """The members of a body with control flow expanded: lets bound, loops unrolled, ifs decided."""
        if ctx.depth >= MAX_DEPTH:
            where = body[0].span if body else self.graph.scopes[ctx.scope].span
            self.diags.error(
                f"the network nests more than {MAX_DEPTH} levels deep",
                where,
                "blocks, groups and loops inside one another reach this far",
                "flatten the structure; a chain of blocks each using the next one adds up",
                code="limit",
            )
            raise Abort
        if not body:  # nothing to bind or yield (empty loop bodies count their steps and nothing else)
            return
        definitions = [stmt for stmt in body if isinstance(stmt, ast.BlockDef)]
        blocks = dict(ctx.blocks) if definitions else ctx.blocks  # copied only when this body adds to it
        bodies = (*ctx.bodies, body)
        where = (ctx.ns.path, ctx.owner, ctx.root, ctx.entry, bodies)
        ctx = ctx.evolve(
            env=ctx.env.child({REFS: functools.partial(self.resolve, where)}),
            blocks=blocks,
            depth=ctx.depth + 1,
            bodies=bodies,
        )
        for stmt in definitions:
            if stmt.name in LAYERS:  # as at the top level: a block never replaces a layer
                self.diags.error(
                    f"block `{stmt.name}` has the name of a layer",
                    stmt.name_span,
                    f"`{stmt.name}` is a built-in layer",
                    "give the block another name",
                    code="name",
                )
                continue
            ctx.blocks[stmt.name] = Block(stmt, ctx.env, ctx.blocks)
        for stmt in body:
            if type(stmt) is ast.Member and type(stmt.item) not in _CONTROL:  # most members: two generators less
                yield stmt, ctx
            else:
                yield from self.statement(stmt, ctx)

    def statement(self, stmt, ctx: Ctx) -> Iterator[tuple[ast.Member | ast.Output, Ctx]]:
        if isinstance(stmt, ast.Let):
            self.let(stmt, ctx)
        elif isinstance(stmt, ast.Def):
            self.define(stmt, ctx.env)
        elif isinstance(stmt, ast.Assert):
            self.check(stmt, ctx)
        elif isinstance(stmt, ast.Expect):
            self.expect(stmt, ctx)
        elif isinstance(stmt, ast.Input):
            if ctx.scope != 0 or self.graph.nodes[-1].op != "input":
                self.diags.error(
                    "`input` belongs at the top of the network body",
                    stmt.span,
                    help="give the input shape once, before the first layer",
                    code="input",
                )
        elif isinstance(stmt, ast.Member):
            yield from self.control(stmt, ctx)
        elif isinstance(stmt, ast.Output):
            yield stmt, ctx  # it reads the chain's value where it stands: handled as a member

    def let(self, stmt: ast.Let, ctx: Ctx) -> None:
        if stmt.name in ctx.env.values:
            self.diags.error(
                f"`{stmt.name}` is already defined in this body",
                stmt.span,
                help="use another name",
                code="duplicate-name",
            )
            return
        try:
            ctx.env.values[stmt.name] = evaluate(stmt.value, ctx.env)
        except EvalError as e:
            ctx.env.values[stmt.name] = UNKNOWN  # later uses are not reported again
            self.report(e)

    def define(self, stmt: ast.Def, env: Env) -> None:
        """`def f(a) = ...`: a function in this body's names, checked where it is defined."""
        try:
            bind_function(stmt, env)
        except EvalError as e:
            self.report(e)

    def check(self, stmt: ast.Assert, ctx: Ctx) -> None:
        """`assert test, "message"`: an error at the test when it is false, showing the names it uses; the block
        instance (or network) it stands in is then built no further (Halt)."""
        try:
            ok = evaluate(stmt.test, ctx.env)
            if not isinstance(ok, bool):
                raise EvalError(
                    "`assert` needs true or false", stmt.test.span, f"got {describe(ok)}", "compare it, e.g. `n > 0`"
                )
        except EvalError as e:
            self.report(e)
            raise Halt from None  # undecided is not true: what the assert guards is not built either
        if not ok:
            self.diags.error(
                stmt.message or "assertion failed",
                stmt.test.span,
                _values_shown(stmt.test, ctx.env) or "this is false",
                code="assert",
            )
            raise Halt

    def expect(self, stmt: ast.Expect, ctx: Ctx) -> None:
        from netspec.elaborate.expect import expectation  # imported for the specs that state figures

        try:
            self.graph.expectations.append(expectation(stmt, ctx.env, ctx.scope))
        except EvalError as e:
            self.report(e)

    def control(self, member: ast.Member, ctx: Ctx) -> Iterator[tuple[ast.Member | ast.Output, Ctx]]:
        item = member.item
        if not isinstance(item, (ast.Repeat, ast.For, ast.If)):
            yield member, ctx
        elif member.label is not None:  # a named loop or if is a named group around what it expands to
            inner = ast.Member(None, item, item.span)
            yield replace(member, item=ast.Group((inner,), item.span)), ctx
        else:
            try:
                yield from self.expand(item, ctx)
            except EvalError as e:
                self.report(e)

    def expand(self, item, ctx: Ctx) -> Iterator[tuple[ast.Member | ast.Output, Ctx]]:
        if isinstance(item, ast.If):
            test = evaluate(item.test, ctx.env)
            if not isinstance(test, bool):
                raise EvalError("`if` needs true or false", item.test.span, f"got {describe(test)}")
            yield from self.members(item.then if test else item.orelse, ctx)
            return
        var, values = self.iteration(item, ctx)
        for value in values:
            self.step(item.span)
            body_ctx = ctx if var is None else ctx.evolve(env=ctx.env.child({var: value}))
            yield from self.members(item.body, body_ctx)

    def iteration(self, item, ctx: Ctx):
        if isinstance(item, ast.Repeat):
            count = evaluate(item.count, ctx.env)
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise EvalError("`repeat` needs a count >= 0", item.count.span, f"got {describe(count)}")
            if count > MAX_STEPS:
                raise EvalError(
                    f"`repeat {count:,}` is too many", item.count.span, f"the limit is {MAX_STEPS:,} expansion steps"
                )
            return None, range(count)
        return item.var, iterated(evaluate(item.iterable, ctx.env), item.iterable.span, "`for`")

    # ---- members ----------------------------------------------------------------------------------

    def member(self, member: ast.Member | ast.Output, x: int | None, ctx: Ctx) -> int | None:
        self.step(member.span)
        if isinstance(member, ast.Output):
            return self.output(member, x, ctx)
        label = member.label
        if isinstance(label, ast.Template):
            label = self.computed_label(label, member.label_span, ctx)
            if label is None:
                return None
            member = replace(member, label=label)
        number = ctx.ns.counter
        out = getattr(self, _HANDLERS[type(member.item)])(member, x, ctx)
        # named for `@name`: its label, or the nn.Sequential number it took (reachable as `@features.3`)
        name = label if label is not None else str(number) if ctx.ns.counter > number else None
        if name is not None and not member.inline:
            self.named.setdefault(ctx.ns.qualify(name), (out, ctx.owner, member.label_span or member.span))
        return out

    def computed_label(self, label: ast.Template, span: Span | None, ctx: Ctx) -> str | None:
        """`"denselayer{i + 1}": ...` -> the label evaluated and checked as a module name."""
        try:
            name = evaluate(label, ctx.env)
        except EvalError as e:
            self.report(e)
            return None
        if not _LABEL.match(name):
            self.diags.error(
                f"`{name}` cannot name a layer" if name else "the label is empty",
                span,
                f'"{name}" is what the label computes to',
                "a name is letters, digits, `_` and `-`, and holds no `.`",
                code="name",
            )
            return None
        return name

    def claim(self, member: ast.Member, ctx: Ctx) -> str:
        """The member's name in its namespace: its label, or its position, as nn.Sequential numbers."""
        index = ctx.ns.counter
        ctx.ns.counter += 1
        label = _label(member)
        if label is None:
            name = str(index)
            if name in ctx.ns.used:
                first = ctx.ns.used[name]
                self.diags.error(
                    f"this unnamed member is number {index}, a name already used",
                    member.span,
                    f"`{name}` is the label at line {first.line}",
                    "unnamed members are numbered like nn.Sequential; name this one",
                    code="duplicate-name",
                )
            ctx.ns.used[name] = member.span
            return name
        span = member.label_span or member.span
        if label in RESERVED:
            self.diags.error(
                f"`{label}` cannot name a layer",
                span,
                "PyTorch modules already use this name",
                "choose another name",
                code="name",
            )
        elif label in ctx.ns.used:
            first = ctx.ns.used[label]
            self.diags.error(
                f"duplicate name `{label}`",
                span,
                f"first used at line {first.line}",
                "every member of a group needs its own name",
                code="duplicate-name",
            )
        ctx.ns.used[label] = span
        return label

    def nested(self, member: ast.Member, ctx: Ctx, kind, label: str | None = None, block: str | None = None) -> Ctx:
        """A named scope for a member: a group, a block instance, a named branch."""
        path = ctx.ns.qualify(self.claim(member, ctx))
        scope = self.scope(ctx.scope, kind, path, label or path.rsplit(".", 1)[-1], member.span, block)
        return ctx.evolve(scope=scope, ns=Namespace(path))

    def transparent(self, ctx: Ctx, kind, label: str, span: Span, block: str | None = None) -> Ctx:
        """A scope for the diagram and summary whose members are named in the enclosing namespace."""
        return ctx.evolve(scope=self.scope(ctx.scope, kind, ctx.ns.path, label, span, block))

    def group(self, member: ast.Member, x, ctx: Ctx):
        item = member.item
        assert isinstance(item, ast.Group)  # _HANDLERS dispatches on the item's type
        if member.inline:
            return self.sequence(item.body, x, self.transparent(ctx, "group", "inline", member.span))
        return self.sequence(item.body, x, self.nested(member, ctx, "group"))

    def call(self, member: ast.Member, x, ctx: Ctx):
        call = member.item
        assert isinstance(call, ast.Call)
        if call.name in ctx.blocks:
            return self.instance(member, ctx.blocks[call.name], x, ctx)
        if call.name in LAYERS:
            return self.layer(member, x, ctx)
        self.claim(member, ctx)
        self.diags.error(
            f"unknown layer or block `{call.name}`",
            call.name_span,
            "not defined here",
            did_you_mean(call.name, list(LAYERS) + list(ctx.blocks))
            or foreign_name(call.name)
            or "define it with `block` or import it",
            code="unknown-layer",
        )
        return None

    def layer(self, member: ast.Member, x, ctx: Ctx):
        call = member.item
        assert isinstance(call, ast.Call)
        op = LAYERS[call.name]
        if member.inline:
            self.diags.error(
                f"`inline` is for groups and blocks, not the layer `{call.name}`",
                member.span,
                "a layer has no members to inline",
                "remove `inline`",
                code="syntax",
            )
        # a function of its input (chunk, channel_shuffle) is no module: it takes no nn.Sequential number
        name = call.name if member.label is None and not op.module else self.claim(member, ctx)
        path = ctx.ns.qualify(name)
        try:
            attrs = layer_attrs(op, call, ctx.env, self.attrs)
        except EvalError as e:
            return self.report(e)
        inputs = (x,)
        tensors = {name: value for name, value in attrs.as_dict().items() if isinstance(value, Tensor)}
        if tensors:  # `interpolate(like=@in)`: a tensor argument is another input of the node
            inputs += tuple(t.node for t in tensors.values())
            attrs = replace(attrs, **{name: Slot(n) for n, name in enumerate(tensors, 1)})
        return self.apply(call.name, attrs, inputs, path, ctx, call.span)

    def apply(self, op: str, attrs: Attrs, inputs: tuple, path: str, ctx: Ctx, span: Span, related=()) -> int | None:
        """Add a node if its inputs are known and its shape rule holds; report the rule's error otherwise."""
        shapes = [self.shape(i) for i in inputs]
        if any(s is None for s in shapes):
            return None
        kind = OPS[op]
        try:
            axes = self.check_axes(kind, attrs, inputs, shapes)
            shape = kind.infer(attrs, shapes)
        except ShapeError as e:
            self.report(e, span, related() if callable(related) else related)
            return None
        node = self.node(op, attrs, inputs, shape, path, ctx, span)
        if axes is not None and axes != canonical(len(shape)):
            self.axes[node] = axes
        return node

    def check_axes(self, kind, attrs, inputs: tuple, shapes: list):
        """The output's axis names (None: the usual [C, H, W]); asked only where the order can matter."""
        permuted = [i for i in inputs if i in self.axes]
        if not permuted and kind.layout in ("channels", "any"):
            return None
        names = [self.axes.get(i) or canonical(len(s)) for i, s in zip(inputs, shapes, strict=True)]
        return kind.axes(attrs, shapes, names)

    def instance(self, member: ast.Member, block: Block, x, ctx: Ctx):
        call, definition = member.item, block.definition
        assert isinstance(call, ast.Call)
        what = f"block `{definition.name}`"
        if definition.name in self.instantiating:
            cycle = " -> ".join(self.instantiating[self.instantiating.index(definition.name) :] + [definition.name])
            self.claim(member, ctx)
            self.diags.error(
                f"block `{definition.name}` instantiates itself",
                call.span,
                cycle,
                "blocks cannot be recursive; use repeat or for",
                code="recursion",
            )
            return None
        try:
            given = collect(call, [p.name for p in definition.params], ctx.env, what)
            seen = UNKNOWN if x is None else self.shape(x)  # the block reads its input as in.channels, ...
            env = bind_params(definition.params, given, block.env.child({INPUT: seen}), what, call.span)
        except EvalError as e:
            self.incomplete.add(ctx.ns.path if member.inline else ctx.ns.qualify(self.claim(member, ctx)))
            return self.report(e)
        label = _instance_label(definition, env, given)
        if member.inline:
            inner = self.transparent(ctx, "block", label, member.span, definition.name)
        else:
            inner = self.nested(member, ctx, "block", label, definition.name)
        self.graph.scopes[inner.scope].args = {p.name: env.values[p.name] for p in definition.params}
        self.instantiating.append(definition.name)
        self.instances += 1
        inner = inner.evolve(env=env, blocks=block.blocks, owner=self.instances, root=inner.ns.path, entry=x, bodies=())
        try:
            return self.sequence(definition.body, x, inner)
        except Halt:  # an assert of this instance failed: its output is unknown, the rest of the network goes on
            self.incomplete.add(inner.ns.path)
            return None
        finally:
            self.instantiating.pop()

    # ---- references and outputs ---------------------------------------------------------------------

    def reference(self, member: ast.Member, x, ctx: Ctx):
        """`@down3` as a member: the path goes on from that member's output (the chain's value is left)."""
        ref = member.item
        assert isinstance(ref, ast.Ref)  # _HANDLERS dispatches on the item's type
        if member.label is not None:
            self.diags.error(
                "a reference cannot be labelled",
                member.label_span or member.span,
                f"`{ref}` names a value computed elsewhere",
                f"use `{ref}` where the value is needed; it already has a name",
                code="name",
            )
            return None
        try:
            return evaluate(ref, ctx.env).node
        except EvalError as e:
            self.report(e)
            return None

    def resolve(self, where, ref: ast.Ref, env: Env) -> Tensor:
        """The member a reference names: its first part is searched in this namespace, then outward up to the
        enclosing block instance (lexical: a block sees only its own members); later parts descend into it."""
        path, owner, root, entry, bodies = where
        parts = [self.ref_part(part, env) for part in ref.parts]
        text = "@" + ".".join(parts)
        first, rest = parts[0], parts[1:]
        if ref.parts[0] == INPUT:
            if rest:
                raise EvalError(
                    f"`@in` has no member `{rest[0]}`",
                    ref.span,
                    "`@in` is the input itself",
                    "name the member you mean, e.g. `@stem.conv1`",
                    code="reference",
                )
            return Tensor(entry, text)
        try:
            value = env.lookup(first)
        except KeyError:
            value = None
        if isinstance(value, Tensor):  # a tensor parameter or a let bound to a reference
            if rest:
                raise EvalError(
                    f"`@{first}` has no member `{rest[0]}`",
                    ref.span,
                    f"`{first}` is a tensor passed in",
                    "pass the member itself, e.g. `skip=@enc.stage2`",
                    code="reference",
                )
            return Tensor(value.node, text)
        found = self.search(first, path, owner, root)
        if found is None:
            raise self.unresolved(ref, first, value, path, owner, root, bodies)
        full, (node, _, _) = found
        for part in rest:
            inner = f"{full}.{part}"
            if inner not in self.named and full in self.incomplete:
                raise Reported(f"`@{full}` failed to build", ref.span)  # its error is reported where it failed
            if inner not in self.named:
                children = [
                    p[len(full) + 1 :] for p in self.named if p.startswith(full + ".") and "." not in p[len(full) + 1 :]
                ]
                raise EvalError(
                    f"`@{full}` has no member `{part}`",
                    ref.span,
                    f"its members: {', '.join(children[:8])}" if children else "it has no named members",
                    did_you_mean(part, children) or "",
                    code="reference",
                )
            full, node = inner, self.named[inner][0]
        return Tensor(node, text)

    def ref_part(self, part, env: Env) -> str:
        if isinstance(part, str):
            return part
        name = evaluate(part, env)
        if not _LABEL.match(name):
            raise EvalError(
                f"`{name}` cannot name a layer" if name else "the name is empty",
                part.span,
                f'"{name}" is what the name computes to',
                "a name holds letters, digits, `_` and `-`",
                code="reference",
            )
        return name

    def search(self, name: str, path: str, owner: int, root: str):
        """(full path, entry) of the nearest member called `name`, from namespace `path` out to `root`."""
        while True:
            full = f"{path}.{name}" if path else name
            hit = self.named.get(full)
            if hit is not None and hit[1] == owner:
                return full, hit
            if path == root or not path:
                return None
            path = path.rpartition(".")[0]

    def unresolved(self, ref: ast.Ref, name: str, value, path: str, owner: int, root: str, bodies) -> EvalError:
        later = _labelled(name, bodies)
        if later is not None:
            return EvalError(
                f"`@{name}` is not computed yet",
                ref.span,
                f"`{name}` is defined at line {later.line}",
                "a reference names a member above it (or an enclosing one that has finished)",
                code="reference",
            )
        if value is not None:
            return EvalError(
                f"`{name}` is a value, not a tensor",
                ref.span,
                f"it is {describe(value)}",
                f"write `{name}` (without `@`) to use the value",
                code="reference",
            )
        if not self.incomplete.isdisjoint(_prefixes(path, root)):  # an inline instance that failed may have had it
            return Reported(f"`@{name}` may be a member of a block that failed to build", ref.span)
        visible = [
            p.rpartition(".")[2]
            for p, (_, o, _) in self.named.items()
            if o == owner and p.rpartition(".")[0] in _prefixes(path, root)
        ]
        return EvalError(
            f"no member named `{name}` here",
            ref.span,
            "not a label above this point",
            did_you_mean(name, visible)
            or (
                "a block sees only its own members: pass the tensor as a parameter, `block B(x: tensor)`"
                if owner
                else "label the member you mean: `name: layer(...)`"
            ),
            code="reference",
        )

    def output(self, stmt: ast.Output, x, ctx: Ctx):
        """`output out` / `output aux { ... }`: a network output; the chain goes on with its value unchanged."""
        try:
            name = self.ref_part(stmt.name, ctx.env)
        except EvalError as e:
            self.report(e)
            return x
        if ctx.owner:
            self.diags.error(
                "`output` belongs to the network, not to a block",
                stmt.span,
                f"inside block `{self.instantiating[-1]}`",
                "a block has one output, its last member's; declare the outputs in the network",
                code="output",
            )
            return x
        if name in self.outputs:
            first = self.outputs[name]
            self.diags.error(
                f"output `{name}` is declared twice",
                stmt.name_span,
                "declared again here",
                "every output needs its own name",
                code="output",
                related=((first, f"`{name}` is first declared here"),),
            )
            return x
        self.outputs[name] = stmt.name_span
        value = x
        if stmt.body is not None:
            value = self.sequence(stmt.body, x, self.transparent(ctx, "group", f"output {name}", stmt.span))
        if value is not None:
            self.graph.outputs.append((name, value))
        return x

    # ---- branches ---------------------------------------------------------------------------------

    def branch_ctx(self, member: ast.Member, ctx: Ctx, kind, label: str) -> Ctx:
        if member.label is not None:
            return self.nested(member, ctx, kind, label)
        return self.transparent(ctx, kind, label, member.span)

    def residual(self, member: ast.Member, x, ctx: Ctx):
        item = member.item
        assert isinstance(item, ast.Residual)
        inner = self.branch_ctx(member, ctx, "residual", _label(member) or "residual")
        body = self.sequence(item.body, x, inner)
        try:
            kind = shortcut_kind(item.shortcut, inner.env)
        except EvalError as e:
            return self.report(e)
        if kind == "none":
            return body
        join_ctx = inner
        if kind == "body":
            assert item.shortcut is not None  # shortcut_kind: "body" is a shortcut with one
            shortcut = self.explicit_shortcut(item.shortcut, x, inner)
        else:
            shortcut = SHORTCUTS[kind](self, item, x, body, inner)
        if (
            self.shape(body) is not None
            and self.shape(shortcut) is not None
            and self.shape(body) != self.shape(shortcut)
        ):
            return self.mismatch(item, kind, self.shape(body), self.shape(shortcut))
        return self.apply("add", OPS["add"].Attrs(), (body, shortcut), inner.ns.qualify("add"), join_ctx, item.span)

    def mismatch(self, item: ast.Residual, kind: str, body, shortcut) -> None:
        """A residual whose body and shortcut disagree, in those words (not `path 1` and `path 2`)."""
        fix = (
            "`shortcut auto` projects x with a 1x1 conv and batchnorm"
            if kind == "identity"
            else "make the shortcut produce the body's shape"
        )
        self.diags.error(
            "the residual's body and shortcut give different shapes",
            item.span,
            f"the body gives {fmt_shape(body)}, the {'' if kind == 'body' else kind + ' '}shortcut "
            f"gives {fmt_shape(shortcut)}",
            f"F(x) + x needs both the same: {fix}",
            code="shape",
        )

    def explicit_shortcut(self, shortcut: ast.Shortcut, x, ctx: Ctx):
        assert shortcut.body is not None  # called for a shortcut of kind "body"
        member = ast.Member(shortcut.label, ast.Group(shortcut.body, shortcut.span), shortcut.span)
        return self.sequence(shortcut.body, x, self.nested(member, ctx, "shortcut", shortcut.label or "shortcut"))

    def paths(self, member: ast.Member, x, ctx: Ctx):
        item = member.item
        assert isinstance(item, ast.Paths)  # _HANDLERS dispatches on the item's type
        inner = self.branch_ctx(member, ctx, "paths", _label(member) or item.op)
        start = len(self.graph.nodes)
        outputs = self.fanout(item.body, x, inner)
        if not outputs:
            self.diags.error(f"`{item.op}` has no paths", item.span, help="give it at least one path", code="empty")
            return None

        def sources():  # paths that bring a value from before the join (a skip, the input): where it is made
            return tuple(
                (self.graph.nodes[o].span, f"path {n} gives {fmt_shape(self.shape(o))}, made here")
                for n, o in enumerate(outputs, 1)
                if o is not None and o < start
            )

        return self.apply(
            item.op, OPS[item.op].Attrs(), tuple(outputs), inner.ns.qualify(item.op), inner, item.span, related=sources
        )


def _labelled(name: str, bodies) -> Span | None:
    """Where a member labelled `name` stands in the enclosing bodies (for a reference that comes before it)."""
    for body in reversed(bodies):
        for stmt in body:
            if isinstance(stmt, ast.Member) and stmt.label == name:
                return stmt.label_span or stmt.span
    return None


def _prefixes(path: str, root: str) -> set[str]:
    """The namespace paths from `path` out to `root`."""
    found = {path}
    while path and path != root:
        path = path.rpartition(".")[0]
        found.add(path)
    return found


def _instance_label(definition: ast.BlockDef, env: Env, given) -> str:
    """`Basic(128, stride=2)`: the call as a person writes it, leaving out arguments equal to their defaults."""
    args, positional = [], True
    for param in definition.params:
        value = env.values[param.name]
        if param.default is None and positional:
            args.append(_show(value))
            continue
        positional = False
        if param.default is None or (param.name in given and not _is_default(param, value, env)):
            args.append(f"{param.name}={_show(value)}")
    return f"{definition.name}({', '.join(args)})"


def _label(member: ast.Member) -> str | None:
    """A member's label; a computed one (`"layer{i}"`) was evaluated by `Elaborator.member` before any handler."""
    assert not isinstance(member.label, ast.Template)
    return member.label


def _is_default(param: ast.Param, value, env: Env) -> bool:
    if param.default is None:
        return False
    try:
        default = evaluate(param.default, env)
    except EvalError:
        return False
    return type(default) is type(value) and default == value


def _values_shown(expr: ast.Expr, env: Env) -> str:
    """`depth = 20, bottleneck = false`: the names an expression reads, with their values, to explain a failure."""
    names = dict.fromkeys(_names_in(expr))
    shown = []
    for name in names:
        try:
            shown.append(f"{name} = {_show(env.lookup(name))}")
        except KeyError:
            continue
    return "false with " + ", ".join(shown) if shown else ""


def _names_in(expr: ast.Expr) -> Iterator[str]:
    if isinstance(expr, ast.Name):
        yield expr.id
    for child in ast.subexpressions(expr):
        yield from _names_in(child)


def _show(value) -> str:
    return spec_text(value)


__all__ = ["Block", "Elaborator", "Given", "fmt_shape"]
