"""The elaborate stage: blocks, loops, ifs, lets, imports, residuals, paths, naming and overrides -> IR graph."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import netspec
from netspec.api import build
from netspec.diagnostics import NetspecError
from netspec.elaborate.names import RESERVED
from netspec.values import default_text

ROOT = Path(__file__).parent.parent
SPECS = ROOT / "specs"


def spec(body: str, params: str = "", input: str = "[3, 32, 32]") -> str:
    return f"network N{params} {{\n    input {input}\n{body}\n}}\n"


def graph(body: str, params: str = "", input: str = "[3, 32, 32]", **values):
    """Build a network with this body; `values` override its parameters."""
    return build(spec(body, params, input), values or None)


def layers(body: str, params: str = "", input: str = "[3, 32, 32]", **values) -> list[tuple[str, str, tuple]]:
    """(path, op, shape) of every node after the input."""
    return [(n.path, n.op, n.shape) for n in graph(body, params, input, **values).nodes[1:]]


def names(body: str, params: str = "", **values) -> list[str]:
    return [path for path, _, _ in layers(body, params, **values)]


def errors(text: str, params=None, **kw) -> list[str]:
    with pytest.raises(NetspecError) as info:
        build(text, params, **kw)
    return [d.message for d in info.value.errors]


# ---- naming ------------------------------------------------------------------------------------------


def test_unnamed_members_are_numbered_like_sequential():
    assert names("conv(8, 3)\nrelu()\nmaxpool(2)\nx: conv(8, 3)\nrelu()") == ["0", "1", "2", "x", "4"]


def test_groups_make_dotted_paths():
    assert names("features: { conv(8, 3) relu() inner: { relu() } }\nhead: relu()") == [
        "features.0",
        "features.1",
        "features.inner.0",
        "head",
    ]


def test_loops_and_ifs_are_transparent_to_numbering():
    body = "features: {\n for c in [8, 16] { conv(c, 3, padding=1)  if c == 8 { relu() } }\n repeat 2 { relu() }\n}"
    assert names(body) == ["features.0", "features.1", "features.2", "features.3", "features.4"]


def test_a_named_loop_is_a_group():
    assert names("stage: repeat 2 { relu() }\nrelu()") == ["stage.0", "stage.1", "1"]


def test_block_instances_are_scopes():
    body = "block B(c: int) { conv1: conv(c, 1)  relu() }\nfirst: B(8)\nB(16)"
    assert names(body) == ["first.conv1", "first.1", "1.conv1", "1.1"]
    scopes = {s.path: s for s in graph(body).scopes}
    assert scopes["first"].kind == "block" and scopes["first"].label == "B(8)" and scopes["first"].block == "B"


def test_reserved_names():
    for name in ("forward", "training", "parameters", "state_dict", "_private", "__init__"):
        assert name in RESERVED
    for name in ("conv1", "features", "fc", "downsample", "layer1"):
        assert name not in RESERVED


# ---- blocks ------------------------------------------------------------------------------------------


def test_block_defaults_and_defaults_using_earlier_parameters():
    body = "block B(c: int, k: int = 3, p: int = k // 2) { conv(c, k, padding=p) }\nB(8)\nB(8, 5)\nB(8, k=1)"
    assert [shape for _, _, shape in layers(body)] == [(8, 32, 32), (8, 32, 32), (8, 32, 32)]
    g = graph(body)
    assert [(n.attrs.kernel, n.attrs.padding) for n in g.nodes[1:]] == [
        ((3, 3), (1, 1)),
        ((5, 5), (2, 2)),
        ((1, 1), (0, 0)),
    ]


def test_nested_blocks_see_network_parameters_and_lets():
    body = "let k = 5\nblock Outer() {\n block Inner() { conv(width, k) }\n Inner()\n}\nOuter()"
    ((_, _, shape),) = layers(body, "(width: int = 12)")
    assert shape == (12, 28, 28)


def test_blocks_defined_later_in_the_body_are_visible():
    assert len(layers("B()\nblock B() { relu() }")) == 1


def test_a_block_defined_inside_a_block_is_local():
    assert errors(spec("block Outer() { block Inner() { relu() } Inner() }\nOuter()\nInner()")) == [
        "unknown layer or block `Inner`"
    ]


def test_int_widens_to_float_parameters():
    g = build(spec("dropout(p)", "(p: float = 0)"))
    assert g.params == {"p": 0.0} and g.nodes[1].attrs.p == 0.0


# ---- control flow and lets ------------------------------------------------------------------------------


def test_repeat_for_and_if_else_if():
    body = """
        repeat 2 { conv(4, 1) }
        for c in range(1, 3) { conv(c, 1) }
        for c in widths { conv(c, 1) }
        if mode == "a" { relu() } else if mode == "b" { gelu() } else { silu() }
    """

    def ops(**kw):
        return [(op, shape[0]) for _, op, shape in layers(body, '(widths: list[int] = [7], mode: str = "b")', **kw)]

    assert ops() == [("conv", 4), ("conv", 4), ("conv", 1), ("conv", 2), ("conv", 7), ("gelu", 7)]
    assert ops(mode="c")[-1] == ("silu", 7) and ops(mode="a")[-1] == ("relu", 7)
    assert len(ops(widths=[1, 2, 3])) == 8


def test_repeat_zero_and_empty_for_make_nothing():
    assert names("repeat 0 { relu() }\nfor i in [] { relu() }\nrelu()") == ["0"]


def test_let_scoping():
    body = """
        let w = 8
        conv(w, 1)
        for i in range(2) {
            let w = 16 * (i + 1)     # shadows the outer w inside this body only
            conv(w, 1)
        }
        conv(w, 1)
    """
    assert [shape[0] for _, _, shape in layers(body)] == [8, 16, 32, 8]


def test_conditional_expression_and_indexing():
    body = "let widths = [16, 32, 64]\nconv(if big then widths[-1] else widths[0], 1)"
    assert layers(body, "(big: bool = false)")[0][2][0] == 16
    assert layers(body, "(big: bool = false)", big=True)[0][2][0] == 64


def test_assert_passes_silently_when_true():
    assert names('assert depth in [18, 34], "no"\nrelu()', "(depth: int = 18)") == ["0"]


# ---- residuals, shortcuts and paths -------------------------------------------------------------------


def test_identity_shortcut_adds_the_input():
    g = graph("residual { conv(3, 3, padding=1) }")
    conv, add = g.nodes[1:]
    assert add.op == "add" and add.inputs == (conv.id, 0) and add.shape == (3, 32, 32)


def test_auto_shortcut_projects_with_a_strided_1x1_conv_and_batchnorm():
    rows = layers("b: residual { conv(16, 3, stride=2, padding=1) } shortcut downsample: auto", input="[8, 32, 32]")
    assert rows == [
        ("b.0", "conv", (16, 16, 16)),
        ("b.downsample.0", "conv", (16, 16, 16)),
        ("b.downsample.1", "batchnorm", (16, 16, 16)),
        ("b.add", "add", (16, 16, 16)),
    ]
    proj = graph("b: residual { conv(16, 3, stride=2, padding=1) } shortcut downsample: auto").nodes[2]
    assert (proj.attrs.kernel, proj.attrs.stride, proj.attrs.bias) == ((1, 1), (2, 2), False)


def test_auto_shortcut_is_identity_when_shapes_match():
    assert [op for _, op, _ in layers("residual { conv(3, 3, padding=1) } shortcut auto")] == ["conv", "add"]


def test_pad_shortcut_is_option_a():
    g = graph("residual { conv(32, 3, stride=2, padding=1) } shortcut pad", input="[16, 32, 32]")
    pad = next(n for n in g.nodes if n.op == "pad")
    assert (pad.attrs.stride, pad.attrs.front, pad.attrs.back, pad.shape) == (2, 8, 8, (32, 16, 16))
    assert not pad.is_module


def test_none_shortcut_is_a_plain_branch():
    assert [op for _, op, _ in layers("residual { conv(8, 3, padding=1) } shortcut none")] == ["conv"]


def test_explicit_shortcut_body():
    rows = layers("r: residual { conv(8, 3, padding=1) } shortcut proj: { conv(8, 1) batchnorm() }")
    assert [path for path, _, _ in rows] == ["r.0", "r.proj.0", "r.proj.1", "r.add"]


def test_shortcut_kind_from_a_string_parameter():
    body = "residual { conv(16, 3, padding=1) } shortcut kind"

    def ops(kind):
        return [op for _, op, _ in layers(body, '(kind: str = "pad")', input="[8, 8, 8]", kind=kind)]

    assert ops("pad") == ["conv", "pad", "add"] and ops("none") == ["conv"] and "batchnorm" in ops("auto")


def test_concat_and_add_paths():
    g = graph(
        "inc: concat {\n a: conv(8, 1)\n b: { conv(4, 1) conv(6, 3, padding=1) }\n identity()\n}\n"
        "add { conv(17, 1) identity() }"
    )
    concat = next(n for n in g.nodes if n.op == "concat")
    assert concat.shape == (8 + 6 + 3, 32, 32) and len(concat.inputs) == 3
    assert [n.path for n in g.nodes if n.op == "conv"][:3] == ["inc.a", "inc.b.0", "inc.b.1"]
    assert g.output.op == "add" and g.output.shape == (17, 32, 32)


# ---- imports -------------------------------------------------------------------------------------------


def test_imports_relative_to_the_importing_file(tmp_path):
    (tmp_path / "lib" / "deep").mkdir(parents=True)
    (tmp_path / "lib" / "deep" / "base.net").write_text("block Conv(c: int) { conv(c, 3, padding=1) relu() }\n")
    (tmp_path / "lib" / "blocks.net").write_text(
        'import "deep/base.net"\nblock Pair(c: int) { Conv(c) Conv(c) }\nblock Unused() { relu() }\n'
    )
    (tmp_path / "all.net").write_text('import "lib/blocks.net"\n' + spec("Pair(8)\nUnused()"))
    (tmp_path / "some.net").write_text('from "lib/blocks.net" import Pair\n' + spec("Pair(8)\nUnused()"))
    assert [n.path for n in build(tmp_path / "all.net").nodes[1:]] == ["0.0.0", "0.0.1", "0.1.0", "0.1.1", "1.0"]
    assert errors(tmp_path / "some.net") == ["unknown layer or block `Unused`"]


def test_imported_block_errors_point_into_the_library(tmp_path):
    (tmp_path / "lib.net").write_text("block B() {\n    conv(8, 99)\n}\n")
    (tmp_path / "main.net").write_text('import "lib.net"\n' + spec("B()"))
    with pytest.raises(NetspecError) as info:
        build(tmp_path / "main.net")
    (error,) = info.value.errors
    assert error.span.file == str(tmp_path / "lib.net") and error.span.line == 2
    assert "conv(8, 99)" in info.value.render()


def test_zoo_specs_use_both_import_forms():
    assert 'import "lib/inception.net"' in (SPECS / "googlenet.net").read_text()
    assert 'from "lib/densenet.net" import' in (SPECS / "densenet.net").read_text()
    assert build(SPECS / "googlenet.net").output.shape == (1000,)


# ---- overrides: parameters and input ------------------------------------------------------------------


def test_parameters_override_defaults():
    g = build(SPECS / "lenet5.net", {"classes": 7})
    assert g.params == {"classes": 7} and g.output.shape == (7,)


def test_unknown_parameter_suggests_the_nearest():
    with pytest.raises(NetspecError) as info:
        build(SPECS / "lenet5.net", {"clases": 7})
    (error,) = info.value.errors
    assert error.message == "network `LeNet5` has no parameter `clases`" and error.help == "did you mean `classes`?"


@pytest.mark.parametrize(
    "value, got", [(7.5, "7.5 (a float)"), (True, "true (a bool)"), ("ten", '"ten" (a string)'), ([1], "[1] (a list)")]
)
def test_parameter_type_errors(value, got):
    with pytest.raises(NetspecError) as info:
        build(SPECS / "lenet5.net", {"classes": value})
    (error,) = info.value.errors
    assert error.message == "invalid `classes` for network `LeNet5`" and error.label == f"expected an int, got {got}"


def test_list_parameters_from_python():
    g = build(spec("for c in widths { conv(c, 1) }", "(widths: list[int] = [1])"), {"widths": [4, 5]})
    assert [n.shape[0] for n in g.nodes[1:]] == [4, 5]


def test_input_override():
    assert netspec.analyse(SPECS / "resnet.net", input=(3, 64, 64)).layers[1].shape == [64, 32, 32]
    assert build(SPECS / "lenet5.net", input=(1, 28, 28)).nodes[1].shape == (6, 24, 24)
    assert build("network N {\n conv(8, 3)\n}\n", input=(3, 8, 8)).output.shape == (8, 6, 6)


def test_input_override_is_checked():
    assert errors(str(SPECS / "lenet5.net"), input=(1, 0, 28)) == [
        "the input shape must be [C, H, W] (or [features]) of positive integers"
    ]


def run_cli(*args):
    exe = str(Path(sys.executable).parent / "netspec")
    return subprocess.run([exe, *args], capture_output=True, text=True, cwd=ROOT, timeout=60)


def test_cli_set_and_input():
    done = run_cli("check", "specs/resnet.net", "--set", "depth=34", "--set", "classes=10", "--input", "3x64x64")
    assert done.returncode == 0, done.stderr
    assert "21,289,802 params" in done.stdout and "output [10]" in done.stdout  # ResNet-34 with a 10-way fc


def test_cli_set_type_error():
    done = run_cli("check", "specs/resnet.net", "--set", "depth=50.0")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "invalid `depth` for network `ResNet`" in done.stderr
    assert "expected an int, got 50.0 (a float)" in done.stderr


def test_cli_a_failed_assert_is_the_one_error(cli, monkeypatch):
    """The trunk's `assert len(dilate) == 3` stops it: not the index errors of dilate[1], dilate[2] after it."""
    monkeypatch.chdir(ROOT)
    code, _, err = cli("check", "specs/resnet.net", "--set", "dilate=[true]")
    assert code == 1 and "Traceback" not in err
    assert err.count("error: ") == 1 and "1 error" in err, err
    assert "dilate takes one bool for each of layer2, layer3 and layer4" in err
    assert "false with dilate = [true]" in err and "specs/lib/resnet.net:26:12" in err


