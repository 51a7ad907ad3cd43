"""Diagram speed on ResNet-152: dot source, the `dot` program and the whole `netspec diagram` command, as a table.

    .venv/bin/python benchmarks/diagram_bench.py [--repeat 5]

Three views: the default (blocks folded, repeats as x N), every layer with repeats collapsed, and every layer of
all 50 blocks. Wall times, best of --repeat runs (other work on the machine only ever adds time); the machine,
versions and load average are printed with them.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

from common import machine as measured_on

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "specs" / "resnet.net"
VIEWS = {
    "default (blocks folded, x N)": ({}, []),
    "full, repeats collapsed": ({"depth": "full"}, ["--depth", "full"]),
    "full, every block": ({"depth": "full", "collapse_repeats": False}, ["--depth", "full", "--no-collapse-repeats"]),
}


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def command(args: list[str], out: Path) -> None:
    netspec = Path(sys.executable).parent / "netspec"  # the console script, as a user runs it
    subprocess.run(
        [str(netspec), "diagram", str(SPEC), "--set", "depth=152", "-o", str(out), *args],
        check=True,
        capture_output=True,
    )


def machine() -> str:
    """common.machine()'s paragraph and graphviz's version."""
    dot = subprocess.run(["dot", "-V"], capture_output=True, text=True).stderr.strip()
    return f"{measured_on()} {dot}."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat

    import netspec
    from netspec.backends.diagram import to_dot
    from netspec.backends.diagram.render import pipe

    report = netspec.analyse(SPEC, depth=152)
    print(machine())
    analyse = best(lambda: netspec.analyse(SPEC, depth=152), repeat)
    print(f"ResNet-152: {len(report.layers)} IR nodes; analyse {analyse * 1e3:.0f} ms")
    print(f"{'view':<30} {'boxes':>6} {'dot source':>11} {'dot -Tsvg':>10} {'SVG':>9} {'netspec diagram':>16}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, (options, args) in VIEWS.items():
            source = to_dot(report, **options)
            svg = pipe(source, "svg")
            t_source = best(partial(to_dot, report, **options), repeat)
            t_dot = best(partial(pipe, source, "svg"), repeat)
            t_cli = best(partial(command, args, Path(tmp) / "r.svg"), repeat)
            boxes = len(re.findall(r"^\t+(?:n\d+|s\d+|output) \[", source, re.M))
            print(
                f"{name:<30} {boxes:>6} {t_source * 1e3:>8.0f} ms {t_dot * 1e3:>7.0f} ms {len(svg) / 1024:>6.0f} KiB"
                f" {t_cli * 1e3:>13.0f} ms"
            )


if __name__ == "__main__":
    main()
