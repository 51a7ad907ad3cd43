"""The Python API and the one path every command takes: source -> parse -> elaborate -> analyse."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from netspec import analysis, files
from netspec.diagnostics import Diagnostics, NetspecError
from netspec.elaborate import Loader, elaborate, elaborate_partial
from netspec.ir import Graph

Source = str | os.PathLike


class Text(str):
    """Spec text with the name its diagnostics give it (`<stdin>`); a plain str of text is `<input>`."""

    name: str

    def __new__(cls, text: str, name: str = "<input>"):
        self = super().__new__(cls, text)
        self.name = name
        return self


def is_text(source: Source) -> bool:
    """A str holding spec text rather than a path: it has a newline or a brace."""
    return isinstance(source, Text) or (isinstance(source, str) and ("\n" in source or "{" in source))


def build(source: Source, params: dict[str, Any] | None = None, input: tuple[int, ...] | None = None) -> Graph:
    """Parse and elaborate a spec (a path, or the text itself); raise NetspecError with every error found."""
    _check_arguments(source, input)
    loader = Loader(Diagnostics())
    spec = _read(source, loader)
    if spec is None:
        loader.diags.raise_if_errors(loader.sources)
        raise AssertionError("a spec that could not be read leaves an error")  # raise_if_errors raised it
    return elaborate(spec, loader, params, input)


def _read(source: Source, loader: Loader):
    if is_text(source):
        return loader.parse(str(source), getattr(source, "name", "<input>"))
    return loader.read(Path(source), None)


def _check_arguments(source: Any, input: Any) -> None:
    """TypeError for arguments of the wrong kind, in netspec's words (not a KeyError from deep inside)."""
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"source must be a path or spec text, not {type(source).__name__}")
    if input is not None and not isinstance(input, (tuple, list)):
        raise TypeError(f"input must be a shape such as (3, 224, 224), not {type(input).__name__}")


def analyse(
    source: Source, *, input: tuple[int, ...] | None = None, dtype: str = "float32", **params: Any
) -> analysis.Report:
    """The static report of a spec: every layer's shape, parameters, MACs, receptive field; no torch import.

    NetspecError when an `expect` statement does not hold; they are checked at the declared input only, so
    an `input` override skips them.

    >>> report = analyse("specs/resnet18.net", classes=10)
    >>> report.totals.params
    11181642
    """
    if dtype not in analysis.DTYPE_BYTES:
        raise ValueError(f"dtype must be one of {', '.join(analysis.DTYPE_BYTES)}, not {dtype!r}")
    return analysis.analyse(build(source, params, input), dtype, expectations=input is None)


def analyse_partial(
    source: Source, *, input: tuple[int, ...] | None = None, dtype: str = "float32", **params: Any
) -> tuple[analysis.Report | None, NetspecError | None]:
    """(report, None) when the spec is sound; otherwise (what could be analysed, the error).

    On errors the report covers the layers that elaborated (a layer after a collapsed shape is missing, and so
    is everything fed by it); it is None when the spec does not parse, nothing past the input elaborated, or
    the expansion hit a limit.
    `expect` statements are not checked on such a report. `netspec summary` and `diagram` show it, marked.
    """
    try:
        return analyse(source, input=input, dtype=dtype, **params), None
    except NetspecError as error:
        if any(d.code == "limit" for d in error.errors):  # the limits bound the work: do not analyse past them
            return None, error
        return _partial(source, params, input, dtype), error


def _partial(source: Source, params: dict[str, Any], input, dtype: str) -> analysis.Report | None:
    loader = Loader(Diagnostics())
    spec = _read(source, loader)
    graph = elaborate_partial(spec, loader, params, input) if spec is not None else None
    if graph is None or len(graph.nodes) < 2:
        return None
    return analysis.analyse(graph, dtype, expectations=False)


def sizes(source: Source, *, limit: int = 4096, input: tuple[int, ...] | None = None, **params: Any):
    """The input heights and widths in 1..limit at which the network (built at its declared input) runs, and
    for each rejected size the layer and the reason; no torch import.

    >>> legal = sizes("specs/resnet.net", depth=50)
    >>> legal.legal(225, 97), legal.to_dict()["height"]["text"]
    (True, 'every H')
    """
    from netspec.analysis.sizes import sizes as legal_sizes

    return legal_sizes(build(source, params, input), limit)


