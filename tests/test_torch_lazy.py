"""torch is imported only when a module is built: `import netspec`, check, summary and compile never import it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SPEC = str(Path(__file__).parent.parent / "specs" / "resnet18.net")

RUN_CLI = """
import sys
from netspec.cli import main
sys.argv = ["netspec", *{args!r}]
try:
    main()
except SystemExit as e:
    assert e.code in (0, None), e.code
assert "torch" not in sys.modules, "torch was imported"
"""


def python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


def test_import_netspec_does_not_import_torch():
    done = python(
        "import sys, netspec, netspec.backends.torch as backend\n"
        "netspec.load, netspec.compile_source, backend.__all__\n"
        "assert 'torch' not in sys.modules"
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("args", [["check", SPEC], ["summary", SPEC], ["compile", SPEC]], ids=lambda a: a[0])
def test_commands_do_not_import_torch(args):
    done = python(RUN_CLI.format(args=args))
    assert done.returncode == 0, done.stderr


def test_load_does_import_torch():
    done = python("import sys, netspec\nnetspec.load(" + repr(SPEC) + ")\nassert 'torch' in sys.modules")
    assert done.returncode == 0, done.stderr
