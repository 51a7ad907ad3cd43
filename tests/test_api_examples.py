"""The examples in netspec.api's docstrings run and print what they say (README users copy them)."""

import doctest
from pathlib import Path

import pytest

import netspec.api

ROOT = Path(__file__).parent.parent
# export_onnx's example takes ~15 s; tests/test_onnx_export.py covers the same call.
EXAMPLES = ["analyse", "costs", "diff", "load", "compile_source", "diagram"]


@pytest.mark.parametrize("name", EXAMPLES)
def test_docstring_example(name, tmp_path, monkeypatch):
    (tmp_path / "specs").symlink_to(ROOT / "specs")
    (tmp_path / "build").mkdir()
    monkeypatch.chdir(tmp_path)
    finder, runner = doctest.DocTestFinder(), doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    (test,) = [t for t in finder.find(netspec.api) if t.name == f"netspec.api.{name}"]
    assert test.examples, f"{name} has no example"
    result = runner.run(test)
    assert result.failed == 0