def test_cli_set_syntax_error_points_into_the_value():
    done = run_cli("check", "specs/resnet.net", "--set", "depth=[18,")
    assert done.returncode == 2  # a usage error
    assert "--> --set depth:1:7" in done.stderr and "depth=[18," in done.stderr and "never closed" in done.stderr


# ---- the graph ------------------------------------------------------------------------------------------


def test_nodes_are_topological_and_carry_spans():
    g = build(SPECS / "resnet.net")
    for node in g.nodes:
        assert all(i < node.id for i in node.inputs)
        assert node.span.line >= 1
    files = {node.span.file for node in g.nodes}
    assert files == {str(SPECS / "resnet.net"), str(SPECS / "lib" / "resnet.net")}  # the trunk is a library's
    assert g.nodes[0].op == "input" and g.output.shape == (1000,)


def test_every_module_path_is_unique():
    for name in ("resnet.net", "vgg.net", "googlenet.net", "densenet.net", "resnet_cifar.net"):
        paths = [n.path for n in build(SPECS / name).modules()]
        assert len(paths) == len(set(paths)), name


# ---- the language reference, docs/language.md, stays in step with the code -----------------------------

DOC = ROOT / "docs" / "language.md"


def layer_table() -> str:
    """The layer table of docs/language.md, from netspec.ops.LAYERS."""
    import dataclasses

    from netspec.ops import LAYERS

    rows = ["| layer | arguments | what it does |", "|---|---|---|"]
    for name, op in LAYERS.items():
        args = []
        for f in dataclasses.fields(op.Attrs):
            kind = op.Attrs.kind(f.name).replace("|", "\\|")
            text = f"`{f.name}`: {kind}"
            if f.default is not dataclasses.MISSING:
                text += f" = `{default_text(f.default)}`"
            args.append(text)
        summary = op.summary.replace("|", "\\|")
        rows.append(f"| `{name}` | {'<br>'.join(args) or '—'} | {summary} |")
    return "\n".join(rows)


