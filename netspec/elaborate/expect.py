"""ast.Expect + the names in scope -> ir.Expectation: the expected value evaluated where the statement stands."""

from __future__ import annotations

from netspec.elaborate.evaluate import Env, EvalError, evaluate
from netspec.ir import Expectation
from netspec.ops import describe
from netspec.parse import ast


def expectation(stmt: ast.Expect, env: Env, scope: int) -> Expectation:
    """The statement with its value computed; EvalError when the value is not a number or a list of them."""
    if isinstance(stmt.value, ast.Quantity):
        q = stmt.value
        tolerance = q.unit / 10**q.decimals / 2 if stmt.op == "==" else 0.0
        suffix = q.text.lstrip("0123456789_.")
        return Expectation(stmt.subject, stmt.op, q.value, q.text, tolerance, scope, stmt.span, suffix, q.decimals)
    value = evaluate(stmt.value, env)
    if not _comparable(value):
        raise EvalError(
            "`expect` compares with a number or a list of integers",
            stmt.value.span,
            f"got {describe(value)}",
            "e.g. `expect params == 11_689_512` or `expect output == [1000]`",
        )
    return Expectation(stmt.subject, stmt.op, value, _shown(value), 0.0, scope, stmt.span)


def _comparable(value) -> bool:
    if isinstance(value, tuple):
        return all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _shown(value) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return f"{value:_}" if isinstance(value, int) else f"{value:g}"
