"""Tables (`{"b0": 1.0, "b1": 1.1}`): values named by key, looked up, asked about and walked as Python's dicts are.

Python's own evaluation of each expression is the expected value; the errors are located and list the keys."""

from __future__ import annotations

import pytest
from test_references import _literal, _tuples

from netspec.api import build
from netspec.diagnostics import NetspecError
from netspec.format import format_text

TABLES = [
    '{"a": 1, "b": [2, 3]}["b"]',
    '{"a": 1, "b": 2,}["a"]',  # trailing comma
    '{1: "x", 2: "y"}[2]',
    '{"a": {"b": 5}}["a"]["b"]',
    '[{"s": 1, "m": 2}[k] for k in ["m", "s", "m"]]',
    '"a" in {"a": 1}',
    '"z" in {"a": 1}',
    "len({})",
    'len({"a": 1, "b": 2, "c": 3})',
    '[k for k in {"x": 1, "y": 2}]',  # a table walks its keys, in order
    '[k + "!" for k in {"x": 1, "y": 2} if k != "x"]',
    '{"s": [1, 2, 3], "m": [4, 5]}["s"][1:]',
]


@pytest.mark.parametrize("expr", TABLES)
def test_tables_give_pythons_values(expr):
    expected = _tuples(eval(expr, {"len": len}))  # Python's own answer
    if isinstance(expected, bool):
        check = ("" if expected else "not ") + f"({expr})"
    else:
        check = f"({expr}) == {_literal(expected)}"
    graph = build(f"network N {{ input [3, 8, 8]  assert {check}  conv(2, 1) }}")
    assert graph.output.shape == (2, 8, 8)
    with pytest.raises(NetspecError, match="assertion failed"):  # the assert could fail
        build(f"network N {{ input [3, 8, 8]  assert not ({check})  conv(2, 1) }}")


def test_a_for_loop_walks_the_keys():
    graph = build('network N { input [3, 8, 8]  for k in {"a": 4, "b": 6} { "conv_{k}": conv(2, 1) } }')
    assert [n.path for n in graph.nodes if n.op == "conv"] == ["conv_a", "conv_b"]


def test_a_variant_table_chooses_layers():
    spec = """network N(variant: str = "small") {
        input [3, 32, 32]
        let widths = {"small": [8, 16], "large": [32, 64]}
        for w in widths[variant] { conv(w, 3, padding=1) }
    }"""
    assert build(spec).output.shape == (16, 32, 32)
    assert build(spec.replace('"small")', '"large")')).output.shape == (64, 32, 32)


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ('{"small": 1, "large": 2}["larg"]', r'no key "larg"(.|\n)*its keys: "small", "large"(.|\n)*did you mean'),
        ('{"a": 1}[0]', r"no key 0"),
        ("{1: 2}[true]", r"no key true \(a bool\)"),  # was `True`, Python's spelling
        ('{"a": 1, "a": 2}', r'the key "a" twice'),
        ("{1.5: 2}", r"a table key must be a string or an integer"),
        ("{true: 2}", r"a table key must be a string or an integer"),
        ('{"a": 1} + {"b": 2}', r"`\+` needs numbers"),
        ('{"a": 1} < {"a": 2}', r"cannot compare"),
    ],
)
def test_table_mistakes_are_located_errors(expr, message):
    with pytest.raises(NetspecError, match=message) as caught:
        build(f"network N {{ input [3, 8, 8]  let v = {expr}  conv(2, 1) }}")
    assert all(d.span.line == 1 and d.span.col > 30 for d in caught.value.diagnostics)


def test_tables_count_toward_the_list_bounds():
    """A table of a shared table doubles as `[a, a]` does: without the bound, 50 such lets printed (or hashed)
    2**50 items. Each step's table is checked where it is written; 16 doublings of 2 stay under the limit."""
    lets = "let t0 = {1: 1, 2: 2}  " + "  ".join(f"let t{i} = {{1: t{i - 1}, 2: t{i - 1}}}" for i in range(1, 51))
    with pytest.raises(NetspecError, match=r"table of 131,070 items is too long") as caught:
        build(f"network N {{ input [3, 8, 8]  {lets}  conv(t50, 1) }}")
    assert caught.value.diagnostics[0].span.col == lets.index("{1: t14") + 30
    with pytest.raises(NetspecError, match=r"tables are nested more than 16 deep"):
        build("network N { input [3, 8, 8]  let v = " + '{"a": ' * 17 + "1" + "}" * 17 + "  conv(2, 1) }")
    build("network N { input [3, 8, 8]  let v = " + '{"a": ' * 16 + "1" + "}" * 16 + "  conv(2, 1) }")


def test_a_bool_never_equals_a_number():
    build("network N { input [3, 8, 8]  assert not (1 == true) and 1 != true and true == true  conv(2, 1) }")


@pytest.mark.parametrize(
    "test",
    [
        "[1] != [true] and [[0]] != [[false]] and [true] == [true] and [1] == [1.0]",  # Python's (1,) == (True,)
        "{1: 1} != {1: true} and {1: [0]} != {1: [false]} and {1: 1} == {1: 1.0}",
        "not (true in [1, 2]) and not (0 in [false]) and 1 in [true, 1] and [0] in [[1], [0]]",
        '{"a": 1, "b": 2} == {"b": 2, "a": 1} and {"a": 1} != {"a": 1, "b": 2} and {1: 1} != {"1": 1}',  # as dicts
    ],
)
def test_equality_keeps_bools_apart_at_every_depth(test):
    build(f"network N {{ input [3, 8, 8]  assert {test}  conv(2, 1) }}")
    with pytest.raises(NetspecError, match="assertion failed"):  # the assert could fail
        build(f"network N {{ input [3, 8, 8]  assert not ({test})  conv(2, 1) }}")


def test_the_formatter_writes_a_long_table_an_entry_a_line():
    text = (
        'network N(variant: str = "b0") {\n    input [3, 8, 8]\n'
        '    let scale = {"b0": [1.0, 1.0, 0.2, 224], "b1": [1.0, 1.1, 0.2, 240],\n'
        '                 "b2": [1.1, 1.2, 0.3, 288]}[variant]\n'
        '    let short = {"a": 1, "b": 2}\n'
        "    conv(2, 1)\n}\n"
    )
    out = format_text(text)
    assert (
        '    let scale = {"b0": [1.0, 1.0, 0.2, 224],\n'
        '                 "b1": [1.0, 1.1, 0.2, 240],\n'
        '                 "b2": [1.1, 1.2, 0.3, 288]}[variant]\n'
        '    let short = {"a": 1, "b": 2}\n'
    ) in out
    assert format_text(out) == out
    assert build(out).output.shape == build(text).output.shape == (2, 8, 8)


def test_keys_are_found_by_type_as_well_as_value():
    """Unlike Python's dict, 1.0 and true name no entry of key 1: the language converts between none of them."""
    build('network N { input [3, 8, 8]  let t = {1: "a", "1": "b"}  assert t[1] == "a" and t["1"] == "b"  conv(2, 1) }')
    build("network N { input [3, 8, 8]  assert not (1.0 in {1: 2}) and not (true in {1: 2})  conv(2, 1) }")
    with pytest.raises(NetspecError, match=r"no key 1\.0"):
        build("network N { input [3, 8, 8]  let v = {1: 2}[1.0]  conv(2, 1) }")
