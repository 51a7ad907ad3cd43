"""`netspec diagram`: a spec drawn as SVG, PNG, PDF or dot source, folded by its own groups and blocks; no torch."""

from __future__ import annotations

import sys
from pathlib import Path

from netspec.cli.app import (
    Exit,
    InputOption,
    SetOption,
    SpecArgument,
    command,
    depth_word,
    fail,
    one_of,
    option,
    parse_input,
    parse_sets,
    spec_files,
    vet_output,
)
from netspec.diagnostics import NetspecError
from netspec.files import shown

RANKDIRS = ("TB", "LR", "BT", "RL")


OUTPUT = option(
    "output",
    "--output",
    "-o",
    metavar="FILE",
    required=True,
    type=Path,
    complete="file",
    help="The file to write: .svg, .png, .pdf or .dot (the suffix decides).",
)
DEPTH = option(
    "depth",
    "--depth",
    "-d",
    metavar="N|blocks|full",
    type=depth_word,
    choices=("blocks", "full", "1", "2"),
    help="What to fold into one box. By default every layer, repeats drawn once, when that fits on a "
    "page, otherwise as blocks. blocks: every block that holds no other block is one box (a residual "
    "one with a dashed loop for its skip); N: every group or block at module depth N (layer1 is 1, "
    "layer1.0 is 2); full: every layer and every repeat.",
)
RANKDIR = option(
    "rankdir",
    "--rankdir",
    metavar="TB|LR",
    type=one_of(*RANKDIRS),
    default="TB",
    choices=RANKDIRS,
    help="TB: top to bottom; LR: left to right.",
)
NO_COLLAPSE = option(
    "no_collapse_repeats",
    "--no-collapse-repeats",
    flag=True,
    help="Draw every block of a run of identical ones, not one marked x N (--depth full always does).",
)


@command(SpecArgument, OUTPUT, DEPTH, RANKDIR, NO_COLLAPSE, SetOption, InputOption)
def diagram(
    file: Path,
    output: Path,
    depth: str | None,
    rankdir: str,
    no_collapse_repeats: bool,
    set: list[str] | None,
    input: str | None,
) -> None:
    """Draw the network: layers as boxes, shapes on the edges, groups and blocks as labelled frames."""
    from netspec.backends.diagram import render
    from netspec.cli.inspect import incomplete, partial_report

    folding = parse_depth(depth)
    vet_output(output, file)
    report, error = partial_report(file, parse_input(input), parse_sets(set))
    if report is None:
        raise Exit(1)
    vet_output(output, *spec_files(report.graph))
    try:
        note = render(
            report,
            output,
            depth=folding,
            rankdir=rankdir,
            collapse_repeats=not no_collapse_repeats,
            incomplete=incomplete(error),
        )
    except NetspecError as e:
        fail(e)
    partial = f" (incomplete: {incomplete(error)})" if error is not None else ""
    print(note or f"wrote {shown(output)}{partial}", file=sys.stderr)  # as every command: stdout is for data
    if error is not None:
        raise Exit(1)


def parse_depth(text: str | None) -> int | str | None:
    """`--depth`, read by `depth_word` already: None, an int >= 1, `blocks` or `full`."""
    from netspec.analysis.folding import parse_depth as parse

    return parse(text)
