"""Static checking speed (issue 2), as whole processes: `netspec check` on ResNet-50 against
`python -c "import torch"` in the same run, and `netspec check` time against network size (1k-100k layers).

    python benchmarks/check_bench.py                  # or `make bench`; writes the figures into README.md
    python benchmarks/check_bench.py --against REV    # the same, for git revision REV's netspec too; prints only
    python benchmarks/check_bench.py --against REV --only resnet --rounds 21   # ResNet-50 alone, before/after

With --against, REV's netspec checks REV's own specs (git archive of netspec/, specs/ and benchmarks/specs/).

Runs are interleaved (torch, check, check, torch, ...) so all see the same machine load; figures are medians.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, Timing, machine, median, netspec_command, quick, run, write_section
from gen_spec import generate

TARGET_RATIO = 0.20  # the check of ResNet-50 takes under 20% of the bare torch import
TARGET_10K = 1.5  # seconds (wall) for 10k layers
LINEAR_SLACK = 1.5  # CPU time per layer at 100k may exceed that at 10k by at most this factor
RESNET50 = "25,557,032 params"
SIZES = (1_000, 10_000, 100_000)
STYLES = {
    "blocks": "residual blocks in `for` loops (elaboration does the work)",
    "flat": "one layer per line (the parser does)",
}


def resnet_commands() -> dict[str, list[str]]:
    """The ResNet-50 checks: the zoo's spec with --set depth=50 (when it is there) and benchmarks/specs."""
    found = {}
    if (ROOT / "specs/resnet.net").exists():
        found["`netspec check specs/resnet.net --set depth=50`"] = ["check", "specs/resnet.net", "--set", "depth=50"]
    found["`netspec check benchmarks/specs/resnet50.net`"] = ["check", "benchmarks/specs/resnet50.net"]
    return found


def torch_versus_check(versions: dict[str, dict], rounds: int) -> list[str]:
    netspec, torch = netspec_command(), [sys.executable, "-c", "import torch"]
    checks = {
        (name, version): (netspec + args, env)
        for name, args in resnet_commands().items()
        for version, env in versions.items()
    }
    for command, env in checks.values():
        out = run(command, env=env, cwd=_root(env)).stdout
        if RESNET50 not in out:
            raise RuntimeError(f"{' '.join(command)} is not ResNet-50 ({RESNET50}):\n{out}")
    first = _first_run(*checks[next(reversed(checks))])
    for _ in range(2):  # warm the page cache and the parser-table cache
        run(torch)
        for command, env in checks.values():
            run(command, env=env, cwd=_root(env))
    times: dict = {"torch": [], **{key: [] for key in checks}}
    for _ in range(rounds):
        times["torch"].append(run(torch))
        for key, (command, env) in checks.items():
            times[key].append(run(command, env=env, cwd=_root(env)))
    torch_wall, torch_cpu = _medians(times["torch"])
    lines = [
        f"| command |{_version_header(versions)} wall (median of {rounds}) | CPU (user + sys) | wall / torch "
        f"| CPU / torch |",
        "|---|" + "---|" * (len(versions) > 1) + "---:|---:|---:|---:|",
        f'| `python -c "import torch"` |{" |" * (len(versions) > 1)} {torch_wall:.3f} s | {torch_cpu:.3f} s '
        f"| 100% | 100% |",
    ]
    ok = True
    for (name, version), samples in ((k, v) for k, v in times.items() if k != "torch"):
        wall, cpu = _medians(samples)
        ok &= wall / torch_wall < TARGET_RATIO or version != "now"
        column = f" {version} |" if len(versions) > 1 else ""
        lines.append(
            f"| {name} |{column} {wall:.3f} s | {cpu:.3f} s | **{wall / torch_wall:.1%}** | {cpu / torch_cpu:.1%} |"
        )
    if len(versions) > 1:  # now against the older revision, command by command
        old = next(iter(versions))
        for name in resnet_commands():
            (wall, cpu), (old_wall, old_cpu) = _medians(times[name, "now"]), _medians(times[name, old])
            lines.append(f"- {name}: now / {old}: CPU **{cpu / old_cpu:.3f}**, wall {wall / old_wall:.3f}")
    return lines + [
        "",
        f"Target: under {TARGET_RATIO:.0%} of the torch import: **{'met' if ok else 'missed'}**. "
        f"The very first check after installing, before lark's LALR tables are cached, took "
        f"{first.wall:.3f} s (wall).",
    ]


