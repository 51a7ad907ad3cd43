"""Text -> ast.Spec: the lark LALR parser, friendly syntax errors, and the tree-to-AST transformer."""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable
from typing import Any

from lark import Lark, Token, Transformer_NonRecursive, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from netspec.diagnostics import Diagnostics, NetspecError, Span
from netspec.parse import ast, budget, reduce
from netspec.parse.directives import directives
from netspec.parse.tables import load_parser

MAX_SOURCE_BYTES = 2_000_000
MAX_NESTING = 48
MAX_INT_DIGITS = 18
MAX_EXPR_DEPTH = 64  # operators inside operators; evaluation recurses once per level

_FRIENDLY = {
    "NAME": "a name",
    "INT": "an integer",
    "FLOAT": "a number",
    "STRING": "a string",
    "COMPARE": "a comparison",
    "SUBJECT": "a name",  # what `expect` checks: `params`, `layer4.rf`; the fallback lexer may call any name one
    "QUANTITY": "a number with a unit",
    "$END": "end of file",
}


@functools.cache
def _parser() -> Lark:
    return load_parser()


def parse(text: str, path: str = "<input>") -> ast.Spec:
    """Parse one .net file; raise NetspecError with friendly diagnostics on any syntax error."""
    diags = Diagnostics()
    _precheck(text, path, diags)
    diags.raise_if_errors()
    allows = directives(text, path, diags)
    spec = _run(text, path, "start", diags)
    diags.raise_if_errors()
    spec.text, spec.allows = text, allows
    return spec


def parse_expr(text: str, path: str = "<--set>"):
    """Parse one expression (a `--set name=value` value)."""
    diags = Diagnostics()
    _precheck(text, path, diags)
    diags.raise_if_errors()
    return _run(text, path, "expr", diags)


def decode(data: bytes, path: str) -> str:
    """Bytes of a file -> text, or a diagnostic at the first byte that is not UTF-8."""
    try:
        return data.decode("utf-8").removeprefix("\ufeff")  # the byte-order mark some editors write
    except UnicodeDecodeError as e:
        before = data[: e.start].decode("utf-8", "replace")
        line = before.count("\n") + 1
        col = len(before) - (before.rfind("\n") + 1) + 1
        raise NetspecError(
            _one(
                f"{path} is not UTF-8 text",
                Span.point(path, line, col),
                f"byte 0x{data[e.start]:02x} cannot start a character",
                "a .net file is plain text; is this the right file?",
            )
        ) from None


def _one(message, span, label="", help=""):
    diags = Diagnostics()
    diags.error(message, span, label, help, code="syntax")
    return diags.items


# The characters _precheck looks at: line ends, comment and string marks, brackets, `/`, ASCII control
# characters other than the blanks, and every character beyond ASCII (printable or not, it decides).
_MARKS = re.compile(r'[\n#"/()\[\]{}\x00-\x08\x0e-\x1f\x7f-\U0010ffff]')


def _precheck(text: str, path: str, diags: Diagnostics) -> None:
    """Reject what would make the parser slow or deep before it runs: size, control bytes, nesting."""
    if len(text) > MAX_SOURCE_BYTES:
        diags.error(
            f"file is too large ({len(text):,} characters; the limit is {MAX_SOURCE_BYTES:,})",
            Span.point(path, 1, 1),
            help="split it into block libraries and import them",
        )
        return
    if (over := budget.overrun(text)) is not None:  # before the parser spends time and memory on it
        at, (message, hint) = over[0], over[1]
        line = text.count("\n", 0, at) + 1
        diags.error(message, Span.point(path, line, at - text.rfind("\n", 0, at)), help=hint, code="syntax")
        return
    depth, line, line_start, in_comment, in_string = 0, 1, 0, False, False
    for found in _MARKS.finditer(text):  # every other character is printable ASCII or a blank: nothing to do
        at, ch = found.start(), found.group()
        col = at - line_start + 1
        if ch == "\n":
            line, line_start, in_comment, in_string = line + 1, at + 1, False, False
        elif in_comment or (in_string and ch != '"'):
            continue
        elif ch == "#":
            in_comment = True
        elif ch == "/" and text.startswith(("//", "/*"), at) and not text[at - col + 1 : at].strip():
            diags.error(
                "comments start with `#`",
                Span.point(path, line, col, 2),
                "not a comment here",
                "write `# ...`; `//` is floor division (`a // b`)",
                code="syntax",
            )
            return
        elif ch == '"':
            in_string = not in_string
        elif ch == "\x00" or (not ch.isprintable() and ch not in "\t\r\f\v"):
            diags.error(
                "unexpected control character in source",
                Span.point(path, line, col),
                f"character U+{ord(ch):04X}",
                "a .net file is plain text; is this the right file?",
                code="syntax",
            )
            return
        elif ch in "([{":
            depth += 1
            if depth > MAX_NESTING:
                diags.error(
                    f"nesting is deeper than {MAX_NESTING} levels",
                    Span.point(path, line, col),
                    "too deep here",
                    "name a block and instantiate it instead of nesting further",
                    code="syntax",
                )
                return
        elif ch in ")]}":
            depth = max(0, depth - 1)


