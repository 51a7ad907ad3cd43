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
PAIRS = [("ResNet-50 vs ResNet-101", ["--set", "depth=50", "--vs", "depth=101"], ({"depth": 50}, {"depth": 101})),
         ("ResNet-101 vs ResNet-152", ["--set", "depth=101", "--vs", "depth=152"], ({"depth": 101}, {"depth": 152}))]


def in_process(a: dict, b: dict, repeat: int) -> float:
    import netspec

    netspec.diff(SPEC, vs=b, **a)  # warm: lark's tables, imports
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        netspec.diff(SPEC, vs=b, **a).to_dict()
        times.append(time.perf_counter() - started)
    return median(times)


def whole(args: list[str], repeat: int) -> float:
    # diff exits 3 here by design: a ResNet-50 checkpoint loads into ResNet-101 only with strict=False
    return median([run([*netspec_command(), *args], ok_status=(0, 3)).wall for _ in range(repeat)])


def main() -> None:
    repeat = 3 if quick() else 9
    start = whole(["--version"], repeat)
    rows = ["| designs | diff, in process | `netspec diff --json` | beyond `netspec --version` "
            "| `netspec check` of B |", "|---|---:|---:|---:|---:|"]
    for name, args, (a, b) in PAIRS:
        inner = in_process(a, b, repeat)
        command = whole(["diff", SPEC, *args, "--json"], repeat)
        check = whole(["check", SPEC, "--set", args[-1]], repeat)
        rows.append(f"| {name} | {inner * 1000:.0f} ms | {command:.2f} s | {command - start:.2f} s | {check:.2f} s |")
    text = "\n".join([
        "## Diff of two designs",
        "",
        "`netspec diff specs/resnet.net --set depth=50 --vs depth=101 --json`: both designs analysed, every scope,",
        "layer and state_dict key compared. In process: `netspec.diff(...)` plus `to_dict()`, median of repeats.",
        f"Whole process: median wall time; `netspec --version` (the process start every command pays) took "
        f"{start:.2f} s. Target (issue 10): well under a second beyond the process start.",
        "`.venv/bin/python benchmarks/diff_bench.py`.",
        "",
        machine(),
        "",
        *rows,
    ])
    print(text)
    write_section("diff", text)


if __name__ == "__main__":
    main()
