"""Report -> summary table (rows folded by the spec's own groups and blocks), as text or HTML."""

from __future__ import annotations

import html as _html
import re
from dataclasses import dataclass

from netspec.analysis.report import Report, ScopeSummary
from netspec.ops import fmt_shape


@dataclass(frozen=True, slots=True)
class Row:
    name: str
    op: str
    shape: str
    params: int
    macs: int
    rf: str
    depth: int


def module_depth(path: str) -> int:
    return len(path.split(".")) if path else 0


def rows(report: Report, depth: int | None = None) -> list[Row]:
    """One row per layer; with `depth`, everything below that depth folded into its group or block."""
    scopes = report.scopes
    folded: set[int] = set()
    out = []
    for layer in report.layers[1:]:
        fold = _fold(scopes, layer.scope, depth)
        if fold is None:
            out.append(Row(layer.name, layer.label, fmt_shape(layer.shape), layer.params, layer.macs,
                           _rf(layer.rf), module_depth(layer.name) - 1))
        elif fold.id not in folded:
            folded.add(fold.id)
            last = report.layers[fold.layers[-1]]
            what = fold.label if fold.kind == "block" else f"{fold.kind} of {len(fold.layers)} layers"
            out.append(Row(fold.path, what, fmt_shape(fold.shape), fold.params, fold.macs, _rf(last.rf),
                           module_depth(fold.path) - 1))
    return out


def _fold(scopes: list[ScopeSummary], scope_id: int, depth: int | None) -> ScopeSummary | None:
    """The outermost named scope at `depth` that contains this scope, if the layer sits below that depth."""
    if depth is None:
        return None
    chain = []
    current: int | None = scope_id
    while current is not None:
        chain.append(scopes[current])
        current = scopes[current].parent
    for scope in reversed(chain):
        if scope.path and module_depth(scope.path) == depth and scope.kind in ("group", "block", "shortcut"):
            return scope
    return None


def _rf(rf: list[int]) -> str:
    return str(rf[0]) if rf[0] == rf[1] else f"{rf[0]}x{rf[1]}"


def totals_lines(report: Report) -> list[str]:
    t = report.totals
    return [
        f"input {fmt_shape(report.input)} -> output {fmt_shape(report.output)}",
        f"params: {t.params:,} (trainable {t.trainable_params:,}), buffers: {t.buffers:,}",
        f"MACs: {t.macs:,} (FLOPs = 2 x MACs = {t.flops:,}), conv and linear only",
        f"memory per sample ({t.dtype}): activations {_mb(t.activation_bytes)}, params and buffers {_mb(t.param_bytes)}",
    ]


def _mb(n: int) -> str:
    return f"{n / 2**20:,.2f} MiB"


COLUMNS = (("layer", "left"), ("op", "left"), ("output", "left"), ("params", "right"), ("MACs", "right"),
           ("RF", "right"))


def text(report: Report, depth: int | None = None, width: int | None = None) -> str:
    """The summary as a rich table rendered to plain text."""
    title = f"{report.network} ({report.file})"
    cells = [("  " * row.depth + row.name, row.op, row.shape, f"{row.params:,}", f"{row.macs:,}", row.rf)
             for row in rows(report, depth)]
    table = _plain(title, cells, width or 160) or _rich(title, cells, width or 160)
    return table + "\n\n" + "\n".join(totals_lines(report))


def _rich(title: str, cells: list[tuple[str, ...]], width: int) -> str:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for header, justify in COLUMNS:
        table.add_column(header, justify=justify, no_wrap=True)
    for row in cells:
        table.add_row(*row)
    console = Console(width=width, record=True, file=_Null(), color_system=None)
    console.print(table)
    return console.export_text().rstrip()


_MARKUP = re.compile(r"\[[a-zA-Z#/@]|\\")  # what rich might read as a style tag or an escape


def _plain(title: str, cells: list[tuple[str, ...]], width: int) -> str | None:
    """The text rich prints for the table, built directly (rich takes ~1 ms per row: 10 s for 10k layers).

    Only for what rich lays out plainly: printable ASCII, no markup, and a table and title that fit the width;
    None otherwise, and rich renders it. tests/test_table.py compares the two.
    """
    table = [tuple(header for header, _ in COLUMNS), *cells]
    texts = [title, *(c for row in cells for c in row)]
    if not cells or not all(c.isascii() and c.isprintable() and not _MARKUP.search(c) and c == c.rstrip()
                            for c in texts):
        return None
    widths = [max(len(row[i]) for row in table) for i in range(len(COLUMNS))]
    total = sum(widths) + 3 * (len(widths) - 1)  # a space either side of each inner rule, and the rule
    if total >= width or len(title) > total:
        return None

    def line(row: tuple[str, ...], rule: str) -> str:
        return f" {rule} ".join(c.ljust(w) if justify == "left" else c.rjust(w)
                                for c, w, (_, justify) in zip(row, widths, COLUMNS))

    lines = [title.ljust(total), line(table[0], "┃"), "╇".join("━" * (w + 2) for w in widths)[1:-1]]
    lines += [line(row, "│") for row in cells]
    return "\n".join(lines).rstrip()


def html(report: Report, depth: int | None = None) -> str:
    """The summary as an HTML table (notebooks show it for a Report)."""
    head = "".join(f"<th>{h}</th>" for h in ("layer", "op", "output", "params", "MACs", "RF"))
    body = "".join(
        f"<tr><td style='text-align:left;padding-left:{row.depth}em'>{_html.escape(row.name)}</td>"
        f"<td style='text-align:left'>{_html.escape(row.op)}</td><td>{row.shape}</td>"
        f"<td>{row.params:,}</td><td>{row.macs:,}</td><td>{row.rf}</td></tr>"
        for row in rows(report, depth))
    foot = "<br>".join(_html.escape(line) for line in totals_lines(report))
    return (f"<b>{_html.escape(report.network)}</b><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table><p>{foot}</p>")


class _Null:
    def write(self, _text: str) -> int:
        return 0

    def flush(self) -> None:
        pass