def _offset(text: str, line: int, col: int) -> int:
    """The index in `text` of 1-based (line, col)."""
    at = 0
    for _ in range(line - 1):
        at = text.index("\n", at) + 1
    return at + col - 1


def _run(text: str, path: str, start: str, diags: Diagnostics):
    """`text` parsed from `start` straight to AST nodes: no parse tree in between (see reduce.py)."""
    try:
        return reduce.parse(_parser(), text, start, _ToAst(path, diags))
    except UnexpectedInput as e:
        diags.error(*_describe(e, text, path), code="syntax")
        raise NetspecError(diags.items) from None


def _describe(e: UnexpectedInput, text: str, path: str) -> tuple[str, Span, str, str]:
    """(message, span, label, help) for a syntax error, in the user's words, never lark's."""
    line, col = max(1, getattr(e, "line", 1) or 1), max(1, getattr(e, "column", 1) or 1)
    hint = _hint(e, text)
    if isinstance(e, UnexpectedCharacters):
        ch = text[e.pos_in_stream] if e.pos_in_stream is not None and e.pos_in_stream < len(text) else "?"
        if ch == "'":
            hint = hint or 'strings are written in double quotes: `"same"`'
        return f"unexpected character `{ch}`", Span.point(path, line, col), "not part of the language", hint
    if isinstance(e, UnexpectedEOF) or (isinstance(e, UnexpectedToken) and e.token.type == "$END"):
        opened = unclosed(text)
        if opened is not None:
            where = Span.point(path, *opened)
            return (
                f"this `{text[_offset(text, *opened)]}` is never closed",
                where,
                "opened here",
                "nothing closes it before the end; add its closing bracket where the body or list ends",
            )
        last = text.rstrip().split("\n")  # lines as lark counts them
        span = Span.point(path, len(last), len(last[-1]) + 1)
        return "unexpected end of file", span, _expected(e), hint or "is a closing `}` or `)` missing?"
    assert isinstance(e, UnexpectedToken)  # lark's third kind of UnexpectedInput, after the two above
    token: Token = e.token
    width = max(1, len(str(token.value)))
    span = Span.point(path, line, col, width)
    hint = _WORD_HINTS.get(str(token.value), hint)
    if str(token.value) == "=" and hint.startswith("name a layer with"):
        hint = _assignment_hint(text, token, hint)
    before = _word_before(text, token)
    keyword = _misspelt_keyword((str(token.value), (line, col)), before)
    if keyword is not None:
        word, at, suggestion = keyword
        return (
            f"unknown keyword `{word}`",
            Span.point(path, *at, len(word)),
            "not a keyword",
            f"did you mean `{suggestion}`?",
        )
    if before is not None and before[1][0] < line and hint.startswith("a layer is called with parentheses"):
        word, at = before  # `relu` at the end of a line: point at it, not at the next line's first word
        return f"`{word}` needs parentheses", Span.point(path, *at, len(word)), "a layer without `()`", hint
    if _line_of(text, token).lstrip().startswith("def ") and str(token.value) in (":", "{"):
        hint = _DEF_HINT  # a Python-style `def Block(c: int) {`: netspec's def is a one-expression function
    return f"unexpected {_show_token(token)}", span, _expected(e), hint


