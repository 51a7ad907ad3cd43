"""`netspec memory`: the bytes of a training step (parameters, gradients, optimizer state, saved activations)."""

from __future__ import annotations

import json
from pathlib import Path

from netspec.cli.app import (
    InputOption,
    JsonOption,
    SetOption,
    SpecArgument,
    command,
    fail,
    one_of,
    option,
    parse_input,
    parse_sets,
    spec_source,
    whole,
)
from netspec.diagnostics import NetspecError

BATCH = option("batch", "--batch", "-b", metavar="N", type=whole(1), default=1, help="Samples per batch.")


def _optimizer(text: str) -> str:
    from netspec.analysis.memory import OPTIMIZERS  # looked up when used: every netspec process reads this module

    return one_of(*OPTIMIZERS)(text)


def _optimizers(_read: dict) -> list[str]:
    from netspec.analysis.memory import OPTIMIZERS

    return list(OPTIMIZERS)


OPTIMIZER = option(
    "optimizer",
    "--optimizer",
    metavar="NAME",
    type=_optimizer,
    default="sgd",
    complete=_optimizers,
    help="sgd, momentum, adam or adamw.",
)


@command(SpecArgument, BATCH, OPTIMIZER, SetOption, InputOption, JsonOption)
def memory(file: Path, batch: int, optimizer: str, set: list[str] | None, input: str | None, json_: bool) -> None:
    """Training memory before anything runs: parameters, gradients, optimizer state, the activations autograd
    saves for backward (per layer), and the peak at the end of the forward pass."""
    from netspec.analysis.memory import memory as training_memory
    from netspec.api import build

    try:
        graph = build(spec_source(file), parse_sets(set), parse_input(input))
    except NetspecError as e:
        fail(e)
    m = training_memory(graph, batch, optimizer)
    data = _data(graph, m)
    print(json.dumps(data, indent=2) if json_ else _text(data))


def _data(graph, m) -> dict:
    rows = [
        {
            "layer": graph.nodes[i].path,
            "op": graph.nodes[i].op,
            "bytes": n,
            "saved": [s.what + f" ({s.dtype})" for s in m.saved if s.node == i],
        }
        for i, n in sorted(m.per_layer.items())
    ]
    return {
        "network": graph.name,
        "file": graph.file,
        "batch": m.batch,
        "optimizer": m.optimizer,
        "dtype": m.dtype,
        "params": m.params,
        "buffers": m.buffers,
        "gradients": m.gradients,
        "optimizer_state": m.optimizer_state,
        "activations": m.activations,
        "peak": m.peak,
        "layers": rows,
    }


def _text(d: dict) -> str:
    width = max((len(r["layer"]) for r in d["layers"]), default=5)
    lines = [
        f"{d['network']} ({d['file']}): batch {d['batch']}, {d['optimizer']}, {d['dtype']}",
        f"{'layer':<{width}}  {'saved for backward':<46}  {'bytes':>14}",
    ]
    for r in d["layers"]:
        lines.append(f"{r['layer']:<{width}}  {', '.join(r['saved']):<46}  {r['bytes']:>14,}")
    lines.append("")
    for name, key in (
        ("parameters", "params"),
        ("buffers", "buffers"),
        ("gradients", "gradients"),
        ("optimizer state", "optimizer_state"),
        ("saved activations", "activations"),
        ("peak (end of forward, gradients kept)", "peak"),
    ):
        lines.append(f"{name:<38} {d[key]:>16,} B  {_mib(d[key]):>10}")
    return "\n".join(lines)


def _mib(n: int) -> str:
    return f"{n / 2**20:,.1f} MiB"
