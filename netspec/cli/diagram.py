"""`netspec diagram`: a spec drawn as SVG, PNG, PDF or dot source, folded by its own groups and blocks; no torch.

The options are plain str/bool so that cli/dispatch.py can call the command without typer's setup (~150 ms).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from netspec.cli.app import Exit, InputOption, SetOption, app, fail, parse_input, parse_sets, spec_files, vet_output
from netspec.diagnostics import NetspecError
from netspec.files import shown

RANKDIRS = ("TB", "LR", "BT", "RL")


@app.command()
def diagram(
    file: Annotated[Path, typer.Argument(help="The spec.", show_default=False)],
    output: Annotated[Path, typer.Option("--output", "-o", show_default=False,
                                         help="The file to write: .svg, .png, .pdf or .dot (the suffix decides).")],
    depth: Annotated[str | None, typer.Option(
        "--depth", "-d", metavar="N|blocks|full", show_default=False,
        help="What to fold into one box. By default every layer, repeats drawn once, when that fits on a page, "
             "otherwise as blocks. blocks: every block that holds no other block is one box (a residual one with "
             "a dashed loop for its skip); N: every group or block at module depth N (layer1 is 1, layer1.0 "
             "is 2); full: every layer and every repeat.")] = None,
    rankdir: Annotated[str, typer.Option("--rankdir", metavar="TB|LR",
                                         help="TB: top to bottom; LR: left to right.")] = "TB",
    no_collapse_repeats: Annotated[bool, typer.Option(
        "--no-collapse-repeats", help="Draw every block of a run of identical ones, not one marked x N "
                                      "(--depth full always does).")] = False,
    set: SetOption = None,
    input: InputOption = None,
) -> None:
    """Draw the network: layers as boxes, shapes on the edges, groups and blocks as labelled frames."""
    from netspec.backends.diagram import render
    from netspec.cli.inspect import incomplete, partial_report

    folding, direction = parse_depth(depth), parse_rankdir(rankdir)
    vet_output(output, file)
    report, error = partial_report(file, parse_input(input), parse_sets(set))
    if report is None:
        raise Exit(1)
    vet_output(output, *spec_files(report.graph))
    try:
        note = render(report, output, depth=folding, rankdir=direction, collapse_repeats=not no_collapse_repeats,
                      incomplete=incomplete(error))
    except NetspecError as e:
        fail(e)
    partial = f" (incomplete: {incomplete(error)})" if error is not None else ""
    print(note or f"wrote {shown(output)}{partial}", file=sys.stderr)  # as every command: stdout is for data
    if error is not None:
        raise Exit(1)


def parse_depth(text: str | None) -> int | str | None:
    """`--depth` of `diagram` and `summary`: a number >= 1, `blocks` or `full` (netspec.analysis.folding)."""
    from netspec.analysis.folding import parse_depth as parse

    try:
        return parse(text)
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint="'--depth'") from None


def parse_rankdir(text: str) -> str:
    if text.upper() not in RANKDIRS:
        raise typer.BadParameter(f"{text!r} is not one of {', '.join(RANKDIRS)}", param_hint="'--rankdir'")
    return text.upper()
