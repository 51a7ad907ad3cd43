"""Document + a position -> the answers of the language server, as lsprotocol types; no I/O here."""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict

from lsprotocol import types as lsp

from netspec.diagnostics import Diagnostic, Span
from netspec.ir import Node
from netspec.lsp.document import Document, uri_of
from netspec.lsp.symbols import Index, Symbol
from netspec.ops import LAYERS, Attrs, fmt_shape
from netspec.parse import ast
from netspec.values import default_text

KEYWORDS = (
    "input",
    "let",
    "assert",
    "expect",
    "block",
    "residual",
    "shortcut",
    "concat",
    "add",
    "repeat",
    "for",
    "if",
    "else",
    "import",
    "from",
    "network",
)
_SEVERITY = {"error": lsp.DiagnosticSeverity.Error, "warning": lsp.DiagnosticSeverity.Warning}
_SHOWN_SHAPES = 3


def to_range(span: Span) -> lsp.Range:
    return lsp.Range(lsp.Position(span.line - 1, span.col - 1), lsp.Position(span.end_line - 1, span.end_col - 1))


def to_location(span: Span) -> lsp.Location:
    return lsp.Location(uri_of(span.file), to_range(span))


# ---- diagnostics ----------------------------------------------------------------------------------


def diagnostics(doc: Document, index: Index | None) -> list[lsp.Diagnostic]:
    """Every finding in this file; one in an imported file is shown at the import. A finding inside a block
    points (as related information) at the places that use the block."""
    out = []
    for d in doc.diagnostics:
        span = d.span if d.span is not None and d.span.file == doc.path else _import_span(doc, d)
        message = d.message + (f": {d.label}" if d.label else "") + (f"\nhelp: {d.help}" if d.help else "")
        out.append(
            lsp.Diagnostic(
                to_range(span),
                message,
                _SEVERITY[d.severity],
                d.code or d.severity,
                source="netspec",
                related_information=_related(d, index) or None,
            )
        )
    return out


def needs_index(doc: Document) -> bool:
    """Whether the diagnostics need the name index (for related places): a finding inside a block or a
    duplicate name. Most changes have neither, and skip building it."""
    blocks = [b.span for b in _block_defs(doc.spec)] if doc.spec is not None else []
    return any(
        d.span is not None and ("first used at line" in d.label or any(_inside(d.span, b) for b in blocks))
        for d in doc.diagnostics
    )


def _block_defs(spec):
    """Every block definition of the file, nested ones too."""
    stack, found = [*spec.blocks, *spec.networks], []
    while stack:
        node = stack.pop()
        if isinstance(node, ast.BlockDef):
            found.append(node)
        stack += [s for s in getattr(node, "body", ()) if isinstance(s, (ast.BlockDef, ast.Member))]
        item = getattr(node, "item", None)
        if item is not None:
            stack += [s for s in getattr(item, "body", ()) or () if isinstance(s, (ast.BlockDef, ast.Member))]
    return found


def _import_span(doc: Document, d: Diagnostic) -> Span:
    imports = doc.spec.imports if doc.spec is not None else []
    where = next((i.span for i in imports if d.span is not None and d.span.file.endswith(i.path)), None)
    return where or Span(doc.path, 1, 1, 1, 1)


def _related(d: Diagnostic, index: Index | None) -> list[lsp.DiagnosticRelatedInformation]:
    out = [lsp.DiagnosticRelatedInformation(to_location(where), label) for where, label in d.related]
    if index is None or d.span is None:
        return out
    for block in (s for s in index.defs if s.kind == "block" and _inside(d.span, s.extent)):
        for use in index.uses(block)[1:]:
            out.append(lsp.DiagnosticRelatedInformation(to_location(use), f"`{block.name}` is used here"))
    first = re.search(r"first used at line (\d+)", d.label)
    if first and d.span.file == index.path:
        name = next(
            (s for s in index.defs if s.kind == "label" and s.span.line == int(first.group(1)) and s.name in d.message),
            None,
        )
        if name is not None:
            out.append(lsp.DiagnosticRelatedInformation(to_location(name.span), "first used here"))
    return out


def _inside(span: Span, outer: Span) -> bool:
    return span.file == outer.file and (outer.line, outer.col) <= (span.line, span.col) <= (
        outer.end_line,
        outer.end_col,
    )


# ---- inlay hints ----------------------------------------------------------------------------------


