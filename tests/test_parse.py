"""The parse stage (netspec/parse): text -> AST with spans, every construct, expression precedence, syntax errors."""

from __future__ import annotations

import pytest

from netspec.diagnostics import NetspecError
from netspec.elaborate.evaluate import Env, evaluate
from netspec.parse import ast, parse, parse_expr
from netspec.parse.examples import SYNTAX_EXAMPLES


def net(body: str, params: str = "") -> ast.NetworkDef:
    (network,) = parse(f"network N{params} {{\n{body}\n}}\n").networks
    return network


def members(body: str) -> list[ast.Member]:
    return [s for s in net(body).body if isinstance(s, ast.Member)]


def value(text: str, **names):
    return evaluate(parse_expr(text), Env(dict(names)))


def syntax_error(text: str):
    with pytest.raises(NetspecError) as info:
        parse(text, "t.net")
    (error,) = info.value.diagnostics
    assert error.code == "syntax"
    return error


# ---- top level ---------------------------------------------------------------------------------------


def test_file_with_imports_blocks_and_network():
    spec = parse(
        'import "lib/a.net"\nfrom "lib/b.net" import X, Y,\nblock B() { relu() }\nnetwork N { input [3, 8, 8] }\n',
        "f.net",
    )
    assert [(i.path, i.names) for i in spec.imports] == [("lib/a.net", None), ("lib/b.net", ("X", "Y"))]
    assert [b.name for b in spec.blocks] == ["B"] and [n.name for n in spec.networks] == ["N"]
    assert spec.file == "f.net" and spec.text.startswith("import")


def test_network_parameters_with_types_and_defaults():
    network = net("", '(classes: int = 10, widths: list[int] = [16, 32], drop: float, name: str = "x",)')
    params = {p.name: p for p in network.params}
    assert [str(p.type) for p in network.params] == ["int", "list[int]", "float", "str"]
    assert params["drop"].default is None
    assert params["widths"].type.element == "int"
    assert value_of(params["classes"].default) == 10


def value_of(expr):
    return evaluate(expr, Env())


def test_comments_whitespace_and_trailing_commas():
    (m,) = members("  # a comment\n\tconv(8, 3, stride=2,)   # another\n")
    assert m.item.name == "conv" and len(m.item.args) == 3 and m.item.args[2].name == "stride"


def test_empty_file_and_comment_only_file_parse_to_nothing():
    assert parse("").networks == [] and parse("# nothing\n").blocks == []


# ---- members ----------------------------------------------------------------------------------------


def test_named_and_unnamed_calls_with_spans():
    first, second = members("    conv1: conv(64, 7, stride=2)\n    relu()")
    assert first.label == "conv1" and second.label is None
    assert (first.span.line, first.span.col) == (2, 5)
    assert (first.label_span.line, first.label_span.col, first.label_span.end_col) == (2, 5, 10)
    assert (first.item.name_span.col, first.item.span.col) == (12, 12)
    positional, _, keyword = first.item.args
    assert positional.name is None and keyword.name == "stride"


def test_groups_nest():
    (stage,) = members("stage: { a: { relu() } relu() }")
    inner, last = stage.item.body
    assert isinstance(stage.item, ast.Group) and inner.label == "a" and isinstance(inner.item, ast.Group)
    assert last.item.name == "relu"


def test_residual_shortcuts():
    items = [
        m.item
        for m in members("""
        residual { relu() }
        residual { relu() } shortcut auto
        residual { relu() } shortcut downsample: pad
        residual { relu() } shortcut none
        residual { relu() } shortcut kind
        residual { relu() } shortcut proj: { conv(8, 1) batchnorm() }
    """)
    ]
    assert items[0].shortcut is None
    assert [(s.shortcut.label, s.shortcut.kind) for s in items[1:5]] == [
        (None, "auto"),
        ("downsample", "pad"),
        (None, "none"),
        (None, "kind"),
    ]
    explicit = items[5].shortcut
    assert explicit.label == "proj" and explicit.kind is None and len(explicit.body) == 2


def test_concat_and_add_paths():
    concat, add = (m.item for m in members("concat { relu() b: { relu() } }\nadd { identity() relu() }"))
    assert (concat.op, len(concat.body)) == ("concat", 2) and (add.op, len(add.body)) == ("add", 2)


def test_repeat_for_if_else_if_let_assert_and_nested_block():
    body = net("""
        let n = 2
        assert n > 0, "n must be positive"
        assert n < 9
        block Inner(c: int = 4) { conv(c, 1) }
        repeat n { relu() }
        for c in [8, 16] { conv(c, 3) }
        if n == 1 { relu() } else if n == 2 { gelu() } else { silu() }
    """).body
    let, check, bare, block, repeat, loop, branch = body
    assert isinstance(let, ast.Let) and let.name == "n"
    assert isinstance(check, ast.Assert) and check.message == "n must be positive" and bare.message is None
    assert isinstance(block, ast.BlockDef) and block.params[0].name == "c"
    assert isinstance(repeat.item, ast.Repeat) and isinstance(loop.item, ast.For) and loop.item.var == "c"
    chain = branch.item
    assert isinstance(chain, ast.If) and isinstance(chain.orelse[0].item, ast.If)
    assert chain.orelse[0].item.orelse[0].item.name == "silu"


def test_input_statement():
    (stmt,) = [s for s in net("input [3, 224, 224]").body if isinstance(s, ast.Input)]
    assert value_of(stmt.shape) == (3, 224, 224)


