"""backends/torch/writer.py breaks lines as `ruff format` does: random expression trees (calls, lists, tuples,
dicts, chains; short and very long names; nested up to four deep) written in the contexts the generator uses
(assignment, return, a bare call, with and without a trailing comment, at several indents), then one
`ruff format --check` over all of them (~2 s idle)."""

from __future__ import annotations

import keyword
import random
import subprocess
import sys
from pathlib import Path

from netspec.backends.torch.writer import Call, Writer, breakable

ROOT = Path(__file__).parent.parent
STATEMENTS = 1000


def _name(r: random.Random) -> str:
    text = "".join(r.choice("abcdefghij") for _ in range(r.choice([1, 3, 8, 20, 40])))
    return text + "_" if keyword.iskeyword(text) else text


def _expr(r: random.Random, depth: int = 0) -> str | Call:
    k = r.random()
    if depth > 3 or k < 0.3:
        return r.choice([_name(r), str(r.randint(0, 10 ** r.randint(1, 12))), f'"{_name(r)}"', "True"])
    if k < 0.6:
        args = [_expr(r, depth + 1) for _ in range(r.randint(1, 5))]
        if r.random() < 0.3:  # a keyword argument: its name leads the value's head
            kw, last = f"{_name(r)}=", args[-1]
            args[-1] = kw + last if isinstance(last, str) else Call(kw + last.head, last.args, last.tail, last.kind)
        return Call(f"{_name(r)}.{_name(r)}(", tuple(args))
    if k < 0.75:
        return Call("[", tuple(_expr(r, depth + 1) for _ in range(r.randint(1, 5))), "]", "items")
    if k < 0.85:
        return Call("(", tuple(_expr(r, depth + 1) for _ in range(r.randint(2, 4))), ")", "items")
    return Call("{", tuple(f'"{_name(r)}": {_name(r)}' for _ in range(r.randint(1, 4))), "}", "items")


def _statement(w: Writer, r: random.Random) -> None:
    e, kind = _expr(r), r.random()
    note = r.choice(["", "[64, 112, 112]  resnet.net:12", "x" * 60])
    if kind < 0.3:
        w.expr(f"{_name(r)} = ", e, note=note)
    elif kind < 0.5:  # forward lines are code text, broken where ruff may break them
        w.expr(f"{_name(r)} = ", breakable(e if isinstance(e, str) else e.flat()), note=note)
    elif kind < 0.6:
        w.expr(f"{_name(r)} = ", breakable(f'getattr(self, "{_name(r)}")({_name(r)}, {_name(r)})'), note=note)
    elif kind < 0.75:
        w.expr("return ", e, note=note)
    elif kind < 0.9:
        w.expr("", Call(f"self.{_name(r)}(", (f'"{_name(r)}"', e)))
    else:
        operands = tuple(_name(r) for _ in range(r.randint(2, 6)))
        w.expr(f"{_name(r)} = ", breakable(" + ".join(operands)), note=note)


def test_writer_breaks_lines_as_ruff_format_does(tmp_path):
    r, w = random.Random(20261201), Writer()
    for i in range(STATEMENTS):
        w.line(f"def f{i}(x):")
        with w.indented():
            depth = r.randint(0, 2)
            for _ in range(depth):
                w.line("if x:")
                w.level += 1
            _statement(w, r)
            w.level -= depth
        w.blank(2)
    path = tmp_path / "written.py"
    path.write_text(w.source().text)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "format",
            "--diff",
            "--no-cache",
            "--config",
            str(ROOT / "pyproject.toml"),
            path,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"ruff format would change the writer's layout:\n{done.stdout[:6000]}{done.stderr}"
