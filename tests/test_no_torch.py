"""`netspec check`, `summary`, `explain` and `zoo` never import torch (nor onnx): DESIGN.md section 1, issue 2's speed.

Each command runs as a real process under `python -X importtime`, which lists every module the process imports.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = {"torch", "onnx", "onnxruntime", "onnxscript", "torchvision"}
MAIN = "import sys; from netspec.cli import main; sys.argv[0] = 'netspec'; main()"


def imported(args: list[str]) -> tuple[set[str], subprocess.CompletedProcess]:
    """The top-level packages a `netspec` process imported, and the finished process."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", MAIN, *args], capture_output=True, text=True,
                          cwd=ROOT)
    modules = {line.rsplit("|", 1)[-1].strip().split(".")[0]
               for line in done.stderr.splitlines() if line.startswith("import time:")}
    return modules, done


@pytest.mark.parametrize("args", [
    ["check", "specs/resnet18.net"],
    ["check", "specs/resnet18.net", "--set", "classes=10", "--json"],
    ["check", "specs/resnet18.net", "-sclasses=10"],  # a form typer parses itself (cli/dispatch.py declines it)
    ["summary", "specs/resnet18.net", "--depth", "1"],
    ["summary", "specs/resnet18.net", "--json"],
    ["summary", "specs/resnet18.net", "--input", "3x{224..288..32}"],
    ["explain", "specs/lecture.net", "conv1"],
    ["diff", "specs/resnet18.net", "specs/resnet.net"],  # exit status 0: the same keys and shapes
    ["zoo", "--json"],
    ["sizes", "specs/resnet18.net", "--json"],
    ["memory", "specs/resnet18.net", "--batch", "8", "--optimizer", "adam"],
])
def test_static_commands_never_import_torch(args):
    modules, done = imported(args)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "netspec" in modules and "lark" in modules  # the listing really covers the command's imports
    assert not modules & HEAVY, f"`netspec {' '.join(args)}` imported {sorted(modules & HEAVY)}"


def test_a_failing_check_never_imports_torch(tmp_path):
    bad = tmp_path / "bad.net"
    bad.write_text("network N {\n    input [3, 8, 8]\n    maxpool(16)\n}\n")
    modules, done = imported(["check", str(bad)])
    assert done.returncode == 1 and "error" in done.stderr
    assert not modules & HEAVY
