"""Expressions -> values (int, float, bool, str, tuple), with bounds so no input can blow up."""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Any

from netspec.diagnostics import Span, did_you_mean
from netspec.ops import describe
from netspec.parse import ast

MAX_VALUE = 2**62
MAX_LIST = 100_000
MAX_STRING = 10_000
MAX_DEPTH = 16  # lists inside lists

Value = int | float | bool | str | tuple


class EvalError(Exception):
    def __init__(self, message: str, span: Span, label: str = "", help: str = "", more: tuple = (),
                 code: str = "value"):
        super().__init__(message)
        self.message, self.span, self.label, self.help, self.code = message, span, label, help, code
        self.more: tuple[EvalError, ...] = more  # further errors found in the same place (a call's other arguments)


class Reported(EvalError):
    """An error that follows from one already reported (a name whose `let` failed): not shown again."""


class _Unknown:
    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN = _Unknown()  # the value of a name whose definition failed


@dataclass
class Env:
    """Names in scope: parameters and `let`s of this body, then the enclosing ones (lexical)."""

    values: dict[str, Any] = field(default_factory=dict)
    parent: Env | None = None

    def lookup(self, name: str) -> Any:
        env: Env | None = self
        while env is not None:
            if name in env.values:
                return env.values[name]
            env = env.parent
        raise KeyError(name)

    def names(self) -> set[str]:
        env, found = self, set()
        while env is not None:
            found |= env.values.keys()
            env = env.parent
        return found

    def child(self, values: dict[str, Any] | None = None) -> Env:
        return Env(dict(values or {}), self)


def _range(span: Span, *args: Any) -> tuple:
    if not 1 <= len(args) <= 3 or not all(_is_int(a) for a in args):
        raise EvalError("range takes 1 to 3 integers", span, help="range(n), range(start, stop) or range(a, b, step)")
    if len(args) == 3 and args[2] == 0:
        raise EvalError("range step cannot be 0", span)
    r = range(*args)
    if len(r) > MAX_LIST:
        raise EvalError(f"range of {len(r):,} items is too long", span, help=f"the limit is {MAX_LIST:,}")
    return tuple(r)


def _len(span: Span, *args: Any) -> int:
    if len(args) != 1 or not isinstance(args[0], (tuple, str)):
        raise EvalError("len takes one list or string", span)
    return len(args[0])


def _numbers(name: str, fn):
    def call(span: Span, *args: Any):
        items = args[0] if len(args) == 1 and isinstance(args[0], tuple) else args
        if not items or not all(_is_number(a) for a in items):
            raise EvalError(f"{name} takes numbers, or one list of numbers", span)
        return fn(items)

    return call


def _abs(span: Span, *args: Any):
    if len(args) != 1 or not _is_number(args[0]):
        raise EvalError("abs takes one number", span)
    return abs(args[0])


BUILTINS = {
    "range": _range,
    "len": _len,
    "min": _numbers("min", min),
    "max": _numbers("max", max),
    "sum": _numbers("sum", sum),
    "abs": _abs,
}

CONSTANTS = {"same": "same", "valid": "valid"}




def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


_ARITH = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
          "//": operator.floordiv, "%": operator.mod, "**": operator.pow}
_COMPARE = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
            ">": operator.gt, ">=": operator.ge}


def evaluate(expr: ast.Expr, env: Env) -> Value:
    """The value of an expression; EvalError (with the span of the failing part) otherwise."""
    return _EVAL[type(expr)](expr, env)


def _literal(e: ast.Literal, env: Env) -> Value:
    return e.value


def _name(e: ast.Name, env: Env) -> Value:
    try:
        value = env.lookup(e.id)
    except KeyError:
        value = None
    if value is UNKNOWN:
        raise Reported(f"`{e.id}` is unknown: its definition failed", e.span)
    if value is not None:
        return value
    if e.id in CONSTANTS:
        return CONSTANTS[e.id]
    raise EvalError(f"unknown name `{e.id}`", e.span, "not a parameter or `let` in scope",
                    _PYTHON_NAMES.get(e.id) or did_you_mean(e.id, env.names() | CONSTANTS.keys()), code="unknown-name")


_PYTHON_NAMES = {"True": "booleans are written in lower case: `true`", "False": "booleans are written in lower case: "
                 "`false`", "None": "there is no `None`; leave the argument out to take its default"}


def _list(e: ast.ListExpr, env: Env) -> Value:
    return _bounded_list(tuple(evaluate(item, env) for item in e.items), e.span)


def _unary(e: ast.Unary, env: Env) -> Value:
    value = evaluate(e.operand, env)
    if e.op == "not":
        return not _truth(value, e.operand.span)
    if not _is_number(value):
        raise EvalError(f"`{e.op}` needs a number", e.span, f"got {describe(value)}")
    return -value if e.op == "-" else value


def _truth(value: Value, span: Span) -> bool:
    if not isinstance(value, bool):
        raise EvalError("expected true or false", span, f"got {describe(value)}", "compare it, e.g. `n > 0`")
    return value


