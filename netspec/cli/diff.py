"""`netspec diff A [B]`: what changes between two designs, and whether A's checkpoint loads into B; no torch.

Exit status: 0 when a checkpoint of A loads into B with strict=True, 3 when it loads only with strict=False
(keys missing or unexpected), 4 when it does not load at all (a tensor changes shape); 1 and 2 as everywhere.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

from netspec.cli.app import (
    Exit,
    InputOption,
    JsonOption,
    SetOption,
    UsageError,
    argument,
    ascii_only,
    command,
    fail,
    option,
    parse_input,
    parse_sets,
    spec_name,
    spec_source,
)
from netspec.diagnostics import Diagnostics, NetspecError
from netspec.files import shown

if TYPE_CHECKING:  # imported when the command runs: `netspec --help` stays light
    from netspec.analysis.diff import Diff

STATUS = {"strict": 0, "non-strict": 3, "no": 4}
LISTED = 8  # keys shown per kind in the text; --json lists all


def _b_params(read: dict) -> list[str]:
    """`--vs` completion: `name=` for each parameter of B (A when B is left out)."""
    from netspec.cli.completion import spec_params

    return spec_params({"file": read.get("b") or read.get("a")})


ARGS = (
    argument("a", "The first spec.", metavar="A", type=Path, complete="spec"),
    argument("b", "The second spec (A again when left out).", metavar="B", type=Path, optional=True, complete="spec"),
    SetOption,
    option(
        "vs",
        "--vs",
        metavar="NAME=VALUE",
        many=True,
        complete=_b_params,
        help="A network parameter of B (on top of --set when B is A's file), e.g. --vs depth=101.",
    ),
    InputOption,
    JsonOption,
)


@command(*ARGS)
def diff(a: Path, b: Path | None, set: list[str] | None, vs: list[str] | None, input: str | None, json_: bool) -> None:
    """What changes from A to B per scope and layer (parameters, MACs, output shape), and which state_dict keys
    appear, disappear or change shape. --set sets A's parameters, --vs B's; without B, B is A's file with --set
    and then --vs. Exit status 0: A's checkpoint loads into B strictly; 3: only with strict=False; 4: not at
    all (a shape changed)."""
    from netspec.api import diff as compare

    params, override = parse_sets(set), parse_sets(vs)
    if b is None and not override:
        _usage(
            "nothing to compare: give a second spec or --vs",
            "netspec diff specs/resnet.net --set depth=50 --vs depth=101, or netspec diff a.net b.net",
        )
    labels = (_label(a, set), _label(b or a, _overridden(set, vs) if b is None else vs))
    try:
        found = compare(
            spec_source(a), None if b is None else spec_source(b), vs=override, input=parse_input(input), **params
        )
    except NetspecError as e:
        fail(e)
    found.labels = labels
    print(json.dumps(found.to_dict(), indent=2) if json_ else text(found))
    code = STATUS[found.checkpoint.verdict]
    if code:
        raise Exit(code)


def _overridden(sets: list[str] | None, vs: list[str] | None) -> list[str]:
    """B's `name=value` pairs as typed: --set's, but --vs's where both name a parameter."""
    names = {item.partition("=")[0].strip() for item in vs or []}
    return [item for item in sets or [] if item.partition("=")[0].strip() not in names] + list(vs or [])


def _label(file: Path, sets: list[str] | None) -> str:
    name = shown(spec_name(file))
    return f"{name} ({', '.join(s.strip() for s in sets)})" if sets else name


def _usage(message: str, hint: str) -> None:
    diags = Diagnostics()
    diags.error(message, None, help=hint, code="usage")
    raise UsageError(diags.items)


def text(found: Diff) -> str:
    from netspec.backends.table import to_ascii

    lines = [
        f"A: {found.labels[0]}: {found.a.network}, input {found.a.input}",
        f"B: {found.labels[1]}: {found.b.network}, input {found.b.input}",
        "",
        _totals(found),
        "",
    ]
    lines += [_changes(found), ""] if found.changes else ["no scope or layer changed", ""]
    lines += _checkpoint(found.checkpoint)
    out = "\n".join(lines)
    return to_ascii(out) if ascii_only() else out


def _totals(found: Diff) -> str:
    from netspec.backends.table import fmt_bytes, grid

    t = found.totals
    cells = [
        (
            name,
            fmt(t[key][0]),
            fmt(t[key][1]),
            _delta(*t[key], fmt),
        )
        for name, key, fmt in (
            ("params", "params", "{:,}".format),
            ("buffers", "buffers", "{:,}".format),
            ("MACs", "macs", "{:,}".format),
            ("activations", "activation_bytes", fmt_bytes),
        )
    ]
    cells += [
        (f"output {o.name}".rstrip(), _shape(o.a) if o.a else "-", _shape(o.b) if o.b else "-", o.status)
        for o in found.outputs
    ]
    return grid("totals", cells, (("", "left"), ("A", "right"), ("B", "right"), ("change", "right")))


