"""Pygments lexer for .net specs (`pygmentize -l netspec`, Sphinx, MkDocs, Jupyter): text -> tokens.

Registered through the `pygments.lexers` entry point. Layer kinds come from the layer table, so a new layer is
highlighted as a builtin with no change here. editors/vscode/syntaxes/netspec.tmLanguage.json is the same
lexical grammar for TextMate editors.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pygments.lexer import RegexLexer, bygroups, include, words
from pygments.token import Comment, Keyword, Name, Number, Operator, Punctuation, String, Text, Whitespace

from netspec.ops import LAYERS

KEYWORDS = (
    "network",
    "block",
    "input",
    "output",
    "let",
    "assert",
    "expect",
    "residual",
    "shortcut",
    "concat",
    "add",
    "mul",
    "repeat",
    "for",
    "in",
    "if",
    "then",
    "else",
    "import",
    "from",
    "inline",
    "def",
    "and",
    "or",
    "not",
)
CONSTANTS = ("true", "false", "none", "auto", "identity", "pad")
TYPES = ("int", "float", "bool", "str", "list", "tensor")
# the evaluator's builtins (netspec.elaborate.evaluate.BUILTINS, not imported: a lexer loads without the compiler;
# tests/test_highlight.py holds the two equal)
FUNCTIONS = (
    "range",
    "len",
    "sum",
    "min",
    "max",
    "abs",
    "int",
    "float",
    "round",
    "floor",
    "ceil",
    "sqrt",
    "log",
    "log2",
)
IDENT = r"[A-Za-z_][A-Za-z_0-9]*"


class NetspecLexer(RegexLexer):
    """The netspec language: networks, blocks, layers, labels, parameters and expressions."""

    name = "netspec"
    aliases = ("netspec", "net")
    filenames = ("*.net",)
    mimetypes = ("text/x-netspec",)
    url = "https://pypi.org/project/netspec/"

    tokens: ClassVar[dict[str, list[Any]]] = {
        "root": [  # labels are recognised at the start of a line, so blanks are eaten a line at a time
            (r"\n", Whitespace),
            (r"#.*$", Comment.Single),
            (rf"(block|network)(\s+)({IDENT})", bygroups(Keyword.Declaration, Whitespace, Name.Class)),
            (rf"(def)(\s+)({IDENT})", bygroups(Keyword.Declaration, Whitespace, Name.Function)),
            (
                rf"^([ \t]*)({IDENT})([ \t]*)(:)(?!\s*(?:{'|'.join(TYPES)})\b)",
                bygroups(Whitespace, Name.Label, Whitespace, Punctuation),
            ),
            (r'^([ \t]*)(")', bygroups(Whitespace, String.Double), "label"),
            (rf"(shortcut)(\s+)({IDENT})(\s*)(:)", bygroups(Keyword, Whitespace, Name.Label, Whitespace, Punctuation)),
            (
                rf"({IDENT})(\s*)(:)(\s*)({'|'.join(TYPES)})\b",
                bygroups(Name.Variable, Whitespace, Punctuation, Whitespace, Keyword.Type),
            ),
            (
                r"(?<=[=(,\[])([ \t]*)(\{)",
                bygroups(Whitespace, Punctuation),
                "table",
            ),  # a body's `{` never follows these
            (r"[ \t]+", Whitespace),
            (r"\|", Operator),
            include("expression"),
            (r"[{}]", Punctuation),
        ],
        "expression": [
            (r"\s+", Whitespace),
            (r"#.*$", Comment.Single),
            (rf'@(?:{IDENT}|"[^"\n]*")(?:\.(?:[A-Za-z_0-9]+|"[^"\n]*"))*', Name.Variable.Magic),  # `@enc.s1`
            (r'"', String.Double, "string"),
            (r"[0-9][0-9_]*(\.[0-9]+)?(KiB|MiB|GiB|KB|MB|GB|K|M|G|B)\b", Number),  # `expect` quantities: 11.7M
            (r"[0-9][0-9_]*\.[0-9_]*([eE][-+]?[0-9]+)?|[0-9][0-9_]*[eE][-+]?[0-9]+", Number.Float),
            (r"[0-9][0-9_]*", Number.Integer),
            (words(KEYWORDS, suffix=r"\b"), Keyword),
            (words(CONSTANTS, suffix=r"\b"), Keyword.Constant),
            (words(TYPES, suffix=r"\b(?!\s*\()"), Keyword.Type),
            (words(tuple(sorted(LAYERS)), suffix=r"\b(?=\s*\()"), Name.Builtin),
            (words(FUNCTIONS, suffix=r"\b(?=\s*\()"), Name.Function.Magic),
            (r"[A-Z][A-Za-z_0-9]*(?=\s*\()", Name.Class),
            (rf"({IDENT})(\s*)(=)(?!=)", bygroups(Name.Attribute, Whitespace, Operator)),
            (IDENT, Name),
            (r"\*\*|//|==|!=|<=|>=|[-+*/%<>=]", Operator),
            (r"[()\[\],:.]", Punctuation),
        ],
        "table": [  # `{"b0": 1.0, ...}`: keys are strings before `:`, not labels
            (r"\}", Punctuation, "#pop"),
            (r'("[^"\n]*")(\s*)(:)', bygroups(String.Double, Whitespace, Punctuation)),
            (r"(?<=[:=(,\[])(\s*)(\{)", bygroups(Whitespace, Punctuation), "#push"),
            include("expression"),
        ],
        "string": [
            (r'[^"\n]+', String.Double),
            (r'"', String.Double, "#pop"),
            (r"\n", Text, "#pop"),
        ],
        "label": [
            (r"\{", String.Interpol, "interpolation"),
            (r'[^"{\n]+', String.Double),
            (r'"', String.Double, "#pop"),
            (r"\n", Text, "#pop"),
        ],
        "interpolation": [
            (r"\}", String.Interpol, "#pop"),
            include("expression"),
        ],
    }
