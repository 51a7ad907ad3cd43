"""The command line: one module per command family, each registering its commands in cli/app.COMMANDS.

`netspec CMD ...` imports the module of CMD only (a check never imports what compile, export, fmt or lsp need);
`netspec --help`, an unknown command, completion and `from netspec.cli import COMMANDS` register every command,
in the order `netspec --help` lists them. cli/parser.py reads a command line from those definitions.
"""

from __future__ import annotations

import importlib

from netspec.cli.app import main

MODULES = {  # command -> the module of netspec.cli that defines it, in the order of `netspec --help`
    "check": "inspect",
    "summary": "inspect",
    "explain": "inspect",
    "diagram": "diagram",
    "compile": "compile",
    "export": "export",
    "fmt": "fmt",
    "lsp": "lsp",
    "memory": "memory",
    "sizes": "sizes",
    "diff": "diff",
    "zoo": "zoo",
    "completion": "completion",
}


def register(command: str | None = None) -> dict:
    """cli/app.COMMANDS with `command` registered (its module imported); every command, in order, for None."""
    from netspec.cli import app

    wanted = [MODULES[command]] if command in MODULES else list(dict.fromkeys(MODULES.values()))
    for name in wanted:
        importlib.import_module(f"netspec.cli.{name}")
    if command not in MODULES:
        order = list(MODULES)
        ordered = sorted(
            app.COMMANDS.items(), key=lambda item: order.index(item[0]) if item[0] in order else len(order)
        )
        app.COMMANDS.clear()
        app.COMMANDS.update(ordered)
    return app.COMMANDS


def __getattr__(name: str):
    if name == "COMMANDS":  # `from netspec.cli import COMMANDS`: every command, for the tests and completion
        return register()
    raise AttributeError(f"module 'netspec.cli' has no attribute {name!r}")


__all__ = ["COMMANDS", "main", "register"]
