"""What the benchmark scripts share: whole-process timing, the machine's description, and README.md sections.

A `*_bench.py` script measures, prints its figures as Markdown, and (unless NETSPEC_BENCH_WRITE=0) writes them
into its own section of benchmarks/README.md, between `<!-- name:start -->` and `<!-- name:end -->`.
"""

from __future__ import annotations

import datetime
import os
import platform
import resource
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
README = HERE / "README.md"


def quick() -> bool:
    """Fewer repetitions (`benchmarks/run.py --quick`)."""
    return os.environ.get("NETSPEC_BENCH_QUICK") == "1"


def writing() -> bool:
    """Write figures into README.md (off with `benchmarks/run.py --no-write`)."""
    return os.environ.get("NETSPEC_BENCH_WRITE", "1") != "0"


@dataclass(frozen=True)
class Timing:
    """One whole process: wall-clock seconds, and the CPU seconds (user + system) it used."""

    wall: float
    cpu: float
    stdout: str


def run(
    command: list[str], env: dict[str, str] | None = None, ok_status: tuple[int, ...] = (0,), cwd: Path = ROOT
) -> Timing:
    """Run a command to completion (in `cwd`, the repository by default); its CPU time is read from the
    kernel's accounting of finished children."""
    import time

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=env)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in ok_status:
        raise RuntimeError(f"{' '.join(command)} exited with {done.returncode}:\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timing(wall, cpu, done.stdout + done.stderr)


def median(values) -> float:
    return statistics.median(values)


def netspec_command() -> list[str]:
    """The `netspec` console script of this Python's environment, as a user runs it."""
    script = Path(sys.executable).with_name("netspec")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from netspec.cli import main; main()"]


def machine() -> str:
    """Date, machine, CPU, Python, load and netspec revision, as one Markdown paragraph."""
    uname = platform.uname()
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in _read("/proc/cpuinfo").splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    date = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    bytecode = (
        " (PYTHONDONTWRITEBYTECODE=1: every process compiles netspec's source)"
        if os.environ.get("PYTHONDONTWRITEBYTECODE")
        else ""
    )
    return (
        f"Measured {date} on `{uname.system} {uname.release} {uname.machine}`, {cpu}, "
        f"{os.cpu_count()} cores (load average {load} at the start); Python {platform.python_version()}"
        f"{bytecode}; netspec {_revision()}."
    )


def write_section(name: str, text: str) -> None:
    """Replace the text between this benchmark's markers in README.md (appending the markers if missing)."""
    if not writing():
        return
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    current = README.read_text(encoding="utf-8") if README.exists() else ""
    block = f"{start}\n{text.strip()}\n{end}"
    if start in current and end in current:
        head, rest = current.split(start, 1)
        updated = head + block + rest.split(end, 1)[1]
    else:
        updated = current.rstrip() + "\n\n" + block + "\n"
    README.write_text(updated, encoding="utf-8")
    print(f"(figures written to {README.relative_to(ROOT)})")


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _revision() -> str:
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "netspec"],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
    except OSError:
        return "(no git)"
    return rev.stdout.strip() + (" with local changes to netspec/" if dirty.stdout.strip() else "")