def inlay_hints(doc: Document, first: int = 0, last: int | None = None, cost: bool = False) -> list[lsp.InlayHint]:
    """The output shape at the end of each line that makes layers; lines inside a block or loop that run
    several times say how many times, and which shapes they make. With `cost`, parameters and MACs too."""
    outputs = _outputs_by_line(doc)
    lines = doc.lines
    hints = []
    for line in sorted(outputs):
        if line > len(lines) or line - 1 < first or (last is not None and line - 1 > last):
            continue
        uses = outputs[line]
        label = _hint_label(uses) + (_cost_label(uses) if cost else "")
        hints.append(
            lsp.InlayHint(
                lsp.Position(line - 1, len(lines[line - 1].rstrip())),
                label,
                kind=lsp.InlayHintKind.Type,
                padding_left=True,
                tooltip="\n".join(f"{u.path}: {u.shape}" for u in uses[:20]) + ("\n..." if len(uses) > 20 else ""),
            )
        )
    return hints


@dataclasses.dataclass(frozen=True, slots=True)
class _Use:
    """One run of the construct ending on a line: what it is called, its output, its cost."""

    path: str
    shape: str
    params: int = 0
    macs: int = 0


def _outputs_by_line(doc: Document) -> dict[int, list[_Use]]:
    """Line -> each time the construct ending there ran; a group or block instance ending on a line speaks
    for the layers inside it."""
    graph, report = doc.graph, doc.report
    if graph is None:
        return {}
    by_line: dict[int, list[_Use]] = defaultdict(list)
    last_node: dict[int, Node] = {}
    for node in graph.nodes:
        for scope in graph.ancestry(node.scope):
            last_node[scope.id] = node
    totals = {s.id: (s.params, s.macs) for s in report.scopes} if report is not None else {}
    outermost: dict[int, int] = {}  # line -> the least depth of a scope ending there: it speaks for the line
    for scope in graph.scopes:
        if scope.span.file == doc.path and scope.kind in ("group", "block") and scope.id in last_node:
            line = scope.span.end_line
            if scope.depth < outermost.get(line, scope.depth + 1):
                outermost[line], by_line[line] = scope.depth, []
            if scope.depth == outermost[line]:
                by_line[line].append(
                    _Use(scope.path or scope.label, _shape(last_node[scope.id].shape), *totals.get(scope.id, (0, 0)))
                )
    for net in doc.spec.networks if doc.spec is not None else ():
        for stmt in (s for s in net.body if type(s).__name__ == "Input"):
            by_line[stmt.span.end_line].append(_Use("input", _shape(graph.input.shape)))
    taken = set(by_line)
    layers = report.layers if report is not None else []
    for node in graph.nodes:
        if node.span.file == doc.path and node.span.end_line not in taken and node.op != "input":
            cost = (layers[node.id].params, layers[node.id].macs) if node.id < len(layers) else (0, 0)
            by_line[node.span.end_line].append(_Use(node.path, _shape(node.shape), *cost))
    return by_line


def _shape(shape) -> str:
    return fmt_shape(shape) if shape is not None else "?"


def _hint_label(uses: list[_Use]) -> str:
    shapes = list(dict.fromkeys(u.shape for u in uses))
    if len(uses) == 1:
        return f"→ {shapes[0]}"
    shown = " | ".join(shapes[:_SHOWN_SHAPES]) + (" | …" if len(shapes) > _SHOWN_SHAPES else "")
    return f"→ {shown} (runs {len(uses)}×)"


def _cost_label(uses: list[_Use]) -> str:
    """` · 9,408 params · 118.0M MACs`, summed over the runs; nothing for a line that costs nothing."""
    params, macs = sum(u.params for u in uses), sum(u.macs for u in uses)
    parts = ([f"{params:,} params"] if params else []) + ([f"{_short(macs)} MACs"] if macs else [])
    return "".join(f" · {p}" for p in parts)


def _short(n: int) -> str:
    for unit, size in (("G", 10**9), ("M", 10**6), ("K", 10**3)):
        if n >= size:
            return f"{n / size:.1f}{unit}"
    return str(n)


# ---- hover ----------------------------------------------------------------------------------------


def hover(doc: Document, index: Index | None, line: int, col: int) -> lsp.Hover | None:
    """On a layer: `netspec explain`; on a group or block instance: its totals; on a name: its definition."""
    text = _explain_at(doc, line, col) or _totals_at(doc, line, col)
    if text is None and index is not None:
        symbol = index.at(line, col)
        text = _definition_text(symbol) if symbol is not None else None
    if text is None:
        text = _layer_doc(doc, line, col)
    return lsp.Hover(lsp.MarkupContent(lsp.MarkupKind.Markdown, text)) if text else None


