"""Expressions -> values (int, float, bool, str, tuple, Table), with bounds so no input can blow up."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import field
from typing import Any, TypeGuard, TypeVar, overload

from netspec.diagnostics import Span, did_you_mean
from netspec.ops import describe
from netspec.ops.base import Table, Tensor
from netspec.parse import ast
from netspec.records import record
from netspec.values import spec_text

MAX_VALUE = 2**62
MAX_LIST = 100_000
MAX_STRING = 10_000
MAX_DEPTH = 16  # lists inside lists
MAX_ITERATIONS = 200_000  # items computed by list comprehensions in one elaboration (nested ones multiply)

Value = int | float | bool | str | tuple | Table | Tensor  # a Tensor: what a reference `@name` evaluates to


T = TypeVar("T", tuple, Table)


class EvalError(Exception):
    def __init__(
        self, message: str, span: Span, label: str = "", help: str = "", more: tuple = (), code: str = "value"
    ):
        super().__init__(message)
        self.message, self.span, self.label, self.help, self.code = message, span, label, help, code
        self.more: tuple[EvalError, ...] = more  # further errors found in the same place (a call's other arguments)
        self.related: tuple[tuple[Span, str], ...] = ()  # other places that explain it (where a key was first written)


class Reported(EvalError):
    """An error that follows from one already reported (a name whose `let` failed): not shown again."""


class _Unknown:
    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN = _Unknown()  # the value of a name whose definition failed


@record(frozen=False)
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
        env: Env | None = self
        found: set[str] = set()
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
    if len(args) == 1 and isinstance(args[0], Table):
        return len(args[0].entries)
    if len(args) != 1 or not isinstance(args[0], (tuple, str)):
        raise EvalError("len takes one list, string or table", span)
    return len(args[0])


def _numbers(name: str, fn, empty: Any = None):
    def call(span: Span, *args: Any):
        items = args[0] if len(args) == 1 and isinstance(args[0], tuple) else args
        if not items and empty is not None and len(args) == 1:  # sum([]) is 0, as in Python
            return empty
        if not items or not all(_is_number(a) for a in items):
            raise EvalError(f"{name} takes numbers, or one list of numbers", span)
        return fn(items)

    return call


def _abs(span: Span, *args: Any):
    if len(args) != 1 or not _is_number(args[0]):
        raise EvalError("abs takes one number", span)
    return abs(args[0])


def _one_number(name: str, fn, check=None):
    """A builtin of one number: int, float, round, floor, ceil, sqrt, log2, log."""

    def call(span: Span, *args: Any):
        if len(args) != 1 or not _is_number(args[0]):
            got = f"got {describe(args[0])}" if len(args) == 1 else f"got {len(args)} arguments"
            raise EvalError(f"{name} takes one number", span, got)
        if check is not None and not check(args[0]):
            raise EvalError(f"{name} of {args[0]} is not defined", span, "needs a positive number")
        return fn(args[0])

    return call


def _positive(x) -> bool:
    return x > 0


def _integral(fn):
    """int/round/floor/ceil of a float beyond the value limit, or of nan, would not be a number."""

    def call(x):
        if isinstance(x, float) and not math.isfinite(x):
            raise OverflowError
        return fn(x)

    return call


BUILTINS = {
    "range": _range,
    "len": _len,
    "min": _numbers("min", min),
    "max": _numbers("max", max),
    "sum": _numbers("sum", sum, empty=0),
    "abs": _abs,
    "int": _one_number("int", _integral(int)),  # toward zero, as Python's int()
    "float": _one_number("float", float),
    "round": _one_number("round", _integral(round)),  # to the nearest integer, halves to even (as Python, numpy)
    "floor": _one_number("floor", _integral(math.floor)),
    "ceil": _one_number("ceil", _integral(math.ceil)),
    "sqrt": _one_number("sqrt", math.sqrt, lambda x: x >= 0),
    "log": _one_number("log", math.log, _positive),
    "log2": _one_number("log2", math.log2, _positive),
}
MAX_CALL_DEPTH = 8  # functions calling functions: each def may call only those defined before it


@record(slots=True)
class Function:
    """A user function (`def f(a, b) = ...`): its definition, the names it closes over, the functions it calls."""

    definition: ast.Def
    env: Env
    depth: int  # 1 + the deepest function it calls
    callees: tuple[tuple[str, Function], ...]  # resolved where it is defined, so it never reaches itself


def define(d: ast.Def, env: Env) -> Function:
    """A `def` checked where it stands: distinct parameters, and every call to a builtin or an earlier def."""
    if d.name in BUILTINS:
        raise EvalError(
            f"`{d.name}` is a builtin function", d.name_span, "cannot be redefined", "give your function another name"
        )
    if len(set(d.params)) != len(d.params):
        raise EvalError(f"`{d.name}` names a parameter twice", d.span)
    depth, callees = 1, {}
    for call in _calls(d.body):
        callee = _callee(call.name, env)
        if call.name == d.name and not isinstance(callee, Function):
            raise EvalError(
                f"`{d.name}` calls itself",
                call.span,
                "functions cannot be recursive",
                "write the steps out, or use a block with repeat/for",
                code="recursion",
            )
        if callee is None:
            raise EvalError(
                f"unknown function `{call.name}`",
                call.span,
                "not defined before this `def`",
                did_you_mean(call.name, _functions(env)) or "define it first",
                code="unknown-name",
            )
        if isinstance(callee, Function) and call.name not in d.params:
            depth = max(depth, callee.depth + 1)
            callees[call.name] = callee
    if depth > MAX_CALL_DEPTH:
        raise EvalError(f"`{d.name}` nests function calls more than {MAX_CALL_DEPTH} deep", d.span)
    return Function(d, env, depth, tuple(callees.items()))


def bind_function(d: ast.Def, env: Env) -> None:
    """A `def` into the names of its body or file; EvalError if it is wrong (its name is then UNKNOWN, so its
    calls are not reported again) or the name is taken there."""
    if d.name in env.values:
        raise EvalError(
            f"`{d.name}` is already defined here", d.name_span, help="use another name", code="duplicate-name"
        )
    try:
        env.values[d.name] = define(d, env)
    except EvalError:
        env.values[d.name] = UNKNOWN
        raise


def _calls(expr: ast.Expr) -> list[ast.FuncCall]:
    found, stack = [], [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FuncCall):
            found.append(node)
        stack.extend(ast.subexpressions(node))
    return found


def _defined(name: str, env: Env):
    try:
        return env.lookup(name)
    except KeyError:
        return None


def _callee(name: str, env: Env):
    """What a call of `name` runs: a user function in scope, else the builtin of that name, else None."""
    try:
        value = env.lookup(name)
    except KeyError:
        value = None
    return value if isinstance(value, Function) else BUILTINS.get(name)


def _functions(env: Env) -> list[str]:
    env_names = [n for n in env.names() if isinstance(_callee(n, env), Function)]
    return env_names + list(BUILTINS)


def _call_user(fn: Function, span: Span, args: tuple) -> Value:
    d = fn.definition
    if len(args) != len(d.params):
        raise EvalError(
            f"`{d.name}` takes {len(d.params)} argument{'s' * (len(d.params) != 1)}",
            span,
            f"got {len(args)}",
            f"def {d.name}({', '.join(d.params)})",
        )
    return evaluate(d.body, fn.env.child({**dict(fn.callees), **dict(zip(d.params, args, strict=True))}))


CONSTANTS = {"same": "same", "valid": "valid"}


def _is_int(v: Any) -> TypeGuard[int]:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> TypeGuard[int | float]:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


_ARITH = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "//": operator.floordiv,
    "%": operator.mod,
    "**": operator.pow,
}
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {  # callers check that the operands compare
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


@overload
def evaluate(expr: ast.Template, env: Env) -> str: ...
@overload
def evaluate(expr: ast.Ref, env: Env) -> Tensor: ...
@overload
def evaluate(expr: ast.Expr, env: Env) -> Value: ...
def evaluate(expr: ast.Expr, env: Env) -> Value:
    """The value of an expression; EvalError (with the span of the failing part) otherwise. A label template
    gives a string, a reference the tensor it names."""
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
    if isinstance(value, Function):
        raise EvalError(f"`{e.id}` is a function", e.span, "not a value", f"call it: {e.id}(...)")
    if isinstance(value, Tensor):
        raise EvalError(
            f"`{e.id}` is a tensor",
            e.span,
            "not a number: a tensor parameter is used as `@" + e.id + "`",
            f"write `@{e.id}` to use it as a path or pass it on",
            code="type",
        )
    if value is not None:
        return value
    if e.id in CONSTANTS:
        return CONSTANTS[e.id]
    raise EvalError(
        f"unknown name `{e.id}`",
        e.span,
        "not a parameter or `let` in scope",
        _PYTHON_NAMES.get(e.id) or did_you_mean(e.id, env.names() | CONSTANTS.keys()),
        code="unknown-name",
    )


_PYTHON_NAMES = {
    "True": "booleans are written in lower case: `true`",
    "False": "booleans are written in lower case: `false`",
    "None": "there is no `None`; leave the argument out to take its default",
}


def _list(e: ast.ListExpr, env: Env) -> Value:
    return _bounded_list(tuple(evaluate(item, env) for item in e.items), e.span)


def _table(e: ast.TableExpr, env: Env) -> Value:
    """`{"b0": 1.0, "b1": 1.1}`: keys are strings or integers, each written once."""
    entries: list[tuple[str | int, Value]] = []
    seen: dict[str | int, ast.Expr] = {}
    for key_expr, value_expr in e.entries:
        key = evaluate(key_expr, env)
        if not (isinstance(key, str) or _is_int(key)):
            raise EvalError(
                "a table key must be a string or an integer",
                key_expr.span,
                f"got {describe(key)}",
                'e.g. `{"small": 1, "large": 2}`',
            )
        if key in seen:  # str and int keys never compare equal; bools are refused above
            error = EvalError(
                f"the table has the key {spec_text(key)} twice",
                key_expr.span,
                "written again here",
                "each key names one value: remove or rename one of them",
            )
            error.related = ((seen[key].span, "first written here"),)
            raise error
        seen[key] = key_expr
        entries.append((key, evaluate(value_expr, env)))
    return _bounded_list(Table(tuple(entries)), e.span)


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
        first = _truth(evaluate(e.left, env), e.left.span)
        if first == (e.op == "or"):
            return first
        return _truth(evaluate(e.right, env), e.right.span)
    left, right = evaluate(e.left, env), evaluate(e.right, env)
    if e.op in _COMPARE:
        return _compare(e, left, right)
    if e.op == "in":
        return _contains(e, left, right)
    return _arith(e, left, right)


def _compare(e: ast.Binary, left: Value, right: Value) -> bool:
    if e.op in ("==", "!="):
        return _equal(left, right) == (e.op == "==")
    if _is_number(left) and _is_number(right):
        return _COMPARE[e.op](left, right)
    if isinstance(left, str) and isinstance(right, str):
        return _COMPARE[e.op](left, right)
    raise EvalError(f"cannot compare {describe(left)} with {describe(right)}", e.span)


def _equal(left: Value, right: Value) -> bool:
    """`==` as the language has it: a bool never equals a number (Python's 1 == True is a conversion the language
    lacks), inside lists and tables too; tables are equal with the same keys and values, in any order (as dicts)."""
    if isinstance(left, bool) != isinstance(right, bool):
        return False
    if isinstance(left, tuple) and isinstance(right, tuple):
        return len(left) == len(right) and all(map(_equal, left, right))
    if isinstance(left, Table) and isinstance(right, Table):
        same_keys = len(left.entries) == len(right.entries) and all(k in right for k, _ in left.entries)
        return same_keys and all(_equal(v, right.get(k)) for k, v in left.entries)
    return left == right


def _contains(e: ast.Binary, left: Value, right: Value) -> bool:
    if isinstance(right, Table):  # its keys, as in Python
        return left in right
    if isinstance(right, tuple):
        return any(_equal(left, item) for item in right)
    if isinstance(right, str) and isinstance(left, str):
        return left in right
    raise EvalError(
        "`in` needs a list or table on its right",
        e.right.span,
        f"got {describe(right)}",
        "e.g. `depth in [18, 34, 50]`",
    )


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
        raise EvalError(
            "result is not a real number",
            e.span,
            f"({left}) ** {right}",
            "a negative number has no real fractional power",
        )
    if abs(result) > MAX_VALUE or result != result:
        raise EvalError("number too large", e.span, f"{left} {e.op} {right}", "values are limited to 2**62")
    return result


def _bounded_list(items: T, span: Span) -> T:
    """A list or table within MAX_LIST items, counted through nested lists and tables (`let b = [a, a]` doubles),
    and MAX_DEPTH deep: a table of tables of a shared one would otherwise print (and hash) 2**depth items."""
    size, depth = _measure(items, {})
    what = "table" if isinstance(items, Table) else "list"
    if size > MAX_LIST:
        raise EvalError(
            f"{what} of {size:,} items is too long",
            span,
            "counting the items of nested lists and tables",
            f"the limit is {MAX_LIST:,}",
        )
    if depth > MAX_DEPTH:
        raise EvalError(f"{what}s are nested more than {MAX_DEPTH} deep", span, help=f"use a flatter {what}")
    return items


def _measure(value: tuple | Table, seen: dict[int, tuple[int, int]]) -> tuple[int, int]:
    """(items, nesting depth) of a list or table and every one inside it; a shared inner one is measured once."""
    if id(value) not in seen:
        items = value if isinstance(value, tuple) else tuple(v for _, v in value.entries)
        inner = [_measure(v, seen) for v in items if isinstance(v, tuple | Table)]
        seen[id(value)] = (len(items) + sum(n for n, _ in inner), 1 + max((d for _, d in inner), default=0))
    return seen[id(value)]


def _bounded_str(text: str, span: Span) -> str:
    if len(text) > MAX_STRING:
        raise EvalError(f"string of {len(text):,} characters is too long", span, help=f"the limit is {MAX_STRING:,}")
    return text


def _cond(e: ast.Cond, env: Env) -> Value:
    return evaluate(e.then if _truth(evaluate(e.test, env), e.test.span) else e.orelse, env)


def _index(e: ast.Index, env: Env) -> Value:
    target, index = evaluate(e.target, env), evaluate(e.index, env)
    if isinstance(target, Table):
        return _lookup(e, target, index)
    if not isinstance(target, (tuple, str)):
        raise EvalError("only lists and tables can be indexed", e.target.span, f"got {describe(target)}")
    if not _is_int(index):
        raise EvalError("a list index must be an integer", e.index.span, f"got {describe(index)}")
    if not -len(target) <= index < len(target):
        raise EvalError(
            "list index out of range",
            e.index.span,
            f"index {index}, but the list has {len(target)} item{'s' * (len(target) != 1)}",
        )
    return target[index]


def _lookup(e: ast.Index, table: Table, key: Value) -> Value:
    try:
        return table.get(key)
    except KeyError:
        pass
    keys = table.keys()
    shown = ", ".join(spec_text(k) for k in keys[:12]) + (", ..." if len(keys) > 12 else "")
    near = did_you_mean(key, [k for k in keys if isinstance(k, str)]) if isinstance(key, str) else ""
    raise EvalError(
        f"the table has no key {spec_text(key) if isinstance(key, str) or _is_int(key) else describe(key)}",
        e.index.span,
        f"its keys: {shown}" if keys else "the table is empty",
        near or "",
        code="unknown-name",
    )


def _slice(e: ast.Slice, env: Env) -> Value:
    """`n[:k]`, `widths[1:]`: Python's slice of a list or string (bounds clipped, negative from the end)."""
    target = evaluate(e.target, env)
    if not isinstance(target, (tuple, str)):
        raise EvalError("only lists and strings can be sliced", e.target.span, f"got {describe(target)}")
    bounds: list[int | None] = []
    for bound in (e.start, e.stop):
        if bound is None:
            bounds.append(None)
            continue
        value = evaluate(bound, env)
        if not _is_int(value):
            raise EvalError("a slice bound must be an integer", bound.span, f"got {describe(value)}")
        bounds.append(value)
    return target[bounds[0] : bounds[1]]


