"""Named skips (`@name`), tensor parameters and `output` statements, as the elaborator and analysis see them.

The backends' side (live module, generated source, ONNX, diagrams) is tested where those are; here: which node
each reference names, what each output is, and the errors and warnings around them.
"""

from __future__ import annotations

import pytest

from netspec.api import analyse, build
from netspec.diagnostics import NetspecError
from netspec.format import format_text


def _node(graph, path):
    return next(n for n in graph.nodes if n.path == path)


UNET = """
block Up(c: int, skip: tensor) {
    up:   conv(c, 1)
    concat { @skip  identity() }
    conv: conv(c, 3, padding=1)
}

network Tiny(c: int = 4) {
    input [3, 16, 16]
    enc: {
        s1: conv(c, 3, padding=1)
        s2: conv(2 * c, 3, padding=1)
    }
    mid: conv(2 * c, 3, padding=1)
    dec: Up(c, skip=@enc.s1)
    concat { @enc.s2  identity() }
    output out
    output aux { @mid  relu() }
}
"""


def test_a_skip_joins_the_node_it_names_across_scopes():
    g = build(UNET)
    join = _node(g, "dec.concat")
    assert [g.nodes[i].path for i in join.inputs] == ["enc.s1", "dec.1"]
    assert join.shape == (4 + 4, 16, 16)
    top = _node(g, "concat")
    assert [g.nodes[i].path for i in top.inputs] == ["enc.s2", "3"]
    assert top.shape == (8 + 4, 16, 16)


def test_outputs_in_declaration_order_and_the_main_one():
    g = build(UNET)
    assert [(name, g.nodes[i].path) for name, i in g.outputs] == [("out", "concat"), ("aux", "4")]
    assert g.named_outputs and g.output.path == "concat"
    report = analyse(UNET)
    assert report.outputs == [
        {"name": "out", "layer": "concat", "shape": [12, 16, 16]},
        {"name": "aux", "layer": "4", "shape": [8, 16, 16]},
    ]
    assert report.output == [12, 16, 16]


def test_a_side_branch_leaves_the_chain_as_it_was():
    g = build("""
network N {
    input [3, 8, 8]
    stem: conv(4, 3, padding=1)
    output early { head: conv(2, 1) }
    after: relu()
}""")
    assert g.nodes[_node(g, "after").inputs[0]].path == "stem"
    assert [name for name, _ in g.outputs] == ["early"]  # only what is declared is returned
    assert g.output.path == "head"


def test_without_output_statements_the_network_returns_its_last_value():
    g = build("network N { input [3, 8, 8]  a: conv(4, 1)  relu()  @a }")
    assert g.outputs == [("", _node(g, "a").id)] and not g.named_outputs


def test_at_in_is_the_block_input_and_the_network_input():
    g = build("""
block B(c: int) { conv(c, 1)  relu()  add { @in  identity() } }
network N {
    input [4, 8, 8]
    b: B(4)
    concat { @in  identity() }
}""")
    inner = _node(g, "b.add")
    assert g.nodes[inner.inputs[0]].path == "input"  # the block's input is the network's input here
    outer = _node(g, "concat")
    assert outer.inputs[0] == 0 and outer.shape == (8, 8, 8)


def test_computed_references_in_a_loop_and_numbered_members():
    g = build("""
network N {
    input [3, 8, 8]
    features: { conv(4, 1)  relu()  conv(8, 1)  relu() }
    for i in [1, 2] {
        "tap{i}": { @features."{2 * i - 1}"  conv(2, 1) }
    }
    concat { @tap1  @tap2 }
}""")
    assert [g.nodes[_node(g, f"tap{i}.0").inputs[0]].path for i in (1, 2)] == ["features.1", "features.3"]
    assert _node(g, "concat").shape == (4, 8, 8)


def test_tensor_parameters_pass_on_and_keep_their_node():
    g = build("""
block Inner(s: tensor) { add { @s  identity() } }
block Outer(s: tensor) { conv(4, 1)  inner: Inner(@s) }
network N {
    input [4, 8, 8]
    stem: conv(4, 1)
    Outer(@stem)
}""")
    join = _node(g, "1.inner.add")
    assert g.nodes[join.inputs[0]].path == "stem"


def test_a_let_can_hold_a_reference():
    g = build("network N { input [3, 8, 8]  a: conv(4, 1)  let skip = @a  relu()  add { @skip  identity() } }")
    assert g.nodes[_node(g, "add").inputs[0]].path == "a"


