"""`netspec sizes` on ResNet-152 over 1..4096: in-process (build, then sizes) and as a whole process.

    .venv/bin/python benchmarks/sizes_bench.py

In-process: the graph is built once and `netspec.analysis.sizes.sizes` (both dims, every size, the rejections)
plus its description (`to_dict`) is timed on its own, median of repeats. Whole process: `netspec sizes` as a user
runs it, against `netspec check` of the same spec, so the difference is what sizes costs beyond start-up.
"""

from __future__ import annotations

import time

from common import machine, median, netspec_command, quick, run, write_section

SPECS = [
    ("ResNet-152", "specs/resnet.net", {"depth": 152}),
    ("ResNet-50", "specs/resnet.net", {"depth": 50}),
    ("GoogLeNet", "specs/googlenet.net", {}),
    ("DenseNet-121", "specs/densenet.net", {}),
]


def in_process(path: str, params: dict, repeat: int) -> tuple[float, int]:
    import netspec
    from netspec.analysis.sizes import sizes

    graph = netspec.build(path, params)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        sizes(graph, 4096).to_dict()
        times.append(time.perf_counter() - started)
    return median(times), len(graph.nodes)


def whole(path: str, params: dict, command: str, repeat: int) -> float:
    sets = [a for k, v in params.items() for a in ("--set", f"{k}={v}")]
    return median([run([*netspec_command(), command, path, *sets]).wall for _ in range(repeat)])


def main() -> None:
    repeat = 3 if quick() else 9
    rows = ["| network | nodes | sizes, in process | `netspec sizes` | `netspec check` |", "|---|---:|---:|---:|---:|"]
    for name, path, params in SPECS:
        inner, nodes = in_process(path, params, repeat)
        rows.append(
            f"| {name} | {nodes:,} | {inner * 1000:.0f} ms | {whole(path, params, 'sizes', repeat):.2f} s | "
            f"{whole(path, params, 'check', repeat):.2f} s |"
        )
    text = "\n".join(
        [
            "## Legal input sizes",
            "",
            "`netspec sizes SPEC` over heights and widths 1..4096 (both dims, every rejection described). In process:",
            "`sizes(graph)` plus `to_dict()` on an already built graph, median of repeats. Whole process: median wall",
            "time of the command, beside `netspec check` of the same spec (the difference is what `sizes` adds).",
            "`.venv/bin/python benchmarks/sizes_bench.py`.",
            "",
            machine(),
            "",
            *rows,
        ]
    )
    print(text)
    write_section("sizes", text)


if __name__ == "__main__":
    main()
