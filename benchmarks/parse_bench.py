"""Parser speed (issue 11): specs of literal layers, one a line, parsed in process and checked as a whole process.

    python benchmarks/parse_bench.py              # about 2 minutes; writes the figures into README.md
    python benchmarks/parse_bench.py --repeat 9   # more rounds on a busy machine

In process, per spec size, CPU time (best and median of the rounds, which alternate between the routes):
- *parser*: `netspec.parse.parse`, what `netspec check` runs (lark's LALR reductions build the AST directly);
- *lark tree + transformer*: the route before netspec/parse/reduce.py: lark builds its parse tree with
  propagated positions, then `_ToAst` transforms it (the same AST; tests/test_reduce.py);
- *lark alone*: lark's lexer and LALR loop with callbacks that do nothing, the floor of any lark-based parser.
Whole process: `netspec check` of the 10k-layer spec, median wall and CPU. Targets: the parser under 0.5 s and
the check under 1.5 s for 10k layers.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine, netspec_command, quick, run, write_section
from gen_spec import generate

from netspec.diagnostics import Diagnostics
from netspec.parse import parse
from netspec.parse.parser import _parser, _ToAst

SIZES = (1_000, 10_000, 100_000)
TARGET_PARSER, TARGET_CHECK = 0.5, 1.5  # seconds for 10k layers


def _tree_route(text: str):
    return _ToAst("b.net", Diagnostics()).transform(_parser().parse(text, start="start"))


def _lark_alone(text: str):
    session = _parser().parse_interactive(text, start="start")
    conf = session.parser_state.parse_conf
    conf.callbacks = {rule: _nothing for rule in conf.callbacks}
    session.resume_parse()


def _nothing(children):
    return None


ROUTES = {
    "parser": lambda text: parse(text, "b.net"),
    "lark tree + transformer": _tree_route,
    "lark alone": _lark_alone,
}


def in_process(repeat: int) -> tuple[list[str], float]:
    """The table of the three routes per size, and the parser's best time at 10k layers."""
    parse(generate(10, "flat"))  # tables loaded, scanners compiled
    gc.set_threshold(20_000, 10, 10)  # as the CLI sets it
    rows, at_10k = [], 0.0
    for layers in SIZES:
        text = generate(layers, "flat")
        rounds = repeat if layers < 100_000 else max(1, repeat // 3)
        times = {name: [] for name in ROUTES}
        for _ in range(rounds):
            for name, route in ROUTES.items():
                started = time.process_time()
                route(text)
                times[name].append(time.process_time() - started)
        best = {name: min(t) for name, t in times.items()}
        cells = " | ".join(f"{best[n]:.3f} / {statistics.median(times[n]):.3f} s" for n in ROUTES)
        ratio = best["parser"] / best["lark tree + transformer"]
        rows.append(f"| {layers:,} | {text.count(chr(10)):,} | {cells} | {ratio:.2f} | {rounds} |")
        at_10k = best["parser"] if layers == 10_000 else at_10k
    header = [
        "| layers | lines | "
        + " | ".join(f"{n} (best / median CPU)" for n in ROUTES)
        + " | parser / tree route | rounds |",
        "|---:|---:|" + "---:|" * (len(ROUTES) + 2),
    ]
    return header + rows, at_10k


def whole_check(repeat: int) -> tuple[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "flat10000.net"
        path.write_text(generate(10_000, "flat"))
        command = netspec_command() + ["check", str(path)]
        run(command)
        samples = [run(command) for _ in range(repeat)]
    wall, cpu = statistics.median(s.wall for s in samples), statistics.median(s.cpu for s in samples)
    return (
        f"`netspec check` of the 10k-layer spec as a whole process: median wall {wall:.2f} s, CPU {cpu:.2f} s "
        f"({repeat} runs)."
    ), cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3 if quick() else 5)
    args = parser.parse_args(argv)
    header = machine()
    print(header, flush=True)
    table, parser_10k = in_process(args.repeat)
    print("\n".join(table), flush=True)
    check, check_cpu = whole_check(args.repeat)
    parser_ok = "met" if parser_10k < TARGET_PARSER else "missed"
    verdict = (
        f"Targets for 10k layers: parser under {TARGET_PARSER} s: **{parser_ok}** "
        f"({parser_10k:.2f} s CPU); check under {TARGET_CHECK} s: "
        f"**{'met' if check_cpu < TARGET_CHECK else 'missed'}** ({check_cpu:.2f} s CPU)."
    )
    print(check, verdict, sep="\n")
    write_section("parse_bench", "\n".join([header, "", *table, "", check, "", verdict]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
