"""`netspec diagram`: a spec drawn as SVG, PNG, PDF or dot source, folded by its own groups and blocks; no torch."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from netspec.cli.app import InputOption, SetOption, app, build_report, fail
from netspec.diagnostics import NetspecError


class Rankdir(str, Enum):
    TB = "TB"
    LR = "LR"
    BT = "BT"
    RL = "RL"


def parse_depth(text: str | None) -> int | str | None:
    """`--depth`: a number >= 1, `blocks` (the default) or `full`."""
    if text is None or text in ("blocks", "full"):
        return text
    if text.isdigit() and int(text) >= 1:
        return int(text)
    raise typer.BadParameter(f"{text!r} is not a number >= 1, `blocks` or `full`")


@app.command()
def diagram(
    file: Annotated[Path, typer.Argument(help="The spec.", show_default=False)],
    output: Annotated[Path, typer.Option("--output", "-o", show_default=False,
                                         help="The file to write: .svg, .png, .pdf or .dot (the suffix decides).")],
    depth: Annotated[str | None, typer.Option(
        "--depth", "-d", metavar="N|blocks|full", callback=parse_depth,
        help="What to fold into one box. blocks (default): every block instance that holds no other block; "
             "N: every group or block at module depth N (layer1 is 1, layer1.0 is 2); full: nothing.")] = None,
    rankdir: Annotated[Rankdir, typer.Option("--rankdir", case_sensitive=False,
                                             help="TB: top to bottom; LR: left to right.")] = Rankdir.TB,
    collapse_repeats: Annotated[bool, typer.Option(
        "--collapse-repeats/--no-collapse-repeats",
        help="Draw a run of identical blocks once, marked x N.")] = True,
    set: SetOption = None,
    input: InputOption = None,
) -> None:
    """Draw the network: layers as boxes, shapes on the edges, groups and blocks as labelled frames."""
    from netspec.backends.diagram import render

    report = build_report(file, set, input)
    try:
        note = render(report, output, depth=depth, rankdir=rankdir.value, collapse_repeats=collapse_repeats)
    except NetspecError as e:
        fail(e)
    if note:
        print(note, file=sys.stderr)
    else:
        print(f"wrote {output}")
