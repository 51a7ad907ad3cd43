"""argv -> the command function and its arguments, read from the typer definitions without typer's machinery.

typer builds a click context and a pydantic validator per parameter on every run: ~100 ms, a third of
`netspec check` on ResNet-50. A plain command line (known options, values that need no conversion beyond
Path, int and str) is read here from the same typer definitions and the command function is called
directly. Anything else (help, mistakes, unusual syntax, a typer feature not modelled here) gets None,
and typer handles it: every message and edge case stays typer's. tests/test_dispatch.py checks that
whenever a line is read here, typer would pass the command exactly the same arguments.
"""

from __future__ import annotations

import os
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperCommand
from typer.models import ArgumentInfo, DefaultPlaceholder, OptionInfo, ParameterInfo
from typer.utils import get_params_from_function

_INT = re.compile(r"-?[0-9]+\Z")
_DECL = re.compile(r"--?[A-Za-z0-9][-A-Za-z0-9_]*\Z")
_SETTINGS = ("param_decls", "help", "metavar", "show_default", "rich_help_panel", "hidden", "min", "max",
             "show_choices", "show_envvar")  # the only ParameterInfo fields that may differ from typer's defaults
_REQUIRED = object()  # no default: the command line must give it


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter of a command function, as far as a plain command line can set it."""

    name: str
    kind: type  # Path, str, int, or bool (a flag)
    many: bool  # a list: an option given repeatedly, or the argument taking the remaining words
    option: bool
    default: Any  # _REQUIRED when it must be given
    names: tuple[str, ...] = ()  # an option's spellings: --set, -s
    low: int | None = None
    high: int | None = None


def plan(app: typer.Typer, argv: list[str]) -> tuple[Callable[..., Any], dict[str, Any]] | None:
    """The command function and the keyword arguments typer would call it with; None to leave it to typer."""
    if not argv or not _plain_app(app) or any(k.startswith("_") and k.endswith("_COMPLETE") for k in os.environ):
        return None
    command = _command(app, argv[0])
    params = _params(command.callback) if command is not None else None
    if params is None:
        return None
    values = _read(params, argv[1:])
    return (command.callback, values) if values is not None else None


def _plain_app(app: typer.Typer) -> bool:
    """No app callback, groups, chaining or context settings: argv[0] names a command and the rest is its own."""
    info = app.info
    settings = (info.cls, info.invoke_without_command, info.chain, info.result_callback, info.context_settings,
                info.callback)
    return (app.registered_callback is None and not app.registered_groups and len(app.registered_commands) > 1
            and all(isinstance(s, DefaultPlaceholder) or s in (None, False) for s in settings))


def _command(app: typer.Typer, name: str):
    found = [c for c in app.registered_commands
             if (c.name or (c.callback.__name__.lower().replace("_", "-") if c.callback else None)) == name]
    if len(found) != 1:
        return None
    command = found[0]
    plain = (command.cls in (None, TyperCommand) and not command.context_settings and not command.deprecated
             and command.callback is not None)
    return command if plain else None


def _params(callback: Callable[..., Any]) -> list[Param] | None:
    try:
        found = get_params_from_function(callback)  # typer's own reading of the signature
    except Exception:  # noqa: BLE001 - a definition typer rejects: let typer say so
        return None
    params = [_param(meta.name, meta.annotation, meta.default) for meta in found.values()]
    return None if any(p is None for p in params) else params


def _param(name: str, annotation: Any, info: Any) -> Param | None:
    if type(info) not in (OptionInfo, ArgumentInfo) or not _default_settings(info):
        return None
    option = isinstance(info, OptionInfo)
    kind, many = _kind(annotation)
    default = _REQUIRED if info.default is ... else info.default
    if kind is None or (default is not _REQUIRED and default is not None and not (type(default) is kind and not many)):
        return None
    if kind is bool and (not option or many or default is not False or not info.param_decls):
        return None
    if (info.min is not None or info.max is not None) and kind is not int:
        return None
    if not option:
        return None if info.param_decls else Param(name, kind, many, False, default)
    names = tuple(info.param_decls or ("--" + name.replace("_", "-"),))
    if not all(_DECL.match(n) for n in names):
        return None
    return Param(name, kind, many, True, default, names, info.min, info.max)


def _default_settings(info: ParameterInfo) -> bool:
    fresh = vars(type(info)())
    return all(value == fresh.get(name) for name, value in vars(info).items() if name not in _SETTINGS + ("default",))


def _kind(annotation: Any) -> tuple[type | None, bool]:
    """Path/str/int/bool, optionally in a list or `| None`; (None, False) for anything else."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) != 1:
            return None, False
        annotation = args[0]
    many = typing.get_origin(annotation) is list
    if many:
        (annotation,) = typing.get_args(annotation) or (None,)
    return (annotation if annotation in (Path, str, int, bool) else None), many


def _read(params: list[Param], words: list[str]) -> dict[str, Any] | None:
    options = _option_names(params)
    if options is None:
        return None
    values: dict[str, Any] = {}
    positional: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if word == "--":
            positional += words[i:]
            break
        if not word.startswith("-"):
            positional.append(word)
            continue
        name, eq, attached = word.partition("=") if word.startswith("--") else (word, "", "")
        param = options.get(name)
        if param is None or (param.name in values and not param.many):
            return None
        if param.kind is bool:
            if eq:
                return None
            values[param.name] = True
            continue
        if not eq:
            if i >= len(words) or words[i].startswith("-"):
                return None
            attached, i = words[i], i + 1
        value = _convert(param, attached)
        if value is None:
            return None
        if param.many:
            values.setdefault(param.name, []).append(value)
        else:
            values[param.name] = value
    return _assign(params, values, positional)


def _option_names(params: list[Param]) -> dict[str, Param] | None:
    names: dict[str, Param] = {}
    for param in params:
        for name in param.names:
            if name in names:
                return None
            names[name] = param
    return names


def _assign(params: list[Param], values: dict[str, Any], positional: list[str]) -> dict[str, Any] | None:
    """Words to arguments in order (a list argument, last, takes the rest); defaults for everything not given."""
    arguments = [p for p in params if not p.option]
    if any(p.many for p in arguments[:-1]):
        return None
    for param in arguments:
        words = positional if param.many else positional[:1]
        positional = [] if param.many else positional[1:]
        converted = [_convert(param, w) for w in words]
        if not words or any(v is None for v in converted):
            return None
        values[param.name] = converted if param.many else converted[0]
    if positional:
        return None
    for param in params:
        if param.name not in values:
            if param.default is _REQUIRED:
                return None
            values[param.name] = param.default
    return {p.name: values[p.name] for p in params}


def _convert(param: Param, word: str) -> Any:
    """The value typer would make of one word; None where typer might differ or fail (it then decides)."""
    if param.kind is str:
        return word
    if param.kind is int:
        if not _INT.match(word):
            return None
        value = int(word)
        out_of_range = (param.low is not None and value < param.low) or (param.high is not None and value > param.high)
        return None if out_of_range else value
    if not word or word == "-" or (os.path.exists(word) and not os.access(word, os.R_OK)):
        return None
    return Path(word)
