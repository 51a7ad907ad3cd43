"""Diagnostics -> text: rustc-style rendering with the source line and a caret under the span."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

from netspec.diagnostics import Diagnostic

_COLOURS = {"error": "\033[1;31m", "warning": "\033[1;33m", "blue": "\033[1;34m", "bold": "\033[1m", "reset": "\033[0m"}


def render(diagnostic: Diagnostic, sources: Mapping[str, str], colour: bool = False) -> str:
    """One diagnostic as rustc renders its errors: header, location, source line, caret, label, help."""
    paint = _painter(colour)
    diagnostic = _neutralised(diagnostic)
    head = diagnostic.severity + (
        f"[{diagnostic.code}]" if diagnostic.severity == "warning" and diagnostic.code else ""
    )  # a warning's code is what `# netspec: allow(code)` names
    lines = [paint(diagnostic.severity, head) + paint("bold", f": {diagnostic.message}")]
    span = diagnostic.span
    text = sources.get(span.file) if span else None
    if span is not None:
        gutter = " " * len(str(max([span.line] + [where.line for where, _ in diagnostic.related])))
        lines.append(f"{gutter}{paint('blue', '-->')} {printable(str(span))}")
        source_line = _line(text, span.line)
        if source_line is not None:
            lines += _snippet(span, source_line, diagnostic, gutter, paint)
    else:
        gutter = ""
    for where, label in diagnostic.related:  # rustc's secondary locations: `::: file:line:col` and the line
        lines.append(f"{gutter}{paint('blue', ':::')} {printable(str(where))}")
        source_line = _line(sources.get(where.file), where.line)
        if source_line is not None:
            lines += _snippet(
                where,
                source_line,
                dataclasses.replace(diagnostic, label=printable(label)),
                gutter,
                paint,
                mark="-",
                style="blue",
            )
        else:
            lines.append(f"{gutter} {paint('blue', '=')} note: {printable(label)}")
    lines += [f"{gutter} {paint('blue', '=')} note: {note}" for note in diagnostic.notes]
    if diagnostic.help:
        lines.append(f"{gutter} {paint('blue', '=')} help: {diagnostic.help}")
    return "\n".join(lines)


def _neutralised(d: Diagnostic) -> Diagnostic:
    """Everything a diagnostic quotes from a spec or a path (assert messages, string arguments, labels, file
    names) made inert for the terminal: an escape sequence cannot fake an `ok:` line or hide output."""
    fields = (d.message, d.label, d.help, *d.notes)
    if all(f.isprintable() for f in fields):
        return d
    return dataclasses.replace(
        d,
        message=printable(d.message),
        label=printable(d.label),
        help=printable(d.help),
        notes=tuple(printable(n) for n in d.notes),
    )


def render_all(diagnostics: Iterable[Diagnostic], sources: Mapping[str, str], colour: bool = False) -> str:
    """All diagnostics, a blank line between them, and a closing count."""
    items = list(diagnostics)
    blocks = [render(d, sources, colour) for d in items]
    errors = sum(d.severity == "error" for d in items)
    warnings = len(items) - errors
    summary = []
    if errors:
        summary.append(f"{errors} error{'s' * (errors != 1)}")
    if warnings:
        summary.append(f"{warnings} warning{'s' * (warnings != 1)}")
    if summary:
        blocks.append(", ".join(summary))
    return "\n\n".join(blocks)


def _snippet(
    span, source_line: str, diagnostic: Diagnostic, gutter: str, paint, mark: str = "^", style: str = ""
) -> list[str]:
    shown = source_line.expandtabs(4).rstrip()
    start = len(source_line[: span.col - 1].expandtabs(4))
    end_col = span.end_col if span.end_line == span.line else len(source_line) + 1
    width = max(1, min(len(shown), len(source_line[: end_col - 1].expandtabs(4))) - start)
    style = style or diagnostic.severity
    caret = " " * start + paint(style, mark * width)
    label = f" {diagnostic.label}" if diagnostic.label else ""
    bar = paint("blue", "|")
    number = paint("blue", str(span.line).rjust(len(gutter)))
    return [f"{gutter} {bar}", f"{number} {bar} {shown}", f"{gutter} {bar} {caret}{paint(style, label)}"]


def _line(text: str | None, number: int) -> str | None:
    if text is None:
        return None
    lines = text.split("\n")  # as the parser counts lines: a lone \r or \u2028 does not start one
    if 1 <= number <= len(lines):
        return _printable(lines[number - 1].removesuffix("\r"))  # a CRLF file's line ends are not shown as U+FFFD
    return None


def _printable(line: str) -> str:
    return "".join(c if c.isprintable() or c == "\t" else "\ufffd" for c in line[:300])


def printable(text: str) -> str:
    """Text from a spec or a path made safe for a terminal: every control, format or separator character
    (ESC, CR, backspace, a bidi override, a line separator, a lone surrogate from a file name that is not
    UTF-8) shown as its escape, e.g. `\\x1b`. The one function every printed spec-derived string goes through."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _escape(c) for c in text)


def _escape(c: str) -> str:
    code = ord(c)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _painter(colour: bool):
    if not colour:
        return lambda _style, text: text
    return lambda style, text: f"{_COLOURS[style]}{text}{_COLOURS['reset']}"