_DEF_HINT = (
    "`def` defines a function of one expression, e.g. `def half(c) = c // 2`; "
    "a block is defined with `block Name(param: int) { ... }`"
)


def _line_of(text: str, token: Token) -> str:
    start = getattr(token, "start_pos", 0) or 0
    return text[text.rfind("\n", 0, start) + 1 :].split("\n", 1)[0]


_WORD_HINTS = {  # words of other languages, where netspec has its own
    "def": "a block is defined with `block Name(param: int) { ... }`",
    "class": "a block is defined with `block Name(param: int) { ... }`",
    "return": "a block's output is its last layer; there is no `return`",
    "while": "loops are `repeat N { ... }` or `for x in [...] { ... }`",
}


def _assignment_hint(text: str, token: Token, hint: str) -> str:
    """`width = 64` binds a value (`let`); `conv1 = conv(...)` names a layer (`conv1: conv(...)`)."""
    after = text[getattr(token, "end_pos", 0) :].lstrip()
    if re.match(r"[A-Za-z_][A-Za-z_0-9]*\s*\(", after):
        return hint
    line = text[text.rfind("\n", 0, token.start_pos) + 1 :].split("\n", 1)[0].strip()
    return f"a value is bound with `let`: `let {line}`"


_KEYWORDS = (
    "network",
    "block",
    "import",
    "from",
    "residual",
    "shortcut",
    "concat",
    "repeat",
    "input",
    "let",
    "assert",
    "expect",
    "for",
    "if",
    "else",
)


def _word_before(text: str, token: Token) -> tuple[str, tuple[int, int]] | None:
    """The identifier just before the token (skipping blanks and comments), with its (line, col)."""
    start = getattr(token, "start_pos", None)
    if start is None:
        return None
    head = text[:start]
    lines = head.split("\n")
    for back in range(len(lines) - 1, -1, -1):
        code = lines[back].split("#", 1)[0].rstrip() if back < len(lines) - 1 else lines[back].rstrip()
        match = re.search(r"[A-Za-z_][A-Za-z_0-9]*$", code)
        if code:
            return (match[0], (back + 1, match.start() + 1)) if match else None
    return None


def _misspelt_keyword(token, before) -> tuple[str, tuple[int, int], str] | None:
    """A name one typo from a keyword, at the token or just before it: `netowrk N {`, `residul {`."""
    import difflib

    for word, at in [token] + ([before] if before else []):
        if word in _KEYWORDS or not word.isidentifier():
            continue
        found = difflib.get_close_matches(word, _KEYWORDS, n=1, cutoff=0.8)
        if found:
            return word, at, found[0]
    return None


def unclosed(text: str) -> tuple[int, int] | None:
    """The (line, col) of the bracket that is never closed. Brackets pair up from the inside, so a missing `}`
    looks like the outermost one's; the indentation says which it was: the last `{` whose line's indentation
    no later `}` line repeats. Without such a brace, the innermost bracket still open."""
    open_at = _still_open(text)
    if open_at is None:
        return None
    lines = text.split("\n")
    indent = [len(line) - len(line.lstrip()) for line in lines]
    closers = [(n, indent[n]) for n, line in enumerate(lines) if line.lstrip().startswith("}")]
    for n in range(len(lines) - 1, -1, -1):
        code = lines[n].split("#", 1)[0].rstrip()
        if code.endswith("{") and not any(m > n and i == indent[n] for m, i in closers):
            return n + 1, len(code)
    return open_at


def _still_open(text: str) -> tuple[int, int] | None:
    stack: list[tuple[int, int]] = []
    line, col, in_comment, in_string = 1, 0, False, False
    for ch in text:
        col += 1
        if ch == "\n":
            line, col, in_comment, in_string = line + 1, 0, False, False
        elif in_comment or (in_string and ch != '"'):
            continue
        elif ch == "#":
            in_comment = True
        elif ch == '"':
            in_string = not in_string
        elif ch in "([{":
            stack.append((line, col))
        elif ch in ")]}" and stack:
            stack.pop()
    return stack[-1] if stack else None