def _explain_at(doc: Document, line: int, col: int) -> str | None:
    from netspec.analysis.explain import explain

    if (
        doc.report is None
        or doc.graph is None
        or (_on_call_name(doc, line, col) is None and _label_at(doc, line, col) is None)
    ):
        return None
    nodes = [
        n
        for n in doc.graph.nodes
        if n.span.file == doc.path
        and n.span.line == line
        and n.op != "input"
        and n.span.col <= col <= n.span.end_col + 1
        and n.span.end_line == line
    ]
    nodes = [n for n in nodes if n.is_module] or nodes
    if not nodes or len({n.span for n in nodes}) != 1:
        return None
    body = explain(doc.report, nodes[0].path)
    more = f"\n\nThis line makes {len(nodes)} layers; the first is shown." if len(nodes) > 1 else ""
    return f"```\n{body}\n```{more}"


def _totals_at(doc: Document, line: int, col: int) -> str | None:
    name = _on_call_name(doc, line, col)
    on_block = name is not None and name not in LAYERS and name[:1].isupper()
    if doc.report is None or not (on_block or _label_at(doc, line, col) or _on_brace(doc, line, col)):
        return None
    scopes = [
        s
        for s in doc.report.scopes
        if s.at.file == doc.path and s.at.line == line and s.kind in ("group", "block") and s.at.col <= col
    ]
    if not scopes:
        return None
    s = scopes[0]
    runs = f" (one of {len(scopes)} instances)" if len(scopes) > 1 else ""
    return (
        f"**{s.path or s.label}**: {s.label}{runs}\n\n"
        f"- output: `{fmt_shape(tuple(s.shape))}`\n- layers: {len(s.layers)}\n"
        f"- params: {s.params:,}\n- MACs: {s.macs:,}"
    )


def _definition_text(symbol: Symbol) -> str:
    where = f"{symbol.span.file}:{symbol.span.line}"
    detail = symbol.target.detail if symbol.target is not None else symbol.detail
    origin = f" ({symbol.detail})" if symbol.kind == "import" else ""
    return f"```netspec\n{detail}\n```\n{symbol.kind}{origin}, defined at {where}"


def _layer_doc(doc: Document, line: int, col: int) -> str | None:
    name = _on_call_name(doc, line, col)
    op = LAYERS.get(name) if name else None
    return f"```netspec\n{_signature(name)}\n```\n{op.summary}" if op and name else None


def _on_call_name(doc: Document, line: int, col: int) -> str | None:
    """The called name when (line, col) is on the name of a call."""
    text = doc.lines[line - 1] if line <= len(doc.lines) else ""
    for m in re.finditer(r"([A-Za-z_][A-Za-z_0-9]*)\s*\(", text):
        if m.start(1) + 1 <= col <= m.end(1) + 1:
            return m.group(1)
    return None


def _on_brace(doc: Document, line: int, col: int) -> bool:
    text = doc.lines[line - 1] if line <= len(doc.lines) else ""
    return 0 < col <= len(text) and text[col - 1] in "{}"


def _label_at(doc: Document, line: int, col: int) -> str | None:
    text = doc.lines[line - 1] if line <= len(doc.lines) else ""
    m = re.match(r"\s*([A-Za-z_][A-Za-z_0-9]*)\s*:", text)
    return m.group(1) if m and m.start(1) + 1 <= col <= m.end(1) + 1 else None


def _signature(name: str) -> str:
    args = []
    for f in dataclasses.fields(LAYERS[name].Attrs):
        args.append(f.name if f.default is dataclasses.MISSING else f"{f.name}={default_text(f.default)}")
    return f"{name}({', '.join(args)})"


# ---- names ----------------------------------------------------------------------------------------


def definition(index: Index, line: int, col: int) -> lsp.Location | None:
    symbol = index.at(line, col)
    if symbol is None:
        return None
    return to_location((symbol.target or symbol).span)


def references(index: Index, line: int, col: int) -> list[lsp.Location]:
    symbol = index.at(line, col)
    return [to_location(span) for span in index.uses(symbol)] if symbol is not None else []


def rename(index: Index, line: int, col: int, new_name: str) -> lsp.WorkspaceEdit | None:
    """Every use and the definition in this file; None for a name not defined in this file."""
    symbol = index.at(line, col)
    if symbol is None or symbol.span.file != index.path or not re.fullmatch(r"[A-Za-z_][A-Za-z_0-9]*", new_name):
        return None
    edits = [lsp.TextEdit(to_range(span), new_name) for span in index.uses(symbol) if span.file == index.path]
    return lsp.WorkspaceEdit(changes={uri_of(index.path): edits})


