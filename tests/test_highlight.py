"""Highlighting: the Pygments lexer (through its entry point, as pygmentize finds it) and the TextMate grammar
(tokenized by vscode-textmate + vscode-oniguruma, VS Code's own engine), each construct checked for its colour."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pygments.lexers import get_lexer_by_name
from pygments.token import Comment, Error, Keyword, Name, Number, String

from netspec import highlight
from netspec.ops import LAYERS

ROOT = Path(__file__).parent.parent
ZOO = sorted((ROOT / "specs").rglob("*.net"))
GRAMMAR = ROOT / "editors/vscode/syntaxes/netspec.tmLanguage.json"
TEXTMATE = Path(__file__).parent / "textmate"
SAMPLE = """\
# a comment
from "lib.net" import Basic
block Gate(c: int, k: int | list[int] = 3) {
    residual {
        conv1: conv(c, k, stride=2, padding="same", bias=false)
        "denselayer{i + 1}": relu()
    } shortcut downsample: auto
    fc: linear(c * 2 ** -1, init="zeros")
    Basic(c, stride=1)
    let x = 1.5e-3
    expect params < 11.7M
    concat { @enc.s1  identity() }
    output aux { relu() }
    let widths = {"tiny": [96, 192],
                  "base": [128, 256]}
}
"""
# (text, nth occurrence, Pygments token, TextMate scope) for each construct
CONSTRUCTS = [
    ("# a comment", 0, Comment.Single, "comment.line.number-sign.netspec"),
    ("import", 0, Keyword, "keyword.control.netspec"),
    ('"lib.net"', 0, String.Double, "string.quoted.double.netspec"),
    ("block", 0, Keyword.Declaration, "storage.type.netspec"),
    ("Gate", 0, Name.Class, "entity.name.type.netspec"),
    ("c", 0, Name.Variable, "variable.parameter.netspec"),
    ("int", 0, Keyword.Type, "storage.type.netspec"),
    ("residual", 0, Keyword, "keyword.control.netspec"),
    ("conv1", 0, Name.Label, "entity.name.label.netspec"),
    ("conv", 0, Name.Builtin, "support.function.layer.netspec"),
    ("stride", 0, Name.Attribute, "variable.parameter.keyword.netspec"),
    ("false", 0, Keyword.Constant, "constant.language.netspec"),
    ("denselayer", 0, String.Double, "entity.name.label.netspec"),
    ("downsample", 0, Name.Label, "entity.name.label.netspec"),
    ("auto", 0, Keyword.Constant, "constant.language.netspec"),
    ("linear", 0, Name.Builtin, "support.function.layer.netspec"),
    ("2", 1, Number.Integer, "constant.numeric.integer.netspec"),
    ("Basic", 1, Name.Class, "entity.name.type.block.netspec"),
    ("1.5e-3", 0, Number.Float, "constant.numeric.float.netspec"),
    ("expect", 0, Keyword, "keyword.control.netspec"),
    ("11.7M", 0, Number, "constant.numeric.quantity.netspec"),
    ("@enc.s1", 0, Name.Variable.Magic, "variable.other.reference.netspec"),
    ("output", 0, Keyword, "keyword.control.netspec"),
    ('"base"', 0, String.Double, "string.quoted.double.netspec"),  # a table's key on its own line: not a label
]


def pygments_tokens(text: str) -> list[tuple[int, object, str]]:
    return list(get_lexer_by_name("netspec").get_tokens_unprocessed(text))


def offset(text: str, needle: str, nth: int) -> int:
    found = [m.start() for m in re.finditer(rf"(?<![A-Za-z_0-9]){re.escape(needle)}(?![A-Za-z_0-9])", text)]
    return found[nth]


@pytest.mark.parametrize(("needle", "nth", "token", "scope"), CONSTRUCTS, ids=[c[0] for c in CONSTRUCTS])
def test_pygments_construct(needle, nth, token, scope):
    at = offset(SAMPLE, needle, nth)
    kinds = [kind for start, kind, value in pygments_tokens(SAMPLE) if start <= at < start + len(value)]
    assert kinds and kinds[0] in token, f"{needle!r}: {kinds}"


def test_pygmentize_finds_the_lexer_by_its_entry_point():
    pygmentize = Path(sys.executable).parent / "pygmentize"
    done = subprocess.run(
        [str(pygmentize), "-l", "netspec", "-f", "html", str(ROOT / "specs/resnet18.net")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert '<span class="nb">conv</span>' in done.stdout and '<span class="nl">conv1</span>' in done.stdout
    done = subprocess.run([str(pygmentize), "-N", "model.net"], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "netspec"


def test_pygments_lexes_the_zoo_without_errors():
    for path in ZOO:
        text = path.read_text()
        bad = [(value, start) for start, kind, value in pygments_tokens(text) if kind in Error]
        assert not bad, f"{path.name}: {bad[:5]}"
        assert "".join(value for _, _, value in pygments_tokens(text)) == text


def test_both_grammars_know_every_keyword_of_the_language():
    """The keywords are netspec.lark's quoted words: a new one must be highlighted by Pygments and TextMate."""
    keywords = set(re.findall(r'"([a-z_]+)"', (ROOT / "netspec/grammars/netspec.lark").read_text()))
    assert not keywords - {*highlight.KEYWORDS, *highlight.CONSTANTS}, "add them to netspec/highlight.py"
    patterns = re.findall(r'"(?:match|begin)": "((?:[^"\\]|\\.)*)"', GRAMMAR.read_text())
    unknown = {k for k in keywords if not any(re.search(rf"[(|:]{k}[)|]", m) for m in patterns)}
    assert not unknown, f"add {sorted(unknown)} to {GRAMMAR.relative_to(ROOT)}"