class _Iterations:
    """The comprehension budget of one elaboration: nested comprehensions multiply, so they are counted."""

    left = MAX_ITERATIONS


def reset_budget() -> None:
    """A fresh comprehension budget (at the start of every elaboration)."""
    _Iterations.left = MAX_ITERATIONS


def iterated(values: Value, span: Span, what: str) -> tuple:
    """What a `for` walks: a list's items, a table's keys (as Python's dicts do)."""
    if isinstance(values, Table):
        return tuple(values.keys())
    if not isinstance(values, tuple):
        raise EvalError(
            f"{what} needs a list or table", span, f"got {describe(values)}", "use range(n) for 0, 1, ..., n-1"
        )
    return values


def _comprehension(e: ast.Comprehension, env: Env) -> Value:
    """`[f(c) for c in cs if test]`: the item evaluated for each value of the list, with `c` bound to it."""
    values = iterated(evaluate(e.iterable, env), e.iterable.span, "`for` in a list")
    items = []
    for value in values:
        _Iterations.left -= 1
        if _Iterations.left < 0:
            raise EvalError(
                f"list comprehensions compute more than {MAX_ITERATIONS:,} items",
                e.span,
                "nested comprehensions multiply",
                "use smaller lists",
            )
        inner = env.child({e.var: value})
        if e.test is None or _truth(evaluate(e.test, inner), e.test.span):
            items.append(evaluate(e.item, inner))
    return _bounded_list(tuple(items), e.span)


