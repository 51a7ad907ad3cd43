"""Arguments -> checked values: layer calls into op attributes, block and network calls into typed parameters."""

from __future__ import annotations

from typing import Any

from netspec.diagnostics import Span, did_you_mean
from netspec.elaborate.evaluate import Env, EvalError, Reported, evaluate
from netspec.ops import AttrError, Op, describe
from netspec.ops.base import Tensor
from netspec.parse import ast
from netspec.records import record

TYPES = ("int", "float", "bool", "str", "list", "tensor")


@record(slots=True)
class Given:
    """An argument after evaluation: its value and where it was written."""

    value: Any
    span: Span


def collect(call: ast.Call, names: list[str], env: Env, what: str) -> dict[str, Given]:
    """Evaluate a call's arguments and match them to `names` (positional first, then keywords); one EvalError
    for every argument that is wrong (the first, with the others in `more`)."""
    given: dict[str, Given] = {}
    problems: list[EvalError] = []
    for i, arg in enumerate(call.args):
        try:
            name = _parameter(call, i, names, given, what)
            given[name] = Given(evaluate(arg.value, env), arg.span)
        except EvalError as e:
            problems.append(e)
    if problems:
        raise _together(problems)
    return given


def _parameter(call: ast.Call, i: int, names: list[str], given: dict[str, Given], what: str) -> str:
    """The name argument `i` of the call binds, or the EvalError that says why it binds none."""
    arg = call.args[i]
    if arg.name is None:
        if any(a.name is not None for a in call.args[:i]):
            raise EvalError(
                "positional argument after a keyword argument",
                arg.span,
                help="write positional arguments first",
                code="argument",
            )
        if i >= len(names):
            raise EvalError(
                f"too many arguments for {what}",
                arg.span,
                f"it takes at most {len(names)}: {', '.join(names)}" if names else "it takes none",
                code="argument",
            )
        return names[i]
    if arg.name not in names:
        hint = did_you_mean(arg.name, names) or f"it takes: {', '.join(names) or 'no arguments'}"
        raise EvalError(f"{what} has no argument `{arg.name}`", arg.span, "unknown argument", hint, code="argument")
    if arg.name in given:
        raise EvalError(f"argument `{arg.name}` given twice", arg.span, code="argument")
    return arg.name


def _together(problems: list[EvalError]) -> EvalError:
    """The errors of one call as one: the first shown, the others in `more` (those already reported left out)."""
    shown = [e for e in problems if not isinstance(e, Reported)]
    if not shown:
        return problems[0]
    first, rest = shown[0], tuple(one for e in shown[1:] for one in (e, *e.more))
    return EvalError(first.message, first.span, first.label, first.help, first.more + rest, code=first.code)


def layer_attrs(op: Op, call: ast.Call, env: Env, cache: dict | None = None):
    """A layer call -> its checked attributes; EvalError pointing at the offending argument.

    With `cache` (one per elaboration), a call that meets the same argument values again (a layer in a loop
    or a block) gets the same frozen attributes back instead of checking them again.
    """
    given = collect(call, op.Attrs.names(), env, f"`{op.name}`")
    missing = [name for name in op.Attrs.required() if name not in given]
    if missing:
        raise EvalError(
            f"`{op.name}` is missing its argument `{missing[0]}`",
            call.span,
            f"`{op.name}` needs {', '.join(op.Attrs.required())}",
            op.summary,
            code="argument",
        )
    if cache is None:
        return _checked(op, call, given)
    key = (id(call), op.name, tuple((name, _exact(g.value)) for name, g in given.items()))
    if key not in cache:
        cache[key] = (call, _checked(op, call, given))  # the call is kept so that its id stays its own
    return cache[key][1]


def _checked(op: Op, call: ast.Call, given: dict[str, Given]):
    try:
        return op.Attrs(**{name: g.value for name, g in given.items()})
    except AttrError as e:
        span = given[e.name].span if e.name in given else call.span
        more = tuple(_invalid(op, name, message, given[name].span) for name, message in _others(op, given, e.name))
        raise EvalError(
            f"invalid `{e.name}` for `{op.name}`", span, e.message, op.summary, more, code="argument"
        ) from None


