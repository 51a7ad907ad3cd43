"""Two ASTs -> whether they say the same thing: equal in every field but the spans."""

from __future__ import annotations

import dataclasses

from netspec.parse import ast


def same_meaning(a: ast.Spec, b: ast.Spec) -> bool:
    """Whether two parsed files hold the same imports, blocks and networks, wherever their text stood."""
    fields = [f.name for f in dataclasses.fields(a) if f.name not in ("file", "text")]
    return all(_plain(getattr(a, f)) == _plain(getattr(b, f)) for f in fields)


def _plain(node):
    """A node as nested tuples without spans (the only thing a layout change may change)."""
    if isinstance(node, (list, tuple)):
        return tuple(_plain(n) for n in node)
    if dataclasses.is_dataclass(node):
        fields = (f.name for f in dataclasses.fields(node) if not f.name.endswith("span"))
        return (type(node).__name__, *(_plain(getattr(node, name)) for name in fields))
    return node
