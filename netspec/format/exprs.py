"""ast expressions -> canonical text: one method per expression kind, parentheses only where precedence needs them."""

from __future__ import annotations

from netspec.parse import ast
from netspec.values import spec_text

# Binding strength of each operator, as grammars/netspec.lark layers them; an atom binds tightest.
COND, OR, AND, NOT, COMPARE, SUM, PRODUCT, UNARY, POWER, POSTFIX = range(10)
_BINARY = {
    "or": OR,
    "and": AND,
    "in": COMPARE,
    "+": SUM,
    "-": SUM,
    "*": PRODUCT,
    "/": PRODUCT,
    "//": PRODUCT,
    "%": PRODUCT,
    "**": POWER,
}
_COMPARISONS = ("==", "!=", "<=", ">=", "<", ">")


class ExprPrinter:
    """Expressions -> text. Numbers keep the digits the author wrote (`1_000`, `1e-5`)."""

    def __init__(self, lines: list[str]):
        self.lines = lines

    def text(self, node: ast.Expr, floor: int = COND) -> str:
        """`node` as text, in parentheses when it binds more loosely than `floor`."""
        out, strength = getattr(self, type(node).__name__)(node)
        return f"({out})" if strength < floor else out

    def Literal(self, node: ast.Literal):
        value = node.value
        if isinstance(value, bool | str):
            return spec_text(value), POSTFIX + 1
        return self._written(node.span) or spec_text(value), POSTFIX + 1

    def _written(self, span) -> str:
        if span.line != span.end_line or span.line > len(self.lines):
            return ""
        return self.lines[span.line - 1][span.col - 1 : span.end_col - 1]

    def Name(self, node: ast.Name):
        return node.id, POSTFIX + 1

    def ListExpr(self, node: ast.ListExpr):
        return "[" + ", ".join(self.text(item) for item in node.items) + "]", POSTFIX + 1

    def TableExpr(self, node: ast.TableExpr):
        entries = (f"{self.text(k)}: {self.text(v)}" for k, v in node.entries)
        return "{" + ", ".join(entries) + "}", POSTFIX + 1

    def FuncCall(self, node: ast.FuncCall):
        return f"{node.name}(" + ", ".join(self.text(a) for a in node.args) + ")", POSTFIX

    def Index(self, node: ast.Index):
        return f"{self.text(node.target, POSTFIX)}[{self.text(node.index)}]", POSTFIX

    def Unary(self, node: ast.Unary):
        if node.op == "not":
            return "not " + self.text(node.operand, NOT), NOT
        operand = self.text(node.operand, UNARY)
        return node.op + (" " if operand[0] in "+-" else "") + operand, UNARY

    def Binary(self, node: ast.Binary):
        if node.op in _COMPARISONS or node.op == "in":  # not associative: both sides are sums
            return f"{self.text(node.left, SUM)} {node.op} {self.text(node.right, SUM)}", COMPARE
        strength = _BINARY[node.op]
        if node.op == "**":  # right-associative; its right side is a unary
            return f"{self.text(node.left, POSTFIX)} ** {self.text(node.right, UNARY)}", POWER
        return f"{self.text(node.left, strength)} {node.op} {self.text(node.right, strength + 1)}", strength

    def Cond(self, node: ast.Cond):
        test, then = self.text(node.test, OR), self.text(node.then, OR)
        return f"if {test} then {then} else {self.text(node.orelse)}", COND

    def InputAttr(self, node):
        return f"in.{node.attr}", POSTFIX + 1

    def Slice(self, node):
        start = self.text(node.start) if node.start is not None else ""
        stop = self.text(node.stop) if node.stop is not None else ""
        return f"{self.text(node.target, POSTFIX)}[{start}:{stop}]", POSTFIX

    def Comprehension(self, node):
        test = f" if {self.text(node.test, OR)}" if node.test is not None else ""
        return f"[{self.text(node.item)} for {node.var} in {self.text(node.iterable, OR)}{test}]", POSTFIX + 1

    def Ref(self, node):
        """`@backbone.layer3`, `@"down{i}"`, `@in`."""
        return "@" + ".".join(p if isinstance(p, str) else self.text(p) for p in node.parts), POSTFIX + 1

    def Template(self, node):
        """`"denselayer{i + 1}"`: text parts as written, expression parts in braces."""
        parts = (p if isinstance(p, str) else "{" + self.text(p) + "}" for p in node.parts)
        return '"' + "".join(parts) + '"', POSTFIX + 1
