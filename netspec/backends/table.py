"""Report -> summary table (rows folded by the spec's own groups and blocks), as text or HTML."""

from __future__ import annotations

import html as _html
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from netspec.analysis.folding import folded_scopes, module_depth, outermost_folded
from netspec.analysis.report import Report, readable_name
from netspec.ops import fmt_shape


@dataclass(frozen=True, slots=True)
class Row:
    name: str  # the module path (`features.3`), as state_dict keys and `explain` know it
    label: str  # what the layer column shows: the path, or `features.relu (3)` for an unnamed layer
    op: str
    shape: str
    params: int
    macs: int
    rf: str  # `627*` when the receptive field is larger than the input
    depth: int
    rf_exceeds_input: bool = False


def rows(report: Report, depth: int | str | None = None) -> list[Row]:
    """One row per layer; with `depth` (see netspec.analysis.folding), folded scopes as one row each."""
    scopes = report.scopes
    folded_ids = folded_scopes(scopes, depth)
    size = _input_size(report)
    done: set[int] = set()
    out = []
    for layer in report.layers[1:]:
        fold = outermost_folded(scopes, layer.scope, folded_ids) if folded_ids else None
        if fold is None:
            out.append(
                Row(
                    layer.name,
                    readable_name(layer.name, layer.op),
                    layer.label,
                    fmt_shape(layer.shape),
                    layer.params,
                    layer.macs,
                    _rf(layer.rf, size),
                    module_depth(layer.name) - 1,
                    _exceeds(layer.rf, size),
                )
            )
        elif fold.id not in done:
            done.add(fold.id)
            last = report.layers[fold.layers[-1]]
            what = fold.label if fold.kind == "block" else f"{fold.kind} of {len(fold.layers)} layers"
            out.append(
                Row(
                    fold.path,
                    fold.path,
                    what,
                    fmt_shape(fold.shape),
                    fold.params,
                    fold.macs,
                    _rf(last.rf, size),
                    module_depth(fold.path) - 1,
                    _exceeds(last.rf, size),
                )
            )
    return out


def _input_size(report: Report) -> tuple[int, int] | None:
    return (report.input[1], report.input[2]) if len(report.input) == 3 else None


def _exceeds(rf: Sequence[int | Fraction], size: tuple[int, int] | None) -> bool:
    return size is not None and (rf[0] > size[0] or rf[1] > size[1])


def _rf(rf: Sequence[int | Fraction], size: tuple[int, int] | None = None) -> str:
    text = str(rf[0]) if rf[0] == rf[1] else f"{rf[0]}x{rf[1]}"
    return text + "*" if _exceeds(rf, size) else text


def totals_lines(report: Report, marked: bool = False, incomplete: str | None = None) -> list[str]:
    """The totals under the table; `marked`: a note for the rows whose RF is marked `*`; `incomplete`: the
    errors that cut the analysis short (the totals then count the rows shown)."""
    t = report.totals
    note = (
        [
            f"* receptive field larger than the {report.input[1]}x{report.input[2]} input: each output there "
            "sees the whole input and some padding"
        ]
        if marked
        else []
    )
    if incomplete:
        note.append(f"incomplete: {incomplete}; what it affects is missing, the figures count the rows shown")
    last = report.layers[-1]
    end = (
        f"last layer built: {readable_name(last.name, last.op)} {fmt_shape(report.output)}"
        if incomplete
        else outputs_text(report)
    )
    return note + [
        f"input {fmt_shape(report.input)} -> {end}",
        f"params: {t.params:,} (trainable {t.trainable_params:,}), buffers: {t.buffers:,}",
        f"MACs: {t.macs:,} (FLOPs = 2 x MACs = {t.flops:,}), conv, transposed conv and linear only (not interpolation)",
        f"memory per sample ({t.dtype}): activations {fmt_bytes(t.activation_bytes)}, params and buffers "
        f"{fmt_bytes(t.param_bytes)}",
    ]


def outputs_text(report: Report) -> str:
    """`output [1000]`; a network with named outputs: `outputs out [21, 520, 520], aux [21, 520, 520]`."""
    named = [o for o in report.outputs if o["name"]]
    if not named:
        return f"output {fmt_shape(report.output)}"
    return "outputs " + ", ".join(f"{o['name']} {fmt_shape(tuple(o['shape']))}" for o in named)


def fmt_bytes(n: int) -> str:
    """A size in the unit that fits it: `1,216 bytes`, `4.8 KiB`, `44.59 MiB`, `1.20 GiB`."""
    if n < 2**10:
        return f"{n:,} bytes"
    for unit, scale, digits in (("GiB", 2**30, 2), ("MiB", 2**20, 2), ("KiB", 2**10, 1)):
        if n >= scale:
            return f"{n / scale:,.{digits}f} {unit}"
    raise AssertionError(n)


COLUMNS = (
    ("layer", "left"),
    ("op", "left"),
    ("output", "left"),
    ("params", "right"),
    ("MACs", "right"),
    ("RF", "right"),
)


def text(
    report: Report, depth: int | str | None = None, width: int | None = None, incomplete: str | None = None
) -> str:
    """The summary as a rich table rendered to plain text; `incomplete`, for the report of a spec with errors
    (netspec.api.analyse_partial), says so in the title and under the table."""
    from netspec.render import printable  # spec text (labels, string arguments, the path) made inert

    title = printable(f"{report.network} ({report.file})" + (" - incomplete, see the errors" if incomplete else ""))
    listed = rows(report, depth)
    cells = [
        (
            "  " * row.depth + printable(row.label),
            printable(row.op),
            row.shape,
            f"{row.params:,}",
            f"{row.macs:,}",
            row.rf,
        )
        for row in listed
    ]
    table = _plain(title, cells, width or 160) or _rich(title, cells, width or 160)
    marked = any(row.rf_exceeds_input for row in listed)
    return table + "\n\n" + "\n".join(totals_lines(report, marked, incomplete))