def costs(source: Source, inputs: str | Sequence[tuple[int, ...]], *, dtype: str = "float32", **params: Any):
    """The parameters, MACs, activations per sample and output shape at every input shape of `inputs` (a list
    of shapes, or text such as "3x224x224,3x320x320" or "3x{224..512..32}"), and for each congruence class of
    sizes among them the exact formula of each in H and W (see netspec.analysis.costs); no torch import.

    >>> found = costs("specs/resnet.net", "3x{224..320..32}", depth=50)
    >>> found.formulas[0].terms["macs"].text()
    '81,456·H·W + 2,048,000'
    """
    from netspec.analysis.costs import costs as sized_costs
    from netspec.analysis.costs import parse_sizes

    if dtype not in analysis.DTYPE_BYTES:
        raise ValueError(f"dtype must be one of {', '.join(analysis.DTYPE_BYTES)}, not {dtype!r}")
    shapes = parse_sizes(inputs) if isinstance(inputs, str) else [tuple(s) for s in inputs]
    return sized_costs(_at_each_size(source, params, dtype), shapes, dtype)


def _at_each_size(source: Source, params: dict[str, Any], dtype: str):
    """The report at an input shape, the spec and its imports read once for all shapes (reading is most of a
    build: ~70% for ResNet-50); each shape gets diagnostics of its own."""
    _check_arguments(source, None)
    loader = Loader(Diagnostics())
    spec = _read(source, loader)
    if spec is not None:
        loader.blocks(spec)  # import and block errors now, once: the loader keeps the blocks it found
    loader.diags.raise_if_errors(loader.sources)
    assert spec is not None  # a spec that could not be read leaves an error

    def report(shape: tuple[int, ...]) -> analysis.Report:
        loader.diags = Diagnostics()
        return analysis.analyse(elaborate(spec, loader, params, shape), dtype, expectations=False)

    return report


def diff(
    a: Source | analysis.Report,
    b: Source | analysis.Report | None = None,
    *,
    vs: dict[str, Any] | None = None,
    input: tuple[int, ...] | None = None,
    **params: Any,
):
    """What changes from design A to design B, and whether a checkpoint of A loads into B; no torch import.

    A is `a` with `params`. B is the file `b` with the parameters `vs`, or, without `b`, A's file with `params`
    and then `vs` on top. Either may also be a Report from `analyse`. The Diff lists every scope and layer
    whose parameters, MACs or output shape differ, and `.checkpoint`: the state_dict keys B lacks, A lacks and
    whose shape changes, with `.verdict` "strict", "non-strict" or "no" (see docs/diff.md).

    >>> d = diff("specs/resnet.net", depth=50, vs={"depth": 101})
    >>> d.checkpoint.verdict, len(d.checkpoint.missing), d.totals["params"]
    ('non-strict', 255, (25557032, 44549160))
    """
    from netspec.analysis.diff import diff as compare

    if vs is not None and not isinstance(vs, dict):
        raise TypeError(f"vs must be a dict of network parameters, not {type(vs).__name__}")
    first = a if isinstance(a, analysis.Report) else analyse(a, input=input, **params)
    if isinstance(b, analysis.Report):
        return compare(first, b)
    if b is not None:
        return compare(first, analyse(b, input=input, **(vs or {})))
    if isinstance(a, analysis.Report):  # A's file again, with the parameters A was analysed with
        return compare(first, analyse(_source_of(a), input=input, **{**a.params, **params, **(vs or {})}))
    return compare(first, analyse(a, input=input, **{**params, **(vs or {})}))


def _source_of(report: analysis.Report) -> Source:
    """The spec a report was made from: its file, or its text for a spec given as text."""
    graph = report.graph
    if graph is not None and not Path(graph.file).is_file() and graph.file in graph.sources:
        return Text(graph.sources[graph.file], graph.file)
    return Path(report.file)


