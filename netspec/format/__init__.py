"""The formatter: .net text -> the same spec in its one canonical layout, comments kept where they stood."""

from __future__ import annotations

from netspec.diagnostics import Diagnostics, NetspecError, Span
from netspec.format.layout import render
from netspec.format.printer import Printer
from netspec.format.source import Source
from netspec.format.verify import same_meaning
from netspec.parse import parse

__all__ = ["format_text", "same_meaning"]


def format_text(text: str, path: str = "<input>") -> str:
    """`text` formatted; NetspecError (the file's syntax errors) when it does not parse.

    The result is parsed again and must give the same AST (spans aside) and the same comments; a formatter
    that would change a spec's meaning reports it instead of writing.
    """
    try:
        spec = parse(text, path)
    except NetspecError as e:
        raise NetspecError(e.diagnostics, {path: text}) from None
    source = Source(text)
    out = render(Printer(source).spec(spec))
    again = parse(out, path)
    if not same_meaning(spec, again) or _comments(source) != _comments(Source(out)):
        diags = Diagnostics()
        diags.error(
            f"netspec fmt could not format {path} without changing it",
            Span.point(path, 1, 1),
            "the file is left as it is",
            "this is a bug in netspec fmt; please report it with the file",
            code="format",
        )
        raise NetspecError(diags.items, {path: text})
    return out


def _comments(source: Source) -> list[str]:
    return [c.text for c in source.comments]