def _func(e: ast.FuncCall, env: Env) -> Value:
    if _defined(e.name, env) is UNKNOWN:
        raise Reported(f"`{e.name}` is unknown: its definition failed", e.span)
    fn = _callee(e.name, env)
    if fn is None:
        raise EvalError(
            f"unknown function `{e.name}`",
            e.span,
            "",
            did_you_mean(e.name, _functions(env)) or f"functions: {', '.join(sorted(BUILTINS))}",
            code="unknown-name",
        )
    args = tuple(evaluate(a, env) for a in e.args)
    if isinstance(fn, Function):
        return _call_user(fn, e.span, args)
    try:
        result = fn(e.span, *args)
    except OverflowError:
        result = math.inf
    if _is_number(result) and not abs(result) <= MAX_VALUE:  # int(1e300), round(1e300) are numbers too large
        raise EvalError(
            "number too large", e.span, f"{e.name} of {args[0] if args else '?'}", "values are limited to 2**62"
        )
    return result


INPUT = "in"  # the name the current block's input shape is bound to: a keyword, so no spec can shadow it
REFS = "@"  # the body's resolver of `@name` references (set by the elaborator); no spec name can be `@`


def _ref(e: ast.Ref, env: Env) -> Tensor:
    """`@down3`: the output of a member computed earlier, found by the elaborator's resolver for this body."""
    try:
        resolve = env.lookup(REFS)
    except KeyError:
        raise EvalError(
            f"`{e}` is not known here",
            e.span,
            "references name layers of a network or block",
            "pass a tensor where the network is built, e.g. `Up(64, skip=@down3)`",
        ) from None
    return resolve(e, env)


