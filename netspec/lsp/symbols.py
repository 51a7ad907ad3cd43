"""ast.Spec -> Index: every name a file defines (blocks, parameters, lets, loop variables, labels, imports) and
every use of one, resolved through the scopes the language has. Go-to-definition, references, rename,
completion and the outline read it."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path

from netspec.diagnostics import NetspecError, Span
from netspec.parse import ast, parse

_BODIES = ("body", "then", "orelse")  # fields that hold a body: a scope of their own


@dataclass(eq=False)
class Symbol:
    name: str
    kind: str  # "network", "block", "param", "let", "var", "label", "import"
    span: Span  # the name where it is defined
    extent: Span  # the whole definition
    detail: str
    owner: Span | None = None  # the block or network whose body it belongs to
    params: tuple[ast.Param, ...] = ()  # a block's, for completion and keyword arguments
    target: Symbol | None = None  # an import: the block in the library


@dataclass(frozen=True, slots=True)
class Ref:
    name: str
    span: Span
    target: Symbol | None  # None: a layer, a builtin, or unknown


@dataclass
class _Scope:
    parent: _Scope | None
    names: dict[str, Symbol] = field(default_factory=dict)
    blocks: dict[str, Symbol] = field(default_factory=dict)
    owner: Span | None = None

    def find(self, name: str, blocks: bool = False) -> Symbol | None:
        scope: _Scope | None = self
        while scope is not None:
            found = (scope.blocks if blocks else scope.names).get(name)
            if found is not None:
                return found
            scope = scope.parent
        return None


class Index:
    """The definitions and references of one file; imported libraries are read for their blocks."""

    def __init__(self, spec: ast.Spec, text: str):
        self.path = spec.file
        self.lines = text.splitlines()
        self.defs: list[Symbol] = []
        self.refs: list[Ref] = []
        top = _Scope(None)
        for imp in spec.imports:
            self._import(imp, top)
        for block in spec.blocks:
            self._define_block(block, top)
        nodes = [*getattr(spec, "defs", ()), *spec.blocks, *spec.networks]
        for node in sorted(nodes, key=lambda n: (n.span.line, n.span.col)):
            self.visit(node, top)

    # ---- lookups ----------------------------------------------------------------------------------

    def at(self, line: int, col: int) -> Symbol | None:
        """The symbol whose definition or use covers 1-based (line, col)."""
        for ref in self.refs:
            if _covers(ref.span, line, col):
                return ref.target
        return next((d for d in self.defs if _covers(d.span, line, col)), None)

    def uses(self, symbol: Symbol) -> list[Span]:
        """The definition (when in this file) and every use of `symbol`."""
        spans = [symbol.span] if symbol.span.file == self.path else []
        return spans + [
            r.span
            for r in self.refs
            if r.target is symbol or (r.target is not None and r.target.kind == "import" and r.target.target is symbol)
        ]

    def visible(self, line: int, col: int) -> list[Symbol]:
        """Values and blocks one could write at (line, col)."""
        out = []
        for d in self.defs:
            inside = d.owner is None or _covers(d.owner, line, col)
            if inside and d.kind in ("block", "param", "let", "var", "import", "def"):
                out.append(d)
        return out

    # ---- walking ----------------------------------------------------------------------------------

    def visit(self, node, scope: _Scope) -> None:
        method = getattr(self, "visit_" + type(node).__name__, None)
        if method is not None:
            method(node, scope)
        else:
            self.generic(node, scope)

    def generic(self, node, scope: _Scope) -> None:
        """Every field of a node: bodies in a scope of their own, so new constructs are covered as they come."""
        if isinstance(node, tuple):
            for item in node:
                self.visit(item, scope)
            return
        if not dataclasses.is_dataclass(node):
            return
        for f in dataclasses.fields(node):
            value = getattr(node, f.name)
            if f.name in _BODIES and isinstance(value, tuple):
                self.body(value, _Scope(scope, owner=scope.owner))
            elif isinstance(value, tuple) or dataclasses.is_dataclass(value):
                self.visit(value, scope)

    def body(self, stmts, scope: _Scope) -> None:
        for stmt in stmts:
            if isinstance(stmt, ast.BlockDef):
                self._define_block(stmt, scope)
        for stmt in stmts:
            self.visit(stmt, scope)

    def visit_NetworkDef(self, node: ast.NetworkDef, scope: _Scope) -> None:
        self.defs.append(Symbol(node.name, "network", node.name_span, node.span, f"network {node.name}"))
        self._definition(node, scope)

    def visit_BlockDef(self, node: ast.BlockDef, scope: _Scope) -> None:
        self._definition(node, scope)

    def _definition(self, node, scope: _Scope) -> None:
        inner = _Scope(scope, owner=node.span)
        for param in node.params:
            if param.default is not None:
                self.visit(param.default, scope)
            span = Span(
                param.span.file, param.span.line, param.span.col, param.span.line, param.span.col + len(param.name)
            )
            self._define(Symbol(param.name, "param", span, param.span, _param(param), node.span), inner)
        self.body(node.body, inner)

    def visit_Let(self, node: ast.Let, scope: _Scope) -> None:
        self.visit(node.value, scope)
        span = self._word(node.span, node.name, skip=3)
        self._define(Symbol(node.name, "let", span, node.span, f"let {node.name}", scope.owner), scope)

    def visit_For(self, node: ast.For, scope: _Scope) -> None:
        self.visit(node.iterable, scope)
        inner = _Scope(scope, owner=scope.owner)
        span = self._word(node.span, node.var, skip=3)
        self._define(Symbol(node.var, "var", span, node.span, f"for {node.var} (a loop variable)", node.span), inner)
        self.body(node.body, inner)

    def visit_Member(self, node: ast.Member, scope: _Scope) -> None:
        if isinstance(node.label, str) and node.label_span is not None:
            self.defs.append(Symbol(node.label, "label", node.label_span, node.span, node.label, scope.owner))
        elif node.label is not None:  # `"layer{i}":`: its expressions use names
            self.visit(node.label, scope)
        self.visit(node.item, scope)

    def visit_Def(self, node, scope: _Scope) -> None:
        inner = _Scope(scope, owner=node.span)
        for name in node.params:
            span = self._word(node.span, name, skip=4 + len(node.name))
            self._define(
                Symbol(name, "param", span, node.span, f"{name} (a parameter of {node.name})", node.span), inner
            )
        self.visit(node.body, inner)
        detail = f"def {node.name}({', '.join(node.params)})"
        self._define(Symbol(node.name, "def", node.name_span, node.span, detail, scope.owner), scope)

    def visit_FuncCall(self, node, scope: _Scope) -> None:
        found = scope.find(node.name)
        self.refs.append(
            Ref(node.name, self._word(node.span, node.name), found if found and found.kind == "def" else None)
        )
        for arg in node.args:
            self.visit(arg, scope)

    def visit_Call(self, node: ast.Call, scope: _Scope) -> None:
        block = scope.find(node.name, blocks=True)
        self.refs.append(Ref(node.name, node.name_span, block))
        definition = block.target if block is not None and block.kind == "import" else block
        params = {p.name: p for p in definition.params} if definition is not None else {}
        owner = definition.extent if definition is not None else None
        for arg in node.args:
            if arg.name is not None:
                target = (
                    next((d for d in self.defs if d.kind == "param" and d.owner == owner and d.name == arg.name), None)
                    if arg.name in params
                    else None
                )
                span = Span(arg.span.file, arg.span.line, arg.span.col, arg.span.line, arg.span.col + len(arg.name))
                self.refs.append(Ref(arg.name, span, target))
            self.visit(arg.value, scope)

    def visit_Comprehension(self, node: ast.Comprehension, scope: _Scope) -> None:
        self.visit(node.iterable, scope)
        inner = _Scope(scope, owner=scope.owner)
        at = node.item.span
        span = self._word(
            Span(at.file, at.end_line, at.end_col, node.span.end_line, node.span.end_col), node.var, skip=0
        )
        self._define(
            Symbol(node.var, "var", span, node.span, f"{node.var} (a comprehension variable)", node.span), inner
        )
        self.visit(node.item, inner)
        if node.test is not None:
            self.visit(node.test, inner)

    def visit_Ref(self, node: ast.Ref, scope: _Scope) -> None:
        """`@enc.s1`: its first name is a tensor parameter or `let`, else the nearest label above it in this
        block or network (go to definition, references and rename follow named skips)."""
        first = node.parts[0]
        for part in node.parts:
            if not isinstance(part, str):
                self.visit(part, scope)
        if not isinstance(first, str) or first == "in":
            return
        target = scope.find(first)
        if target is None or target.kind not in ("param", "let"):
            target = next(
                (d for d in reversed(self.defs) if d.kind == "label" and d.name == first and d.owner == scope.owner),
                None,
            )
        at = node.span
        self.refs.append(Ref(first, Span(at.file, at.line, at.col + 1, at.line, at.col + 1 + len(first)), target))

    def visit_Name(self, node: ast.Name, scope: _Scope) -> None:
        self.refs.append(Ref(node.id, node.span, scope.find(node.id)))

    # ---- definitions ------------------------------------------------------------------------------

    def _define(self, symbol: Symbol, scope: _Scope) -> None:
        self.defs.append(symbol)
        scope.names[symbol.name] = symbol

    def _define_block(self, node: ast.BlockDef, scope: _Scope) -> None:
        if node.name in scope.blocks:
            return
        params = ", ".join(_param(p) for p in node.params)
        symbol = Symbol(
            node.name, "block", node.name_span, node.span, f"block {node.name}({params})", scope.owner, node.params
        )
        self.defs.append(symbol)
        scope.blocks[node.name] = symbol

    def _import(self, imp: ast.Import, scope: _Scope) -> None:
        library = self._library(imp.path)
        blocks = {b.name: b for b in library.blocks} if library is not None else {}
        for name in imp.names if imp.names is not None else list(blocks):
            found = blocks.get(name)
            target = None
            if found is not None:
                params = ", ".join(_param(p) for p in found.params)
                target = Symbol(
                    name, "block", found.name_span, found.span, f"block {name}({params})", None, found.params
                )
            span = self._word(imp.span, name, skip=len(imp.path) + 6) if imp.names is not None else imp.span
            symbol = Symbol(
                name, "import", span, imp.span, f'from "{imp.path}"', None, target.params if target else (), target
            )
            self.defs.append(symbol)
            scope.blocks[name] = symbol

    def _library(self, relative: str) -> ast.Spec | None:
        path = Path(self.path).parent / relative
        try:
            return parse(path.read_text(encoding="utf-8"), str(path))
        except (OSError, ValueError, NetspecError):
            return None

    def _word(self, within: Span, word: str, skip: int = 0) -> Span:
        """The span of `word` as a whole word in the text of `within`, after `skip` characters."""
        for line in range(within.line, within.end_line + 1):
            text = self.lines[line - 1] if line <= len(self.lines) else ""
            start = within.col - 1 + skip if line == within.line else 0
            found = re.compile(rf"\b{re.escape(word)}\b").search(text, start)
            if found:
                return Span(within.file, line, found.start() + 1, line, found.end() + 1)
        return within


def _param(param: ast.Param) -> str:
    from netspec.format.exprs import ExprPrinter

    default = f" = {ExprPrinter([]).text(param.default)}" if param.default is not None else ""
    return f"{param.name}: {param.type}{default}"


def _covers(span: Span, line: int, col: int) -> bool:
    return (span.line, span.col) <= (line, col) <= (span.end_line, span.end_col)
