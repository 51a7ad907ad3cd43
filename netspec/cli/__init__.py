"""The command line: one module per command family, each registering on the shared typer app.

Imported in the order `netspec --help` lists the commands: check and inspect first, then what writes files.
"""

# The imports register the commands: their order is the order of --help.
# isort: off
from netspec.cli import inspect  # noqa: F401  (check, summary, explain)
from netspec.cli import diagram  # noqa: F401
from netspec.cli import compile  # noqa: F401
from netspec.cli import export  # noqa: F401
from netspec.cli import fmt  # noqa: F401
from netspec.cli import lsp  # noqa: F401
from netspec.cli import memory  # noqa: F401
from netspec.cli import sizes  # noqa: F401
from netspec.cli import diff  # noqa: F401
from netspec.cli import zoo  # noqa: F401
# isort: on
from netspec.cli.app import app, main

__all__ = ["app", "main"]
