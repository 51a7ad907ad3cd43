"""Static checking speed (issue 2), as whole processes: `netspec check` on ResNet-50 against
`python -c "import torch"` in the same run, and `netspec check` time against network size (1k-100k layers).

    python benchmarks/check_bench.py          # or `make bench`; writes the figures into benchmarks/README.md

Runs are interleaved (torch, check, check, torch, ...) so both see the same machine load; figures are medians.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, Timing, machine, median, netspec_command, quick, run, write_section  # noqa: E402
from gen_spec import generate  # noqa: E402

TARGET_RATIO = 0.20  # the check of ResNet-50 takes under 20% of the bare torch import
TARGET_10K = 1.5  # seconds for 10k layers
LINEAR_SLACK = 1.5  # time per layer at 100k may exceed that at 10k by at most this factor
RESNET50 = "25,557,032 params"
SIZES = (1_000, 10_000, 100_000)
STYLES = {"blocks": "residual blocks in `for` loops (elaboration)", "flat": "one layer per line (parsing)"}


def resnet_commands() -> dict[str, list[str]]:
    """The ResNet-50 checks: the zoo's spec with --set depth=50 (when it is there) and benchmarks/specs."""
    found = {}
    if (ROOT / "specs/resnet.net").exists():
        found["`netspec check specs/resnet.net --set depth=50`"] = ["check", "specs/resnet.net", "--set", "depth=50"]
    found["`netspec check benchmarks/specs/resnet50.net`"] = ["check", "benchmarks/specs/resnet50.net"]
    return found


def torch_versus_check(rounds: int) -> tuple[list[str], bool]:
    netspec = netspec_command()
    torch = [sys.executable, "-c", "import torch"]
    checks = {name: netspec + args for name, args in resnet_commands().items()}
    for command in checks.values():
        out = run(command).stdout
        if RESNET50 not in out:
            raise RuntimeError(f"{' '.join(command)} is not ResNet-50 ({RESNET50}):\n{out}")
    first = _first_run(checks[next(reversed(checks))])
    for _ in range(2):  # warm the page cache and the parser-table cache
        run(torch)
        for command in checks.values():
            run(command)
    times: dict[str, list[Timing]] = {"torch": [], **{name: [] for name in checks}}
    for _ in range(rounds):
        times["torch"].append(run(torch))
        for name, command in checks.items():
            times[name].append(run(command))
    torch_wall = median(t.wall for t in times["torch"])
    torch_cpu = median(t.cpu for t in times["torch"])
    lines = [f"| command | wall (median of {rounds}) | CPU (user + sys) | wall / torch | CPU / torch |",
             "|---|---:|---:|---:|---:|",
             f"| `python -c \"import torch\"` | {torch_wall:.3f} s | {torch_cpu:.3f} s | 100% | 100% |"]
    ok = True
    for name in checks:
        wall, cpu = median(t.wall for t in times[name]), median(t.cpu for t in times[name])
        ok &= wall / torch_wall < TARGET_RATIO
        lines.append(f"| {name} | {wall:.3f} s | {cpu:.3f} s | **{wall / torch_wall:.1%}** | {cpu / torch_cpu:.1%} |")
    lines.append("")
    lines.append(f"Target: under {TARGET_RATIO:.0%} of the torch import: **{'met' if ok else 'missed'}**. "
                 f"The very first check after installing, before lark's LALR tables are cached, took "
                 f"{first.wall:.3f} s (wall).")
    return lines, ok


def _first_run(command: list[str]) -> Timing:
    with tempfile.TemporaryDirectory() as empty:
        return run(command, env={**os.environ, "NETSPEC_CACHE_DIR": empty})


def scaling(repeats: dict[int, int]) -> tuple[list[str], bool]:
    netspec = netspec_command()
    with tempfile.TemporaryDirectory() as folder:
        def spec(layers: int, style: str) -> str:
            path = Path(folder) / f"{style}{layers}.net"
            path.write_text(generate(layers, style))
            return str(path)

        base = median(run(netspec + ["check", spec(1, "flat")]).wall for _ in range(max(repeats.values())))
        rows, per_layer = [], {}
        for style in STYLES:
            for layers in SIZES:
                path = spec(layers, style)
                times = [run(netspec + ["check", path]) for _ in range(repeats[layers])]
                wall, cpu = median(t.wall for t in times), median(t.cpu for t in times)
                per_layer[style, layers] = (wall - base) / layers
                rows.append(f"| {style} | {layers:,} | {wall:.2f} s | {cpu:.2f} s | "
                            f"{per_layer[style, layers] * 1e6:.1f} µs | {repeats[layers]} |")
    ok_10k = {s: per_layer[s, 10_000] * 10_000 + base < TARGET_10K for s in STYLES}
    linear = {s: per_layer[s, 100_000] <= LINEAR_SLACK * per_layer[s, 10_000] for s in STYLES}
    lines = [f"`netspec check` on generated specs (`benchmarks/gen_spec.py`): {'; '.join(f'*{k}*: {v}' for k, v in STYLES.items())}. "
             f"Time per layer is the median wall time above that of a 1-layer spec ({base:.3f} s).", "",
             "| style | layers | wall (median) | CPU | per layer | runs |", "|---|---:|---:|---:|---:|---:|", *rows, "",
             "Targets: 10k layers under 1.5 s: " + ", ".join(f"{s} **{'met' if ok_10k[s] else 'missed'}**" for s in STYLES)
             + f"; linear growth (time per layer at 100k within {LINEAR_SLACK}x of that at 10k): "
             + ", ".join(f"{s} **{'yes' if linear[s] else 'no'}**" for s in STYLES) + "."]
    return lines, all(ok_10k.values()) and all(linear.values())


def main() -> int:
    rounds = 5 if quick() else 15
    repeats = {1_000: 3, 10_000: 3, 100_000: 1} if quick() else {1_000: 7, 10_000: 5, 100_000: 3}
    header = machine()
    print(header, flush=True)
    resnet, _ = torch_versus_check(rounds)
    print("\n".join(resnet), flush=True)
    sizes, _ = scaling(repeats)
    print("\n".join(sizes), flush=True)
    write_section("check_bench", "\n".join([header, "", *resnet, "", *sizes]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
