"""Takes an exported model and its nn.Module, gives proof they agree: onnx's full check, onnxruntime against torch."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

from netspec.backends.onnx.errors import export_error, first_line

TOLERANCE = 1e-4
SEED = 0


@dataclass(frozen=True, slots=True)
class Verification:
    """What was checked: the batch sizes run and the largest absolute difference from PyTorch's output."""

    batches: tuple[int, ...]
    max_diff: float
    tolerance: float

    def __str__(self) -> str:
        sizes = ", ".join(map(str, self.batches))
        return f"onnxruntime matches PyTorch to {self.max_diff:.1e} (tolerance {self.tolerance:g}, batch {sizes})"


def check(model) -> None:
    """onnx.checker with full_check on a ModelProto or its bytes: the graph, every op against its opset schema,
    and shape inference."""
    import onnx

    try:
        onnx.checker.check_model(model, full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as e:
        raise export_error(
            f"the exported model fails onnx's checker: {first_line(e)}",
            code="onnx-check",
            help="this is a bug in netspec or the exporter; please report it with the spec",
        ) from None


def compare(
    data: bytes, module, shape: tuple[int, ...], batches: tuple[int, ...], tolerance: float = TOLERANCE
) -> Verification:
    """Run the serialised model in onnxruntime and `module` in PyTorch on one seeded random input per batch size."""
    session = _session(data)
    worst = 0.0
    with eval_mode(module):
        for batch in batches:
            diff = _max_diff(session, module, _random_input(batch, shape))
            worst = max(worst, diff)
            if not diff <= tolerance:  # also catches NaN
                raise _mismatch(diff, batch, tolerance)
    return Verification(tuple(batches), worst, tolerance)


@contextmanager
def eval_mode(module):
    """Evaluation mode for the block (dropout off, batchnorm on running statistics), then the module's old mode."""
    training = module.training
    module.eval()
    try:
        yield module
    finally:
        module.train(training)


def _session(data: bytes):
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # errors only: onnxruntime's warnings are not the user's business
    try:
        return onnxruntime.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    except Exception as e:  # noqa: BLE001 - onnxruntime's own exception types are not importable by name
        raise export_error(
            f"onnxruntime cannot load the exported model: {first_line(e)}",
            code="onnx-runtime",
            help="an opset newer than the installed onnxruntime supports? try --opset 20",
        ) from None


def _random_input(batch: int, shape: tuple[int, ...]):
    import torch

    generator = torch.Generator().manual_seed(SEED + batch)
    return torch.randn(batch, *shape, generator=generator)


def _max_diff(session, module, x) -> float:
    """The largest difference over every output: a network with named outputs returns a dict, in the order of
    the ONNX graph's outputs."""
    import numpy as np
    import torch

    with torch.no_grad():
        result = module(x)
    expected = [t.numpy() for t in (result.values() if isinstance(result, dict) else [result])]
    try:
        got = session.run(None, {session.get_inputs()[0].name: x.numpy()})
    except Exception as e:  # noqa: BLE001 - onnxruntime's own exception types are not importable by name
        raise export_error(
            f"onnxruntime failed to run the exported model: {first_line(e)}", code="onnx-runtime"
        ) from None
    if len(got) != len(expected):
        raise export_error(f"onnxruntime gives {len(got)} outputs, PyTorch {len(expected)}", code="onnx-verify")
    diffs = [0.0]
    for a, b in zip(got, expected, strict=True):
        if a.shape != b.shape:
            raise export_error(
                f"onnxruntime gives an output of shape {list(a.shape)}, PyTorch {list(b.shape)}", code="onnx-verify"
            )
        diffs += [float(np.max(np.abs(a.astype(np.float64) - b)))] if a.size else []
    return float(np.max(diffs))  # NaN, if any, wins: the caller refuses it


def _mismatch(diff: float, batch: int, tolerance: float):
    return export_error(
        f"onnxruntime's output differs from PyTorch's by {diff:.3g} at batch size {batch} (tolerance {tolerance:g})",
        code="onnx-verify",
        help="--tolerance raises the limit; --no-verify writes the file without this check",
    )
