"""`netspec check`, `summary` and `explain`: static analysis from the command line; none of them imports torch."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

from netspec.cli.app import (
    Exit,
    InputOption,
    JsonOption,
    SetOption,
    SpecArgument,
    SpecsArgument,
    UsageError,
    argument,
    ascii_only,
    build_report,
    colour,
    command,
    depth_word,
    fail,
    option,
    parse_input,
    parse_variants,
    spec_name,
    spec_paths,
    spec_source,
)
from netspec.diagnostics import Diagnostic, NetspecError, Severity
from netspec.files import shown
from netspec.render import printable

SpecsOrDirs = argument(
    "files",
    "Spec files, or directories to check every *.net below (- reads one from standard input).",
    metavar="FILE",
    type=Path,
    many=True,
    complete="spec",
)
StrictOption = option("strict", "--strict", flag=True, help="Treat warnings as errors (exit status 1).")


@command(SpecsOrDirs, SetOption, InputOption, StrictOption, JsonOption)
def check(files: list[Path], set: list[str] | None, input: str | None, strict: bool, json_: bool) -> None:
    """Check specs: every shape, parameter and name. Prints all errors and warnings; exit status 1 on errors.

    A directory checks every *.net below it (a file of blocks only is checked as a library). A --set name
    given more than once checks each value (every combination when several names repeat)."""
    files = spec_paths(files)
    results = [
        _checked(file, label, params, parse_input(input), strict)
        for file in files
        for label, params in parse_variants(set)
    ]
    failed = any(not data["ok"] for data, _ in results)
    if json_:
        print(json.dumps({"ok": not failed, "files": [data for data, _ in results]}, indent=2))
    else:
        for data, message in results:
            print(message, file=sys.stdout if data["ok"] else sys.stderr)
        if len(results) > 1:
            print(_closing(results), file=sys.stderr if failed else sys.stdout)
    if failed:
        raise Exit(1)


def _checked(file: Path, label: str, params: dict, shape, strict: bool) -> tuple[dict, str]:
    from netspec.api import analyse

    source = spec_source(file)
    try:
        report = analyse(source, input=shape, **params)
    except NetspecError as e:
        if [d.code for d in e.errors] == ["no-network"] and source is file:
            return _library(file, label)
        return _failure(file, label, e)
    return _success(file, label, report, strict)


def _library(file: Path, label: str) -> tuple[dict, str]:
    """A file of blocks only: its imports and names are checked; its blocks are checked where a network uses them."""
    from netspec.diagnostics import Diagnostics
    from netspec.elaborate import Loader

    loader = Loader(Diagnostics())
    spec = loader.read(Path(file), None)
    blocks = [b.name for b in spec.blocks] if spec is not None else []
    if spec is not None:
        loader.blocks(spec)
    if spec is None or not blocks or loader.diags.has_errors:
        diags = loader.diags if loader.diags.has_errors else None
        error = NetspecError(diags.items, loader.sources) if diags else None
        if error is None:
            found = Diagnostics()
            found.error(
                f"{file} defines no network and no blocks",
                None,
                help="a spec needs `network Name { ... }`",
                code="no-network",
            )
            error = NetspecError(found.items)
        return _failure(file, label, error)
    data = {"file": spec_name(file), "set": label, "ok": True, "library": blocks, "diagnostics": []}
    return data, (
        f"ok: {shown(file)}: a library of {len(blocks)} block{'s' * (len(blocks) != 1)} "
        f"({', '.join(blocks)}), checked where a network uses them"
    )


def _closing(results: list[tuple[dict, str]]) -> str:
    """`3 files: 2 ok, 1 with errors`."""
    ok = sum(data["ok"] for data, _ in results)
    warned = sum(data["ok"] and any(d["severity"] == "warning" for d in data["diagnostics"]) for data, _ in results)
    files = len({data["file"] for data, _ in results})
    what = (
        f"{files} file{'s' * (files != 1)}"
        if files == len(results)
        else f"{files} file{'s' * (files != 1)}, {len(results)} variants"
    )
    parts = [f"{ok} ok" + (f" ({warned} with warnings)" if warned else "")]
    if len(results) > ok:
        parts.append(f"{len(results) - ok} with errors")
    return f"{what}: {', '.join(parts)}"


def _failure(file: Path, label: str, error: NetspecError) -> tuple[dict, str]:
    data = {"file": spec_name(file), "set": label, "ok": False, "diagnostics": [d.as_dict() for d in error.diagnostics]}
    text = error.render(colour())
    return data, (f"with --set {label}:\n{text}" if label else text)


def _success(file: Path, label: str, report, strict: bool) -> tuple[dict, str]:
    from netspec.render import render

    severity: Severity = "error" if strict else "warning"
    warnings = [Diagnostic(severity, w.message, _span(w), w.label, w.help, w.code) for w in report.warnings]
    t = report.totals
    ok = not (strict and warnings)
    data = {
        "file": spec_name(file),
        "set": label,
        "ok": ok,
        "network": report.network,
        "params_set": report.params,
        "input": report.input,
        "output": report.output,
        "params": t.params,
        "macs": t.macs,
        "diagnostics": [d.as_dict() for d in warnings],
    }
    stream = sys.stdout if ok else sys.stderr
    lines = [render(w, report.graph.sources, colour(stream)) + "\n" for w in warnings]
    where = f"{shown(spec_name(file))} ({label})" if label else shown(spec_name(file))
    count = f", {len(warnings)} warning(s)" + (" (errors with --strict)" if strict else "") if warnings else ""
    lines.append(
        f"{'ok' if ok else 'error'}: {where}: {report.network}, {t.params:,} params, {t.macs:,} MACs, "
        f"output {report.output}{count}"
    )
    return data, "\n".join(lines)


def _span(warning):
    from netspec.diagnostics import Span

    at = warning.at
    return Span(at.file, at.line, at.col, at.end_line, at.end_col) if at else None


def show_warnings(report) -> None:
    """The warnings `check` shows, on stderr, so a table on stdout stays clean."""
    from netspec.render import render

    for w in report.warnings:
        diagnostic = Diagnostic("warning", w.message, _span(w), w.label, w.help, w.code)
        print(render(diagnostic, report.graph.sources, colour()) + "\n", file=sys.stderr)


DEPTH = option(
    "depth",
    "--depth",
    "-d",
    metavar="N|blocks|full",
    type=depth_word,
    choices=("blocks", "full", "1", "2"),
    help="What to fold into one row, as in `netspec diagram`. full (the default): every layer; blocks: "
    "every block that holds no other block; N: every group or block at module depth N (layer1 is 1).",
)


@command(SpecsArgument, DEPTH, SetOption, InputOption, JsonOption)
def summary(files: list[Path], depth: str | None, set: list[str] | None, input: str | None, json_: bool) -> None:
    """A layer table: output shape, parameters, MACs and receptive field of every layer, with totals.

    Several files, or a --set name given more than once, compare the designs side by side instead. Several
    input sizes (--input 3x224x224,3x320x320 or 3x{224..512..32}) give the costs at each size instead, and
    their exact formulas in H and W."""
    from netspec.backends import table
    from netspec.cli.costs import read_inputs, summary_by_size
    from netspec.cli.diagram import parse_depth

    folding = parse_depth(depth)
    variants = [(file, label, params) for file in files for label, params in parse_variants(set)]
    shapes = read_inputs(input)
    if shapes is not None and len(shapes) > 1:
        return summary_by_size(*_one_design(variants, depth), shapes, json_)
    shape = None if shapes is None else tuple(shapes[0])
    results = [(_design(file, label), *partial_report(file, shape, params)) for file, label, params in variants]
    for _, report, _error in results:
        if report is not None:
            show_warnings(report)
    if json_:
        data = [_summary_data(name, report, error, folding) for name, report, error in results]
        print(json.dumps(data[0] if len(data) == 1 else data, indent=2))
    else:
        shown_ = [(name, report, error) for name, report, error in results if report is not None]
        if len(results) == 1 and shown_:
            text = table.text(shown_[0][1], folding, incomplete=incomplete(shown_[0][2]))
        else:
            text = (
                table.compare(
                    [(name + " (incomplete)" * (error is not None), report) for name, report, error in shown_]
                )
                if shown_
                else ""
            )
        missing = [name for name, report, _ in results if report is None]
        if len(results) > 1 and missing:
            text += ("\n\n" if text else "") + f"not analysed (errors above): {', '.join(missing)}"
        if text:
            print(table.to_ascii(text) if ascii_only() else text)
    if any(error is not None for _, _, error in results):
        raise Exit(1)


def partial_report(file: Path, shape, params: dict):
    """(report, error) for `summary` and `diagram`: on errors, every diagnostic is printed (stderr) and the
    report is what could be analysed (None if nothing could): see netspec.api.analyse_partial."""
    from netspec.api import analyse_partial

    report, error = analyse_partial(spec_source(file), input=shape, **params)
    if error is not None:
        print(error.render(colour()), file=sys.stderr)
    return report, error


def incomplete(error: NetspecError | None) -> str | None:
    """What a partial table or diagram says of itself: how many errors, and where the first one is."""
    if error is None:
        return None
    errors = error.errors
    first = next((d.span for d in errors if d.span is not None), None)
    where = f" (the first at {shown(first.file)}:{first.line}:{first.col})" if first is not None else ""
    return f"{len(errors)} error{'s' * (len(errors) != 1)}{where}"


def _summary_data(name: str, report, error, folding) -> dict:
    from netspec.backends import table

    data = {"design": name, "ok": error is None, "incomplete": error is not None and report is not None}
    if report is not None:
        data.update(report.to_dict(), rows=[dataclasses.asdict(r) for r in table.rows(report, folding)])
    if error is not None:
        data["diagnostics"] = [d.as_dict() for d in error.diagnostics]
    return data


def _one_design(variants: list[tuple[Path, str, dict]], depth: str | None) -> tuple[Path, str, dict]:
    """The one spec that costs by size are computed for; UsageError for several designs or a --depth."""
    from netspec.diagnostics import Diagnostics

    if len(variants) == 1 and depth is None:
        return variants[0]
    diags = Diagnostics()
    what = "--depth" if depth is not None else "several designs"
    diags.error(
        f"several input sizes cannot be combined with {what}",
        None,
        code="usage",
        help="give one file and one value per --set with a list of sizes, or one size to compare designs",
    )
    raise UsageError(diags.items)


def _design(file: Path, label: str) -> str:
    return f"{shown(spec_name(file))} ({label})" if label else shown(spec_name(file))


def _layer_names(values: dict) -> list[str]:
    from netspec.cli.completion import layer_names

    return layer_names(values)


LAYER = argument(
    "layer",
    "A layer's or block's name as the summary shows it, e.g. layer1.0.conv1 or layer1.0.",
    metavar="NAME",
    complete=_layer_names,
)


@command(SpecArgument, LAYER, SetOption, InputOption, JsonOption)
def explain(file: Path, layer: str, set: list[str] | None, input: str | None, json_: bool) -> None:
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