def load(
    source: Source,
    *,
    weights: Any = None,
    input: tuple[int, ...] | None = None,
    max_bytes: int | str | None = None,
    **params: Any,
):
    """A spec as a live torch.nn.Module; its module paths and state_dict keys are the spec's names.

    `weights`: a state_dict, a module, or a file saved with torch.save; loaded strictly, and a WeightsError
    lists every missing, unexpected and mis-shaped key. Parameters start as PyTorch initialises them unless
    the spec says otherwise (`init=`, `zero_init=`); `torch.manual_seed` makes a build reproducible.
    Before anything is allocated, parameters, buffers and one sample's activations are checked against
    `max_bytes` (bytes or a size like "16GiB"; default $NETSPEC_MAX_BYTES, else 8 GiB).

    >>> model = load("specs/resnet18.net", classes=10)
    >>> sum(p.numel() for p in model.parameters())
    11181642
    """
    from netspec.backends.torch import build_module

    return build_module(build(source, params, input), weights, max_bytes)


def compile_source(source: Source, *, input: tuple[int, ...] | None = None, **params: Any) -> str:
    """A spec as standalone PyTorch source (no netspec import): one class per block, and the network's class.

    >>> code = compile_source("specs/resnet18.net")
    >>> "class ResNet18(nn.Sequential):" in code and "def __init__(self, classes: int = 1000)" in code
    True
    """
    from netspec.backends.torch import emit_source

    return emit_source(build(source, params, input)).text


def export_onnx(
    source: Source,
    output: str | os.PathLike | None = None,
    *,
    weights: Any = None,
    opset: int = 20,
    dynamic_batch: bool = False,
    verify: bool = True,
    tolerance: float = 1e-4,
    input: tuple[int, ...] | None = None,
    verbose: bool = False,
    on_stage: Any = None,
    params: dict[str, Any] | None = None,
    max_bytes: int | str | None = None,
    **more_params: Any,
):
    """Export a spec to ONNX through the torch backend and verify it (onnx's full check, then onnxruntime
    against PyTorch to `tolerance`); write it to `output` if given. Returns the backend's Result.
    Network parameters come as keywords, or in `params` when a name is also one of these arguments.

    >>> result = export_onnx("specs/resnet18.net", "build/resnet18.onnx", dynamic_batch=True, classes=10)
    >>> result.verification.max_diff < 1e-4
    True
    """
    from netspec.backends import onnx as backend

    options = backend.Options(
        opset=opset,
        dynamic_batch=dynamic_batch,
        verify=verify,
        tolerance=tolerance,
        verbose=verbose,
        max_bytes=max_bytes,
    )
    inputs = [w for w in (source, weights) if isinstance(w, os.PathLike) or (isinstance(w, str) and not is_text(w))]
    if output is not None:
        files.check_output(output, inputs)  # before any work: never over the spec or the weights
    graph = build(source, {**(params or {}), **more_params}, input)
    inputs += [name for name in graph.sources if name != "<input>"]
    if output is not None:
        files.check_output(output, inputs)
    result = backend.export(graph, weights, options, on_stage)
    if output is not None:
        result.path = files.write(output, result.data, inputs)
    return result


def diagram(
    source: Source | analysis.Report,
    path: str | os.PathLike | None = None,
    *,
    depth: int | str | None = None,
    rankdir: str = "TB",
    collapse_repeats: bool = True,
    input: tuple[int, ...] | None = None,
    **params: Any,
):
    """A spec's diagram (from a path, spec text or a Report): a Diagram whose `source` is dot text; notebooks
    show it as SVG. With `path` it is also written there, the format by suffix (.svg, .png, .pdf, .dot).

    `depth`: None or "blocks" folds every block that holds no other block into one box; an int N folds the
    groups and blocks at module depth N; "full" draws every layer. Runs of identical blocks are drawn once,
    marked x N, unless `collapse_repeats=False`. Without graphviz's `dot` program a .dot file is written
    beside `path` instead, and a warning (also in `.note`) says how to render it.

    >>> d = diagram("specs/resnet18.net", "build/resnet18.svg", depth=1)
    >>> "Basic × 2" in d.source
    True
    """
    import warnings

    from netspec.backends.diagram import Diagram

    report = source if isinstance(source, analysis.Report) else analyse(source, input=input, **params)
    result = Diagram(report, depth, rankdir, collapse_repeats)
    if path is not None and (note := result.save(path)):
        warnings.warn(note, RuntimeWarning, stacklevel=2)
    return result
