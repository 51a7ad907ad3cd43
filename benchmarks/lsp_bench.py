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
import asyncio
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


def over_stdio(text: str, versions: list[str]) -> tuple[list[float], list[float], int]:
    """Milliseconds per change, valid and broken apart, and the diagnostics of the last broken one."""
    session = Session()
    path = HERE / "specs" / "lsp_1000.net"
    try:
        uri, _ = session.open(path, text)
        valid, broken, count = [], [], 0
        for k, version in enumerate(versions):
            start = time.perf_counter()
            found = session.change(uri, version)
            ms = (time.perf_counter() - start) * 1e3
            (broken if k % 5 == 4 else valid).append(ms)
            count = len(found) if k % 5 == 4 else count
        return valid, broken, count
    finally:
        session.close()


def stages(base: str, text: str, repeat: int) -> dict[str, float]:
    """Best-of milliseconds of the server's stages on one version, in this process."""
    from netspec.lsp import features
    from netspec.lsp.document import analyse_text
    from netspec.lsp.symbols import Index

    def best(fn):
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            fn()
            times.append((time.perf_counter() - start) * 1e3)
        return min(times)

    before = analyse_text(base, "x.net")
    doc = analyse_text(text, "x.net", before)
    index = Index(doc.spec, text)
    return {"whole text: parse + elaborate + analyse": best(lambda: analyse_text(text, "x.net")),
            "after an edit: re-parse one statement + elaborate + analyse":
                best(lambda: analyse_text(text, "x.net", before)),
            "name index": best(lambda: Index(doc.spec, text)),
            "diagnostics to LSP": best(lambda: features.diagnostics(doc, index)),
            "inlay hints (whole file)": best(lambda: features.inlay_hints(doc))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=10 if quick() else 40)
    args = parser.parse_args()
    text = generate(LAYERS, "flat")
    valid, broken, errors = over_stdio(text, edits(text, args.changes))
    parts = stages(text, edits(text, 1)[0], 3 if quick() else 10)
    lines = [machine(), "",
             f"A change in a {text.count(chr(10)):,}-line spec ({LAYERS:,} layers, one a line), `didChange` sent to "
             f"`publishDiagnostics` received over stdio ({args.changes} changes; target {TARGET_MS} ms):", "",
             "| change | median | max |", "|---|---:|---:|",
             f"| valid (a width changed; every later shape changes) | {statistics.median(valid):.0f} ms | "
             f"{max(valid):.0f} ms |",
             f"| a syntax error ({errors} diagnostic; shapes from the repaired text) | "
             f"{statistics.median(broken):.0f} ms | {max(broken):.0f} ms |", "",
             "Where one valid change goes, in process (best of runs):", "",
             "| stage | time |", "|---|---:|"]
    lines += [f"| {name} | {ms:.1f} ms |" for name, ms in parts.items()]
    text_out = "\n".join(lines)
    print(text_out)
    if writing():
        write_section("lsp", text_out)


if __name__ == "__main__":
    main()
