"""Shared test fixtures: `golden` (goldens, rewritten by `pytest --update-goldens`), `cli`, `torch_one_thread`."""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
GOLDENS = TESTS / "goldens"


def pytest_addoption(parser):
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="rewrite tests/goldens/** from the current output instead of comparing with it",
    )


class Golden:
    """Golden files under tests/goldens/: `check(path, text)` fails with a diff when the text changed."""

    def __init__(self, update: bool, root: Path = GOLDENS):
        self.update = update
        self.root = root

    def path(self, name: str | Path) -> Path:
        return self.root / name

    def check(self, name: str | Path, text: str) -> None:
        path = self.path(name)
        text = text if text.endswith("\n") else text + "\n"
        if self.update:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
            return
        if not path.exists():
            pytest.fail(
                f"no golden file {path.relative_to(TESTS.parent)}; run `pytest --update-goldens` "
                "to create it, then review and commit it"
            )
        expected = path.read_text(encoding="utf-8")
        if text != expected:
            diff = "".join(
                difflib.unified_diff(
                    expected.splitlines(True), text.splitlines(True), f"{name} (golden)", f"{name} (now)", n=2
                )
            )
            pytest.fail(
                f"output differs from golden {name}; if the change is intended, run "
                f"`pytest --update-goldens` and review the diff:\n{diff[:6000]}",
                pytrace=False,
            )


@pytest.fixture
def golden(request) -> Golden:
    """`golden.check("ir/resnet.txt", text)`: compare with tests/goldens/ir/resnet.txt (or rewrite it)."""
    return Golden(request.config.getoption("--update-goldens"))


@pytest.fixture
def cli(monkeypatch, capsys):
    """`cli("check", path)` runs the `netspec` command in this process: (exit status, stdout, stderr)."""
    from netspec.cli.app import main

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["netspec", *args])
        try:
            main()
            code = 0
        except SystemExit as e:  # as the interpreter exits: None is 0, a message is 1
            code = e.code if isinstance(e.code, int) else 0 if e.code is None else 1
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


@pytest.fixture(scope="module")
def torch_one_thread():
    """One intra-op thread: the suite runs a process per core, and more threads than cores thrash."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
