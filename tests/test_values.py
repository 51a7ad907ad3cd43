"""netspec.values: a value written as spec text reads back, through netspec's own parser and evaluator, as that
value; the IR text, the compiled header, the network docstring and block labels write values that way."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

import netspec
from netspec.elaborate.evaluate import Env, evaluate
from netspec.parse import parse_expr
from netspec.values import spec_text

SPECS = Path(__file__).parent.parent / "specs"

# What a spec can hold: integers, floats, booleans, strings (no `"`, no line break), and lists of those.
atoms = (
    st.integers(0, 10**12)
    | st.floats(0, 1e300, allow_nan=False, allow_infinity=False)
    | st.booleans()
    | st.text(st.characters(blacklist_characters='"\n\r', blacklist_categories=("Cs",)), max_size=12)
)
values = st.recursive(atoms, lambda inner: st.lists(inner, max_size=4).map(tuple), max_leaves=10)


def read(text: str):
    """A value's text as `--set name=value` reads it: parsed and evaluated by netspec."""
    return evaluate(parse_expr(text), Env())


@given(values)
def test_spec_text_reads_back_as_the_value(value):
    back = read(spec_text(value))
    assert back == value and _types(back) == _types(value)


def _types(value):
    return tuple(map(_types, value)) if isinstance(value, tuple) else type(value)


def test_floats_and_booleans_as_specs_write_them():
    assert [spec_text(v) for v in (1e-6, 1e16, 0.001, 0.5, 2.0)] == ["1e-6", "1e16", "0.001", "0.5", "2.0"]
    assert spec_text((False, True)) == "[false, true]" and spec_text("tiny") == '"tiny"'
    table = read('{"b0": 1.0, "b1": [true, 1e-6], 3: "x"}')
    assert spec_text(table) == '{"b0": 1.0, "b1": [true, 1e-6], 3: "x"}' and read(spec_text(table)) == table


def header(text: str) -> dict:
    """`name=value` pairs of `Name(a=1, b=[true, false])` read back through netspec's evaluator."""
    inner = re.search(r"\((.*)\)", text)
    assert inner is not None, text
    pairs = re.split(r", (?=\w+=)", inner[1])
    return {k: read(v) for k, v in (p.split("=", 1) for p in pairs)}


def test_ir_text_compiled_header_and_docstring_write_spec_values():
    """Lists, booleans, strings and floats, each written where a person reads the network's parameters."""
    cases = [("resnet.net", {"depth": 50}), ("convnext.net", {}), ("fcn.net", {"aux": True}), ("densenet.net", {})]
    for name, params in cases:
        graph = netspec.build(SPECS / name, params)
        expected = {k: tuple(v) if isinstance(v, list) else v for k, v in graph.params.items()}
        assert header(graph.text().splitlines()[0]) == expected
        source = netspec.compile_source(SPECS / name, **params)
        first = " ".join(line.removeprefix("# ") for line in source.splitlines()[:2]).split(" compiled ")[1]
        assert header(first.split(" from ", 1)[1]) == expected, first
        docstring = next(line for line in source.splitlines() if '"""network ' in line)
        assert header(docstring) == expected, docstring


def test_block_labels_write_spec_values():
    report = netspec.analyse(SPECS / "fcn.net")
    backbone = next(s for s in report.scopes if s.path == "backbone")
    assert backbone.label == "ResNetTrunk(depth=50, dilate=[false, true, true])"
