"""The last good parse + new text -> the new AST by re-parsing only the statement that changed.

Typing changes one statement at a time; the parser costs ~0.2 ms a line, so a 1,000-line spec would cost a
language server its latency budget on every key. When the new text differs from the last one that parsed
only inside the lines of one statement (the line count unchanged), those lines are parsed alone, inside a
wrapper that keeps their line and column numbers, and the new statements are put in the old one's place.
The result equals a full parse of the new text (tests/test_lsp_incremental.py checks it on random edits).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from netspec.parse import ast, parse

_BODIES = ("body", "then", "orelse")
_WRAPPER = "network _Incremental {"


@dataclasses.dataclass(frozen=True)
class Change:
    """The statement of the old AST whose lines hold every change, and the new text of those lines."""

    stmt: object
    text: str  # the new text, as it must be parsed: blank lines, the wrapper, the statement's lines


def find_change(old_text: str, old: ast.Spec, new_text: str) -> Change | None:
    """The one statement the edit is confined to; None when the edit is elsewhere or spans more."""
    old_lines, new_lines = old_text.split("\n"), new_text.split("\n")
    if len(old_lines) != len(new_lines) or old_text == new_text:
        return None
    first = next(i for i, (a, b) in enumerate(zip(old_lines, new_lines, strict=False)) if a != b) + 1  # a prefix
    pairs = zip(reversed(old_lines), reversed(new_lines), strict=False)  # a common suffix: lengths differ
    last = len(old_lines) - next(i for i, (a, b) in enumerate(pairs) if a != b)
    stmt = _innermost(old, first, last)
    if stmt is None or stmt.span.line < 2 or not _alone(stmt.span, old_lines):
        return None
    line, end = stmt.span.line, stmt.span.end_line
    text = "\n" * (line - 2) + _WRAPPER + "\n" + "\n".join(new_lines[line - 1 : end]) + "\n}\n"
    return Change(stmt, text)


def reparse(change: Change, old: ast.Spec, path: str) -> ast.Spec:
    """The old AST with the changed statement replaced; NetspecError if its new text does not parse alone."""
    wrapped = parse(change.text, path)
    if len(wrapped.networks) != 1 or wrapped.imports or wrapped.blocks or getattr(wrapped, "defs", None):
        raise ValueError("the changed lines are not statements")
    return splice(old, change.stmt, wrapped.networks[0].body)


def splice(spec: ast.Spec, target, replacement: tuple) -> ast.Spec:
    """`spec` with the statement `target` replaced by the statements `replacement` (none: dropped)."""
    return dataclasses.replace(
        spec,
        blocks=[_replace(b, target, replacement) for b in spec.blocks],
        networks=[_replace(n, target, replacement) for n in spec.networks],
    )


def _replace(node, target, replacement):
    """A copy of `node` along the path down to `target`; nodes off the path are shared."""
    span = getattr(node, "span", None)  # AST nodes have one; values and names in them do not
    if span is None or not dataclasses.is_dataclass(node) or isinstance(node, type) or not _contains(span, target.span):
        return node
    changes = {}
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        if isinstance(value, tuple) and any(item is target for item in value):
            changes[f.name] = tuple(x for item in value for x in (replacement if item is target else (item,)))
        elif isinstance(value, tuple):
            new = tuple(_replace(item, target, replacement) for item in value)
            if any(a is not b for a, b in zip(new, value, strict=True)):
                changes[f.name] = new
        elif dataclasses.is_dataclass(value) and hasattr(value, "span"):
            new = _replace(value, target, replacement)
            if new is not value:
                changes[f.name] = new
    return dataclasses.replace(node, **changes) if changes else node


def _innermost(spec: ast.Spec, first: int, last: int):
    """The deepest body statement whose lines cover lines first..last."""
    found = None
    stack: list[Any] = [*spec.blocks, *spec.networks]  # AST dataclasses of every kind
    while stack:
        node = stack.pop()
        for f in dataclasses.fields(node):
            value = getattr(node, f.name)
            items = value if isinstance(value, tuple) else (value,)
            for item in items:
                if not dataclasses.is_dataclass(item) or not hasattr(item, "span"):
                    continue
                if item.span.line <= first and last <= item.span.end_line:
                    if f.name in _BODIES:
                        found = item
                    stack.append(item)
    return found


def _alone(span, lines: list[str]) -> bool:
    """Whether the statement's lines hold nothing else: blanks before it, blanks or a comment after."""
    before = lines[span.line - 1][: span.col - 1]
    after = lines[span.end_line - 1][span.end_col - 1 :].strip()
    return not before.strip() and (not after or after.startswith("#"))


def _contains(outer, inner) -> bool:
    return (outer.line, outer.col) <= (inner.line, inner.col) and (inner.end_line, inner.end_col) <= (
        outer.end_line,
        outer.end_col,
    )