def scaling(versions: dict[str, dict], repeats: dict[int, int]) -> list[str]:
    netspec = netspec_command()
    with tempfile.TemporaryDirectory() as folder:

        def spec(layers: int, style: str) -> str:
            path = Path(folder) / f"{style}{layers}.net"
            path.write_text(generate(layers, style))
            return str(path)

        one = spec(1, "flat")
        samples = {(v, "base"): [] for v in versions}  # a 1-layer spec, run beside every other: the fixed cost
        for style in STYLES:
            for layers in SIZES:
                path = spec(layers, style)
                for _ in range(repeats[layers]):
                    for version, env in versions.items():
                        timing = run(netspec + ["check", path], env=env)
                        samples.setdefault((version, style, layers), []).append(timing)
                        samples[version, "base"].append(run(netspec + ["check", one], env=env))
        base = {v: _medians(samples[v, "base"]) for v in versions}
        rows, per_layer, walls = [], {}, {}
        for style in STYLES:
            for layers in SIZES:
                for version in versions:
                    wall, cpu = walls[version, style, layers] = _medians(samples[version, style, layers])
                    per_layer[version, style, layers] = (cpu - base[version][1]) / layers
                    column = f" {version} |" if len(versions) > 1 else ""
                    rows.append(
                        f"| {style} | {layers:,} |{column} {wall:.2f} s | {cpu:.2f} s | "
                        f"{(wall - base[version][0]) / layers * 1e6:.1f} µs | "
                        f"{per_layer[version, style, layers] * 1e6:.1f} µs | {repeats[layers]} |"
                    )
    mid, top = SIZES[1], SIZES[-1]  # 10k and 100k
    ok_10k = {s: walls["now", s, mid][0] < TARGET_10K for s in STYLES}
    linear = {s: per_layer["now", s, top] <= LINEAR_SLACK * per_layer["now", s, mid] for s in STYLES}
    bases = ", ".join(
        f"{w:.3f} s wall, {c:.3f} s CPU" + (f" ({v})" if len(versions) > 1 else "") for v, (w, c) in base.items()
    )
    return [
        "`netspec check` on specs from `benchmarks/gen_spec.py`: "
        + "; ".join(f"*{k}*: {v}" for k, v in STYLES.items())
        + f". Per layer: the median above that of a 1-layer spec, run after every one of them ({bases}).",
        "",
        f"| style | layers |{_version_header(versions)} wall (median) | CPU | per layer (wall) | per layer (CPU) "
        f"| runs |",
        "|---|---:|" + "---|" * (len(versions) > 1) + "---:|---:|---:|---:|---:|",
        *rows,
        "",
        f"Targets: 10k layers under {TARGET_10K} s (wall): "
        + ", ".join(f"{s} **{'met' if ok_10k[s] else 'missed'}**" for s in STYLES)
        + f"; linear growth (CPU per layer at 100k within {LINEAR_SLACK}x of that at 10k): "
        + ", ".join(f"{s} **{'yes' if linear[s] else 'no'}**" for s in STYLES)
        + ".",
    ]


def _medians(samples: list[Timing]) -> tuple[float, float]:
    return median(t.wall for t in samples), median(t.cpu for t in samples)


def _version_header(versions: dict) -> str:
    return " netspec |" if len(versions) > 1 else ""


def _first_run(command: list[str], env: dict | None) -> Timing:
    with tempfile.TemporaryDirectory() as empty:
        return run(command, env={**(env or os.environ), "NETSPEC_CACHE_DIR": empty})


def _export(revision: str, folder: str) -> dict:
    """An environment whose `netspec` is the package as of `revision`, checking that revision's specs (git archive
    into `folder`, the commands' working directory)."""
    archive = subprocess.run(
        ["git", "archive", revision, "netspec", "specs", "benchmarks/specs"], cwd=ROOT, capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", folder], input=archive.stdout, check=True)
    return {**os.environ, "PYTHONPATH": folder, "NETSPEC_BENCH_TREE": folder}


def _root(env: dict | None) -> Path:
    """Where a version's commands run: its exported tree, or this repository."""
    return Path(env["NETSPEC_BENCH_TREE"]) if env and "NETSPEC_BENCH_TREE" in env else ROOT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", metavar="REV", help="also measure netspec as of this git revision")
    parser.add_argument("--only", choices=("resnet", "sizes"), help="only the ResNet-50 check, or only the sizes")
    parser.add_argument("--rounds", type=int, help="ResNet-50 rounds (default 15, 5 with --quick)")
    args = parser.parse_args(argv)
    rounds = args.rounds or (5 if quick() else 15)
    repeats = {1_000: 3, 10_000: 3, 100_000: 1} if quick() else {1_000: 7, 10_000: 5, 100_000: 3}
    with tempfile.TemporaryDirectory() as old:
        versions = {args.against: _export(args.against, old)} if args.against else {}
        versions["now"] = dict(os.environ)
        header = machine()
        print(header, flush=True)
        resnet = torch_versus_check(versions, rounds) if args.only != "sizes" else []
        print("\n".join(resnet), flush=True)
        sizes = scaling(versions, repeats) if args.only != "resnet" else []
        print("\n".join(sizes), flush=True)
    if not args.against and not args.only:
        write_section("check_bench", "\n".join([header, "", *resnet, "", *sizes]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