COMPARED = (
    ("design", "left"),
    ("network", "left"),
    ("output", "left"),
    ("params", "right"),
    ("", "right"),
    ("MACs", "right"),
    ("", "right"),
    ("activations", "right"),
    ("RF", "right"),
)


def compare(designs: list[tuple[str, Report]], width: int | None = None) -> str:
    """Several designs side by side, one row each: totals, and params and MACs relative to the first."""
    first = designs[0][1].totals
    cells = [
        (
            name,
            r.network,
            fmt_shape(r.output),
            f"{r.totals.params:,}",
            _ratio(r.totals.params, first.params),
            f"{r.totals.macs:,}",
            _ratio(r.totals.macs, first.macs),
            fmt_bytes(r.totals.activation_bytes),
            _rf(r.layers[-1].rf, _input_size(r)),
        )
        for name, r in designs
    ]
    title = f"{len(designs)} designs (x: relative to the first)"
    text = _plain(title, cells, width or 160, COMPARED) or _rich(title, cells, width or 160, COMPARED)
    marked = any(_exceeds(r.layers[-1].rf, _input_size(r)) for _, r in designs)
    return text + ("\n\n* receptive field larger than the input" if marked else "")


def grid(title: str, cells: Sequence[tuple[str, ...]], columns: tuple[tuple[str, str], ...], width: int = 160) -> str:
    """Any table of text cells in the summary's style; `columns` are (header, "left" | "right")."""
    return _plain(title, cells, width, columns) or _rich(title, cells, width, columns)


def _ratio(value: int, base: int) -> str:
    return f"x{value / base:.2f}" if base else ""


_ASCII = str.maketrans({"┃": "|", "│": "|", "━": "-", "─": "-", "╇": "+", "┼": "+", "╈": "+", "×": "x", "…": "..."})


def to_ascii(text: str) -> str:
    """The table for a terminal that shows ASCII only (PYTHONIOENCODING=ascii): rules drawn with - | +."""
    return text.translate(_ASCII)


def _rich(title: str, cells: Sequence[tuple[str, ...]], width: int, columns=COLUMNS) -> str:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(title), title_justify="left", show_edge=False, pad_edge=False)
    for header, justify in columns:
        table.add_column(header, justify=justify, no_wrap=True)
    for row in cells:
        table.add_row(*(Text(cell) for cell in row))  # Text: spec text is never read as rich markup
    console = Console(width=width, record=True, file=_Null(), color_system=None)
    console.print(table)
    return console.export_text().rstrip()


_MARKUP = re.compile(r"\[[a-zA-Z#/@]|\\")  # what rich might read as a style tag or an escape


def _plain(title: str, cells: Sequence[tuple[str, ...]], width: int, columns=COLUMNS) -> str | None:
    """The text rich prints for the table, built directly (rich takes ~1 ms per row: 10 s for 10k layers).

    Only for what rich lays out plainly: printable ASCII, no markup, and a table and title that fit the width;
    None otherwise, and rich renders it. tests/test_table.py compares the two.
    """
    table = [tuple(header for header, _ in columns), *cells]
    texts = [title, *(c for row in cells for c in row)]
    if not cells or not all(
        c.isascii() and c.isprintable() and not _MARKUP.search(c) and c == c.rstrip() for c in texts
    ):
        return None
    widths = [max(len(row[i]) for row in table) for i in range(len(columns))]
    total = sum(widths) + 3 * (len(widths) - 1)  # a space either side of each inner rule, and the rule
    if total >= width or len(title) > total:
        return None

    def line(row: tuple[str, ...], rule: str) -> str:
        return f" {rule} ".join(
            c.ljust(w) if justify == "left" else c.rjust(w)
            for c, w, (_, justify) in zip(row, widths, columns, strict=True)
        )

    lines = [title.ljust(total), line(table[0], "┃"), "╇".join("━" * (w + 2) for w in widths)[1:-1]]
    lines += [line(row, "│") for row in cells]
    return "\n".join(lines).rstrip()


def html(report: Report, depth: int | str | None = None) -> str:
    """The summary as an HTML table (notebooks show it for a Report)."""
    listed = rows(report, depth)
    head = "".join(f"<th>{h}</th>" for h in ("layer", "op", "output", "params", "MACs", "RF"))
    body = "".join(
        f"<tr><td style='text-align:left;padding-left:{row.depth}em' title='{_html.escape(row.name)}'>"
        f"{_html.escape(row.label)}</td>"
        f"<td style='text-align:left'>{_html.escape(row.op)}</td><td>{row.shape}</td>"
        f"<td>{row.params:,}</td><td>{row.macs:,}</td><td>{row.rf}</td></tr>"
        for row in listed
    )
    foot = "<br>".join(_html.escape(line) for line in totals_lines(report, any(r.rf_exceeds_input for r in listed)))
    return (
        f"<b>{_html.escape(report.network)}</b><table><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table><p>{foot}</p>"
    )


class _Null(io.StringIO):
    """A text file that keeps nothing: rich's console records what it prints, the copy is not needed."""

    def write(self, _text: str) -> int:
        return 0