def _hint(e: UnexpectedInput, text: str) -> str:
    """The hint of the example in SYNTAX_EXAMPLES that failed in the same parser state on the same token.

    lark's match_examples compares whole state stacks, so `relu }` matched only as the first member of a
    network; comparing the state on top of the stack finds it in any body, after any statement.
    """
    key = (_state(e), _offender(e, text))
    return next((hint for where, found, hint in _example_errors() if (where, found) == key), "")


@functools.cache
def _example_errors() -> tuple[tuple[object, str, str], ...]:
    """(parser state, offending token type or character, hint) for every example in SYNTAX_EXAMPLES."""
    from netspec.parse.examples import SYNTAX_EXAMPLES  # needed only once a syntax error is being described

    found = []
    for hint, examples in SYNTAX_EXAMPLES.items():
        for example in examples:
            try:
                _parser().parse(example, start="start")
            except UnexpectedInput as e:
                found.append((_state(e), _offender(e, example), hint))
    return tuple(found)


def _state(e: UnexpectedInput):
    state = getattr(e, "state", None)
    return getattr(state, "position", None)


def _offender(e: UnexpectedInput, text: str) -> str:
    if isinstance(e, UnexpectedCharacters):
        at = e.pos_in_stream or 0  # always set for a character the lexer stopped at
        return text[at : at + 1]
    token = getattr(e, "token", None)
    return token.type if token is not None else "$END"


def _expected(e: UnexpectedInput) -> str:
    names = sorted({_show_terminal(t) for t in (getattr(e, "expected", None) or getattr(e, "allowed", None) or ())})
    if not names:
        return ""
    if len(names) > 6:
        names = names[:6] + ["..."]
    return "expected " + (names[0] if len(names) == 1 else "one of " + ", ".join(names))


def _show_token(token: Token) -> str:
    if token.type in _FRIENDLY:
        what = _FRIENDLY[token.type].split(" ", 1)[-1]  # "unexpected name `x`", not "unexpected a name"
        return f"{what} `{token.value}`" if token.type != "$END" else "end of file"
    return f"`{token.value}`"


def _show_terminal(name: str) -> str:
    if name in _FRIENDLY:
        return _FRIENDLY[name]
    terminal = next((t for t in _parser().terminals if t.name == name), None)
    if terminal is not None and terminal.pattern.type == "str":
        return f"`{terminal.pattern.value}`"
    return name.lower()


def _span(path: str, meta) -> Span:
    if getattr(meta, "empty", True):
        return Span.point(path, 1, 1)
    return Span(path, meta.line, meta.column, meta.end_line, meta.end_column)


def _token_span(path: str, token: Token) -> Span:
    line, col, end_line, end_col = token.line, token.column, token.end_line, token.end_column
    assert line is not None and col is not None and end_line is not None and end_col is not None  # a lexed token
    return Span(path, line, col, end_line, end_col)


def _nested(method):
    """Wrap an expression builder: record the expression's depth and refuse one too deep to evaluate."""

    @functools.wraps(method)
    def build(self, meta, children):
        node = method(self, meta, children)
        depth = 1 + max((self.depths.get(id(c), 1) for c in children), default=1)
        if depth > MAX_EXPR_DEPTH:
            self.diags.error(
                "expression is nested too deeply",
                node.span,
                f"more than {MAX_EXPR_DEPTH} operators inside one another",
                "split it into steps with `let`",
                code="syntax",
            )
            raise NetspecError(self.diags.items)
        self.depths[id(node)] = depth
        return node

    return build


def _binary_rule(op: str):
    """The transformer method for one binary operator's rule."""

    def method(self, meta, children):
        return ast.Binary(op, children[0], children[1], self.s(meta))

    return _nested(method)