def _others(op: Op, given: dict[str, Given], first: str):
    """The call's other arguments that fail their own check: every bad argument of a call is reported."""
    for name, check in op.Attrs._checks:
        if name != first and name in given:
            try:
                check(given[name].value)
            except ValueError as e:
                yield name, str(e)


def _invalid(op: Op, name: str, message: str, span: Span) -> EvalError:
    return EvalError(f"invalid `{name}` for `{op.name}`", span, message, op.summary, code="argument")


def _exact(value: Any) -> Any:
    """A key equal only for identical values: 1, 1.0 and true differ, and so do 0.0 and -0.0."""
    if type(value) is tuple:
        return tuple, tuple(_exact(v) for v in value)
    return type(value), repr(value) if type(value) is float else value


def check_type(value: Any, type_ref: ast.TypeRef | ast.UnionType) -> Any:
    """A value checked against a parameter type; ints widen to float; ValueError says what was wrong."""
    if isinstance(type_ref, ast.UnionType):
        return _check_union(value, type_ref)
    if type_ref.name not in TYPES:
        raise ValueError(f"unknown type `{type_ref}`; types are {', '.join(TYPES)}")
    if type_ref.name == "list":
        if not isinstance(value, tuple):
            raise ValueError(f"expected a list, got {describe(value)}")
        if type_ref.element:
            return tuple(check_type(v, ast.TypeRef(type_ref.element, None, type_ref.span)) for v in value)
        return value
    if type_ref.element:
        raise ValueError(f"only `list` takes an element type, not `{type_ref.name}`")
    return _SCALARS[type_ref.name](value)


def _check_union(value: Any, union: ast.UnionType) -> Any:
    """The first option the value fits, in the order written (so `int | float` keeps an int an int)."""
    for option in union.options:
        try:
            return check_type(value, option)
        except ValueError:
            continue
    raise ValueError(f"expected {union}, got {describe(value)}")


def type_names(type_ref: ast.TypeRef | ast.UnionType) -> list[tuple[str, Span]]:
    """Every type name a parameter's type mentions, with where it is written."""
    options = type_ref.options if isinstance(type_ref, ast.UnionType) else (type_ref,)
    return [(name, option.span) for option in options for name in filter(None, (option.name, option.element))]


def _scalar(name: str, *kinds: type):
    def check(value: Any) -> Any:
        fits = isinstance(value, bool) == (bool in kinds) and isinstance(value, kinds)
        if not fits:
            raise ValueError(f"expected {name}, got {describe(value)}")
        return float(value) if name == "a float" else value

    return check


def _tensor(value: Any) -> Any:
    if not isinstance(value, Tensor):
        raise ValueError(f"expected a tensor such as `@name`, got {describe(value)}")
    return value


_SCALARS = {
    "int": _scalar("an int", int),
    "float": _scalar("a float", int, float),
    "bool": _scalar("a bool", bool),
    "str": _scalar("a string", str),
    "tensor": _tensor,
}


def bind_params(params: tuple[ast.Param, ...], given: dict[str, Given], env: Env, what: str, call_span: Span) -> Env:
    """Typed parameters with defaults -> a new Env; defaults may use earlier parameters."""
    scope = env.child()
    for param in params:
        for name, span in type_names(param.type):
            if name not in TYPES:
                raise EvalError(
                    f"unknown type `{name}`",
                    span,
                    f"types are {', '.join(TYPES)}",
                    did_you_mean(name, TYPES),
                    code="type",
                )
        if param.name in given:
            value, span = given[param.name].value, given[param.name].span
        elif param.default is not None:
            value, span = evaluate(param.default, scope), param.default.span
        else:
            raise EvalError(
                f"{what} is missing its argument `{param.name}`",
                call_span,
                f"`{param.name}: {param.type}` has no default",
                code="argument",
            )
        try:
            scope.values[param.name] = check_type(value, param.type)
        except ValueError as e:
            raise EvalError(
                f"invalid `{param.name}` for {what}",
                span,
                str(e),
                f"declared as `{param.name}: {param.type}`",
                code="type",
            ) from None
    return scope
