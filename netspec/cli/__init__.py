"""The command line: one module per command family, each registering its commands on the shared typer app.

`netspec CMD ...` imports the module of CMD only (a check never imports what compile, export, fmt or lsp need);
`netspec --help`, an unknown command and `from netspec.cli import app` register every command, in the order
`netspec --help` lists them: check and inspect first, then what writes files.
"""

from __future__ import annotations

import importlib

from netspec.cli.app import main

# Importing the submodule bound `netspec.cli.app` to it; the name is the typer app's (see __getattr__).
del app  # noqa: F821
MODULES = {  # command -> the module of netspec.cli that defines it, in the order of `netspec --help`
    "check": "inspect", "summary": "inspect", "explain": "inspect", "diagram": "diagram", "compile": "compile",
    "export": "export", "fmt": "fmt", "lsp": "lsp", "memory": "memory", "sizes": "sizes", "diff": "diff",
    "zoo": "zoo",
}
_ORDER = list(MODULES)


def register(command: str | None = None):
    """The app with `command` registered (and check's family, so it stays a multi-command app); all for None."""
    module = importlib.import_module("netspec.cli.app")
    wanted = [MODULES["check"], MODULES[command]] if command in MODULES else list(dict.fromkeys(MODULES.values()))
    for name in wanted:
        importlib.import_module(f"netspec.cli.{name}")
    if command not in MODULES:
        module.app.registered_commands.sort(key=_position)
    return module.app


def _position(info) -> int:
    name = info.name or info.callback.__name__.lower().replace("_", "-")
    return _ORDER.index(name) if name in _ORDER else len(_ORDER)


def __getattr__(name: str):
    if name == "app":  # `from netspec.cli import app`: a complete app, for typer's runner and the tests
        return register()
    raise AttributeError(f"module 'netspec.cli' has no attribute {name!r}")


__all__ = ["app", "main", "register"]