def _changes(found: Diff) -> str:
    from netspec.backends.table import grid
    from netspec.render import printable

    cells = [
        (printable(path or "(network)"), printable(a), printable(b), _delta(pa, pb), _delta(ma, mb), shape)
        for path, a, b, pa, pb, ma, mb, shape in _rows(found.changes)
    ]
    return grid(
        "what changed (a scope added or removed stands for everything in it)",
        cells,
        (("path", "left"), ("A", "left"), ("B", "left"), ("params", "right"), ("MACs", "right"), ("output", "left")),
    )


def _rows(changes) -> list[tuple]:
    """Changes, without those inside an added or removed scope, runs of added or removed siblings as one."""
    gone = [c.path + "." for c in changes if c.status != "changed"]
    kept = [c for c in changes if not any(c.path.startswith(p) for p in gone)]
    rows, i = [], 0
    while i < len(kept):
        j = i + 1
        while j < len(kept) and _next_sibling(kept[j - 1], kept[j]):
            j += 1
        rows.append(_row(kept[i:j]))
        i = j
    return rows


_NUMBERED = re.compile(r"(.*)\.([0-9]+)\Z")


def _next_sibling(x, y) -> bool:
    mx, my = _NUMBERED.match(x.path), _NUMBERED.match(y.path)
    return (
        x.status == y.status != "changed"
        and mx is not None
        and my is not None
        and mx[1] == my[1]
        and int(my[2]) == int(mx[2]) + 1
        and _what(x) == _what(y)
    )


def _what(c) -> str:
    return (c.a or c.b).what


def _row(run) -> tuple:
    first, last = run[0], run[-1]
    path = first.path if len(run) == 1 else f"{first.path} … {last.path.rsplit('.', 1)[1]}"
    what = _what(first) if len(run) == 1 else f"{len(run)} × {_what(first)}"
    pa = sum(c.a.params for c in run) if first.a else 0
    pb = sum(c.b.params for c in run) if first.b else 0
    ma = sum(c.a.macs for c in run) if first.a else 0
    mb = sum(c.b.macs for c in run) if first.b else 0
    a = what if first.a else "-"
    b = what if first.b else "-"
    if first.status == "changed":
        a, b = first.a.what, first.b.what
    shapes = [_shape(p.shape) for p in (first.a, first.b) if p is not None]
    shape = shapes[0] if len(set(shapes)) == 1 else " -> ".join(shapes)
    return path, a, b, pa, pb, ma, mb, shape


def _delta(a: int, b: int, fmt=None) -> str:
    if a == b:
        return "same"
    change = f"{b - a:+,}" if fmt is None else ("+" if b > a else "-") + fmt(abs(b - a))
    return change + (f" (x{b / a:.2f})" if a else "")


def _shape(shape) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]"


def _checkpoint(c) -> list[str]:
    verdict = {
        "strict": "loads with strict=True (exit status 0)",
        "non-strict": "loads only with strict=False (exit status 3)",
        "no": "does not load, not even with strict=False: tensors change shape (exit status 4)",
    }[c.verdict]
    lines = [f"a checkpoint of A in B: {verdict}; {c.same:,} of B's keys load as they are"]
    lines += _keys(
        f"{len(c.missing):,} of B's keys are not in A's checkpoint (they keep B's initialisation)",
        [f"{k} {_shape(s)}" for k, s in c.missing.items()],
    )
    if c.counted:
        lines.append(
            f"  {len(c.counted):,} num_batches_tracked counters absent from A's checkpoint start at 0 "
            "(torch's BatchNorm fills them in; not missing keys)"
        )
    lines += _keys(
        f"{len(c.unexpected):,} keys of A's checkpoint have no place in B (unexpected)",
        [f"{k} {_shape(s)}" for k, s in c.unexpected.items()],
    )
    lines += _keys(
        f"{len(c.reshaped):,} keys change shape (load_state_dict raises even with strict=False; drop "
        "them from the checkpoint to fine-tune)",
        [f"{k} {_shape(x)} -> {_shape(y)}" for k, (x, y) in c.reshaped.items()],
    )
    return lines


def _keys(title: str, keys: list[str]) -> list[str]:
    if not keys:
        return []
    more = [f"    … and {len(keys) - LISTED:,} more (--json lists every key)"] if len(keys) > LISTED else []
    return [f"  {title}:"] + [f"    {k}" for k in keys[:LISTED]] + more
