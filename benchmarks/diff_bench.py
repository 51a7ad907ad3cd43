"""`netspec diff` of ResNet-50 against ResNet-101: in process (both analyses, the diff, its JSON) and as a
whole process, against the start-up it adds to.

    .venv/bin/python benchmarks/diff_bench.py

In process: `netspec.diff(...)` (parse, elaborate and analyse both designs, compare every scope, layer and
state_dict key) plus `to_dict()`, median of repeats. Whole process: `netspec diff --json` as a user runs it,
beside `netspec --version` (Python start and the CLI's imports: what every command pays) and `netspec check`
of ResNet-101 alone.
"""

from __future__ import annotations

import time

from common import machine, median, netspec_command, quick, run, write_section

SPEC = "specs/resnet.net"
PAIRS = [
    ("ResNet-50 vs ResNet-101", ["--set", "depth=50", "--vs", "depth=101"], ({"depth": 50}, {"depth": 101})),
    ("ResNet-101 vs ResNet-152", ["--set", "depth=101", "--vs", "depth=152"], ({"depth": 101}, {"depth": 152})),
]


def in_process(a: dict, b: dict, repeat: int) -> tuple[float, float]:
    """Median wall and CPU seconds of one diff, the imports done."""
    import netspec

    netspec.diff(SPEC, vs=b, **a)  # warm: lark's tables, imports
    walls, cpus = [], []
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        netspec.diff(SPEC, vs=b, **a).to_dict()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    return median(walls), median(cpus)


def whole(args: list[str], repeat: int) -> tuple[float, float]:
    # diff exits 3 here by design: a ResNet-50 checkpoint loads into ResNet-101 only with strict=False
    timings = [run([*netspec_command(), *args], ok_status=(0, 3)) for _ in range(repeat)]
    return median([t.wall for t in timings]), median([t.cpu for t in timings])


def main() -> None:
    repeat = 3 if quick() else 9
    start, start_cpu = whole(["--version"], repeat)
    rows = [
        "| designs | diff, in process: wall / CPU | `netspec diff --json`: wall / CPU "
        "| beyond `netspec --version`: wall / CPU | `netspec check` of B: wall / CPU |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, args, (a, b) in PAIRS:
        inner, inner_cpu = in_process(a, b, repeat)
        command, command_cpu = whole(["diff", SPEC, *args, "--json"], repeat)
        check, check_cpu = whole(["check", SPEC, "--set", args[-1]], repeat)
        rows.append(
            f"| {name} | {inner * 1000:.0f} / {inner_cpu * 1000:.0f} ms | {command:.2f} / {command_cpu:.2f} s "
            f"| {command - start:.2f} / {command_cpu - start_cpu:.2f} s | {check:.2f} / {check_cpu:.2f} s |"
        )
    text = "\n".join(
        [
            "## Diff of two designs",
            "",
            "`netspec diff specs/resnet.net --set depth=50 --vs depth=101 --json`: both designs analysed, every scope,",
            "layer and state_dict key compared. In process: `netspec.diff(...)` plus `to_dict()`, median of repeats.",
            f"Whole process: median wall and CPU time; `netspec --version` (the process start every command pays) took "
            f"{start:.2f} s ({start_cpu:.2f} s CPU). Target (issue 10): well under a second beyond the process start.",
            "On a loaded machine the wall times grow with the load (several engineers share 2 cores here); the CPU",
            "times are the better measure of what diff itself costs.",
            "`.venv/bin/python benchmarks/diff_bench.py`.",
            "",
            machine(),
            "",
            *rows,
        ]
    )
    print(text)
    write_section("diff", text)


if __name__ == "__main__":
    main()
