"""A state_dict (or a checkpoint file) -> loaded into a built module, or one error naming every key that misfits."""

from __future__ import annotations

import os
import pickle
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from netspec.diagnostics import Diagnostic, NetspecError
from netspec.files import shown
from netspec.ir import Graph

SHOWN = 12  # keys listed per kind before "... and N more"


class WeightsError(NetspecError):
    """Weights whose keys or shapes do not fit the spec: the missing, unexpected and mis-shaped keys."""

    def __init__(
        self,
        network: str,
        missing: list[str],
        unexpected: list[str],
        misshaped: list[tuple[str, tuple | str, tuple]],
        where: dict[str, str] | None = None,
    ):
        self.missing, self.unexpected, self.misshaped = missing, unexpected, misshaped
        counts = [
            f"{len(keys)} {kind}"
            for keys, kind in ((missing, "missing"), (unexpected, "unexpected"), (misshaped, "mis-shaped"))
            if keys
        ]
        notes = []
        if missing:
            notes.append("missing (the spec has them, the weights do not): " + _listed(missing))
        if unexpected:
            notes.append("unexpected (the weights have them, the spec does not): " + _listed(unexpected))
        if misshaped:
            shapes = [_misshaped(k, got, want, where or {}) for k, got, want in misshaped]
            notes.append("mis-shaped: " + _listed(shapes, "; "))
        diagnostic = Diagnostic(
            "error",
            f"the weights do not fit `{network}`: {', '.join(counts)} keys",
            None,
            notes=tuple(notes),
            help="weights load by name and shape: build the spec with the parameters the "
            "weights were trained with (e.g. classes), or fix the layer names",
        )
        super().__init__([diagnostic])

    def __str__(self) -> str:
        return self.render()


def _listed(items: list[str], sep: str = ", ") -> str:
    shown = sep.join(items[:SHOWN])
    return shown + (f"{sep}... and {len(items) - SHOWN} more" if len(items) > SHOWN else "")


def _misshaped(key: str, got: tuple | str, want: tuple, where: dict[str, str]) -> str:
    at = f" ({where[key]})" if key in where else ""
    return f"{key} is {_fmt(got)} in the weights, {_fmt(want)} in the spec{at}"


def _fmt(shape) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]" if isinstance(shape, tuple) else str(shape)


def read_weights(weights) -> dict[str, torch.Tensor]:
    """A state_dict from a mapping or a file saved by torch.save (plain, {"state_dict": ...}, {"model": ...})."""
    if isinstance(weights, (str, os.PathLike)):
        path, weights = weights, _load(Path(weights))
        if not isinstance(weights, Mapping):
            raise NetspecError(
                [
                    Diagnostic(
                        "error",
                        f"{shown(path)} holds {_kind(weights)}, not a state_dict",
                        None,
                        help="save weights with torch.save(model.state_dict(), path)",
                    )
                ]
            )
    if isinstance(weights, nn.Module):
        weights = weights.state_dict()
    if not isinstance(weights, Mapping):
        raise TypeError(f"weights must be a state_dict, a module or a file path, not {type(weights).__name__}")
    for wrapper in ("state_dict", "model"):
        if isinstance(weights.get(wrapper), Mapping) and len(weights) <= 4:
            weights = weights[wrapper]
            break
    return _unwrap_ddp(dict(weights))


def _load(path: Path):
    """torch.load without pickle's code execution; a file it cannot read is an error, not a traceback."""
    from netspec.files import check_input

    check_input(path, "weights from")  # a FIFO would block, /dev/zero never end
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - UnpicklingError, RuntimeError (not a zip), EOFError, OSError, ...
        reason = next((line.strip() for line in str(e).splitlines() if line.strip()), type(e).__name__)
        if isinstance(e, pickle.UnpicklingError):  # torch's text suggests weights_only=False: not for netspec
            reason = "torch.load(weights_only=True) cannot read it: not a torch.save file, or not only tensors"
        diagnostic = Diagnostic(
            "error",
            f"cannot read weights from {path}: {reason[:200]}",
            None,
            help="weights are a state_dict saved with torch.save(model.state_dict(), path)",
        )
        raise NetspecError([diagnostic]) from None


def _unwrap_ddp(state: dict) -> dict:
    """DistributedDataParallel saves `module.` before every key; take it off."""
    if state and all(isinstance(k, str) and k.startswith("module.") for k in state):
        return {k[len("module.") :]: v for k, v in state.items()}
    return state


def check_weights(module: nn.Module, state: Mapping, graph: Graph | None = None) -> None:
    """Raise WeightsError unless `state` has exactly the module's keys, each with the module's shape."""
    expected = module.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [str(k) for k in state if k not in expected]
    misshaped = [
        (k, _shape(state[k], expected[k]), tuple(expected[k].shape))
        for k in expected
        if k in state and _shape(state[k], expected[k]) != tuple(expected[k].shape)
    ]
    if missing or unexpected or misshaped:
        name = graph.name if graph is not None else type(module).__name__
        raise WeightsError(name, missing, unexpected, misshaped, _locations(graph))


def _shape(value, expected: torch.Tensor | None = None) -> tuple | str:
    """The value's shape, or what makes it unloadable: not a tensor, sparse, without data, or of another kind of
    number (bool, integer, complex or float8 weights would be cast silently, so they are refused)."""
    if not isinstance(value, torch.Tensor):
        return f"not a tensor ({type(value).__name__})"
    if value.layout != torch.strided:
        return f"a {str(value.layout).removeprefix('torch.')} tensor"
    if value.is_meta:
        return "a meta tensor (a shape without data)"
    if expected is not None and _number_kind(value.dtype) != _number_kind(expected.dtype):
        want = "floating point" if _number_kind(expected.dtype) == "float" else "an integer"
        return f"{str(value.dtype).removeprefix('torch.')} {_fmt(tuple(value.shape))} (not {want})"
    return tuple(value.shape)


_FLOATS = (torch.float16, torch.bfloat16, torch.float32, torch.float64)


def _number_kind(dtype: torch.dtype) -> str:
    if dtype in _FLOATS:
        return "float"
    if dtype.is_floating_point or dtype.is_complex or dtype == torch.bool:
        return str(dtype)
    return "integer"


def _kind(value) -> str:
    return "nothing (None)" if value is None else f"a {type(value).__name__}"


def _locations(graph: Graph | None) -> dict[str, str]:
    """state_dict key -> `file:line` of the layer that owns it."""
    if graph is None:
        return {}
    where = {}
    for node in graph.modules():
        for suffix in ("weight", "bias", "running_mean", "running_var", "num_batches_tracked"):
            where[f"{node.path}.{suffix}"] = f"{node.span.file}:{node.span.line}"
    for node in graph.nodes:
        if node.kind.parameter:
            where[node.path] = f"{node.span.file}:{node.span.line}"
    return where


def load_weights(module: nn.Module, weights, graph: Graph | None = None) -> nn.Module:
    """Load weights strictly, after checking every key and shape (one clear error instead of torch's)."""
    state = read_weights(weights)
    check_weights(module, state, graph)
    module.load_state_dict(state, strict=True)
    return module
