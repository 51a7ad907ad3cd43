"""The AST of a .net file: plain dataclasses, every node carrying the span of the text that made it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import field, fields

from netspec.diagnostics import Span
from netspec.records import record

# ---- expressions -------------------------------------------------------------------------------


@record(slots=True)
class Literal:
    value: int | float | bool | str
    span: Span


@record(slots=True)
class Name:
    id: str
    span: Span


@record(slots=True)
class ListExpr:
    items: tuple[Expr, ...]
    span: Span


@record(slots=True)
class TableExpr:
    """`{"b0": [1.0, 1.0], "b1": [1.0, 1.1]}`: key-value entries in the order written."""

    entries: tuple[tuple[Expr, Expr], ...]
    span: Span


@record(slots=True)
class Unary:
    op: str  # "-", "+", "not"
    operand: Expr
    span: Span


@record(slots=True)
class Binary:
    op: str  # "+", "-", "*", "/", "//", "%", "**", "==", ..., "in", "and", "or"
    left: Expr
    right: Expr
    span: Span


@record(slots=True)
class Cond:
    test: Expr
    then: Expr
    orelse: Expr
    span: Span


@record(slots=True)
class Index:
    target: Expr
    index: Expr
    span: Span


@record(slots=True)
class Slice:
    """`widths[1:]`, `n[:k]`: the items from start (default 0) up to stop (default the end), as Python slices."""

    target: Expr
    start: Expr | None
    stop: Expr | None
    span: Span


@record(slots=True)
class Comprehension:
    """`[make_divisible(c * width) for c in [16, 24, 40]]`, optionally `... if test`: a list built from a list."""

    item: Expr
    var: str
    iterable: Expr
    test: Expr | None
    span: Span


@record(slots=True)
class FuncCall:
    name: str
    args: tuple[Expr, ...]
    span: Span


@record(slots=True)
class InputAttr:
    """`in.channels`, `in.height`, `in.width`, `in.shape`: the shape of the enclosing block's input."""

    attr: str
    span: Span


@record(slots=True)
class Template:
    """`"denselayer{i + 1}"`: a string label whose {expr} parts are evaluated (each part a str or an Expr)."""

    parts: tuple[str | Expr, ...]
    span: Span


@record(slots=True)
class Ref:
    """`@down3`, `@backbone.layer3`, `@"down{i}"`, `@in`: the output of a member computed earlier.

    Each part is a name or a computed Template; the first may be `in` (the block's or network's input)."""

    parts: tuple[str | Template, ...]
    span: Span

    def __str__(self) -> str:
        return "@" + ".".join(p if isinstance(p, str) else '"..."' for p in self.parts)


Expr = (
    Literal
    | Name
    | ListExpr
    | TableExpr
    | Unary
    | Binary
    | Cond
    | Index
    | Slice
    | Comprehension
    | FuncCall
    | InputAttr
    | Template
    | Ref
)
_EXPRS = (
    Literal,
    Name,
    ListExpr,
    TableExpr,
    Unary,
    Binary,
    Cond,
    Index,
    Slice,
    Comprehension,
    FuncCall,
    InputAttr,
    Template,
    Ref,
)


def subexpressions(expr: Expr) -> Iterator[Expr]:
    """The expressions directly inside `expr`, in source order: operands, items, a table's keys and values,
    call arguments, template parts. One walk for every pass that looks inside expressions."""
    for f in fields(expr):
        if f.name != "span":
            yield from _exprs(getattr(expr, f.name))


def _exprs(value: object) -> Iterator[Expr]:
    if isinstance(value, tuple):
        for item in value:
            yield from _exprs(item)
    elif isinstance(value, _EXPRS):
        yield value


# ---- statements --------------------------------------------------------------------------------


@record(slots=True)
class Arg:
    name: str | None  # None for a positional argument
    value: Expr
    span: Span


@record(slots=True)
class Call:
    """`conv(64, 3, stride=2)`: a layer, or an instance of a block."""

    name: str
    args: tuple[Arg, ...]
    span: Span
    name_span: Span


@record(slots=True)
class Group:
    body: tuple[Stmt, ...]
    span: Span


@record(slots=True)
class Shortcut:
    """The second path of a residual: a kind (`auto`, `identity`, `pad`) or an explicit body."""

    label: str | None
    kind: str | None
    body: tuple[Stmt, ...] | None
    span: Span


@record(slots=True)
class Residual:
    body: tuple[Stmt, ...]
    shortcut: Shortcut | None
    span: Span


