"""Takes an nn.Module and its input shape, gives torch's dynamo export at exactly the opset asked for, or an error."""

from __future__ import annotations

import itertools

from netspec.backends.onnx.errors import export_error, first_line

DEFAULT_OPSET = 20
NATIVE_OPSET = 18  # torch 2.x's exporter writes opset 18 and runs onnx's version converter to reach others
INPUT, OUTPUT = "input", "output"


def input_name(outputs: tuple[str, ...]) -> str:
    """The graph input's name: `input`, unless a network output is named so (ONNX names each value once)."""
    names = itertools.chain((INPUT,), (f"{INPUT}_{i}" for i in itertools.count(1)))
    return next(name for name in names if name not in outputs)


def max_opset() -> int:
    """The newest opset the installed onnx package knows."""
    import onnx

    return onnx.defs.onnx_opset_version()


def to_onnx(
    module,
    shape: tuple[int, ...],
    opset: int,
    dynamic_batch: bool,
    verbose: bool = False,
    outputs: tuple[str, ...] = (OUTPUT,),
):
    """Export `module` (already in evaluation mode) for inputs [batch, *shape]; the batch axis is named `batch`;
    the graph's outputs are named `outputs` (a module returning a dict gives them in its order).
    The exporter talks a lot: the caller silences it (quiet.py) unless `verbose`."""
    import torch

    check_opset(opset)
    example = torch.zeros(2 if dynamic_batch else 1, *shape)  # batch 2: torch.export specialises dims of size 1
    dynamic = ({0: torch.export.Dim("batch")},) if dynamic_batch else None
    try:
        with torch.no_grad():
            program = torch.onnx.export(
                module,
                (example,),
                dynamo=True,
                external_data=False,
                opset_version=opset,
                input_names=[input_name(outputs)],
                output_names=list(outputs),
                dynamic_shapes=dynamic,
                optimize=True,
                verbose=verbose,
            )
    except Exception as e:  # noqa: BLE001 - the exporter raises anything; _failed turns it into a diagnostic
        raise _failed(e) from None
    if program is None:  # only without dynamo=True
        raise _failed(RuntimeError("torch.onnx.export returned no program"))
    model = program.model_proto
    _check_honoured(model, opset)
    return model


def opset_of(model) -> int:
    return next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)


def check_opset(opset: int) -> None:
    """Refuse, before any work, an opset newer than the installed onnx knows."""
    newest = max_opset()
    if opset > newest:
        raise export_error(
            f"ONNX opset {opset} does not exist yet for the installed onnx (it knows up to {newest})",
            help=_working_opsets(newest),
            code="onnx-opset",
        )


def _check_honoured(model, opset: int) -> None:
    """torch falls back to its native opset when onnx's converter cannot reach the one asked for; say so."""
    got = opset_of(model)
    if got != opset:
        raise export_error(
            f"the exporter cannot write this network at ONNX opset {opset} (it wrote opset {got})",
            help=_working_opsets(max_opset()),
            code="onnx-opset",
            notes=(
                f"torch exports opset {NATIVE_OPSET} natively; other opsets go through onnx's "
                "version converter, which cannot convert every op of this network to that opset",
            ),
        )


def _working_opsets(newest: int) -> str:
    return (
        f"use --opset {NATIVE_OPSET} to {newest} (default {DEFAULT_OPSET}); older opsets work only where "
        "onnx's version converter can convert every op of the network"
    )


def _failed(error: BaseException):
    return export_error(
        f"torch's ONNX exporter failed: {first_line(error)}",
        code="onnx-export",
        help="run with --verbose to see the exporter's full output",
    )