def limits_table() -> str:
    """The limits of docs/language.md, from the constants that enforce them."""
    import importlib

    elaborator, evaluate, imports, base, parser = (
        importlib.import_module(f"netspec.{m}")
        for m in ("elaborate.elaborator", "elaborate.evaluate", "elaborate.imports", "ops.base", "parse.parser")
    )

    rows = [
        ("file size", f"{parser.MAX_SOURCE_BYTES:,} characters", "parse"),
        ("brackets nested in the text", f"{parser.MAX_NESTING}", "parse"),
        ("operators nested in one expression", f"{parser.MAX_EXPR_DEPTH}", "parse; split with `let`"),
        ("digits of an integer literal", f"{parser.MAX_INT_DIGITS}", "parse"),
        ("any number computed", f"2**62 ({evaluate.MAX_VALUE:,})", "evaluation"),
        ("items of a list (counting nested lists)", f"{evaluate.MAX_LIST:,}", "evaluation; also `range`"),
        ("lists inside lists", f"{evaluate.MAX_DEPTH}", "evaluation"),
        ("characters of a string", f"{evaluate.MAX_STRING:,}", "evaluation"),
        ("functions calling functions (`def`)", f"{evaluate.MAX_CALL_DEPTH}", "definition"),
        ("items computed by list comprehensions", f"{evaluate.MAX_ITERATIONS:,}", "evaluation, per elaboration"),
        ("an integer layer argument (channels, kernel, ...)", f"{base.MAX_INT:,}", "layer arguments"),
        ("layers after expansion", f"{elaborator.MAX_NODES:,}", "elaboration"),
        ("expansion steps (members and loop iterations)", f"{elaborator.MAX_STEPS:,}", "elaboration"),
        ("bodies nested while expanding (blocks, groups, loops)", f"{elaborator.MAX_DEPTH}", "elaboration"),
        ("imports nested", f"{imports.MAX_IMPORT_DEPTH}", "imports"),
    ]
    return "\n".join(["| limit | value | checked in |", "|---|---|---|"] + [f"| {a} | {b} | {c} |" for a, b, c in rows])