@v_args(meta=True)
class _ToAst(Transformer_NonRecursive):
    """lark's parse tree -> netspec.parse.ast; lark's types never leave this module."""

    def __init__(self, path: str, diags: Diagnostics):
        super().__init__()
        self.path = path
        self.diags = diags
        self.depths: dict[int, int] = {}  # id(expression) -> operator depth, for _nested
        for name in _METHODS:  # v_args re-wraps a method at every lookup (functools.update_wrapper): bind once
            setattr(self, name, getattr(self, name))
        # meta -> its Span. An attribute, not a method: v_args would wrap a method, three calls per span, not one.
        self.s: Callable[[Any], Span] = functools.partial(_span, path)

    # -- top level
    def start(self, meta, items):
        spec = ast.Spec(self.path, "")
        lists: dict[type, list[Any]] = {
            ast.Import: spec.imports,
            ast.BlockDef: spec.blocks,
            ast.NetworkDef: spec.networks,
            ast.Def: spec.defs,
        }
        for item in items:
            lists[type(item)].append(item)
        return spec

    def import_all(self, meta, children):
        return ast.Import(_string(children[0]), None, self.s(meta))

    def import_names(self, meta, children):
        return ast.Import(_string(children[0]), tuple(str(n) for n in children[1:]), self.s(meta))

    def network_def(self, meta, children):
        name, params, body = children
        return ast.NetworkDef(str(name), params or (), body, self.s(meta), _token_span(self.path, name))

    def block_def(self, meta, children):
        name, params, body = children
        return ast.BlockDef(str(name), params or (), body, self.s(meta), _token_span(self.path, name))

    def param_list(self, meta, children):
        return tuple(c for c in children if c is not None)

    def param(self, meta, children):
        name, type_ref, default = children
        return ast.Param(str(name), type_ref, default, self.s(meta))

    def type_union(self, meta, children):
        return children[0] if len(children) == 1 else ast.UnionType(tuple(children), self.s(meta))

    def type_ref(self, meta, children):
        name, element = children
        return ast.TypeRef(str(name), str(element) if element else None, self.s(meta))

    def body(self, meta, children):
        return tuple(children)

    def input_stmt(self, meta, children):
        return ast.Input(children[0], self.s(meta))

    def output_stmt(self, meta, children):
        name, branch = children
        span = _token_span(self.path, name)
        body = None
        if branch is not None:
            line, body = branch
            if line != span.end_line:  # `output out` and then a group on the next line: not its side branch
                self.diags.error(
                    "the `{` of `output NAME { ... }` belongs on the same line",
                    span,
                    f"`output {name}` ends here and a `{{` follows on line {line}",
                    f"write `output {name} {{` to give the output a side branch, or label the group "
                    "that follows (`name: { ... }`)",
                    code="syntax",
                )
                raise NetspecError(self.diags.items)
        label = self._template(name, span) if name.type == "STRING" else str(name)
        return ast.Output(label, body, self.s(meta), span)

    def branch(self, meta, children):
        return meta.line, tuple(children)

    def let_stmt(self, meta, children):
        return ast.Let(str(children[0]), children[1], self.s(meta))

    def def_stmt(self, meta, children):
        name, *params, body = children
        return ast.Def(
            str(name), tuple(str(p) for p in params if p is not None), body, self.s(meta), _token_span(self.path, name)
        )

    def assert_stmt(self, meta, children):
        test, message = children
        return ast.Assert(test, _string(message) if message is not None else None, self.s(meta))

    def expect_stmt(self, meta, children):
        subject, op, value = children
        if isinstance(value, Token):
            value = _quantity(value, _token_span(self.path, value))
        return ast.Expect(str(subject), str(op), value, self.s(meta), _token_span(self.path, subject))

    # -- members
    def member(self, meta, children):
        label, item = children
        if label is None:
            return ast.Member(None, item, self.s(meta))
        span = _token_span(self.path, label)
        name = self._template(label, span) if label.type == "STRING" else str(label)
        return ast.Member(name, item, self.s(meta), span)

    def inline_member(self, meta, children):
        return ast.Member(None, children[0], self.s(meta), inline=True)

    def label(self, meta, children):
        return children[0]

    def reference(self, meta, children):
        parts = []
        for token in children:
            parts.append(self._template(token, _token_span(self.path, token)) if token.type == "STRING" else str(token))
        return ast.Ref(tuple(parts), self.s(meta))

    def ref_part(self, meta, children):
        return children[0]

    def _template(self, token: Token, span: Span) -> ast.Template:
        """`"block{s}-{i}"` -> its text and expression parts, each expression located in the file."""
        text, at = _string(token), 0
        parts: list[str | ast.Expr] = []
        while at < len(text):
            start = text.find("{", at)
            if start < 0:
                parts.append(text[at:])
                break
            end = text.find("}", start)
            if end < 0 or "}" in text[at:start]:
                self.diags.error(
                    "unbalanced `{` or `}` in a label",
                    span,
                    "every {expr} needs both braces",
                    'e.g. "denselayer{i + 1}"',
                    code="syntax",
                )
                raise NetspecError(self.diags.items)
            if start > at:
                parts.append(text[at:start])
            parts.append(self._part(text[start + 1 : end], span.line, span.col + 1 + start + 1))
            at = end + 1
        return ast.Template(tuple(parts), span)

    def _part(self, source: str, line: int, col: int) -> ast.Expr:
        if not source.strip():
            self.diags.error(
                "empty {} in a label",
                Span.point(self.path, line, col - 1, 2),
                "no expression",
                'put an expression inside, e.g. "layer{i}"',
                code="syntax",
            )
            raise NetspecError(self.diags.items)
        try:
            expr = _run(source, self.path, "expr", Diagnostics())
        except NetspecError as e:
            self.diags.items.extend(_shifted(d, line, col) for d in e.diagnostics)
            raise NetspecError(self.diags.items) from None
        return _shift(expr, line, col)

    def call(self, meta, children):
        name, *args = children
        return ast.Call(
            str(name), tuple([a for a in args if a is not None]), self.s(meta), _token_span(self.path, name)
        )

    def positional(self, meta, children):
        return ast.Arg(None, children[0], self.s(meta))

    def keyword(self, meta, children):
        return ast.Arg(str(children[0]), children[1], self.s(meta))

    def group(self, meta, children):
        return ast.Group(children[0], self.s(meta))

    def residual(self, meta, children):
        return ast.Residual(children[0], children[1], self.s(meta))

    def shortcut(self, meta, children):
        label, what = children
        label = str(label) if label is not None else None
        if isinstance(what, Token):
            return ast.Shortcut(label, str(what), None, self.s(meta))
        return ast.Shortcut(label, None, what, self.s(meta))

    def concat(self, meta, children):
        return ast.Paths("concat", children[0], self.s(meta))

    def add_paths(self, meta, children):
        return ast.Paths("add", children[0], self.s(meta))

    def mul_paths(self, meta, children):
        return ast.Paths("mul", children[0], self.s(meta))

    def repeat(self, meta, children):
        return ast.Repeat(children[0], children[1], self.s(meta))

    def for_loop(self, meta, children):
        return ast.For(str(children[0]), children[1], children[2], self.s(meta))

    def if_stmt(self, meta, children):
        test, then, orelse = children
        if isinstance(orelse, ast.If):
            orelse = (ast.Member(None, orelse, orelse.span),)
        return ast.If(test, then, orelse or (), self.s(meta))

    # -- expressions
    def int(self, meta, children):
        return ast.Literal(self._number(children[0], int), self.s(meta))

    def float(self, meta, children):
        return ast.Literal(self._number(children[0], float), self.s(meta))

    def _number(self, token: Token, kind):
        digits = str(token).replace("_", "")
        if len(digits) > MAX_INT_DIGITS and kind is int:
            self.diags.error(
                "number too large",
                _token_span(self.path, token),
                f"{len(digits)} digits; integers have at most {MAX_INT_DIGITS}",
                code="syntax",
            )
            raise NetspecError(self.diags.items)
        value = kind(digits)
        if kind is float and value in (float("inf"), float("-inf")):
            self.diags.error(
                "number too large",
                _token_span(self.path, token),
                "beyond the largest float, about 1.8e308",
                code="syntax",
            )
            raise NetspecError(self.diags.items)
        return value

    def string(self, meta, children):
        return ast.Literal(_string(children[0]), self.s(meta))

    def true(self, meta, children):
        return ast.Literal(True, self.s(meta))

    def false(self, meta, children):
        return ast.Literal(False, self.s(meta))

    def name(self, meta, children):
        return ast.Name(str(children[0]), self.s(meta))

    def input_attr(self, meta, children):
        return ast.InputAttr(str(children[0]), self.s(meta))

    @_nested
    def list(self, meta, children):
        return ast.ListExpr(tuple(c for c in children if c is not None), self.s(meta))

    @_nested
    def table(self, meta, children):
        return ast.TableExpr(tuple(c for c in children if c is not None), self.s(meta))

    def entry(self, meta, children):
        entry = (children[0], children[1])
        self.depths[id(entry)] = max(self.depths.get(id(c), 1) for c in children)
        return entry

    @_nested
    def func(self, meta, children):
        name, *args = children
        return ast.FuncCall(str(name), tuple(a for a in args if a is not None), self.s(meta))

    @_nested
    def index(self, meta, children):
        return ast.Index(children[0], children[1], self.s(meta))

    @_nested
    def slice(self, meta, children):
        target, start, stop = children
        return ast.Slice(target, start, stop, self.s(meta))

    @_nested
    def comprehension(self, meta, children):
        item, var, iterable, test = children
        return ast.Comprehension(item, str(var), iterable, test, self.s(meta))

    @_nested
    def cond(self, meta, children):
        test, then, orelse = children
        return ast.Cond(test, then, orelse, self.s(meta))

    @_nested
    def neg(self, meta, children):
        return ast.Unary("-", children[0], self.s(meta))

    @_nested
    def pos(self, meta, children):
        return ast.Unary("+", children[0], self.s(meta))

    @_nested
    def not_(self, meta, children):
        return ast.Unary("not", children[0], self.s(meta))

    @_nested
    def compare(self, meta, children):
        left, op, right = children
        return ast.Binary(str(op), left, right, self.s(meta))

    @_nested
    def contains(self, meta, children):
        return ast.Binary("in", children[0], children[1], self.s(meta))

    add, sub, mul, div = _binary_rule("+"), _binary_rule("-"), _binary_rule("*"), _binary_rule("/")
    floordiv, mod, pow = _binary_rule("//"), _binary_rule("%"), _binary_rule("**")
    and_, or_ = _binary_rule("and"), _binary_rule("or")


