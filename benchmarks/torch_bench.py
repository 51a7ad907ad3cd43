"""PyTorch backend speed against hand-written PyTorch: forward latency (ResNet-50, VGG-16) and build time (ResNet-1202).

    .venv/bin/python benchmarks/torch_bench.py [--repeat 15] [--threads 2]

Forward: batch 8, eval mode, inference_mode, CPU; torchvision's resnet50 and vgg16 (hand-written PyTorch, through
tests/torchvision_models.py) and netspec's two builds carry the same weights and their outputs are checked equal.
Each round runs every variant once in a shuffled order, so drift in the machine's load
falls on all of them alike; the table shows medians and the best round. Build: `cifar_resnet(1202)` of
tests/reference_models.py against `netspec.load` (parse, elaborate, build), `build_module` on an elaborated
graph, and instantiating the class of `netspec compile`'s output (imported once beforehand).
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from common import machine as measured_on

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import torchvision_models  # noqa: E402
from reference_models import cifar_resnet  # noqa: E402

import netspec  # noqa: E402
from netspec.backends.torch import build_module, emit_source  # noqa: E402

SPECS = ROOT / "specs"
FORWARD = {
    "ResNet-50": ("resnet.net", {"depth": 50}, lambda: torchvision_models.build("resnet50")),
    "VGG-16": ("vgg.net", {"depth": 16}, lambda: torchvision_models.build("vgg16")),
}


def import_generated(graph, folder: Path):
    """Write `netspec compile`'s output for the graph and import it as a user would."""
    path = folder / f"{graph.name.lower()}_{abs(hash(str(graph.params))) % 10**6}.py"
    path.write_text(emit_source(graph).text)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, module.__all__[-1])


def rounds(variants: dict, repeat: int) -> dict[str, list[tuple[float, float]]]:
    """(wall, CPU) seconds per call of each variant, `repeat` rounds, the order shuffled in every round."""
    times = {name: [] for name in variants}
    order = list(variants)
    for _ in range(repeat):
        random.shuffle(order)
        for name in order:
            gc.collect()
            wall, cpu = time.perf_counter(), time.process_time()
            variants[name]()
            times[name].append((time.perf_counter() - wall, time.process_time() - cpu))
    return times


def table(title: str, times: dict, base: str, unit: float = 1e3, label: str = "ms", digits: int = 1) -> str:
    """Median and best of wall and CPU time, and their ratios to `base`. On a shared machine other jobs slow a
    run down and never speed it up, so the best round is the steadiest figure; CPU time excludes waiting."""

    def stat(name, i, f):
        return f(t[i] for t in times[name])

    lines = [
        f"\n{title}",
        f"| variant | wall {label}, median | best | CPU {label}, median | best | "
        f"median CPU / {base} | best CPU / {base} |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name in times:
        figures = [stat(name, i, f) for i in (0, 1) for f in (statistics.median, min)]
        ratios = [stat(name, 1, f) / stat(base, 1, f) for f in (statistics.median, min)]
        lines.append(
            f"| {name} | "
            + " | ".join(f"{v * unit:.{digits}f}" for v in figures)
            + " | "
            + " | ".join(f"{r:.3f}" for r in ratios)
            + " |"
        )
    return "\n".join(lines)


def forward(name: str, repeat: int, folder: Path) -> str:
    spec, params, factory = FORWARD[name]
    torch.manual_seed(0)
    hand = factory().eval()
    graph = netspec.build(SPECS / spec, params)
    load = build_module(graph, weights=hand.state_dict()).eval()
    source = import_generated(graph, folder)().eval()
    source.load_state_dict(hand.state_dict())
    x = torch.randn(8, 3, 224, 224)
    models = {"hand-written": hand, "netspec.load": load, "generated source": source}
    with torch.inference_mode():
        outputs = {k: m(x) for k, m in models.items()}  # also the warm-up
        worst = max(float((o - outputs["hand-written"]).abs().max()) for o in outputs.values())
        times = rounds({k: (lambda m=m: m(x)) for k, m in models.items()}, repeat)
    return table(f"{name}, batch 8, forward (outputs agree to {worst:.1e})", times, "hand-written")


def overhead(repeat: int, folder: Path) -> str:
    """The forward's Python and dispatch cost alone: the same ResNet-50 on meta tensors, which do no arithmetic."""
    spec, params, factory = FORWARD["ResNet-50"]
    graph = netspec.build(SPECS / spec, params)
    source = import_generated(graph, folder)
    with torch.device("meta"):
        models = {
            "hand-written": factory().eval(),
            "netspec.load": build_module(graph).eval(),
            "generated source": source().eval(),
        }
        x = torch.empty(8, 3, 224, 224)
    with torch.inference_mode():
        times = rounds({k: (lambda m=m: [m(x) for _ in range(10)]) for k, m in models.items()}, repeat)
    times = {k: [(w / 10, c / 10) for w, c in v] for k, v in times.items()}
    return table(
        "ResNet-50 forward on meta tensors (no arithmetic): the cost of running the layers", times, "hand-written"
    )


def build(repeat: int, folder: Path) -> str:
    params = {"depth": 1202}
    graph = netspec.build(SPECS / "resnet_cifar.net", params)
    generated = import_generated(graph, folder)
    variants = {
        "hand-written": lambda: cifar_resnet(1202),
        "netspec.load (parse + elaborate + build)": lambda: netspec.load(SPECS / "resnet_cifar.net", **params),
        "build_module (graph given)": lambda: build_module(graph),
        "generated source (imported)": generated,
    }
    n = sum(p.numel() for p in cifar_resnet(1202).parameters())
    times = rounds(variants, repeat)
    title = f"CIFAR ResNet-1202 ({len(graph.nodes) - 1} layers, {n:,} parameters), building the module"
    return table(title, times, "hand-written", 1.0, "s", 3)


def machine() -> str:
    """common.machine()'s paragraph, torch's threads and version."""
    return f"{measured_on()} {torch.get_num_threads()} torch threads, torch {torch.__version__}."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="rounds per measurement")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    parser.add_argument("--only", choices=["forward", "build"], default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "forward"):
            for name in FORWARD:
                print(forward(name, args.repeat, Path(tmp)), flush=True)
            print(overhead(args.repeat, Path(tmp)), flush=True)
        if args.only in (None, "build"):
            print(build(args.repeat, Path(tmp)), flush=True)
    print(f"\nfinished: load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