def symbols(index: Index) -> list[lsp.DocumentSymbol]:
    """The outline: networks and blocks, with their parameters, lets and named members inside."""
    kinds = {
        "network": lsp.SymbolKind.Class,
        "block": lsp.SymbolKind.Module,
        "def": lsp.SymbolKind.Function,
        "param": lsp.SymbolKind.Variable,
        "let": lsp.SymbolKind.Constant,
        "label": lsp.SymbolKind.Field,
        "var": lsp.SymbolKind.Variable,
    }
    made = [
        (
            d,
            lsp.DocumentSymbol(
                d.name, kinds[d.kind], to_range(d.extent), to_range(d.span), detail=d.detail, children=[]
            ),
        )
        for d in index.defs
        if d.kind in kinds and d.span.file == index.path
    ]
    roots: list[lsp.DocumentSymbol] = []
    for d, symbol in made:
        parent = _innermost(d, made)
        siblings = parent.children if parent is not None else roots
        assert isinstance(siblings, list)  # every symbol above was made with children=[]
        siblings.append(symbol)
    return roots


def _innermost(d: Symbol, made) -> lsp.DocumentSymbol | None:
    best = None
    for other, symbol in made:
        if (
            other is not d
            and other.kind in ("network", "block", "label")
            and _inside(d.extent, other.extent)
            and other.extent != d.extent
            and (best is None or _inside(other.extent, best[0].extent))
        ):
            best = (other, symbol)
    return best[1] if best else None


# ---- completion -----------------------------------------------------------------------------------


def completion(doc: Document, index: Index | None, line: int, col: int) -> list[lsp.CompletionItem]:
    """Argument names inside a call (with types and defaults), else layers, blocks, names and keywords."""
    before = (
        "\n".join(doc.lines[max(0, line - 6) : line - 1] + [doc.lines[line - 1][: col - 1]])
        if line <= len(doc.lines)
        else ""
    )
    call = _open_call(before)
    items = _arguments(call, index, line, col) if call else []
    visible = index.visible(line, col) if index is not None else []
    if not call:
        items += [_layer_item(name) for name in sorted(LAYERS)]
        items += [lsp.CompletionItem(k, kind=lsp.CompletionItemKind.Keyword) for k in KEYWORDS]
    for s in visible:
        if s.kind in ("block", "import") and not call:
            items.append(lsp.CompletionItem(s.name, kind=lsp.CompletionItemKind.Class, detail=(s.target or s).detail))
        elif s.kind in ("param", "let", "var", "def"):
            items.append(lsp.CompletionItem(s.name, kind=lsp.CompletionItemKind.Variable, detail=s.detail))
    return items


def _open_call(text: str) -> str | None:
    """The name of the innermost call whose `(` is still open at the end of `text`; None outside calls."""
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        ch = text[i]
        if ch == ")":
            depth += 1
        elif ch == "(" and depth:
            depth -= 1
        elif ch == "(":
            name = re.search(r"([A-Za-z_][A-Za-z_0-9]*)\s*$", text[:i])
            return name.group(1) if name else None
        elif ch in "{}":
            return None
    return None


def _arguments(call: str, index: Index | None, line: int, col: int) -> list[lsp.CompletionItem]:
    if call in LAYERS:
        return [
            lsp.CompletionItem(
                f.name + "=",
                kind=lsp.CompletionItemKind.Property,
                detail=_arg_detail(LAYERS[call].Attrs, f),
                insert_text=f.name + "=",
            )
            for f in dataclasses.fields(LAYERS[call].Attrs)
        ]
    block = next(
        (s for s in (index.visible(line, col) if index else []) if s.name == call and s.kind in ("block", "import")),
        None,
    )
    params = (block.target or block).params if block is not None else ()
    from netspec.lsp.symbols import _param

    return [
        lsp.CompletionItem(
            p.name + "=", kind=lsp.CompletionItemKind.Property, detail=_param(p), insert_text=p.name + "="
        )
        for p in params
    ]


def _arg_detail(attrs: type[Attrs], f: dataclasses.Field) -> str:
    return attrs.kind(f.name) + ("" if f.default is dataclasses.MISSING else f" = {default_text(f.default)}")


def _layer_item(name: str) -> lsp.CompletionItem:
    return lsp.CompletionItem(
        name, kind=lsp.CompletionItemKind.Function, detail=_signature(name), documentation=LAYERS[name].summary
    )