_METHODS = tuple(name for name in dir(_ToAst) if hasattr(getattr(_ToAst, name), "visit_wrapper"))


def _quantity(token: Token, span) -> ast.Quantity:
    """`11.7M` -> 11,700,000 with one decimal of precision; integral values stay ints."""
    text = str(token)
    digits = text.rstrip("KMGiB")
    unit = ast.UNITS[text[len(digits) :]]
    number = digits.replace("_", "")
    decimals = len(number.partition(".")[2])
    value = int(number.replace(".", "")) * unit
    value = value // 10**decimals if value % 10**decimals == 0 else value / 10**decimals
    return ast.Quantity(value, unit, decimals, text, span)


def _string(token: Token) -> str:
    return str(token)[1:-1]


def _move(span: Span, line: int, col: int) -> Span:
    """A span within one line of text that starts at (line, col) of the file."""
    return Span(span.file, line, col + span.col - 1, line, col + span.end_col - 1)


def _shift(node, line: int, col: int):
    """An expression parsed on its own, with every span moved to where it stands in the file."""
    if isinstance(node, tuple):
        return tuple(_shift(n, line, col) for n in node)
    if not dataclasses.is_dataclass(node) or isinstance(node, type):
        return node
    spanned: Any = node  # an AST node: a dataclass with a span
    changes = {f.name: _shift(getattr(node, f.name), line, col) for f in dataclasses.fields(node) if f.name != "span"}
    return dataclasses.replace(spanned, span=_move(spanned.span, line, col), **changes)


def _shifted(d, line: int, col: int):
    return dataclasses.replace(d, span=_move(d.span, line, col)) if d.span is not None else d