def section(text: str, name: str) -> tuple[int, int]:
    start = text.index(f"<!-- {name}:begin")
    start = text.index("-->", start) + len("-->\n")
    return start, text.index(f"<!-- {name}:end -->")


@pytest.mark.parametrize("name, table", [("layers", layer_table), ("limits", limits_table)])
def test_language_reference_tables_are_generated(name, table, golden):
    text = DOC.read_text(encoding="utf-8")
    start, end = section(text, name)
    if golden.update:
        DOC.write_text(text[:start] + table() + "\n" + text[end:], encoding="utf-8")
        return
    assert text[start:end] == table() + "\n", "docs/language.md is out of date: run `pytest --update-goldens`"


def test_language_reference_names_every_layer_and_keyword():
    from netspec.ops import LAYERS
    from netspec.parse.parser import _parser

    text = DOC.read_text(encoding="utf-8")
    for name in LAYERS:
        assert f"`{name}`" in text, name
    keywords = {t.pattern.value for t in _parser().terminals if t.pattern.type == "str" and t.pattern.value.isalpha()}
    for word in keywords:
        assert f"`{word}`" in text, word
    for kind in ("auto", "identity", "pad", "none"):
        assert f"| `{kind}`" in text or f"`{kind}` |" in text, kind


@pytest.mark.parametrize("text", ["²x1x1", "3x", "x", "3x32x32x1", "-3x32x32", "3x99999999999x1"])
def test_input_option_that_cannot_be_read(text):
    from netspec.cli.app import parse_input

    with pytest.raises(NetspecError) as info:
        parse_input(text)
    (error,) = info.value.errors
    assert error.message == f"cannot read --input {text!r}" and "e.g. --input 3x224x224" in error.help


