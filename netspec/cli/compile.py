"""`netspec compile`: a spec -> standalone PyTorch source, written atomically to -o or printed to stdout."""

from __future__ import annotations

import sys
from pathlib import Path

from netspec.cli.app import (
    InputOption,
    SetOption,
    SpecArgument,
    build_report,
    command,
    option,
    spec_files,
    vet_output,
    write_output,
)
from netspec.files import shown

OUTPUT = option(
    "output",
    "--output",
    "-o",
    metavar="FILE",
    type=Path,
    complete="file",
    help="The .py file to write (default: stdout).",
)


@command(SpecArgument, OUTPUT, SetOption, InputOption, name="compile")
def compile_(file: Path, output: Path | None, set: list[str] | None, input: str | None) -> None:
    """Compile a spec to PyTorch source that needs only torch: a class per block, and the network's class."""
    from netspec.backends.torch.source import emit_source  # no torch import: compiling works without it

    if output is not None and str(output) == "-":  # `-o -` is stdout, as for `fmt -` (never a file named `-`)
        output = None
    if output is not None:
        vet_output(output, file)
    report = build_report(file, set, input)
    if output is not None:
        vet_output(output, *spec_files(report.graph))
    text = emit_source(report.graph).text
    if output is None:
        sys.stdout.write(text)
        return
    write_output(output, text, spec_files(report.graph))
    module = output.stem if output.stem.isidentifier() else "<module>"
    print(
        f"wrote {shown(output)}: {report.network}, {len(text.splitlines())} lines; "
        f"use it with `from {module} import {_class_name(text)}`",
        file=sys.stderr,
    )


def _class_name(text: str) -> str:
    """The network's class: the last one in `__all__`."""
    for line in text.splitlines():
        if line.startswith("__all__"):
            return line.rsplit('"', 2)[-2] if '"' in line else "?"
    return "?"
