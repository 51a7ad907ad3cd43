"""netspec's own Python under ruff and mypy (configured in pyproject.toml), and the PyTorch source it generates.

The repository check runs on every `make test`: a finding fails the suite with ruff's or mypy's own report. mypy
keeps its cache in .mypy_cache, so a run after a small change re-checks only what changed.

Every Python file is also in `ruff format`'s layout ([tool.ruff.format]; `ruff format .` mends a finding).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import netspec
from netspec.zoo import read_index

ROOT = Path(__file__).parent.parent
SPECS = ROOT / "specs"


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, timeout=900)


def test_ruff_finds_nothing():
    done = run("ruff", "check", "--output-format", "concise", ".")
    assert done.returncode == 0, f"ruff check .\n{done.stdout}{done.stderr}\n(`ruff check --fix .` mends some)"


def test_ruff_format_would_change_nothing():
    done = run("ruff", "format", "--check", ".")
    assert done.returncode == 0, f"ruff format --check .\n{done.stdout}{done.stderr}\n(`ruff format .` mends it)"


def test_mypy_finds_nothing():
    done = run("mypy")  # files, strictness and cache: [tool.mypy] in pyproject.toml
    assert done.returncode == 0, f"mypy\n{done.stdout}{done.stderr}"


def zoo() -> list[tuple[str, Path, dict]]:
    """Every model of the index with its parameters, and every other network spec of specs/ at its defaults."""
    entries = [(e.name, e.spec, e.params) for e in read_index(SPECS / "index.toml")]
    indexed = {spec.name for _, spec, _ in entries}
    others = [(p.stem, p, {}) for p in sorted(SPECS.glob("*.net")) if p.name not in indexed]
    return entries + others


def test_no_class_docstring_is_a_stray_string():
    """A string after a class's first statement is no docstring (`__doc__` stays None): neither ruff nor mypy
    says so. The op table once lost five this way when `keeps_grid = True` went above them."""
    stray = [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"
        for path in sorted((ROOT / "netspec").rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ClassDef)
        and ast.get_docstring(node) is None
        and any(
            isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant) and isinstance(s.value.value, str)
            for s in node.body[1:2]
        )
    ]
    assert not stray, "a docstring below the class's first statement:\n" + "\n".join(stray)


def test_generated_source_passes_the_same_ruff_rules(tmp_path):
    """`netspec compile` of the whole zoo: the code a user is handed is held to the rules netspec's own code is,
    and is in ruff format's layout."""
    models = zoo()
    for i, (name, spec, params) in enumerate(models):
        (tmp_path / f"m{i}_{name}.py").write_text(netspec.compile_source(spec, **params))
    # RUF022 wants `__all__` sorted; the generated one is in definition order, the network's class last, which
    # `netspec compile` and the tests read it by (cli/compile.py).
    done = run(
        "ruff",
        "check",
        "--no-cache",
        "--config",
        str(ROOT / "pyproject.toml"),
        "--extend-ignore",
        "RUF022",
        "--output-format",
        "concise",
        ".",
        cwd=tmp_path,
    )
    assert done.returncode == 0, f"generated source:\n{done.stdout}{done.stderr}"
    assert len(list(tmp_path.glob("*.py"))) == len(models)
    # A user who formats the compiled file sees no change: the generator writes ruff format's layout itself.
    done = run("ruff", "format", "--check", "--no-cache", "--config", str(ROOT / "pyproject.toml"), ".", cwd=tmp_path)
    assert done.returncode == 0, f"ruff format would change the generated source:\n{done.stdout}{done.stderr}"
