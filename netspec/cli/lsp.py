"""`netspec lsp`: the language server on stdin/stdout, for editors (needs the `lsp` extra: pygls)."""

from __future__ import annotations

from netspec.cli.app import command
from netspec.diagnostics import Diagnostics


@command()
def lsp() -> None:
    """Run the language server over stdio: diagnostics, inlay shapes, hover, definitions, completion, formatting."""
    try:
        from netspec.lsp.server import serve
    except ImportError as e:
        diags = Diagnostics()
        diags.error(f"netspec lsp needs pygls ({e.name} is not installed)", None, help="pip install 'netspec[lsp]'")
        diags.raise_if_errors()
    serve()