@pytest.mark.parametrize(
    "spec, message",
    [
        ("network N { input [3, 8, 8]  concat { @b  identity() }  b: conv(3, 1) }", "`@b` is not computed yet"),
        ("network N { input [3, 8, 8]  g: { conv(3, 1)  add { @g  identity() } } }", "`@g` is not computed yet"),
        ("network N { input [3, 8, 8]  a: { b: conv(3, 1) }  add { @b  identity() } }", "no member named `b`"),
        (
            "block B() { add { @a  identity() } }  network N { input [3, 8, 8]  a: conv(3, 1)  B() }",
            "no member named `a` here",
        ),
        ("network N { input [3, 8, 8]  a: conv(3, 1)  @a.b }", "`@a` has no member `b`"),
        ("network N { input [3, 8, 8]  @in.x }", "`@in` has no member `x`"),
        ("network N { input [3, 8, 8]  a: conv(3, 1)  conv(@a + 1, 1) }", "`+` needs numbers"),
        ("network N { input [3, 8, 8]  output a  output a }", "output `a` is declared twice"),
        ("block B() { output x }  network N { input [3, 8, 8]  B() }", "`output` belongs to the network"),
        ("network N { input [3, 8, 8]  add { output x  identity() } }", "`output` cannot be a path of a join"),
        ('network N { input [3, 8, 8]  output "a.b" }', "`a.b` cannot name a layer"),
    ],
)
def test_reference_and_output_errors_are_located(spec, message):
    with pytest.raises(NetspecError) as info:
        build(spec)
    assert any(message in d.message for d in info.value.errors), [d.message for d in info.value.errors]
    assert all(d.span is not None for d in info.value.errors)


def test_a_mismatched_skip_points_at_both_ends():
    with pytest.raises(NetspecError) as info:
        build(
            "network N {\n input [3, 8, 8]\n stem: conv(4, 3, padding=1)\n down: conv(4, 3, stride=2)\n"
            " add { @stem  identity() }\n}"
        )
    [error] = info.value.errors
    assert error.span.line == 5
    [(where, label)] = error.related
    assert where.line == 3 and "[4, 8, 8]" in label
    assert ":::" in info.value.render() and error.as_dict()["related"][0]["line"] == 3


def test_values_that_reach_no_output_are_warned_about():
    report = analyse("network N { input [3, 8, 8]  a: conv(4, 1)  b: conv(4, 1)  @a  output out  conv(2, 1) }")
    unused = sorted(w.at.col for w in report.warnings if w.code == "unused")
    assert len(unused) == 2  # `b` (left behind by `@a`) and the conv after the last output
    clean = analyse(UNET)
    assert not [w for w in clean.warnings if w.code == "unused"]


def test_the_formatter_keeps_references_and_outputs():
    text = UNET.replace("concat { @skip  identity() }", "concat {   @skip    identity() }")
    formatted = format_text(text)
    assert "concat { @skip  identity() }" in formatted and "output aux { @mid  relu() }" in formatted
    assert format_text(formatted) == formatted

    def meaning(g):
        return [(n.op, n.path, n.inputs, n.shape) for n in g.nodes], g.outputs

    assert meaning(build(formatted)) == meaning(build(UNET))


def test_expect_names_each_output():
    analyse(UNET.replace("    output out\n", "    output out\n    expect output.aux == [8, 16, 16]\n"))
    with pytest.raises(NetspecError, match=r"expectation failed: output\.aux"):
        analyse(UNET.replace("    output out\n", "    output out\n    expect output.aux == [8, 8, 8]\n"))


@pytest.mark.parametrize(
    "expr",
    [
        "[c * 2 for c in [1, 2, 3]]",
        "[c for c in range(10) if c % 3 == 0]",
        "[[i, j] for i in [1, 2]]",  # `j` from the enclosing body
        "[len([w for w in [8, 8, 16] if w == s]) for s in [8, 16]]",
        "sum([1, 2, 3][:2])",
        "sum([1, 2][:0])",
        "[1, 2, 3, 4][-2:]",
        "[1, 2, 3, 4][1:3]",
        '"abcd"[1:]',
        "[1, 2][5:]",
    ],
)
def test_comprehensions_and_slices_give_pythons_values(expr):
    expected = _tuples(eval(expr, {"range": range, "len": len, "sum": sum, "j": 0}))  # Python's own answer
    graph = build(
        f"network N {{ input [3, 8, 8]  let j = 0  let v = {expr}  assert v == {_literal(expected)}  conv(2, 1) }}"
    )
    assert graph.output.shape == (2, 8, 8)
    with pytest.raises(NetspecError, match="assertion failed"):  # and the assert could fail
        build(
            f"network N {{ input [3, 8, 8]  let j = 0  assert {expr} == {_literal(expected)} + [99]  conv(2, 1) }}"
            if isinstance(expected, tuple)
            else f"network N {{ input [3, 8, 8]  let j = 0  assert {expr} == {_literal(expected)} + 1  conv(2, 1) }}"
            if isinstance(expected, int)
            else f'network N {{ input [3, 8, 8]  assert {expr} == "x"  conv(2, 1) }}'
        )


def _tuples(value):
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def _literal(value) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return f'"{value}"' if isinstance(value, str) else str(value)
