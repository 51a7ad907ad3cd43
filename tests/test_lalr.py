"""netspec/parse/lalr.py: the parser's own LALR loop meets lark's, token for token and error for error.

lark's own parser (its lexer, its loop, its tree) is the reference: the loop must read the same tokens, with the
same positions, and stop at a syntax error with the same exception from the same parser state, so that
SYNTAX_EXAMPLES (matched by that state) and every message stay as they were. tests/test_reduce.py compares the
ASTs. Cost: about 5 s.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from lark.exceptions import UnexpectedInput
from strategies import specs as random_specs

from netspec.diagnostics import Diagnostics, NetspecError
from netspec.parse import lalr, reduce
from netspec.parse.parser import _parser, _ToAst

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from gen_spec import generate  # noqa: E402

FILES = sorted(
    p
    for folder in ("specs", "tests/bad", "tests/adversarial", "examples", "benchmarks/specs")
    for p in (ROOT / folder).rglob("*.net")
)
FIELDS = ("type", "value", "start_pos", "line", "column", "end_line", "end_column", "end_pos")


def _token(token) -> tuple:
    return tuple(getattr(token, name) for name in FIELDS)


def _error(e: UnexpectedInput) -> tuple:
    state = getattr(e, "state", None)
    return (
        type(e).__name__,
        e.line,
        e.column,
        e.pos_in_stream,
        _token(e.token) if getattr(e, "token", None) is not None else None,
        sorted(getattr(e, "expected", None) or getattr(e, "allowed", None) or ()),
        list(state.state_stack) if hasattr(state, "state_stack") else None,
        e.interactive_parser is not None,
    )


def by_lark(text: str, start: str = "start") -> tuple[list[tuple], tuple | None]:
    """The tokens lark's own parser reads, and its syntax error (None if the text parses)."""
    tokens: list[tuple] = []
    try:
        for token in _parser().parse_interactive(text, start=start).iter_parse():
            tokens.append(_token(token))
    except UnexpectedInput:
        pass  # iter_parse stops at the error; lark's whole parse below reports it
    try:
        _parser().parse(text, start=start)
    except UnexpectedInput as e:
        return tokens, _error(e)
    return tokens, None


def by_loop(text: str, monkeypatch, start: str = "start") -> tuple[list[tuple], tuple | str | None]:
    """The tokens the parser's loop reads (its end token left out, as iter_parse leaves it out), and its error."""
    tokens: list[tuple] = []
    scan, outer = lalr._scan, []

    def recorded(parser_state):
        outer.append(outer[0] if outer else parser_state)  # a template's `{expr}` is parsed on its own: not this
        for token in scan(parser_state):
            if parser_state is outer[0]:
                tokens.append(_token(token))
            yield token

    with monkeypatch.context() as patch:
        patch.setattr(lalr, "_scan", recorded)
        try:
            reduce.parse(_parser(), text, start, _ToAst("t.net", Diagnostics()))
        except UnexpectedInput as e:
            return tokens, _error(e)
        except NetspecError:  # the AST builder refused a node (a number too large): the parse stops there
            return tokens, "stopped"
    return tokens, None


def assert_same(ours, theirs, path) -> None:
    """The loop reads lark's tokens and fails as lark does; where the AST builder stopped it, up to there."""
    if ours[1] == "stopped":
        assert ours[0] == theirs[0][: len(ours[0])], path
    else:
        assert ours == theirs, path


def test_every_spec_file_reads_the_same_tokens_and_fails_the_same_way(monkeypatch):
    failed = 0
    for path in FILES:
        text = path.read_text(encoding="utf-8", errors="replace")
        ours, theirs = by_loop(text, monkeypatch), by_lark(text)
        assert_same(ours, theirs, path)
        failed += ours[1] != "stopped" and theirs[1] is not None
    assert failed > 20  # the bad corpus: syntax errors of every kind, each compared


def test_without_the_shared_scanner_lark_lexes_every_token(monkeypatch):
    """What the loop does with a lark laid out otherwise: lark's own lexer for every token, the same parse."""
    monkeypatch.setattr(lalr, "_shared_scanner", lambda contextual, lex_state: None)
    for path in FILES[::4]:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert_same(by_loop(text, monkeypatch), by_lark(text), path)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "# only a comment\n",
        "network N { input [3, 8, 8] expect params == 1K expect layer1.rf >= 3 conv(4, 3) }",  # expect's own tokens
        'network N { input [3, 8, 8] conv(4, 3, padding="same") }   # trailing',
        "network N { input [3, 8, 8] conv(4, 3) @ }",
        "network N { input [3, 8, 8] conv(4, 3) ? }",  # a character no terminal takes
        "network N { input [3, 8, 8] conv(4, 3, in=2) }",  # a keyword where a name goes
        "network N { input [3, 8, 8] conv(4, 3 }",
        "network N { input [3, 8, 8]\n\n  relu()\n  conv(4,\n 3)\n",  # the end of the file, unclosed
    ],
)
def test_edge_cases_read_the_same(text, monkeypatch):
    assert by_loop(text, monkeypatch) == by_lark(text)


def test_an_expression_start_reads_the_same(monkeypatch):
    for text in ["1", "-2 ** 3 + x[1:] * f(4)", "[c * 2 for c in [1, 2] if c > 1]", "1 +", "(1"]:
        assert by_loop(text, monkeypatch, start="expr") == by_lark(text, start="expr"), text


def test_a_long_literal_spec_reads_the_same(monkeypatch):
    text = generate(500, "flat")
    assert by_loop(text, monkeypatch) == by_lark(text)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(random_specs())
def test_random_specs_read_the_same(monkeypatch, spec):
    assert by_loop(spec.text, monkeypatch) == by_lark(spec.text)