# ---- expressions ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("2 ** 3 ** 2", 512),  # right-associative
        ("-2 ** 2", -4),  # ** binds tighter than unary minus
        ("7 // 2", 3),
        ("-7 // 2", -4),
        ("7 % 3", 1),
        ("7 / 2", 3.5),
        ("6 / 2", 3.0),
        ("1 < 2 and 2 < 3", True),
        ("not 1 == 1 or true", True),
        ("not (1 == 1 or true)", False),
        ("if 1 > 2 then 10 else 20", 20),
        ("if false then 1 else if true then 2 else 3", 2),
        ("[1, 2, 3][1]", 2),
        ("[1, 2, 3][-1]", 3),
        ("[[1, 2], [3]][0][1]", 2),
        ("len([1, 2]) + max(3, 4) + min([5, 6]) + sum([1, 1]) + abs(-1)", 14),
        ("range(3)", (0, 1, 2)),
        ("range(1, 7, 2)", (1, 3, 5)),
        ("[1] + [2]", (1, 2)),
        ('"ab" + "c"', "abc"),
        ("3 in [1, 2, 3]", True),
        ('"a" in "abc"', True),
        ("4 in range(3)", False),
        ("1_000 + 1", 1001),
        ("1e-3", 0.001),
        ("2.", 2.0),
        ("same", "same"),
        ("valid", "valid"),
    ],
)
def test_expression_values(text, expected):
    result = value(text)
    assert result == expected and type(result) is type(expected)


def test_integers_stay_integers():
    assert type(value("64 // 2")) is int and type(value("64 / 2")) is float and type(value("2 ** 10")) is int


def test_names_in_expressions():
    assert value("width * 2 + len(widths)", width=16, widths=(1, 2)) == 34


def test_expression_spans_point_at_the_operand():
    (m,) = members("conv(a + b, 3)")
    expr = m.item.args[0].value
    assert isinstance(expr, ast.Binary) and (expr.span.col, expr.span.end_col) == (6, 11)
    assert (expr.right.span.col, expr.right.span.end_col) == (10, 11)


# ---- syntax errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("hint", SYNTAX_EXAMPLES)
def test_every_example_gets_its_hint(hint):
    for example in SYNTAX_EXAMPLES[hint]:
        assert syntax_error(example).help == hint, example


# The same mistakes after other statements and in other bodies: the hint must still be found.
IN_CONTEXT = {
    "network N {\n    input [3, 32, 32]\n    conv(8, 3)\n    relu\n}": "a layer is called with parentheses",
    "block B() {\n    relu() relu\n}": "a layer is called with parentheses",
    "network N {\n    a: { relu() relu }\n}": "a layer is called with parentheses",
    "network N {\n    input [3, 32, 32]\n    conv1 = conv(8, 3)\n}": "name a layer with `name: layer(...)`",
    "network N {\n    input [3, 32, 32]\n    conv(64, 3 stride=2)\n}": "separate arguments with commas",
    "network N {\n    relu()\n    conv(8, 3, stride: 2)\n}": "a keyword argument is written `name=value`",
    "network N(a: int, b = 3) { }": "a parameter needs a type",
    "network N {\n    input [3, 8, 8]\n    let w = 64 if a else 32\n}": "a conditional expression is written",
    "network N {\n    input [3, 8, 8]\n    conv(8, 3); relu()\n}": "statements are separated by whitespace",
    "network N { }\nconv(8, 3)": "layers live inside",
}


@pytest.mark.parametrize("text", IN_CONTEXT)
def test_hints_are_found_in_context(text):
    assert syntax_error(text).help.startswith(IN_CONTEXT[text])


def test_syntax_error_location_and_expected_tokens():
    error = syntax_error("network N {\n    conv(8 3)\n}\n")
    assert (error.span.line, error.span.col, error.span.end_col) == (2, 12, 13)
    assert error.message == "unexpected integer `3`" and error.label.startswith("expected one of")


def test_unexpected_end_of_file_points_at_the_brace_never_closed():
    error = syntax_error("network N {\n    conv(8, 3)\n\n\n")
    assert error.message == "this `{` is never closed" and (error.span.line, error.span.col) == (1, 11)
    error = syntax_error("network N {\n    a: {\n        relu()\n    relu()\n}\n")  # the inner one, by indentation
    assert error.message == "this `{` is never closed" and (error.span.line, error.span.col) == (2, 8)
    error = syntax_error("network N {\n    conv(8, 3)\n}\nblock")
    assert error.message == "unexpected end of file" and (error.span.line, error.span.col) == (4, 6)


def test_lark_never_leaks():
    """The AST holds netspec's own types only: no lark Tree or Token anywhere."""
    spec = parse(
        'import "x.net"\nnetwork N(a: int = 1) { input [3, 8, 8] b: residual { conv(a, 1) } shortcut s: auto }'
    )

    def walk(node):
        assert "lark" not in type(node).__module__
        if isinstance(node, (tuple, list)):
            for item in node:
                walk(item)
        elif hasattr(node, "__dataclass_fields__"):
            for name in node.__dataclass_fields__:
                walk(getattr(node, name))

    walk(spec.networks + spec.imports)


def test_keywords_are_labels_but_not_names():
    """torchvision names members `block`; a keyword is a label after all, but never a value or a call."""
    spec = parse("network N { input [3, 8, 8]  block: { relu() }  input: relu()  in: relu() }")
    assert [m.label for m in spec.networks[0].body[1:]] == ["block", "input", "in"]
    assert syntax_error("network N { input [3, 8, 8]  block(3) }").message == "unexpected `(`"