def _binary(e: ast.Binary, env: Env) -> Value:
    if e.op in ("and", "or"):
        left = _truth(evaluate(e.left, env), e.left.span)
        if left == (e.op == "or"):
            return left
        return _truth(evaluate(e.right, env), e.right.span)
    left, right = evaluate(e.left, env), evaluate(e.right, env)
    if e.op in _COMPARE:
        return _compare(e, left, right)
    if e.op == "in":
        return _contains(e, left, right)
    return _arith(e, left, right)


def _compare(e: ast.Binary, left: Value, right: Value) -> bool:
    if e.op in ("==", "!="):
        return _COMPARE[e.op](left, right)
    if _is_number(left) and _is_number(right) or type(left) is type(right) and isinstance(left, str):
        return _COMPARE[e.op](left, right)
    raise EvalError(f"cannot compare {describe(left)} with {describe(right)}", e.span)


def _contains(e: ast.Binary, left: Value, right: Value) -> bool:
    if isinstance(right, tuple):
        return left in right
    if isinstance(right, str) and isinstance(left, str):
        return left in right
    raise EvalError("`in` needs a list on its right", e.right.span, f"got {describe(right)}",
                    "e.g. `depth in [18, 34, 50]`")


def _arith(e: ast.Binary, left: Value, right: Value) -> Value:
    if e.op == "+" and isinstance(left, tuple) and isinstance(right, tuple):
        return _bounded_list(left + right, e.span)
    if e.op == "+" and isinstance(left, str) and isinstance(right, str):
        return _bounded_str(left + right, e.span)
    if not (_is_number(left) and _is_number(right)):
        raise EvalError(f"`{e.op}` needs numbers", e.span, f"got {describe(left)} and {describe(right)}")
    if e.op in ("/", "//", "%") and right == 0:
        raise EvalError("division by zero", e.right.span, f"`{e.op}` by 0")
    if e.op == "**" and left == 0 and right < 0:
        raise EvalError("division by zero", e.span, f"0 ** {right} is 1 / 0 ** {-right}")
    if e.op == "**" and _is_int(left) and _is_int(right) and right > 64 and abs(left) > 1:
        # refused before computing: 3 ** 10**18 would never finish (float powers are fast, and checked below)
        raise EvalError("number too large", e.span, f"{left} ** {right}", "values are limited to 2**62")
    try:
        result = _ARITH[e.op](left, right)
    except OverflowError:  # float ** float beyond 1e308
        raise EvalError("number too large", e.span, f"{left} {e.op} {right}", "values are limited to 2**62") from None
    if isinstance(result, complex):
        raise EvalError("result is not a real number", e.span, f"({left}) ** {right}",
                        "a negative number has no real fractional power")
    if abs(result) > MAX_VALUE or result != result:
        raise EvalError("number too large", e.span, f"{left} {e.op} {right}", "values are limited to 2**62")
    return result


def _bounded_list(items: tuple, span: Span) -> tuple:
    """A list within MAX_LIST items, counted through nested lists (`let b = [a, a]` doubles), and MAX_DEPTH deep."""
    size, depth = _measure(items, {})
    if size > MAX_LIST:
        raise EvalError(f"list of {size:,} items is too long", span,
                        "counting the items of nested lists", f"the limit is {MAX_LIST:,}")
    if depth > MAX_DEPTH:
        raise EvalError(f"lists are nested more than {MAX_DEPTH} deep", span, help="use a flatter list")
    return items


def _measure(value: tuple, seen: dict[int, tuple[int, int]]) -> tuple[int, int]:
    """(items, nesting depth) of a list and every list inside it; a shared inner list is measured once."""
    if id(value) not in seen:
        inner = [_measure(v, seen) for v in value if isinstance(v, tuple)]
        seen[id(value)] = (len(value) + sum(n for n, _ in inner), 1 + max((d for _, d in inner), default=0))
    return seen[id(value)]


def _bounded_str(text: str, span: Span) -> str:
    if len(text) > MAX_STRING:
        raise EvalError(f"string of {len(text):,} characters is too long", span, help=f"the limit is {MAX_STRING:,}")
    return text


def _cond(e: ast.Cond, env: Env) -> Value:
    return evaluate(e.then if _truth(evaluate(e.test, env), e.test.span) else e.orelse, env)


def _index(e: ast.Index, env: Env) -> Value:
    target, index = evaluate(e.target, env), evaluate(e.index, env)
    if not isinstance(target, (tuple, str)):
        raise EvalError("only lists can be indexed", e.target.span, f"got {describe(target)}")
    if not _is_int(index):
        raise EvalError("a list index must be an integer", e.index.span, f"got {describe(index)}")
    if not -len(target) <= index < len(target):
        raise EvalError("list index out of range", e.index.span,
                        f"index {index}, but the list has {len(target)} item{'s' * (len(target) != 1)}")
    return target[index]


def _func(e: ast.FuncCall, env: Env) -> Value:
    fn = BUILTINS.get(e.name)
    if fn is None:
        raise EvalError(f"unknown function `{e.name}`", e.span, "",
                        did_you_mean(e.name, BUILTINS) or f"functions: {', '.join(sorted(BUILTINS))}", code="unknown-name")
    return fn(e.span, *(evaluate(a, env) for a in e.args))


_EVAL = {ast.Literal: _literal, ast.Name: _name, ast.ListExpr: _list, ast.Unary: _unary, ast.Binary: _binary,
         ast.Cond: _cond, ast.Index: _index, ast.FuncCall: _func}