def test_cli_input_that_cannot_be_read():
    done = run_cli("check", "specs/lenet5.net", "--input", "²x1x1")  # a digit to str.isdigit, not to int()
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "cannot read --input '²x1x1'" in done.stderr


def test_paths_with_a_nul_character_are_errors(tmp_path):
    with pytest.raises(NetspecError, match="cannot read"):
        build("spec\x00.net")
    (tmp_path / "main.net").write_text('import "lib\x00.net"\n' + spec("relu()"))
    expected = str(tmp_path / "lib\x00.net")
    assert errors(tmp_path / "main.net") == [f"cannot read {expected!r}"]


def test_special_files_are_not_read(tmp_path):
    """/dev/zero would never end and a pipe would block: only regular files are read."""
    import os

    fifo = tmp_path / "pipe.net"
    os.mkfifo(fifo)
    for path in (Path("/dev/zero"), fifo):
        assert errors(str(path)) == [f"cannot read {path}: not a regular file"]
    (tmp_path / "main.net").write_text('import "pipe.net"\n' + spec("relu()"))
    assert errors(tmp_path / "main.net") == [f"cannot read {fifo}: not a regular file"]


def test_files_over_the_size_limit(tmp_path):
    from netspec.elaborate.imports import MAX_FILE_BYTES

    path = tmp_path / "huge.net"
    path.write_text("#" * (MAX_FILE_BYTES + 1))
    assert errors(path) == [f"{path} is too large (over {MAX_FILE_BYTES:,} bytes)"]


def test_the_grammar_outline_and_the_keyword_list_name_every_keyword_of_the_grammar():
    """docs/language.md's Grammar section is written by hand: each keyword of netspec.lark appears in its outline
    and in its list of keywords, and neither names a word the grammar lacks."""
    grammar = set(re.findall(r'"([a-z_]+)"', (ROOT / "netspec/grammars/netspec.lark").read_text()))
    section = DOC.read_text().split("\n## Grammar\n", 1)[1]
    outline = section.split("```")[1]
    assert set(re.findall(r'"([a-z_]+)"', outline)) == grammar
    listed = section.split("Keywords (", 1)[1].split(")", 1)[0]
    assert set(re.findall(r"`(\w+)`", listed)) == grammar