@record(slots=True)
class Paths:
    """`concat { ... }` or `add { ... }`: every member of the body is one path from the same input."""

    op: str  # "concat" | "add" | "mul"
    body: tuple[Stmt, ...]
    span: Span


@record(slots=True)
class Repeat:
    count: Expr
    body: tuple[Stmt, ...]
    span: Span


@record(slots=True)
class For:
    var: str
    iterable: Expr
    body: tuple[Stmt, ...]
    span: Span


@record(slots=True)
class If:
    test: Expr
    then: tuple[Stmt, ...]
    orelse: tuple[Stmt, ...]
    span: Span


Item = Call | Group | Residual | Paths | Repeat | For | If | Ref


@record(slots=True)
class Member:
    """One entry of a body: an item, optionally named (`conv1: conv(...)`, `"layer{i}": ...`), or `inline`.

    An inline member (`inline { ... }`, `inline Block(...)`) adds its members to the enclosing module's
    namespace instead of making a level of its own.
    """

    label: str | Template | None
    item: Item
    span: Span
    label_span: Span | None = None
    inline: bool = False


@record(slots=True)
class Input:
    shape: Expr
    span: Span


@record(slots=True)
class Output:
    """`output out` (the chain's value here) or `output aux { ... }` (a side branch's last value): a network output."""

    name: str | Template
    body: tuple[Stmt, ...] | None
    span: Span
    name_span: Span


@record(slots=True)
class Let:
    name: str
    value: Expr
    span: Span


@record(slots=True)
class Assert:
    """`assert test, "message"`: a check on parameters, an error at elaboration when the test is false."""

    test: Expr
    message: str | None
    span: Span


@record(slots=True)
class Quantity:
    """`2G`, `11.7M`, `64MiB`: a number with a unit suffix, kept with the precision it was written at."""

    value: int | float  # the number times the unit
    unit: int  # 1000**k or 1024**k, or 1 for a plain `B`
    decimals: int  # digits after the point as written: `11.7M` has 1
    text: str
    span: Span


UNITS = {  # a quantity's suffix -> its factor: `2G`, `64MiB`; `expect` shows a figure in the unit it was written in
    "K": 1000,
    "M": 1000**2,
    "G": 1000**3,
    "KB": 1000,
    "MB": 1000**2,
    "GB": 1000**3,
    "KiB": 1024,
    "MiB": 1024**2,
    "GiB": 1024**3,
    "B": 1,
}


@record(slots=True)
class Expect:
    """`expect SUBJECT OP value`: what the author believes of the analysed network, checked after analysis."""

    subject: str  # `params`, `output`, `layer4.rf`, `layer1.0.conv1.shape`
    op: str  # a comparison: "==", "!=", "<", "<=", ">", ">="
    value: Expr | Quantity
    span: Span
    subject_span: Span


@record(slots=True)
class TypeRef:
    name: str
    element: str | None
    span: Span

    def __str__(self) -> str:
        return f"{self.name}[{self.element}]" if self.element else self.name


@record(slots=True)
class UnionType:
    """`int | list[int]`: a value of any of the options."""

    options: tuple[TypeRef, ...]
    span: Span

    def __str__(self) -> str:
        return " | ".join(str(o) for o in self.options)


@record(slots=True)
class Param:
    name: str
    type: TypeRef | UnionType
    default: Expr | None
    span: Span


@record(slots=True)
class Allow:
    """A `# netspec: allow(code)` comment: warnings with this code that start on this line are not shown."""

    code: str
    line: int
    span: Span


@record(slots=True)
class BlockDef:
    name: str
    params: tuple[Param, ...]
    body: tuple[Stmt, ...]
    span: Span
    name_span: Span


@record(slots=True)
class Def:
    """`def make_divisible(v, d) = ...`: a function of one expression; it may call only earlier functions."""

    name: str
    params: tuple[str, ...]
    body: Expr
    span: Span
    name_span: Span


Stmt = Member | Input | Output | Let | Assert | Expect | BlockDef | Def


@record(slots=True)
class NetworkDef:
    name: str
    params: tuple[Param, ...]
    body: tuple[Stmt, ...]
    span: Span
    name_span: Span


@record(slots=True)
class Import:
    path: str
    names: tuple[str, ...] | None  # None: every block of the file
    span: Span


@record(frozen=False, slots=True)
class Spec:
    """One parsed file."""

    file: str
    text: str
    imports: list[Import] = field(default_factory=list)
    blocks: list[BlockDef] = field(default_factory=list)
    defs: list[Def] = field(default_factory=list)
    networks: list[NetworkDef] = field(default_factory=list)
    allows: tuple[Allow, ...] = ()  # `# netspec: allow(code)` comments
