"""The elaborate stage: ast.Spec + parameters -> ir.Graph, with every shape inferred and every error collected."""

from __future__ import annotations

import contextlib
from typing import Any

from netspec.diagnostics import Diagnostics, Fatal, Span, did_you_mean
from netspec.elaborate.binding import Given, bind_params
from netspec.elaborate.elaborator import Elaborator
from netspec.elaborate.evaluate import Env, EvalError, evaluate, reset_budget
from netspec.elaborate.imports import Loader
from netspec.ir import Graph
from netspec.ops import describe
from netspec.parse import ast

__all__ = ["Loader", "elaborate", "elaborate_partial"]


def elaborate(
    spec: ast.Spec, loader: Loader, params: dict[str, Any] | None = None, input_shape: tuple[int, ...] | None = None
) -> Graph:
    """Expand the file's network with `params` overriding its defaults; raise NetspecError on any error."""
    graph = elaborate_partial(spec, loader, params, input_shape)
    loader.diags.raise_if_errors(loader.sources)
    return graph


def elaborate_partial(
    spec: ast.Spec, loader: Loader, params: dict[str, Any] | None = None, input_shape: tuple[int, ...] | None = None
) -> Graph:
    """As `elaborate`, but never raises: the graph holds what did elaborate (a shape is None where an error
    left it unknown) and `loader.diags` every finding. For editors, which show what they can while typing."""
    graph = Graph("?", {}, sources=loader.sources, file=spec.file, allowed=loader.allowed)
    reset_budget()
    with contextlib.suppress(Fatal):  # too many errors: report the ones found so far
        _expand(spec, loader, params or {}, input_shape, graph)
    return graph


def _expand(spec: ast.Spec, loader: Loader, params: dict[str, Any], input_shape, graph: Graph) -> None:
    diags = loader.diags
    blocks = loader.blocks(spec)
    net = _network(spec, diags)
    if net is None:
        return
    graph.name = net.name
    env = _bind_network(net, params, loader.envs.get(spec.file, Env()), diags)
    shape = _input_shape(net, env, input_shape, diags) if env is not None else None
    if env is not None and shape is not None:
        graph.params = {p.name: env.values[p.name] for p in net.params}
        Elaborator(diags, graph).network(net, env, blocks, shape)


def _network(spec: ast.Spec, diags: Diagnostics) -> ast.NetworkDef | None:
    if len(spec.networks) == 1:
        return spec.networks[0]
    if not spec.networks:
        diags.error(
            f"{spec.file} defines no network",
            Span.point(spec.file, 1, 1),
            "",
            "a spec needs `network Name { ... }`; a file of blocks only is a library to import",
            code="no-network",
        )
    for extra in spec.networks[1:]:
        diags.error(
            "a file holds one network",
            extra.name_span,
            f"`{spec.networks[0].name}` came first",
            "move it into a file of its own",
            code="one-network",
        )
    return None


def _bind_network(net: ast.NetworkDef, params: dict[str, Any], top: Env, diags: Diagnostics) -> Env | None:
    names = [p.name for p in net.params]
    given = {}
    for name, value in params.items():
        if name not in names:
            diags.error(
                f"network `{net.name}` has no parameter `{name}`",
                net.name_span,
                "set from outside",
                did_you_mean(name, names) or f"its parameters: {', '.join(names) or 'none'}",
                code="unknown-parameter",
            )
        else:
            given[name] = Given(_from_python(value), net.name_span)
    try:
        return bind_params(net.params, given, top, f"network `{net.name}`", net.name_span)
    except EvalError as e:
        diags.error(e.message, e.span, e.label, e.help, code=e.code)
        return None


def _from_python(value: Any) -> Any:
    return tuple(_from_python(v) for v in value) if isinstance(value, (list, tuple)) else value


def _input_shape(net: ast.NetworkDef, env: Env, override, diags: Diagnostics) -> tuple[int, ...] | None:
    stmt = next((s for s in net.body if isinstance(s, ast.Input)), None)
    if override is not None:
        return _check_shape(tuple(override), net.name_span, diags)
    if stmt is None:
        diags.error(
            f"network `{net.name}` has no input shape",
            net.name_span,
            "",
            "add `input [3, 224, 224]` (channels, height, width) or pass --input 3x224x224",
            code="input",
        )
        return None
    try:
        return _check_shape(evaluate(stmt.shape, env), stmt.shape.span, diags)
    except EvalError as e:
        diags.error(e.message, e.span, e.label, e.help, code=e.code)
        return None


def _check_shape(value: Any, span: Span, diags: Diagnostics) -> tuple[int, ...] | None:
    ok = isinstance(value, tuple) and len(value) in (1, 3)
    ok = ok and all(isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 2**31 - 1 for d in value)
    if not ok:
        two = isinstance(value, tuple) and len(value) == 2 and all(isinstance(d, int) for d in value)
        diags.error(
            "the input shape must be [C, H, W] (or [features]) of positive integers",
            span,
            f"got {describe(value)}",
            f"a one-channel image is `input [1, {value[0]}, {value[1]}]`; the batch dimension is implicit"
            if two
            else "e.g. `input [3, 224, 224]`; the batch dimension is implicit",
            code="input",
        )
        return None
    return value