_SHAPE_ATTRS = {"channels": 0, "height": 1, "width": 2}


def _input_attr(e: ast.InputAttr, env: Env) -> Value:
    try:
        shape = env.lookup(INPUT)
    except KeyError:
        raise EvalError("`in` is not known here", e.span, "only inside a network or block body") from None
    if shape is UNKNOWN:
        raise Reported("the input shape is unknown", e.span)
    if e.attr == "shape":
        return shape
    if e.attr not in _SHAPE_ATTRS:
        raise EvalError(
            f"`in` has no `{e.attr}`",
            e.span,
            "",
            did_you_mean(e.attr, [*_SHAPE_ATTRS, "shape"]) or "use in.channels, in.height, in.width or in.shape",
        )
    axis = _SHAPE_ATTRS[e.attr]
    if axis >= len(shape):
        raise EvalError(
            f"the input has no {e.attr}",
            e.span,
            f"it is {_fmt(shape)}",
            "in.height and in.width need an image input [C, H, W]",
        )
    return shape[axis]


def _fmt(shape: tuple) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]"


def _template(e: ast.Template, env: Env) -> str:
    out = []
    for part in e.parts:
        if isinstance(part, str):
            out.append(part)
            continue
        value = evaluate(part, env)
        if not (_is_int(value) or isinstance(value, str)):
            raise EvalError(
                "a label part must be an integer or a string",
                part.span,
                f"got {describe(value)}",
                "use int(...) for a number computed with `/`",
            )
        out.append(str(value))
    return _bounded_str("".join(out), e.span)


_EVAL: dict[type, Callable[[Any, Env], Value]] = {
    ast.Literal: _literal,
    ast.Name: _name,
    ast.ListExpr: _list,
    ast.TableExpr: _table,
    ast.Unary: _unary,
    ast.Binary: _binary,
    ast.Cond: _cond,
    ast.Index: _index,
    ast.FuncCall: _func,
    ast.InputAttr: _input_attr,
    ast.Template: _template,
    ast.Ref: _ref,
    ast.Slice: _slice,
    ast.Comprehension: _comprehension,
}
