"""`netspec check`, `summary` and `explain`: static analysis from the command line; none of them imports torch."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from netspec.cli.app import Exit, InputOption, JsonOption, SetOption, app, build_report, colour, fail, parse_input, \
    parse_sets
from netspec.diagnostics import Diagnostic, NetspecError
from netspec.files import shown
from netspec.render import printable


@app.command()
def check(
    files: Annotated[list[Path], typer.Argument(help="Spec files to check.", show_default=False)],
    set: SetOption = None,
    input: InputOption = None,
    json_: JsonOption = False,
) -> None:
    """Check specs: every shape, parameter and name. Prints all errors and warnings; exit status 1 on errors."""
    from netspec.api import analyse

    results, failed = [], False
    for file in files:
        try:
            report = analyse(file, input=parse_input(input), **parse_sets(set))
        except NetspecError as e:
            failed = True
            results.append(_failure(file, e))
            continue
        results.append(_success(file, report))
    if json_:
        print(json.dumps({"ok": not failed, "files": [r[0] for r in results]}, indent=2))
    else:
        for _, message in results:
            print(message, file=sys.stderr if "error" in message.split(":", 1)[0] else sys.stdout)
    if failed:
        raise Exit(1)


def _failure(file: Path, error: NetspecError) -> tuple[dict, str]:
    data = {"file": str(file), "ok": False, "diagnostics": [d.as_dict() for d in error.diagnostics]}
    return data, error.render(colour())


def _success(file: Path, report) -> tuple[dict, str]:
    from netspec.render import render

    warnings = [Diagnostic("warning", w.message, _span(w), w.label, w.help, w.code) for w in report.warnings]
    t = report.totals
    data = {"file": str(file), "ok": True, "network": report.network, "input": report.input,
            "output": report.output, "params": t.params, "macs": t.macs,
            "diagnostics": [d.as_dict() for d in warnings]}
    lines = [render(w, report.graph.sources, colour(sys.stdout)) + "\n" for w in warnings]
    lines.append(f"ok: {shown(file)}: {report.network}, {t.params:,} params, {t.macs:,} MACs, "
                 f"output {report.output}" + (f", {len(warnings)} warning(s)" if warnings else ""))
    return data, "\n".join(lines)


def _span(warning):
    from netspec.diagnostics import Span

    at = warning.at
    return Span(at.file, at.line, at.col, at.end_line, at.end_col) if at else None


@app.command()
def summary(
    file: Annotated[Path, typer.Argument(help="The spec.", show_default=False)],
    depth: Annotated[str | None, typer.Option(
        "--depth", "-d", metavar="N|blocks|full", show_default=False,
        help="What to fold into one row, as in `netspec diagram`. full (the default): every layer; blocks: every "
             "block that holds no other block; N: every group or block at module depth N (layer1 is 1).")] = None,
    set: SetOption = None,
    input: InputOption = None,
    json_: JsonOption = False,
) -> None:
    """A layer table: output shape, parameters, MACs and receptive field of every layer, with totals."""
    from netspec.backends import table
    from netspec.cli.diagram import parse_depth

    folding = parse_depth(depth)
    report = build_report(file, set, input)
    if json_:
        data = report.to_dict()
        data["rows"] = [dataclasses.asdict(row) for row in table.rows(report, folding)]
        print(json.dumps(data, indent=2))
    else:
        print(table.text(report, folding))


@app.command()
def explain(
    file: Annotated[Path, typer.Argument(help="The spec.", show_default=False)],
    layer: Annotated[str, typer.Argument(help="A layer's or block's name as the summary shows it, e.g. "
                                              "layer1.0.conv1 or layer1.0.", show_default=False)],
    set: SetOption = None,
    input: InputOption = None,
    json_: JsonOption = False,
) -> None:
    """The formulas behind one layer, with its numbers filled in (output size, parameters, MACs, receptive
    field); for a block or group, its totals and its members."""
    from netspec.analysis.explain import explain as explain_layer
    from netspec.analysis.explain import explanation

    report = build_report(file, set, input)
    try:
        text = json.dumps(explanation(report, layer), indent=2) if json_ else explain_layer(report, layer)
        print("\n".join(printable(line) for line in text.split("\n")))
    except NetspecError as e:
        fail(e)
