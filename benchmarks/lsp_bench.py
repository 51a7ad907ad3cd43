"""Language server speed (issue 11): a change in a 1,000-line spec, from `didChange` sent to diagnostics
received, over stdio with a real LSP client, as an editor sees it.

    python benchmarks/lsp_bench.py [--changes 40]     # or `make bench`; writes the figures into README.md

The spec is benchmarks/gen_spec.py's `flat` style (1,000 layers, one a line): the parser's worst case, and
what a person types. Each change edits one layer's width somewhere in the file (every later shape changes),
or breaks a line (a syntax error, repaired for partial results). The in-process figures split one change
into the server's own stages.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]

from common import machine, quick, write_section, writing  # noqa: E402
from gen_spec import generate  # noqa: E402
from lsp_client import Session  # noqa: E402

TARGET_MS = 100
LAYERS = 1_000


def edits(text: str, count: int) -> list[str]:
    """`count` versions of the text: a conv's width changed at spread-out lines, every fifth one broken."""
    lines = text.splitlines()
    convs = [i for i, line in enumerate(lines) if line.startswith("conv(8,")]
    out = []
    for k in range(count):
        at = convs[(k * 37) % len(convs)]
        changed = list(lines)
        changed[at] = "conv(8,3,padding=" if k % 5 == 4 else f"conv({8 + k % 3 * 8},3,padding=1)"
        out.append("\n".join(changed) + "\n")
    return out


def server_cpu(session: Session) -> float:
    """CPU milliseconds the server process has used so far (user + system, from /proc)."""
    fields = Path(f"/proc/{session.client._server.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1e3 / os.sysconf("SC_CLK_TCK")


def over_stdio(text: str, versions: list[str]) -> dict[str, list[float]]:
    """Milliseconds per change, wall (client's view) and the server's CPU, valid and broken apart."""
    session = Session()
    path = HERE / "specs" / "lsp_1000.net"
    out: dict[str, list[float]] = {"valid": [], "broken": [], "valid cpu": [], "broken cpu": []}
    try:
        uri, _ = session.open(path, text)
        for k, version in enumerate(versions):
            kind = "broken" if k % 5 == 4 else "valid"
            cpu, start = server_cpu(session), time.perf_counter()
            session.change(uri, version)
            out[kind].append((time.perf_counter() - start) * 1e3)
            out[kind + " cpu"].append(server_cpu(session) - cpu)
        return out
    finally:
        session.close()


def stages(base: str, text: str, repeat: int) -> dict[str, tuple[float, float]]:
    """Best-of milliseconds (wall, CPU) of the server's stages on one version, in this process."""
    from netspec.lsp import features
    from netspec.lsp.document import analyse_text
    from netspec.lsp.symbols import Index

    def best(fn):
        """(wall, CPU) milliseconds, the best of `repeat` runs of each."""
        walls, cpus = [], []
        for _ in range(repeat):
            wall, cpu = time.perf_counter(), time.process_time()
            fn()
            walls.append((time.perf_counter() - wall) * 1e3)
            cpus.append((time.process_time() - cpu) * 1e3)
        return min(walls), min(cpus)

    before = analyse_text(base, "x.net")
    doc = analyse_text(text, "x.net", before)
    index = Index(doc.spec, text)
    return {
        "whole text: parse + elaborate + analyse": best(lambda: analyse_text(text, "x.net")),
        "after an edit: re-parse one statement + elaborate + analyse": best(
            lambda: analyse_text(text, "x.net", before)
        ),
        "name index (built only for hover, names, or a finding inside a block)": best(lambda: Index(doc.spec, text)),
        "diagnostics to LSP": best(lambda: features.diagnostics(doc, index)),
        "inlay hints (whole file)": best(lambda: features.inlay_hints(doc)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=10 if quick() else 40)
    args = parser.parse_args()
    text = generate(LAYERS, "flat")
    times = over_stdio(text, edits(text, args.changes))
    med = {name: statistics.median(values) for name, values in times.items()}
    parts = stages(text, edits(text, 1)[0], 3 if quick() else 10)
    lines = [
        machine(),
        "",
        f"A change in a {text.count(chr(10)):,}-line spec ({LAYERS:,} layers, one a line), `didChange` sent to "
        f"`publishDiagnostics` received over stdio ({args.changes} changes; target {TARGET_MS} ms):",
        "",
        "| change | median wall | max wall | median server CPU |",
        "|---|---:|---:|---:|",
        f"| valid (a width changed; every later shape changes) | {med['valid']:.0f} ms | "
        f"{max(times['valid']):.0f} ms | {med['valid cpu']:.0f} ms |",
        f"| a syntax error (reported; shapes from the rest) | {med['broken']:.0f} ms | "
        f"{max(times['broken']):.0f} ms | {med['broken cpu']:.0f} ms |",
        "",
        "Where one valid change goes, in process (best of runs):",
        "",
        "| stage | wall | CPU |",
        "|---|---:|---:|",
    ]
    lines += [f"| {name} | {wall:.1f} ms | {cpu:.1f} ms |" for name, (wall, cpu) in parts.items()]
    text_out = "\n".join(lines)
    print(text_out)
    if writing():
        write_section("lsp", text_out)


if __name__ == "__main__":
    main()
