"""Takes an IR graph and export options, gives a verified, traceable ONNX model: build, export, trace, check, verify."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netspec.backends.onnx import convert, trace
from netspec.backends.onnx import verify as verifier
from netspec.backends.onnx.errors import export_error
from netspec.backends.onnx.quiet import quiet
from netspec.ir import Graph

REQUIRED = ("torch", "onnx", "onnxscript", "onnxruntime")
SEED = 0  # weights that are not loaded are initialised from this seed, so exports are reproducible
Weights = str | os.PathLike | Mapping[str, Any] | None
OnStage = Callable[[str], None]


@dataclass(frozen=True)
class Options:
    """How to export: the opset, a dynamic batch axis, and how hard to check the result."""

    opset: int = convert.DEFAULT_OPSET
    dynamic_batch: bool = False
    verify: bool = True
    tolerance: float = verifier.TOLERANCE
    batches: tuple[int, ...] | None = None  # batch sizes onnxruntime runs; default 1, and 1 and 2 when dynamic
    verbose: bool = False  # let the exporter's own output through
    max_bytes: int | str | None = None  # what the module may allocate; see netspec.analysis.allocation


@dataclass
class Result:
    """An exported model, its serialised bytes, and what netspec checked about it."""

    model: Any  # onnx.ModelProto
    data: bytes
    network: str
    opset: int
    dynamic_batch: bool
    nodes: int
    traced: int
    verification: verifier.Verification | None
    seconds: dict[str, float] = field(default_factory=dict)
    path: Path | None = None

    def save(self, path: str | os.PathLike) -> Path:
        """Write the model to `path` through a temporary file, so no half-written file is ever left."""
        from netspec import files

        self.path = files.write(path, self.data)
        return self.path

    def to_dict(self) -> dict[str, Any]:
        v = self.verification
        return {
            "path": str(self.path) if self.path else None,
            "network": self.network,
            "opset": self.opset,
            "dynamic_batch": self.dynamic_batch,
            "bytes": len(self.data),
            "nodes": self.nodes,
            "traced": self.traced,
            "verified": v is not None,
            "max_diff": v.max_diff if v else None,
            "tolerance": v.tolerance if v else None,
            "batches": list(v.batches) if v else None,
            "seconds": {k: round(s, 3) for k, s in self.seconds.items()},
        }

    def __str__(self) -> str:
        from netspec.files import shown

        where = f"wrote {shown(self.path)} ({_size(len(self.data))})" if self.path else "exported"
        batch = "dynamic" if self.dynamic_batch else "1"
        checked = (
            f"verified: onnx checker passed; {self.verification}" if self.verification else "not verified (--no-verify)"
        )
        times = ", ".join(f"{stage} {s:.1f} s" for stage, s in self.seconds.items())
        return (
            f"{where}: {self.network}, opset {self.opset}, batch {batch}, {self.nodes} ONNX nodes, "
            f"{self.traced} traced to the spec\n{checked}\ntime: {times}"
        )


def export(
    graph: Graph, weights: Weights = None, options: Options = Options(), on_stage: OnStage | None = None
) -> Result:
    """Build the graph's nn.Module through the torch backend (weights loaded, or seeded), then export it."""
    require()
    convert.check_opset(options.opset)
    stages = _Stages(on_stage)
    with stages("build"):
        module = build(graph, weights, options.max_bytes)
    return export_module(module, graph, options, on_stage, weights, stages)


def build(graph: Graph, weights: Weights = None, max_bytes: int | str | None = None):
    """The torch backend's module for `graph`; without weights its random initialisation is seeded."""
    import torch

    from netspec.backends.torch import build_module

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED)
        return build_module(graph, weights=weights, max_bytes=max_bytes)


def export_module(
    module,
    graph: Graph,
    options: Options = Options(),
    on_stage: OnStage | None = None,
    weights: Weights = None,
    stages: _Stages | None = None,
) -> Result:
    """Export an nn.Module whose submodule paths are the graph's node paths, trace it to the spec, verify it."""
    require()
    stages = stages or _Stages(on_stage)
    shape = tuple(graph.input.out_shape)
    with quiet(not options.verbose), verifier.eval_mode(module):
        with stages("export"):
            model = _to_onnx(module, shape, options, output_names(graph))
        with stages("trace"):
            traced = trace.annotate(model, graph, metadata(graph, options, weights))
            data = model.SerializeToString()
        checked = _verify(data, module, shape, options, stages) if options.verify else None
    return Result(
        model,
        data,
        graph.name,
        options.opset,
        options.dynamic_batch,
        len(model.graph.node),
        traced,
        checked,
        stages.seconds,
    )


def _to_onnx(module, shape: tuple[int, ...], options: Options, outputs: tuple[str, ...]):
    """The exported model, with every node's module path even where onnx's version converter dropped them."""
    model = convert.to_onnx(module, shape, options.opset, options.dynamic_batch, options.verbose, outputs)
    if trace.unscoped(model) and options.opset != convert.NATIVE_OPSET:
        native = convert.to_onnx(module, shape, convert.NATIVE_OPSET, options.dynamic_batch, options.verbose, outputs)
        trace.borrow_scopes(model, native)
    return model


def output_names(graph: Graph) -> tuple[str, ...]:
    """One graph output per network output, named as declared; `output` for a network that declares none."""
    return tuple(name for name, _ in graph.outputs) if graph.named_outputs else (convert.OUTPUT,)


def _verify(data: bytes, module, shape, options: Options, stages: _Stages) -> verifier.Verification:
    with stages("check"):
        verifier.check(data)
    with stages("verify"):
        batches = options.batches or ((1, 2) if options.dynamic_batch else (1,))
        return verifier.compare(data, module, shape, batches, options.tolerance)


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{n / 1e3:.1f} kB"


def require() -> None:
    """Fail early, and say what to install, when a package the export needs is missing."""
    import importlib.util

    missing = [name for name in REQUIRED if importlib.util.find_spec(name) is None]
    if missing:
        raise export_error(
            f"ONNX export needs {', '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} not installed",
            help="pip install 'netspec[onnx]'",
            code="onnx-missing",
        )


def metadata(graph: Graph, options: Options, weights: Weights) -> dict[str, str]:
    """The model's metadata_props: which spec, parameters and tools made it. Nothing time- or machine-dependent."""
    import torch

    from netspec import __version__

    batch = "batch" if options.dynamic_batch else 1
    return {
        "netspec.version": __version__,
        "netspec.network": graph.name,
        "netspec.source": graph.file,
        "netspec.params": json.dumps(graph.params, sort_keys=True, default=str),
        "netspec.input": json.dumps([batch, *graph.input.out_shape]),
        "netspec.weights": _weights_label(weights),
        "netspec.exporter": f"torch {torch.__version__} (dynamo), opset {options.opset}",
    }


def _weights_label(weights: Weights) -> str:
    if weights is None:
        return f"none: random initialisation, seed {SEED}"
    if isinstance(weights, Mapping):
        return "a state_dict given in Python"
    return f"{Path(weights).name} (sha256 {_sha256(Path(weights))[:16]})"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class _Stages:
    """Announces each stage to the progress callback and records how long it took."""

    def __init__(self, on_stage: OnStage | None):
        self.on_stage = on_stage
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str):
        if self.on_stage:
            self.on_stage(name)
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start
