"""netspec/parse/reduce.py: the AST built during parsing equals lark's own route (parse tree with propagated
positions, then the transformer), node for node and span for span, on every spec there is and on random ones.

The reference route is what the parser did before reduce.py; it stays in lark and in `_ToAst`, so a change of
lark's tree building that reduce.py does not follow shows up here. Cost: about 3 s.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from strategies import specs as random_specs

from netspec.diagnostics import Diagnostics, NetspecError
from netspec.parse.parser import _parser, _run, _ToAst

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from gen_spec import generate  # noqa: E402

FILES = sorted(
    p
    for folder in ("specs", "tests/bad", "tests/adversarial", "examples", "benchmarks/specs")
    for p in (ROOT / folder).rglob("*.net")
)


def reference(text: str, start: str = "start"):
    """The AST by lark's parse tree and the transformer, or None when that route rejects the text."""
    try:
        tree = _parser().parse(text, start=start)
        result = _ToAst("t.net", Diagnostics()).transform(tree)
    except Exception:  # noqa: BLE001 - a syntax error, or a transformer error lark wraps in VisitError
        return None
    return result


def built(text: str, start: str = "start"):
    """The AST as the parser builds it now (lark's reductions calling the transformer), or None on an error."""
    try:
        return _run(text, "t.net", start, Diagnostics())
    except NetspecError:
        return None


def same_as_reference(text: str, start: str = "start") -> bool:
    return built(text, start) == reference(text, start)  # None for both: the same text is rejected


def test_every_spec_file_parses_to_the_same_ast():
    assert len(FILES) > 100
    parsed = 0
    for path in FILES:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert same_as_reference(text), path
        parsed += reference(text) is not None
    assert parsed > 60  # most of the corpus parses; its syntax errors are compared as errors


@pytest.mark.parametrize(
    "text",
    [
        "",
        "# only a comment\n",
        "network N {}",
        "network N { input [3, 8, 8]  {}  { { relu() } } }",
        "network N(a: int = (1 + 2) * 3, b: int | list[int] = [(4), ((5))]) { input [3, 8, 8] conv(a, b,) }",
        'network N { input [3, 8, 8]\n  block: { relu() }\n  "x{1 + (2)}": relu()\n'
        "  residual { relu() } shortcut s: auto }",
        "network N { input [3, 8, 8]\n  conv(8, # a comment inside the call\n       3)  # and after it\n}",
        "def f(a, b,) = if a > b then (a) else -(b ** 2) // 3\nnetwork N { input [3, 8, 8] expect params == 1.5M }",
        'from "lib.net" import A, B,\n'
        "block B() { for i in range(2) { if i == 0 { relu() } else if true { tanh() } else {} } }",
        "network N { input [in.channels] }",
    ],
)
def test_constructs_and_their_spans(text):
    assert built(text) is not None and same_as_reference(text)


@pytest.mark.parametrize(
    "text",
    [
        "1",
        "(1)",
        "((1 + 2)) * 3",
        "[1, [2, 3],]",
        "not a and b or c in [1]",
        "f(g(1)[0], 2)[1]",
        "-(+1) ** -2",
        "if (a) then [b] else (c)",
        "in.shape[0]",
    ],
)
def test_expressions(text):
    assert built(text, "expr") is not None and same_as_reference(text, "expr")


@pytest.mark.parametrize("style", ["flat", "blocks"])
def test_generated_specs(style):
    text = generate(700, style)
    assert built(text) is not None and same_as_reference(text)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_specs())
def test_random_specs(spec):
    assert built(spec.text) is not None and same_as_reference(spec.text)
