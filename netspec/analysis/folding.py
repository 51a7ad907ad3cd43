"""Report scopes + a depth -> the scopes to fold: the one `--depth` vocabulary of `summary` and `diagram`.

- `"full"`: nothing folded, every layer (the diagram also draws every repeat);
- `"blocks"`: every block instance that holds no other block instance is one row or box;
- an int N >= 1: every named scope at module depth N (`layer1` is 1, `layer1.0` is 2) is one row or box.
"""

from __future__ import annotations

from netspec.analysis.report import ScopeSummary

BLOCKS = "blocks"
FULL = "full"
WORDS = (BLOCKS, FULL)


def check_depth(depth) -> None:
    """ValueError unless `depth` is None, "blocks", "full" or an int >= 1."""
    if depth is None or depth in WORDS or (isinstance(depth, int) and not isinstance(depth, bool) and depth >= 1):
        return
    raise ValueError(f"depth must be an integer >= 1, {BLOCKS!r} or {FULL!r}, not {depth!r}")


def parse_depth(text: str | None) -> int | str | None:
    """`--depth` as typed: a number >= 1, `blocks` or `full`; ValueError saying what is allowed otherwise."""
    if text is None or text in WORDS:
        return text
    if text.strip().isdigit() and int(text) >= 1:
        return int(text)
    raise ValueError(f"{text!r} is not a number >= 1, `blocks` or `full`")


def module_depth(path: str) -> int:
    return len(path.split(".")) if path else 0


def is_named(scopes: list[ScopeSummary], scope: ScopeSummary) -> bool:
    """A scope with a module path of its own (transparent residuals and paths share their parent's)."""
    return scope.parent is not None and scope.path != scopes[scope.parent].path


def folded_scopes(scopes: list[ScopeSummary], depth: int | str | None) -> set[int]:
    """The ids of the scopes drawn or listed as one item at this depth (None and "full": none)."""
    check_depth(depth)
    if depth is None or depth == FULL:
        return set()
    if depth == BLOCKS:
        return leaf_blocks(scopes)
    return {s.id for s in scopes if is_named(scopes, s) and module_depth(s.path) == depth}


def leaf_blocks(scopes: list[ScopeSummary]) -> set[int]:
    outer = {a for s in scopes if s.kind == "block" for a in ancestors(scopes, s)}
    return {s.id for s in scopes if s.kind == "block" and s.id not in outer}


def ancestors(scopes: list[ScopeSummary], scope: ScopeSummary) -> list[int]:
    out, current = [], scope.parent
    while current is not None:
        out.append(current)
        current = scopes[current].parent
    return out


def outermost_folded(scopes: list[ScopeSummary], scope_id: int, folded: set[int]) -> ScopeSummary | None:
    """The outermost folded scope that contains this one (itself included), or None."""
    found: ScopeSummary | None = None
    current: int | None = scope_id
    while current is not None:
        if current in folded:
            found = scopes[current]
        current = scopes[current].parent
    return found
