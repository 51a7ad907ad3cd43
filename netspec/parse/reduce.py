"""lark's LALR reductions -> the transformer's AST nodes directly, with their spans: no parse tree in between.

lark's own route builds a Tree per reduction, propagates positions through every one (most of them the
single-child steps of the eleven expression levels between `expr` and `atom`), and then a transformer walks
the tree again: three quarters of the time of parsing a long spec. The callbacks here do what lark's tree
builder (ExpandSingleChild, ChildFilter, PropagatePositions) and a `v_args(meta=True)` transformer would do
together, reduction by reduction, and pass a single child straight through. `tests/test_parse.py` checks that
both routes give equal ASTs, spans included.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lark import Lark, Token, Tree

from netspec.parse import lalr


class Extent:
    """A reduced value on lark's stack and the text it covers: the `meta` a transformer method is given.

    For a pass-through (`?atom: "(" expr ")"`) the extent is the container's, parentheses included, as lark's
    PropagatePositions has it; the value keeps its own span.
    """

    __slots__ = ("column", "empty", "end_column", "end_line", "line", "value")
    column: int
    empty: bool  # covers no text (an empty rule): its line and columns are not set
    end_column: int
    end_line: int
    line: int
    value: Any

    def __init__(self, raw: list):
        first = raw[0] if raw else None
        if first.__class__ is Extent and first.empty:
            first = _edge(raw)
        self.value = None
        self.empty = first is None
        if first is not None:
            last = raw[-1]
            if last.__class__ is Extent and last.empty:
                last = _edge(reversed(raw))
            self.line, self.column = first.line, first.column
            self.end_line, self.end_column = last.end_line, last.end_column


def parse(parser: Lark, text: str, start: str, builder) -> Any:
    """Parse `text` from `start`, calling `builder`'s methods (name(meta, children)) as the rules reduce."""
    session = parser.parse_interactive(text, start=start)
    conf = session.parser_state.parse_conf
    conf.callbacks = {rule: _callback(rule, builder) for rule in conf.callbacks}  # this parse's own
    result = lalr.run(session, passes=lambda callback: callback is _first)
    return result.value if isinstance(result, Extent) else result


def _callback(rule, builder) -> Callable[[list], Any]:
    name = rule.alias or rule.options.template_source or rule.origin.name
    method = getattr(builder, name, None)
    method = getattr(method, "base_func", method)  # a v_args wrapper: the method itself takes (meta, children)
    include, trailing = _included(rule)
    through = rule.options.expand1 and not rule.alias
    if through and include == [(0, False, 0)] and not trailing and len(rule.expansion) == 1:
        return _first  # one child, nothing filtered: the child is the value, its extent the container's
    if method is None and name.startswith("_"):
        method = _splice
    elif method is None:
        method = lambda meta, children: Tree(name, children, meta)  # noqa: E731 - what a transformer leaves
    if all(not expand and not nones for _, expand, nones in include) and not trailing:
        return _plain(tuple(at for at, _, _ in include), through, method)
    return _general(include, trailing, through, method)


def _plain(kept: tuple[int, ...], through: bool, method) -> Callable[[list], Extent]:
    """The common reduction: some children kept, none spliced, no placeholders."""
    if len(kept) == 1 and not through:  # the commonest of all (`int`, `positional`, `member`): no list to build
        (at,) = kept

        def reduce_one(raw: list) -> Extent:
            extent = Extent(raw)
            child = raw[at]
            extent.value = method(extent, [child.value if child.__class__ is Extent else child])
            return extent

        return reduce_one

    def reduce(raw: list) -> Extent:
        extent = Extent(raw)
        children = [c.value if c.__class__ is Extent else c for c in map(raw.__getitem__, kept)]
        extent.value = children[0] if through and len(children) == 1 else method(extent, children)
        return extent

    return reduce


def _general(include, trailing: int, through: bool, method) -> Callable[[list], Extent]:
    def reduce(raw: list) -> Extent:
        extent = Extent(raw)
        children: list = []
        for at, expand, nones in include:
            if nones:
                children += [None] * nones
            child = raw[at]
            if not expand:
                children.append(child.value if child.__class__ is Extent else child)
            elif children:
                children += child.value
            else:  # a left-recursive list (`a*`) grows in place, as lark's ChildFilterLALR does: linear, not quadratic
                children = child.value
        if trailing:
            children += [None] * trailing
        extent.value = children[0] if through and len(children) == 1 else method(extent, children)
        return extent

    return reduce


def _first(raw: list):
    return raw[0]


def _splice(meta, children: list) -> list:
    return children  # an inlined `_rule`: its parent takes its children


def _edge(children):
    """The first child that covers text (a token, or a value whose extent is not empty)."""
    for child in children:  # almost always the first
        if child.__class__ is not Extent or not child.empty:
            return child
    return None


def _included(rule) -> tuple[list[tuple[int, bool, int]], int]:
    """Which children the rule keeps, as lark's ChildFilter does: (index, splice it, Nones before it), and the
    Nones after the last (maybe_placeholders: a missing `[x]` is None)."""
    empty = rule.options.empty_indices
    if empty:
        ones = "".join(str(int(b)) for b in empty).split("0")
        nones = [len(run) for run in ones]
    else:
        nones = [0] * (len(rule.expansion) + 1)
    include, pending = [], 0
    for at, symbol in enumerate(rule.expansion):
        pending += nones[at]
        if rule.options.keep_all_tokens or not (symbol.is_term and symbol.filter_out):
            include.append((at, not symbol.is_term and symbol.name.startswith("_"), pending))
            pending = 0
    return include, pending + nones[len(rule.expansion)]


__all__ = ["Extent", "Token", "parse"]
