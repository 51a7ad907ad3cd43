"""Spec text -> the `# netspec: allow(code, ...)` comments in it: which lints each line silences.

Comments are not part of the grammar; a directive is read from the comment text of each line, so the statements
of the language stay as they are. `allow` silences the named lints for warnings that start on its line.
"""

from __future__ import annotations

import re

from netspec.diagnostics import Diagnostics, Span
from netspec.parse import ast

_DIRECTIVE = re.compile(r"#\s*(?P<what>netspec\s*:\s*(?P<word>[A-Za-z_-]*)\s*(?P<args>\(.*?\))?)")
_CODE = re.compile(r"[a-z][a-z0-9-]*\Z")


def directives(text: str, path: str, diags: Diagnostics) -> tuple[ast.Allow, ...]:
    """Every `allow` directive of the file; a malformed one is an error at its place."""
    found = []
    for number, line in enumerate(text.split("\n"), 1):
        col = _comment(line)
        match = _DIRECTIVE.match(line, col) if col >= 0 else None
        if match is not None:
            found += _read(match, number, path, diags)
    return tuple(found)


def _comment(line: str) -> int:
    """The column (0-based) where the line's comment starts, outside any string; -1 if it has none."""
    quoted = False
    for i, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == "#" and not quoted:
            return i
    return -1


def _read(match: re.Match, line: int, path: str, diags: Diagnostics) -> list[ast.Allow]:
    span = Span(path, line, match.start("what") + 1, line, match.end("what") + 1)
    args = match["args"]
    if match["word"] != "allow" or args is None:
        diags.error(
            "unknown netspec directive",
            span,
            "expected `netspec: allow(lint-code, ...)`",
            "e.g. `# netspec: allow(bias-before-batchnorm)` after the layer",
            code="directive",
        )
        return []
    codes = [c.strip() for c in args[1:-1].split(",")]
    bad = [c for c in codes if not _CODE.match(c)]
    if bad or not codes:
        diags.error(
            f"cannot read lint code {bad[0]!r}" if bad and bad[0] else "allow() names no lint",
            span,
            "lint codes are written like `bias-before-batchnorm`",
            "`netspec check` shows each warning's code in brackets",
            code="directive",
        )
        return []
    return [ast.Allow(code, line, span) for code in codes]
