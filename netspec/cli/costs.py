"""`netspec summary --input` with several sizes: one row of costs per size, and the exact formulas in H and W."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from netspec.cli.app import UsageError, fail, parse_input, spec_source
from netspec.diagnostics import Diagnostics, NetspecError, Span

COLUMNS = (("input", "left"), ("output", "left"), ("params", "right"), ("MACs", "right"), ("activations", "right"))
SHOWN = (("params", "params"), ("macs", "MACs"), ("activation_bytes", "activations (bytes)"))


def read_inputs(text: str | None) -> Sequence[tuple[int, ...]] | None:
    """--input as one shape or several (`3x224x224,3x320x320`, `3x{224..512..32}`); a comma-only `3,224,224`
    is one shape, as before. UsageError for text that cannot be read."""
    if text is None:
        return None
    if "x" not in text.lower() and "{" not in text:
        return [parse_input(text)]
    from netspec.analysis.costs import parse_sizes

    try:
        return parse_sizes(text)
    except ValueError as e:
        diags = Diagnostics()
        diags.error(
            f"cannot read --input {text!r}: {e}",
            Span.point("--input", 1, 1, max(1, len(text))),
            help="write sizes as 3x224x224,3x320x320 or a range 3x{224..512..32} (C x S is S x S)",
            code="usage",
        )
        raise UsageError(diags.items, {"--input": text}) from None


def summary_by_size(
    file: Path, label: str, params: dict[str, Any], shapes: Sequence[tuple[int, ...]], json_: bool
) -> None:
    """Print the costs at every shape (a table and the formulas, or JSON)."""
    from netspec.api import costs

    try:
        found = costs(spec_source(file), shapes, **params)
    except NetspecError as e:
        fail(e)
    print(json.dumps(found.to_dict(), indent=2) if json_ else text(found, label))


def text(found, label: str = "") -> str:
    """The table of sizes, then each formula with the class it holds on."""
    from netspec.backends.table import fmt_bytes, grid, to_ascii
    from netspec.cli.app import ascii_only
    from netspec.render import printable

    names = _output_names(found)
    cells = [
        (
            _size(p.input),
            *_shapes(p, names),
            f"{p.params:,}",
            f"{p.macs:,}",
            fmt_bytes(p.activation_bytes),
        )
        if p.error is None
        else (_size(p.input), "rejected: " + printable(p.error), *[""] * (max(1, len(names)) + 2))
        for p in found.points
    ]
    where = f"{found.file}, {label}" if label else found.file
    title = printable(f"{found.network} ({where})" if found.network else "costs by input size")
    columns = COLUMNS[:1] + tuple((f"output {printable(n)}", "left") for n in names) + COLUMNS[2:] if names else COLUMNS
    lines = [grid(title, cells, columns)]
    lines += [line for formula in found.formulas for line in _formula(formula)]
    lines += [""] + found.notes if found.notes else []
    lines += ["", f"activations: every layer's output for one sample ({found.dtype}); MACs: conv and linear only"]
    out = "\n".join(lines)
    return to_ascii(out).replace("≡", "=").replace("·", "*") if ascii_only() else out


def _formula(f) -> list[str]:
    (mh, mw), (rh, rw) = f.modulus, f.residue
    how = "exact" if f.proven else "checked"
    sizes = ", ".join(f"{h}x{w}" for h, w in f.checked)
    lines = [
        "",
        f"{how} for every H ≡ {rh} (mod {mh}), W ≡ {rw} (mod {mw}) at which the network runs "
        f"(solved at {f.derived_from[0][0]}x{f.derived_from[0][1]} and one period on; checked at {sizes}):",
    ]
    shapes = [("output", "output.")]  # the main output, or each declared one by name
    named = list(dict.fromkeys(n.rpartition(".")[0] for n in f.terms if n.startswith("outputs.")))
    shapes = [(f"output {n[8:]}", n + ".") for n in named] or shapes  # names are labels: nothing to escape
    width = max(len(label) for label in [label for _, label in SHOWN] + [label for label, _ in shapes])
    lines += [f"  {label:<{width}} = {f.terms[name].text()}" for name, label in SHOWN]
    for label, prefix in shapes:
        axes = sorted((n for n in f.terms if n.startswith(prefix) and n[len(prefix) :].isdigit()), key=_axis)
        lines.append(f"  {label:<{width}} = [{', '.join(f.terms[n].text().replace(',', '') for n in axes)}]")
    return lines + ([f"  ({f.note})"] if f.note else [])


def _shapes(point, names: list[str]) -> list[str]:
    """A point's output shapes: each declared output's, or the one output's."""
    from netspec.ops import fmt_shape

    return [fmt_shape(dict(point.outputs)[n]) for n in names] if names else [fmt_shape(point.output)]


def _axis(term: str) -> int:
    return int(term.rpartition(".")[2])


def _output_names(found) -> list[str]:
    """The declared outputs of the network, in order (none when it has its one unnamed output)."""
    return next(([name for name, _ in p.outputs] for p in found.points if p.error is None), [])


def _size(shape: tuple[int, ...]) -> str:
    return "x".join(str(d) for d in shape)
