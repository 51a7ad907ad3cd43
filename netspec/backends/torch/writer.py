"""Lines of code -> source text in `ruff format`'s layout, with a source map (generated line -> spec span).

Like jinja2's writer, with one addition: an expression that does not fit is broken as ruff format (and black)
breaks it, so that a user who formats the compiled file sees no change: the brackets open on the line, their
contents go on the next lines one level in (a call's arguments on one line if they fit there, else one per line
with a trailing comma; a list, tuple or dict one item per line), the closing bracket on a line of its own.
"""

from __future__ import annotations

import ast
import textwrap
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

from netspec.diagnostics import Span

WIDTH = 100  # docstrings are wrapped here
LINE_LENGTH = 120  # no line longer where ruff format can help it: the line length of pyproject.toml's [tool.ruff]
INDENT = "    "


@dataclass(frozen=True, slots=True)
class Call:
    """Bracketed items that may break: `head` item, item, ... `tail`.

    `kind` says how ruff format breaks them: "args" (a call's arguments or a def's parameters: on one line if they
    fit there), "items" (a list, tuple or dict literal: one per line), "chain" (operands joined by `op`, broken
    before each operator). A `bare` one is written without its brackets while it fits (`return a, b`, `a + b`).
    `alt` is how a call of a call (`getattr(self, "0")(x)`) breaks when its last brackets open too far right: in
    the first ones.
    """

    head: str
    args: tuple[str | Call, ...]
    tail: str = ")"
    kind: Literal["args", "items", "chain"] = "args"
    bare: bool = False
    op: str = "+"
    alt: Call | None = None

    def inner(self) -> str:
        return (f" {self.op} " if self.kind == "chain" else ", ").join(_flat(a) for a in self.args)

    def flat(self) -> str:
        return self.inner() if self.bare else self.head + self.inner() + self.tail


def _flat(expr: str | Call) -> str:
    return expr if isinstance(expr, str) else expr.flat()


@dataclass
class Source:
    """Generated source text, and for each line (1-based) the span of the spec text it came from."""

    text: str
    spans: dict[int, Span] = field(default_factory=dict)


@dataclass
class _Line:
    code: str
    comment: str = ""
    span: Span | None = None
    level: int = 0

    def text(self) -> str:
        code = INDENT * self.level + self.code if self.code else ""
        return code + ("  # " + self.comment if self.comment else "")


class Writer:
    """Writes indented lines, each of which may carry its spec span; expressions are broken where they overflow."""

    def __init__(self):
        self.lines: list[_Line] = []
        self.level = 0

    def line(self, code: str = "", comment: str = "", span: Span | None = None) -> None:
        self.lines.append(_Line(code, comment, span, self.level))

    def expr(self, prefix: str, expr: str | Call, suffix: str = "", span: Span | None = None, note: str = "") -> None:
        """`prefix + expr + suffix`, broken as ruff format breaks it where it does not fit; `note` is its trailing
        comment, or a comment line of its own above it when the two do not fit on one line (ruff format would
        break the code to make room for the comment)."""
        flat = prefix + _flat(expr) + suffix
        if note and self._fits(f"{flat}  # {note}"):
            self.line(flat, note, span)
            return
        if note:
            self.line(f"# {note}", span=span)
        if isinstance(expr, str) or not expr.args or self._fits(flat):
            self.line(flat, span=span)
            return
        if expr.alt is not None and not self._fits(prefix + expr.head):
            expr = expr.alt
        elif prefix.endswith(("= ", "return ")) and not self._fits(prefix + expr.head) and not expr.bare:
            with self.indented():  # a value whose brackets open too far right goes in parentheses, if that helps
                helps = self._fits(expr.head)
            if helps:
                self.line(f"{prefix}(", span=span)
                with self.indented():
                    self.expr("", expr)
                self.line(")" + suffix)
                return
        self.line(prefix + expr.head, span=span)
        with self.indented():
            self._contents(expr)
        self.line(expr.tail + suffix)

    def _contents(self, expr: Call) -> None:
        if (expr.kind != "items" or len(expr.args) == 1) and self._fits(expr.inner()):
            self.line(expr.inner())
        elif len(expr.args) == 1:
            self.expr("", expr.args[0])
        elif expr.kind == "chain":
            for n, arg in enumerate(expr.args):
                self.expr(f"{expr.op} " if n else "", arg)
        else:
            for arg in expr.args:
                self.expr("", arg, ",")

    def _fits(self, code: str) -> bool:
        return len(INDENT * self.level + code) <= LINE_LENGTH

    def blank(self, count: int = 1) -> None:
        """End with `count` empty lines (not more), unless nothing has been written yet."""
        trailing = 0
        while trailing < len(self.lines) and not self.lines[-1 - trailing].text():
            trailing += 1
        if trailing < len(self.lines):
            for _ in range(count - trailing):
                self.line()

    def docstring(self, summary: str, *paragraphs: str) -> None:
        """A docstring: the summary line, then paragraphs wrapped to the width."""
        if not paragraphs and len(INDENT * self.level + summary) + 6 <= WIDTH:
            self.line(f'"""{summary}"""')
            return
        first, *rest = textwrap.wrap(
            summary, LINE_LENGTH - len(INDENT * self.level) - 3, break_long_words=False, break_on_hyphens=False
        ) or [""]  # one with many parameters may not fit
        self.line(f'"""{first}')
        for text in rest:
            self.line(text)
        for paragraph in paragraphs:
            self.line()
            for text in textwrap.wrap(paragraph, WIDTH - len(INDENT * self.level), break_on_hyphens=False):
                self.line(text)
        self.line('"""')

    @contextmanager
    def indented(self):
        self.level += 1
        try:
            yield
        finally:
            self.level -= 1

    def source(self) -> Source:
        texts, spans = [], {}
        for number, entry in enumerate(self.lines, start=1):
            texts.append(entry.text().rstrip())
            if entry.span is not None:
                spans[number] = entry.span
        while texts and not texts[-1]:
            texts.pop()
        return Source("\n".join(texts) + "\n", spans)