def test_textmate_grammar_knows_every_layer():
    grammar = json.loads(GRAMMAR.read_text())
    rule = next(
        p for p in grammar["repository"]["expression"]["patterns"] if p.get("name") == "support.function.layer.netspec"
    )
    names = set(re.search(r"\(\?:([^)]*)\)", rule["match"]).group(1).split("|"))
    missing = set(LAYERS) - names
    assert not missing, f"add {sorted(missing)} to the layer pattern of {GRAMMAR.relative_to(ROOT)}"


def tokenize(*files: Path) -> dict[str, list]:
    """Tokens of each file as VS Code would make them: [line, text, scopes]."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed (the TextMate grammar is tested where node is)")
    if not (TEXTMATE / "node_modules" / "vscode-textmate").exists():
        pytest.fail("tests/textmate/node_modules is missing: run `make setup` (npm install --prefix tests/textmate)")
    done = subprocess.run(
        ["node", str(TEXTMATE / "tokenize.js"), str(GRAMMAR), *map(str, files)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def test_textmate_constructs(tmp_path):
    sample = tmp_path / "sample.net"
    sample.write_text(SAMPLE)
    tokens = tokenize(sample)[str(sample)]
    lines = SAMPLE.split("\n")
    for needle, nth, _, scope in CONSTRUCTS:
        at = offset(SAMPLE, needle, nth)
        line = SAMPLE.count("\n", 0, at) + 1
        col = at - sum(len(x) + 1 for x in lines[: line - 1])
        found, start = None, 0
        for _, text, scopes in (t for t in tokens if t[0] == line):
            if start <= col < start + len(text):
                found = scopes
            start += len(text)
        assert found is not None and scope in found, f"{needle!r} at {line}:{col + 1}: {found}"


def test_textmate_zoo():
    """Every layer call, label and comment of the zoo gets its scope."""
    tokens = tokenize(*ZOO)
    for path in ZOO:
        scoped = tokens[str(path)]
        text = path.read_text()
        layers = [t for t in scoped if "support.function.layer.netspec" in t[2]]
        calls = re.findall(rf"\b({'|'.join(LAYERS)})\s*\(", re.sub(r"#.*", "", text))
        assert [t[1] for t in layers] == calls, path.name
        comments = [t[1] for t in scoped if "comment.line.number-sign.netspec" in t[2]]
        assert comments == re.findall(r"#.*", text), path.name
        labels = sorted(t[1] for t in scoped if "entity.name.label.netspec" in t[2])
        code = re.sub(r"#.*", "", text)
        code = re.sub(r"(?<=[=(,\[])(\s*)\{[^{}]*\}", "", code)  # tables: their keys are strings, not labels
        expected = re.findall(r"^\s*([A-Za-z_]\w*)\s*:(?!\s*(?:int|float|bool|str|list)\b)", code, re.M)
        expected += re.findall(r"\bshortcut\s+([A-Za-z_]\w*)\s*:", code)
        expected += re.findall(r'^\s*("[^"\n]*")\s*:', code, re.M)  # computed labels: "stage{s + 2}":
        assert labels == sorted(expected), path.name


def test_the_lexer_knows_every_builtin_function():
    from netspec.elaborate.evaluate import BUILTINS
    from netspec.highlight import FUNCTIONS

    assert set(FUNCTIONS) == set(BUILTINS)
