"""lark's LALR tables and lexer + a reduction per rule -> the parse, in a loop that skips the pass-through steps.

A literal argument climbs the expression grammar's eleven levels (`?atom` up to `?expr`), one single-child
reduction per level: 10k literal layers are 65k tokens and 240k reductions, 150k of them such steps. Each
step pops one state and pushes the state its rule's goto names, while the value stays what it was (reduce.py
passes a single child straight through). Which state a run of such steps ends in depends only on the state
below, the state on top and the next token, so the loop remembers it per (below, top, token type) and takes
the whole run as one step. Every other action is lark's own: the same shifts, the same reductions with the
same callbacks, the same contextual lexer, and at a syntax error the same exception from the same state
stack, so messages and the parser state that SYNTAX_EXAMPLES are matched by do not change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from lark import Token
from lark.exceptions import UnexpectedInput, UnexpectedToken
from lark.lexer import ContextualLexer
from lark.parsers.lalr_analysis import Shift
from lark.parsers.lalr_interactive_parser import InteractiveParser

from netspec.parse.tables import _SharedFirst


def run(session: InteractiveParser, passes: Callable[[Any], bool]) -> Any:
    """Run lark's parse `session` to its end; `passes(callback)` says whether a rule's callback only passes its
    one child through. The result is the start rule's value; lark's exception at a syntax error."""
    state = session.parser_state
    try:
        return _loop(state, passes)
    except UnexpectedInput as e:  # as lark's parse_from_state: the error carries a parser to inspect it with
        e.interactive_parser = InteractiveParser(session.parser, state, state.lexer)
        raise


def _loop(parser_state: Any, passes: Callable[[Any], bool]) -> Any:
    conf = parser_state.parse_conf
    states, end_state, callbacks = conf.states, conf.end_state, conf.callbacks
    state_stack, value_stack = parser_state.state_stack, parser_state.value_stack
    through = {rule for rule, callback in callbacks.items() if len(rule.expansion) == 1 and passes(callback)}
    runs: dict[tuple[int, int, str], int] = {}  # (below, top, token type) -> the state after the pass-throughs
    for token in _tokens(parser_state):
        kind = token.type
        while True:
            top = state_stack[-1]
            try:
                action, arg = states[top][kind]
            except KeyError:
                expected = {s for s in states[top] if s.isupper()}
                raise UnexpectedToken(token, expected, state=parser_state, interactive_parser=None) from None
            if action is Shift:
                state_stack.append(arg)
                value_stack.append(callbacks[kind](token) if kind in callbacks else token)
                break
            if arg in through:
                key = (state_stack[-2], top, kind)
                after = runs.get(key)
                if after is None:
                    after = runs[key] = _after_passes(states, through, end_state, key)
                state_stack[-1] = after
                if after == end_state and kind == "$END":
                    return value_stack[-1]
                continue
            size = len(arg.expansion)
            if size:
                children = value_stack[-size:]
                del state_stack[-size:]
                del value_stack[-size:]
            else:
                children = []
            value = callbacks[arg](children)
            after = states[state_stack[-1]][arg.origin.name][1]
            state_stack.append(after)
            value_stack.append(value)
            if after == end_state and kind == "$END":
                return value
    raise AssertionError("the end token always ends the parse or raises")  # pragma: no cover


def _after_passes(states: dict, through: set, end_state: int, key: tuple[int, int, str]) -> int:
    """The state on top after every pass-through reduction that `kind` makes from (below, top), in order."""
    below, top, kind = key
    while True:
        rule = states[top][kind][1]
        top = states[below][rule.origin.name][1]
        if top == end_state:
            return top
        action = states[top].get(kind)
        if action is None or action[0] is Shift or action[1] not in through:
            return top


def _tokens(parser_state: Any) -> Iterator[Token]:
    """lark's tokens, then its end token (placed after the last one, as lark places it)."""
    token = None
    for token in _scan(parser_state):
        yield token
    yield Token.new_borrow_pos("$END", "", token) if token is not None else Token("$END", "", 0, 1, 1)


def _scan(parser_state: Any) -> Iterator[Token]:
    """The tokens lark's contextual lexer gives, found by the shared scanner of tables._SharedFirst in this loop
    where a state asks it and the token it finds is one the state accepts; lark's lexer gives every other token
    (a state's own terminals, the characters no terminal matches, the end), from the same position."""
    thread = parser_state.lexer
    contextual, lex_state = thread.lexer, thread.state
    shared = _shared_scanner(contextual, lex_state)
    if shared is None:
        yield from thread.lex(parser_state)
        return
    lexers, state_stack, counter = contextual.lexers, parser_state.state_stack, lex_state.line_ctr
    (scanner,), ignored, newlines, callbacks = (
        shared.scanner._mres,
        shared.ignore_types,
        shared.newline_types,
        shared.callback,
    )
    text, end, match = lex_state.text.text, lex_state.text.end, scanner.match
    pos, line, column, line_start = counter.char_pos, counter.line, counter.column, counter.line_start_pos
    while True:
        state_lexer = lexers[state_stack[-1]]
        if state_lexer.__class__ is _SharedFirst:
            at, token = (pos, line, column, line_start), None
            while pos < end:
                found = match(text, pos, end)
                if found is None:
                    break
                value, kind = found.group(0), found.lastgroup
                start, start_line, start_column = pos, line, column
                pos += len(value)
                if kind in newlines and "\n" in value:
                    line += value.count("\n")
                    line_start = start + value.rindex("\n") + 1
                column = pos - line_start + 1
                if kind not in ignored:
                    token = _new_token(Token, value)  # Token(kind, value, start, ...) without its two frames
                    token.type, token.value, token.start_pos, token.end_pos = kind, value, start, pos
                    token.line, token.column, token.end_line, token.end_column = start_line, start_column, line, column
                    if kind in callbacks:
                        token = callbacks[kind](token)
                    break
            else:
                return  # nothing but blanks and comments left
            if token is not None and token.type in state_lexer.accepts:
                counter.char_pos, counter.line, counter.column, counter.line_start_pos = pos, line, column, line_start
                lex_state.last_token = token
                yield token
                continue
            pos, line, column, line_start = at  # as if never asked: lark's lexer takes it from here
        counter.char_pos, counter.line, counter.column, counter.line_start_pos = pos, line, column, line_start
        token = next(contextual.lex(lex_state, parser_state), None)  # lark's lexer, for this one token
        if token is None:
            return
        pos, line, column, line_start = counter.char_pos, counter.line, counter.column, counter.line_start_pos
        yield token


_new_token = str.__new__


def _shared_scanner(contextual: Any, lex_state: Any) -> Any:
    """The scanner that tables._SharedFirst shares, when this lark lexes as this loop expects; else None."""
    first = next((x for x in getattr(contextual, "lexers", {}).values() if x.__class__ is _SharedFirst), None)
    if first is None or not isinstance(contextual, ContextualLexer):
        return None
    shared = first.shared
    try:
        scanner = shared.scanner  # built now if it was not
        plain = len(scanner._mres) == 1 and not shared.use_bytes and not shared.ignore_types & set(shared.callback)
        plain = plain and isinstance(shared.newline_types, frozenset) and lex_state.text.start == 0
        plain = plain and isinstance(lex_state.text.text, str) and lex_state.line_ctr.line_start_pos == 0
    except AttributeError:  # a lark whose lexer is laid out otherwise than 1.3's: its own lexer reads each token
        return None
    return shared if plain else None
