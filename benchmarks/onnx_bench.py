"""Times `netspec export` stage by stage (build, export, trace, check, verify) on ResNet-50, static and dynamic batch.

    .venv/bin/python benchmarks/onnx_bench.py [--spec specs/resnet.net] [--set depth=50] [--repeat 3]

Prints a Markdown table: best and median wall time of each stage over the repeats in one process (the first
export of a process also pays for torch's and onnxscript's one-time setup, shown as "first"), the process CPU
time of the whole export, and the whole command in a fresh process as a user runs it.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("build", "export", "trace", "check", "verify")


def main() -> None:
    args = _arguments()
    import netspec
    from netspec.backends.onnx import Options, export
    from netspec.cli.app import parse_sets

    graph = netspec.build(args.spec, parse_sets(args.set))
    print(f"{graph.name} {graph.params}, input {list(graph.input.shape)}; {_machine()}\n")
    print("| batch | run | " + " | ".join(STAGES) + " | total | CPU | nodes | file |")
    print("|---|---|" + "---:|" * (len(STAGES) + 4))
    for dynamic in (False, True):
        runs = [_timed(export, graph, options=Options(dynamic_batch=dynamic)) for _ in range(args.repeat)]
        label = "dynamic" if dynamic else "1"
        _row(label, "first", [runs[0]])
        _row(label, f"best of {args.repeat - 1}", runs[1:], min)
        _row(label, f"median of {args.repeat - 1}", runs[1:], statistics.median)
        assert all(r.data == runs[0].data for r in runs), "exports differ"
    print(f"\nwhole command, fresh process (dynamic batch): {_command(args):.1f} s")


def _row(batch: str, label: str, runs, pick=min) -> None:
    if not runs:
        return
    times = [pick([r.seconds.get(stage, 0.0) for r in runs]) for stage in STAGES]
    total = pick([sum(r.seconds.values()) for r in runs])
    cpu = pick([r.cpu for r in runs])
    r = runs[0]
    cells = [f"{t:.2f} s" for t in times] + [f"{total:.1f} s", f"{cpu:.1f} s", f"{r.traced}/{r.nodes}",
                                             f"{len(r.data) / 1e6:.1f} MB"]
    print(f"| {batch} | {label} | " + " | ".join(cells) + " |")


def _timed(export, *args, **kwargs):
    """An export, with the CPU time the process spent on it (all threads): less disturbed by other work than
    wall time on a shared machine."""
    start = time.process_time()
    result = export(*args, **kwargs)
    result.cpu = time.process_time() - start
    return result


def _command(args) -> float:
    netspec = Path(sys.executable).parent / "netspec"
    with tempfile.TemporaryDirectory() as tmp:
        line = [str(netspec), "export", args.spec, "-o", f"{tmp}/model.onnx", "--dynamic-batch"]
        line += [part for s in args.set for part in ("--set", s)]
        start = time.perf_counter()
        subprocess.run(line, check=True, capture_output=True, cwd=ROOT)
        return time.perf_counter() - start


def _machine() -> str:
    import onnx
    import onnxruntime
    import torch

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return (f"{cpu}, {len(__import__('os').sched_getaffinity(0))} cores, Python {platform.python_version()}, "
            f"torch {torch.__version__}, onnx {onnx.__version__}, onnxruntime {onnxruntime.__version__}, "
            f"{time.strftime('%Y-%m-%d')}")


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default="specs/resnet.net")
    parser.add_argument("--set", action="append", default=None, metavar="NAME=VALUE")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    args.set = args.set if args.set is not None else ["depth=50"]
    args.repeat = max(1, args.repeat)
    return args


if __name__ == "__main__":
    main()
