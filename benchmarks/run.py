"""Run every benchmark in benchmarks/ (each `*_bench.py`), one after another: what `make bench` does.

    python benchmarks/run.py                 # all of them; each writes its figures into benchmarks/README.md
    python benchmarks/run.py check torch     # only those whose name contains `check` or `torch`
    python benchmarks/run.py --quick         # fewer repetitions, for a smoke test
    python benchmarks/run.py --no-write      # print the figures, leave README.md alone

Each script runs in its own process with this Python; `--quick` and `--no-write` reach them as the
environment variables NETSPEC_BENCH_QUICK=1 and NETSPEC_BENCH_WRITE=0. Exit status 1 if any script failed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def scripts(names: list[str]) -> list[Path]:
    """The benchmark scripts, in name order, filtered by any of `names` (substrings)."""
    found = sorted(HERE.glob("*_bench.py"))
    return [s for s in found if not names or any(n in s.stem for n in names)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the benchmarks in benchmarks/*_bench.py.")
    parser.add_argument("names", nargs="*", help="run only scripts whose name contains one of these")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (NETSPEC_BENCH_QUICK=1)")
    parser.add_argument("--no-write", action="store_true", help="do not update README.md (NETSPEC_BENCH_WRITE=0)")
    args = parser.parse_args(argv)
    env = dict(os.environ)
    if args.quick:
        env["NETSPEC_BENCH_QUICK"] = "1"
    if args.no_write:
        env["NETSPEC_BENCH_WRITE"] = "0"
    todo = scripts(args.names)
    if not todo:
        print(f"no benchmark matches {' '.join(args.names)}", file=sys.stderr)
        return 1
    failed = []
    for script in todo:
        print(f"== {script.name}", flush=True)
        started = time.perf_counter()
        status = subprocess.run([sys.executable, str(script)], cwd=HERE.parent, env=env).returncode
        print(
            f"== {script.name}: {'ok' if status == 0 else f'FAILED (exit {status})'} "
            f"in {time.perf_counter() - started:.0f} s\n",
            flush=True,
        )
        if status != 0:
            failed.append(script.name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
