"""`netspec check`, `summary`, `explain` and `zoo` never import torch (nor onnx): DESIGN.md section 1, issue 2's speed.
`netspec check` imports nothing it does not use: no backend, formatter, language server, highlighter, nor the
modules of the other commands (issue 7: check's time on ResNet-50).

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


# What a check does not need: (module or package, why it is not needed)
NOT_FOR_CHECK = {
    "netspec.backends": "emitting torch, ONNX, diagrams, tables",
    "netspec.format": "netspec fmt",
    "netspec.lsp": "netspec lsp",
    "netspec.highlight": "the Pygments lexer",
    "netspec.zoo": "netspec zoo",
    "netspec.analysis.sizes": "netspec sizes",
    "netspec.analysis.memory": "netspec memory",
    "netspec.parse.examples": "describing a syntax error",
    "netspec.elaborate.expect": "expect statements",
    "netspec.analysis.expect": "expect statements",
    **{
        f"netspec.cli.{name}": f"netspec {name}"
        for name in ("diagram", "compile", "export", "fmt", "lsp", "memory", "sizes", "diff", "zoo", "costs")
    },
    "pygls": "netspec lsp",
    "lsprotocol": "netspec lsp",
    "pygments": "highlighting",
    "graphviz": "diagrams",
    "rich": "tables",
    "pydantic": "the JSON schema",
    "numpy": "netspec sizes",
}


def imported_modules(args: list[str]) -> tuple[set[str], subprocess.CompletedProcess]:
    """Every module a `netspec` process imported (by statement or importlib), and the finished process."""
    listing = "import atexit, sys; atexit.register(lambda: print('MODULES', *sorted(sys.modules), file=sys.stderr)); "
    done = subprocess.run([sys.executable, "-c", listing + MAIN, *args], capture_output=True, text=True, cwd=ROOT)
    modules = next(line.split()[1:] for line in done.stderr.splitlines() if line.startswith("MODULES "))
    return set(modules), done


def imported(args: list[str]) -> tuple[set[str], subprocess.CompletedProcess]:
    """The top-level packages a `netspec` process imported, and the finished process."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", MAIN, *args], capture_output=True, text=True, cwd=ROOT
    )
    modules = {
        line.rsplit("|", 1)[-1].strip().split(".")[0]
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    return modules, done


@pytest.mark.parametrize(
    "args",
    [
        ["check", "specs/resnet18.net"],
        ["check", "specs/resnet18.net", "--set", "classes=10", "--json"],
        ["check", "specs/resnet18.net", "-sclasses=10"],
        ["summary", "specs/resnet18.net", "--depth", "1"],
        ["summary", "specs/resnet18.net", "--json"],
        ["summary", "specs/resnet18.net", "--input", "3x{224..288..32}"],
        ["explain", "specs/lecture.net", "conv1"],
        ["diff", "specs/resnet18.net", "specs/resnet.net"],  # exit status 0: the same keys and shapes
        ["zoo", "--json"],
        ["sizes", "specs/resnet18.net", "--json"],
        ["memory", "specs/resnet18.net", "--batch", "8", "--optimizer", "adam"],
    ],
)
def test_static_commands_never_import_torch(args):
    modules, done = imported(args)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "netspec" in modules and "lark" in modules  # the listing really covers the command's imports
    assert not modules & HEAVY, f"`netspec {' '.join(args)}` imported {sorted(modules & HEAVY)}"


def test_the_command_line_is_read_without_an_option_framework():
    """One parser, argparse (cli/parser.py): neither typer, click nor pydantic is imported to read a command line."""
    modules, done = imported(["check", "specs/resnet18.net", "--set", "classes=10"])
    assert done.returncode == 0 and "argparse" in modules
    frameworks = {"typer", "click", "pydantic", "rich"}
    assert not modules & frameworks, sorted(modules & frameworks)


def test_a_failing_check_never_imports_torch(tmp_path):
    bad = tmp_path / "bad.net"
    bad.write_text("network N {\n    input [3, 8, 8]\n    maxpool(16)\n}\n")
    modules, done = imported(["check", str(bad)])
    assert done.returncode == 1 and "error" in done.stderr
    assert not modules & HEAVY


@pytest.mark.parametrize(
    "args",
    [
        ["check", "specs/convnext.net"],  # no expect statements: their modules stay unimported too
        ["check", "specs/stack.net", "--set", "channels=32", "--json"],
    ],
)
def test_check_imports_only_what_it_uses(args):
    modules, done = imported_modules(args)
    assert done.returncode == 0, done.stderr[-2000:]
    assert {"netspec.parse.parser", "netspec.elaborate", "netspec.analysis.analyse", "netspec.cli.inspect"} <= modules
    unneeded = {
        f"{name} ({why})"
        for name, why in NOT_FOR_CHECK.items()
        for module in modules
        if module == name or module.startswith(name + ".")
    }
    assert not unneeded, f"`netspec {' '.join(args)}` imported {sorted(unneeded)}"


def test_a_spec_with_expectations_and_a_syntax_error_import_what_they_need(tmp_path):
    modules, done = imported_modules(["check", "specs/resnet.net", "--set", "depth=50"])  # it states its figures
    assert done.returncode == 0 and {"netspec.elaborate.expect", "netspec.analysis.expect"} <= modules
    bad = tmp_path / "bad.net"
    bad.write_text("network N {\n    input [3, 8, 8]\n    relu\n}\n")
    modules, done = imported_modules(["check", str(bad)])
    assert done.returncode == 1 and "needs parentheses" in done.stderr and "netspec.parse.examples" in modules
