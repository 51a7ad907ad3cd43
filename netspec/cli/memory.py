"""`netspec memory`: the bytes of a training step (parameters, gradients, optimizer state, saved activations)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from netspec.cli.app import InputOption, JsonOption, SetOption, app, fail, parse_input, parse_sets
from netspec.diagnostics import NetspecError


@app.command()
def memory(
    file: Annotated[Path, typer.Argument(help="The spec.", show_default=False)],
    batch: Annotated[int, typer.Option("--batch", "-b", min=1, help="Samples per batch.")] = 1,
    optimizer: Annotated[str, typer.Option("--optimizer", help="sgd, momentum, adam or adamw.")] = "sgd",
    set: SetOption = None,
    input: InputOption = None,
    json_: JsonOption = False,
) -> None:
    """Training memory before anything runs: parameters, gradients, optimizer state, the activations autograd
    saves for backward (per layer), and the peak at the end of the forward pass."""
    from netspec.analysis.memory import OPTIMIZERS
    from netspec.analysis.memory import memory as training_memory
    from netspec.api import build

    if optimizer not in OPTIMIZERS:
        raise typer.BadParameter(f"choose one of {', '.join(OPTIMIZERS)}", param_hint="--optimizer")
    try:
        graph = build(file, parse_sets(set), parse_input(input))
    except NetspecError as e:
        fail(e)
    m = training_memory(graph, batch, optimizer)
    data = _data(graph, m)
    print(json.dumps(data, indent=2) if json_ else _text(data))


def _data(graph, m) -> dict:
    rows = [{"layer": graph.nodes[i].path, "op": graph.nodes[i].op, "bytes": n,
             "saved": [s.what + f" ({s.dtype})" for s in m.saved if s.node == i]}
            for i, n in sorted(m.per_layer.items())]
    return {"network": graph.name, "file": graph.file, "batch": m.batch, "optimizer": m.optimizer,
            "dtype": m.dtype, "params": m.params, "buffers": m.buffers, "gradients": m.gradients,
            "optimizer_state": m.optimizer_state, "activations": m.activations, "peak": m.peak, "layers": rows}


def _text(d: dict) -> str:
    width = max((len(r["layer"]) for r in d["layers"]), default=5)
    lines = [f"{d['network']} ({d['file']}): batch {d['batch']}, {d['optimizer']}, {d['dtype']}",
             f"{'layer':<{width}}  {'saved for backward':<46}  {'bytes':>14}"]
    for r in d["layers"]:
        lines.append(f"{r['layer']:<{width}}  {', '.join(r['saved']):<46}  {r['bytes']:>14,}")
    lines.append("")
    for name, key in (("parameters", "params"), ("buffers", "buffers"), ("gradients", "gradients"),
                      ("optimizer state", "optimizer_state"), ("saved activations", "activations"),
                      ("peak (end of forward, gradients kept)", "peak")):
        lines.append(f"{name:<38} {d[key]:>16,} B  {_mib(d[key]):>10}")
    return "\n".join(lines)


def _mib(n: int) -> str:
    return f"{n / 2**20:,.1f} MiB"
