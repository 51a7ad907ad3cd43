"""`netspec export`: a spec to a verified, traceable .onnx file, with progress on a terminal."""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path

from netspec.cli.app import (
    Exit,
    InputOption,
    JsonOption,
    SetOption,
    SpecArgument,
    command,
    fail,
    number,
    option,
    parse_input,
    parse_sets,
    spec_files,
    spec_source,
    whole,
)
from netspec.diagnostics import NetspecError

STAGES = {
    "build": "building the PyTorch module",
    "export": "exporting to ONNX",
    "trace": "tracing nodes to the spec",
    "check": "checking with onnx.checker",
    "verify": "comparing onnxruntime with PyTorch",
}


ARGS = (
    SpecArgument,
    option(
        "output",
        "--output",
        "-o",
        metavar="FILE",
        required=True,
        type=Path,
        complete="file",
        help="The .onnx file to write.",
    ),
    option(
        "weights",
        "--weights",
        "-w",
        metavar="FILE",
        type=Path,
        complete="file",
        help="A state_dict saved with torch.save.",
    ),
    option("opset", "--opset", metavar="N", type=whole(1), default=20, help="The ONNX opset."),
    option("dynamic_batch", "--dynamic-batch", flag=True, help="Leave the batch axis free (named `batch`)."),
    option(
        "verify",
        "--verify",
        flag=True,
        negatable=True,
        default=True,
        help="Check the model and compare onnxruntime with PyTorch.",
    ),
    option(
        "tolerance",
        "--tolerance",
        metavar="X",
        type=number(0),
        default=1e-4,
        help="Largest absolute difference allowed.",
    ),
    SetOption,
    InputOption,
    option("verbose", "--verbose", "-v", flag=True, help="Show the exporter's own output."),
    option(
        "max_bytes",
        "--max-bytes",
        metavar="SIZE",
        help="Refuse to build a module whose parameters and one sample's activations need more (default: "
        "$NETSPEC_MAX_BYTES, else 8GiB).",
    ),
    JsonOption,
)


@command(*ARGS)
def export(
    file: Path,
    output: Path,
    weights: Path | None,
    opset: int,
    dynamic_batch: bool,
    verify: bool,
    tolerance: float,
    set: list[str] | None,
    input: str | None,
    verbose: bool,
    max_bytes: str | None,
    json_: bool,
) -> None:
    """Export a spec to ONNX; the model is checked and compared with PyTorch before the file is written."""
    with _reported(json_):
        result = _export(
            file,
            output,
            weights,
            input,
            set,
            opset=opset,
            dynamic_batch=dynamic_batch,
            verify=verify,
            tolerance=tolerance,
            verbose=verbose,
            max_bytes=max_bytes,
        )
    result.path = output
    if json_:
        print(json.dumps({"ok": True, **result.to_dict()}, indent=2))
    else:  # "wrote ...", on stderr as every command writes it: stdout is for data (source, JSON)
        print(str(result), file=sys.stderr)


def _export(file: Path, output: Path, weights: Path | None, input, sets, **options):
    """Vet the output against every input before the work; the file is written only once the model is verified."""
    from netspec import files
    from netspec.api import build
    from netspec.backends import onnx as backend

    inputs: list[str | Path] = [file] if weights is None else [file, weights]
    files.check_output(output, inputs)
    if weights is not None:
        files.check_input(weights, "weights")
    graph = build(spec_source(file), parse_sets(sets), parse_input(input))
    inputs += spec_files(graph)
    files.check_output(output, inputs)
    with _progress(not options["verbose"]) as on_stage:
        result = backend.export(graph, weights, backend.Options(**options), on_stage)
    files.write(output, result.data, inputs)
    return result


@contextmanager
def _reported(json_: bool):
    """Errors as rustc-style text, or with --json as JSON diagnostics; exit status 1 either way."""
    try:
        yield
    except NetspecError as e:
        if not json_:
            fail(e)
        print(json.dumps({"ok": False, "diagnostics": [d.as_dict() for d in e.diagnostics]}, indent=2))
        raise Exit(1) from None


@contextmanager
def _progress(enabled: bool):
    """A transient spinner naming the stage, on a terminal only. It writes to a duplicate of stderr, so it keeps
    spinning while the exporter's own output (fds 1 and 2) is silenced."""
    if not (enabled and sys.stderr.isatty()):
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with os.fdopen(os.dup(sys.stderr.fileno()), "w") as terminal:
        columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
        # No redirection of sys.stdout/stderr through the console: loggers bound to it would outlive the silence
        with Progress(
            *columns, console=Console(file=terminal), transient=True, redirect_stdout=False, redirect_stderr=False
        ) as progress:
            task = progress.add_task("starting")
            yield lambda stage: progress.update(task, description=STAGES.get(stage, stage))
