"""ast.Spec + its Source -> Lines: one method per statement and item kind, comments placed by position."""

from __future__ import annotations

from dataclasses import dataclass, field

from netspec.format.exprs import OR, ExprPrinter
from netspec.format.source import Pos, Source
from netspec.parse import ast

INDENT = "    "
MAX_WIDTH = 120  # a line longer than this is broken: a call's or a parameter list's items, a body's members


@dataclass(slots=True)
class Line:
    """One output line before alignment: `label` (when set) is padded so that runs of members line up."""

    depth: int
    code: str
    label: str | None = None
    comments: list[str] = field(default_factory=list)
    blank_before: bool = False
    own_comment: bool = False
    member: bool = False  # a member written on one line: its label takes part in alignment
    call: tuple[str, list[str]] | None = None  # a one-line call's name and arguments, laid out as a table


@dataclass(frozen=True, slots=True)
class Body:
    """A braced body in an item's layout; `after` is where to look for its `{` in the source."""

    stmts: tuple
    after: Pos


def start(span) -> Pos:
    return span.line, span.col


def end(span) -> Pos:
    return span.end_line, span.end_col


class Printer:
    """Walks the AST in source order, writing Lines; comments come out where they stood."""

    def __init__(self, source: Source):
        self.src = source
        self.expr = ExprPrinter(source.lines).text
        self.out: list[Line] = []
        self.depth = 0
        self.next_comment = 0
        self.want_blank = False

    # ---- writing ----------------------------------------------------------------------------------

    def emit(
        self, code: str, at: Pos | None, label: str | None = None, member: bool = False, blank_kept: bool = True
    ) -> None:
        if at is not None:
            self.flush(at)
        blank = self.want_blank or (blank_kept and at is not None and self.src.blank_before(at[0]))
        self.out.append(Line(self.depth, code, label, blank_before=blank, member=member))
        self.want_blank = False

    def flush(self, before: Pos) -> None:
        """Write every comment that stands before `before`: own-line ones as lines, others after the last line."""
        comments = self.src.comments
        while self.next_comment < len(comments) and comments[self.next_comment].at < before:
            comment = comments[self.next_comment]
            self.next_comment += 1
            if comment.own_line or not self.out:
                blank = self.want_blank or self.src.blank_before(comment.at[0])
                self.out.append(Line(self.depth, comment.text, blank_before=blank, own_comment=True))
                self.want_blank = False
            else:
                self.out[-1].comments.append(comment.text)

    # ---- the file ---------------------------------------------------------------------------------

    def spec(self, spec: ast.Spec) -> list[Line]:
        items = sorted(
            [*spec.imports, *getattr(spec, "defs", ()), *spec.blocks, *spec.networks], key=lambda n: start(n.span)
        )
        previous = None
        for item in items:
            together = type(item) is type(previous) and type(item).__name__ in ("Import", "Def")
            self.want_blank = previous is not None and not together
            self.stmt(item)
            previous = item
        self.flush((len(self.src.lines) + 1, 0))
        return self.out

    def stmt(self, node) -> None:
        getattr(self, "stmt_" + type(node).__name__)(node)

    def body(self, stmts, after: Pos) -> None:
        """The statements of a body, one level in, ending with the comments before its `}`."""
        _, close = self.src.body_at(after)
        self.depth += 1
        for stmt in stmts:
            self.stmt(stmt)
        self.flush(close)
        self.depth -= 1

    # ---- statements -------------------------------------------------------------------------------

    def stmt_Import(self, node: ast.Import) -> None:
        if node.names is None:
            self.emit(f'import "{node.path}"', start(node.span))
        else:
            self.emit(f'from "{node.path}" import {", ".join(node.names)}', start(node.span))

    def stmt_NetworkDef(self, node: ast.NetworkDef) -> None:
        self.layout([self.header("network", node), Body(node.body, end(node.name_span))], node.span)

    def stmt_BlockDef(self, node: ast.BlockDef) -> None:
        self.layout([self.header("block", node), Body(node.body, end(node.name_span))], node.span)

    def header(self, keyword: str, node) -> str:
        if not node.params:
            return f"{keyword} {node.name} "
        return Items(
            f"{keyword} {node.name}(", [self.param(p) for p in node.params], [start(p.span) for p in node.params], ") "
        )

    def param(self, node: ast.Param) -> str:
        default = f" = {self.expr(node.default)}" if node.default is not None else ""
        return f"{node.name}: {self.type_ref(node.type)}{default}"

    def type_ref(self, node: ast.TypeRef | ast.UnionType) -> str:
        return str(node)

    def stmt_Input(self, node: ast.Input) -> None:
        self.emit(f"input {self.expr(node.shape)}", start(node.span))

    def stmt_Let(self, node: ast.Let) -> None:
        head = f"let {node.name} = "
        self.emit_rows(head, node.value, start(node.span))

    def emit_rows(self, head: str, value, at: Pos) -> None:
        """`head` and an expression that may take several lines (a let's or a def's value)."""
        column = len(INDENT) * self.depth + len(head)
        chain = self.rows(value, column)
        if chain is None:
            self.emit(head + self.expr(value), at)
            return
        self.emit(head + chain[0][0], at)
        for text, at in chain[1:]:  # `else` under `if`, items under the first item: each reads as a table
            self.emit(" " * len(head) + text, at, blank_kept=False)  # no blank line inside an expression

    def rows(self, node, column: int) -> list[tuple[str, Pos]] | None:
        """An expression over several lines when written so or too long for one, else None (one line)."""
        if isinstance(node, ast.Index) and isinstance(node.target, ast.TableExpr):  # `{...}[variant]`
            rows = self.table_rows(node.target, column)
            if rows is None:
                return None
            return [*rows[:-1], (rows[-1][0] + f"[{self.expr(node.index)}]", rows[-1][1])]
        return self.cond_chain(node, column) or self.list_rows(node, column) or self.table_rows(node, column)

    def table_rows(self, node, column: int) -> list[tuple[str, Pos]] | None:
        """A table written over several lines, or too long for one: an entry a line, under the first; a long
        list value breaks as a let's list does, under its first item."""
        if not isinstance(node, ast.TableExpr) or not node.entries:
            return None
        if node.span.line == node.span.end_line and column + len(self.expr(node)) <= MAX_WIDTH:
            return None
        rows: list[tuple[str, Pos]] = []
        for i, (key, value) in enumerate(node.entries):
            lead = ("{" if i == 0 else " ") + self.expr(key) + ": "
            tail = "}" if i == len(node.entries) - 1 else ","
            inner = self.rows(value, column + len(lead)) if isinstance(value, ast.ListExpr) else None
            if inner is None:
                rows.append((lead + self.expr(value) + tail, start(key.span)))
                continue
            rows.append((lead + inner[0][0], start(key.span)))
            rows += [(" " * len(lead) + text, at) for text, at in inner[1:]]
            rows[-1] = (rows[-1][0] + tail, rows[-1][1])
        return rows

    def list_rows(self, node, column: int) -> list[tuple[str, Pos]] | None:
        """A list written over several lines, or too long for one: as many items a line as fit, the rest
        under the first item."""
        if not isinstance(node, ast.ListExpr) or not node.items:
            return None
        if node.span.line == node.span.end_line and column + len(self.expr(node)) <= MAX_WIDTH:
            return None
        rows, line, at = [], "[", start(node.items[0].span)
        for i, item in enumerate(node.items):
            text = self.expr(item) + ("]" if i == len(node.items) - 1 else ",")
            if line != "[" and column + len(line) + 1 + len(text) > MAX_WIDTH:
                rows.append((line, at))
                line, at = " " + text, start(item.span)
            else:
                line += ("" if line in ("[", " ") else " ") + text
        return [*rows, (line, at)]

    def cond_chain(self, node, column: int) -> list[tuple[str, Pos]] | None:
        """`if a then x else if b then y else z` as one line per case, when written so or too long for one."""
        if not isinstance(node, ast.Cond):
            return None
        if node.span.line == node.span.end_line and column + len(self.expr(node)) <= MAX_WIDTH:
            return None
        cases: list[tuple[str, Pos]] = []
        at = start(node.span)
        while isinstance(node, ast.Cond):
            word = "if" if not cases else "else if"
            cases.append((f"{word} {self.expr(node.test, OR)} then {self.expr(node.then, OR)}", at))
            node, at = node.orelse, start(node.orelse.span)
        return [*cases, (f"else {self.expr(node)}", at)]

    def stmt_Assert(self, node: ast.Assert) -> None:
        message = f', "{node.message}"' if node.message is not None else ""
        self.emit(f"assert {self.expr(node.test)}{message}", start(node.span))

    def stmt_Expect(self, node: ast.Expect) -> None:
        value = node.value.text if isinstance(node.value, ast.Quantity) else self.expr(node.value, OR)
        self.emit(f"expect {node.subject} {node.op} {value}", start(node.span))

    def stmt_Member(self, node: ast.Member) -> None:
        label = f"{self.label(node.label)}:" if node.label is not None else None
        pieces = self.item(node.item)
        if getattr(node, "inline", False):
            pieces = ["inline ", *pieces]
        self.layout(pieces, node.span, label, member=True)

    def stmt_Output(self, node: ast.Output) -> None:
        head = f"output {self.label(node.name)}"
        if node.body is None:
            self.emit(head, start(node.span))
        else:
            self.layout([head + " ", Body(node.body, end(node.name_span))], node.span)

    def label(self, label) -> str:
        """A label: a name (keywords too), or a string with {expression} parts."""
        return label if isinstance(label, str) else self.expr(label)

    def stmt_Def(self, node) -> None:
        self.emit_rows(f"def {node.name}({', '.join(node.params)}) = ", node.body, start(node.span))

    # ---- items: each gives its layout, a list of text and Bodies ----------------------------------

    def item(self, node) -> list:
        return getattr(self, "item_" + type(node).__name__)(node)

    def item_Call(self, node: ast.Call) -> list:
        return [_CallText(node.name, [self.arg(a) for a in node.args], [start(a.span) for a in node.args])]

    def arg(self, node: ast.Arg) -> str:
        return self.expr(node.value) if node.name is None else f"{node.name}={self.expr(node.value)}"

    def item_Ref(self, node: ast.Ref) -> list:
        return [self.expr(node)]

    def item_Group(self, node: ast.Group) -> list:
        return [Body(node.body, start(node.span))]

    def item_Residual(self, node: ast.Residual) -> list:
        pieces = ["residual ", Body(node.body, start(node.span))]
        cut = node.shortcut
        if cut is not None:
            label = f"{cut.label}: " if cut.label is not None else ""
            tail = [cut.kind] if cut.kind is not None else [Body(cut.body or (), start(cut.span))]
            pieces += [f" shortcut {label}", *tail]
        return pieces

    def item_Paths(self, node: ast.Paths) -> list:
        return [f"{node.op} ", Body(node.body, start(node.span))]

    def item_Repeat(self, node: ast.Repeat) -> list:
        return [f"repeat {self.expr(node.count)} ", Body(node.body, end(node.count.span))]

    def item_For(self, node: ast.For) -> list:
        return [f"for {node.var} in {self.expr(node.iterable)} ", Body(node.body, end(node.iterable.span))]

    def item_If(self, node: ast.If) -> list:
        then = Body(node.then, end(node.test.span))
        pieces = [f"if {self.expr(node.test)} ", then]
        if not node.orelse:
            return pieces
        only = node.orelse[0]
        if (
            len(node.orelse) == 1
            and isinstance(only, ast.Member)
            and isinstance(only.item, ast.If)
            and only.label is None
        ):
            return [*pieces, " else ", *self.item_If(only.item)]  # `else if`, as written or as `else { if }`
        return [*pieces, " else ", Body(node.orelse, self.src.body_at(then.after)[1])]

    # ---- layout -----------------------------------------------------------------------------------

    def layout(self, pieces: list, span, label: str | None = None, member: bool = False) -> None:
        """Write an item on one line if it has no body, or was written on one line and its members fit on one;
        else a member a line."""
        flat = not any(isinstance(piece, Body) for piece in pieces)
        one_line = flat or (span.line == span.end_line and not self.src.has_comment(start(span), end(span)))
        inline = self.inline(pieces) if one_line else None
        fits = inline is not None and self.fits((f"{label} " if label else "") + inline)
        if inline is not None and not fits and flat and self.wrap_flat(pieces, start(span), label):
            return
        if inline is not None and (flat or fits):
            self.emit(inline, start(span), label, member)
            if member and flat and isinstance(pieces[0], _CallText):
                self.out[-1].call = pieces[0].parts
            return
        line = f"{label} " if label else ""
        at: Pos | None = start(span)  # the first line's place in the source; None for the lines after it
        for piece in pieces:
            inline = piece if isinstance(piece, str) else self.inline_body(piece)
            if isinstance(piece, Items) and at is not None and not self.fits(line + piece + "{"):
                line, at = self.wrap(piece, at, line.rstrip() or None), None  # the header's parameters
                continue
            if inline is not None and (isinstance(piece, str) or self.fits(line + inline)):
                line += inline
                continue
            self.emit(line + "{", at)
            at = None
            self.body(piece.stmts, piece.after)
            line = "}"
        self.emit(line, None)

    def fits(self, code: str) -> bool:
        return len(INDENT) * self.depth + len(code) <= MAX_WIDTH

    def wrap_flat(self, pieces: list, at: Pos, label: str | None) -> bool:
        """Break the call of a body-less item over lines (`inline conv(...)` too); False if it has none."""
        found = [k for k, piece in enumerate(pieces) if isinstance(piece, Items) and piece.items]
        if not found:
            return False
        k = found[-1]
        head = " ".join(filter(None, [label, "".join(pieces[:k])])).rstrip() or None
        self.emit(self.wrap(pieces[k], at, head) + "".join(pieces[k + 1 :]), None)
        return True

    def wrap(self, items: Items, at: Pos, label: str | None) -> str:
        """A call or parameter list too long for its line, as black and ruff break one: the items on one line of
        their own if they fit there, else one a line with a trailing comma; returns the text that closes it."""
        self.emit((f"{label} " if label else "") + items.head, at)
        self.depth += 1
        if self.fits(", ".join(items.items)):
            self.emit(", ".join(items.items), items.starts[0], blank_kept=False)
        else:
            for item, where in zip(items.items, items.starts, strict=True):
                self.emit(item + ",", where, blank_kept=False)
        self.depth -= 1
        return items.tail

    def inline(self, pieces: list) -> str | None:
        """`{ a()  b() }` for a body of members whose items are themselves inline; None if one is not."""
        text = ""
        for piece in pieces:
            if isinstance(piece, str):
                text += piece
                continue
            body = self._inline_members(piece.stmts)
            if body is None:
                return None
            text += body
        return text

    def inline_body(self, body: Body) -> str | None:
        """A body on one line, if it was written on one line without comments and its members allow it."""
        open_, close = self.src.body_at(body.after)
        if open_[0] != close[0] or self.src.has_comment(open_, close):
            return None
        return self._inline_members(body.stmts)

    def _inline_members(self, stmts) -> str | None:
        members = [self.inline_member(m) for m in stmts]
        written = [m for m in members if m is not None]
        if len(written) < len(members):
            return None
        return "{ " + "  ".join(written) + " }" if written else "{}"

    def inline_member(self, node) -> str | None:
        if not isinstance(node, ast.Member):
            return None
        text = self.inline(self.item(node.item))
        if text is not None and getattr(node, "inline", False):
            text = "inline " + text
        return text if text is None or node.label is None else f"{self.label(node.label)}: {text}"


class Items(str):
    """`head` + items + `tail` on one line, `conv(64, 3)` or `network N(a: int) `, that remembers its items and
    where each starts in the source, to be broken over lines when too long."""

    head: str
    items: list[str]
    starts: list[Pos]
    tail: str

    def __new__(cls, head: str, items: list[str], starts: list[Pos], tail: str):
        text = super().__new__(cls, head + ", ".join(items) + tail)
        text.head, text.items, text.starts, text.tail = head, items, starts, tail
        return text


class _CallText(Items):
    """`conv(64, 3)` that remembers its name and arguments, for argument tables."""

    parts: tuple[str, list[str]]

    def __new__(cls, name: str, args: list[str], starts: list[Pos]):
        text = super().__new__(cls, f"{name}(", args, starts, ")")
        text.parts = (name, args)
        return text