def breakable(code: str) -> str | Call:
    """A line's expression (generated code, valid Python) as the Call that says where ruff format may break it:
    calls, list, tuple and dict literals, a chain of one operator; anything else stays as it is written."""
    try:
        tree = ast.parse(code, mode="eval").body
    except SyntaxError:
        return code
    if isinstance(tree, ast.BinOp) and (operands := _chain(tree, type(tree.op))) is not None:
        op = code[operands[0].end_col_offset : operands[1].col_offset].strip()
        return Call("(", tuple(_node(code, o) for o in operands), ")", "chain", bare=True, op=op)
    if isinstance(tree, ast.Tuple) and not code.lstrip().startswith("(") and len(tree.elts) > 1:
        return Call("(", tuple(_node(code, e) for e in tree.elts), ")", "items", bare=True)
    return _node(code, tree)


def _node(code: str, node: ast.expr, prefix: str = "") -> str | Call:
    text = ast.get_source_segment(code, node) or ""
    if isinstance(node, ast.Call) and node.args + node.keywords:
        func = ast.get_source_segment(code, node.func) or ""
        args = [_node(code, a) for a in node.args]
        args += [_node(code, k.value, f"{k.arg}=" if k.arg else "**") for k in node.keywords]
        callee = _node(code, node.func, prefix)
        if text != f"{func}({', '.join(map(_flat, args))})":  # not written as ruff writes it flat: left as it is
            return prefix + text
        alt = None
        if isinstance(callee, Call) and not callee.bare:  # `getattr(self, "0")(x)`
            alt = Call(callee.head, callee.args, f"{callee.tail}({', '.join(map(_flat, args))})", callee.kind)
        return Call(f"{prefix}{func}(", tuple(args), alt=alt)
    elif isinstance(node, ast.List | ast.Dict) or (isinstance(node, ast.Tuple) and len(node.elts) > 1):
        items = _items(code, node)
        brackets = {ast.List: "[]", ast.Tuple: "()", ast.Dict: "{}"}[type(node)]
        if items and text == brackets[0] + ", ".join(map(_flat, items)) + brackets[1]:
            return Call(prefix + brackets[0], tuple(items), brackets[1], "items")
    return prefix + text


def _items(code: str, node: ast.List | ast.Tuple | ast.Dict) -> list[str | Call]:
    if isinstance(node, ast.Dict):
        keys = [ast.get_source_segment(code, k) if k is not None else None for k in node.keys]
        return [_node(code, v, f"{k}: " if k is not None else "**") for k, v in zip(keys, node.values, strict=True)]
    return [_node(code, e) for e in node.elts]


def _chain(node: ast.expr, op: type) -> list[ast.expr] | None:
    """The operands of `a op b op c` (left-associative, one operator), or None."""
    if not isinstance(node, ast.BinOp) or not isinstance(node.op, op):
        return [node] if not isinstance(node, ast.BinOp) else None
    left = _chain(node.left, op)
    return None if left is None or isinstance(node.right, ast.BinOp) else [*left, node.right]
