"""ONNX export speed (issue 4): `netspec export` on ResNet-50 (224x224, 1000 classes), stage by stage, with a
fixed and a dynamic batch axis, and as a whole command in a fresh process.

    python benchmarks/onnx_bench.py          # or `make bench`; about 4 minutes; writes benchmarks/README.md

Stages, in one process: build (the torch backend's module), export (torch.export, ONNX translation and the
onnxscript optimiser), trace (netspec's doc_strings and metadata, serialisation), check (onnx.checker with
full_check), verify (onnxruntime against PyTorch: batch 1, or batches 1 and 2 for a dynamic batch axis). The
first export of a process also pays for torch's and onnxscript's one-time setup and is shown apart.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine, median, netspec_command, quick, run, write_section

SPEC, SETS = "specs/resnet.net", {"depth": 50}
STAGES = ("build", "export", "trace", "check", "verify")


def in_process(repeats: int) -> list[str]:
    """One table row per batch mode: the first export, then the median and best of the rest."""
    import netspec
    from netspec.backends.onnx import Options, export

    graph = netspec.build(SPEC, SETS)
    rows = []
    for dynamic in (False, True):
        runs = [_timed(export, graph, options=Options(dynamic_batch=dynamic)) for _ in range(repeats)]
        if any(r.data != runs[0].data for r in runs):
            raise RuntimeError("two exports of the same spec differ")
        mode = "dynamic" if dynamic else "1"
        rows.append(_row(mode, "first", runs[:1], median))
        rows += [
            _row(mode, f"{name} of {len(runs) - 1}", runs[1:], pick)
            for name, pick in (("median", median), ("best", min))
            if len(runs) > 1
        ]
    return [
        "| batch | run | " + " | ".join(STAGES) + " | total | CPU |",
        "|---|---|" + "---:|" * (len(STAGES) + 2),
        *rows,
    ]


def _timed(export, *args, **kwargs):
    """An export and the CPU seconds the process spent on it (all threads): steadier than wall time on a shared
    machine."""
    start = time.process_time()
    result = export(*args, **kwargs)
    result.cpu = time.process_time() - start
    return result


def _row(mode: str, label: str, runs, pick) -> str:
    stages = [pick([r.seconds.get(stage, 0.0) for r in runs]) for stage in STAGES]
    total, cpu = pick([sum(r.seconds.values()) for r in runs]), pick([r.cpu for r in runs])
    return f"| {mode} | {label} | " + " | ".join(f"{s:.2f} s" for s in stages) + f" | {total:.1f} s | {cpu:.1f} s |"


def whole_command(repeats: int) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        line = [
            "export",
            SPEC,
            "-o",
            f"{tmp}/resnet50.onnx",
            "--dynamic-batch",
            *[part for k, v in SETS.items() for part in ("--set", f"{k}={v}")],
        ]
        timings = [run(netspec_command() + line) for _ in range(repeats)]
        report = timings[-1].stdout.splitlines()[0].split(": ", 1)[1]
        size = Path(f"{tmp}/resnet50.onnx").stat().st_size
    return [
        f"`netspec {' '.join(line).replace(tmp, 'build')}` in a fresh process (Python start, imports, "
        f"every stage, the write): median wall {median([t.wall for t in timings]):.1f} s, CPU "
        f"{median([t.cpu for t in timings]):.1f} s over {repeats} runs; {size / 1e6:.1f} MB, {report}."
    ]


def main() -> int:
    header = machine()
    print(header, flush=True)
    table = in_process(2 if quick() else 4)
    print("\n".join(table), flush=True)
    command = whole_command(1 if quick() else 2)
    print("\n".join(command), flush=True)
    write_section("onnx_bench", "\n".join([header, "", *table, "", *command]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
