"""netspec.cli.dispatch: whenever it reads a command line itself, typer would call the command the same way."""

from __future__ import annotations

import functools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netspec.cli import app
from netspec.cli.dispatch import plan

WORDS = ["a.net", "b.net", "x=1", "--set", "-s", "--set=c=1", "--input", "-i", "3x32x32", "--json", "--json=1",
         "--depth", "-d", "--depth=2", "2", "-1", "0", "007", "+3", " 4", "", "l1", "--", "-", "--help", "-x",
         "-s=x", "--no-json", "-o", "out.onnx"]
COMMANDS = ["check", "summary", "explain", "export", "diagram", "compile", "bogus", "--help"]


def typer_call(argv: list[str], monkeypatch) -> tuple[str, dict] | None:
    """What typer passes to the command function for `argv`, or None when it stops (error, help)."""
    calls = []
    for info in app.registered_commands:
        def record(original):
            @functools.wraps(original)
            def recorder(**kwargs):
                calls.append((original.__name__, kwargs))
            return recorder
        monkeypatch.setattr(info, "callback", record(info.callback))
    try:
        app(argv, standalone_mode=False, prog_name="netspec")
    except Exception:  # noqa: BLE001 - a usage error: typer does not call the command
        pass
    finally:
        monkeypatch.undo()
    return calls[0] if calls else None


def direct_call(argv: list[str]) -> tuple[str, dict] | None:
    found = plan(app, argv)
    return (found[0].__name__, found[1]) if found else None


@pytest.mark.parametrize("argv", [
    ["check", "a.net"],
    ["check", "a.net", "b.net", "--set", "x=1", "-s", "y=2", "--json"],
    ["check", "--input", "3x32x32", "a.net"],
    ["check", "--", "-a.net"],
    ["summary", "a.net", "-d", "2"],
    ["summary", "a.net", "--depth=3", "--set=c=1"],
    ["summary", "a.net", "b.net", "-s", "k=3", "-s", "k=7"],
    ["explain", "a.net", "layer1.0.conv1", "-s", "classes=10"],
])
def test_plain_command_lines_are_read_as_typer_reads_them(argv, monkeypatch):
    direct = direct_call(argv)
    assert direct is not None  # the fast path is really taken for the common lines
    assert direct == typer_call(argv, monkeypatch)


@pytest.mark.parametrize("argv", [
    [], ["--help"], ["check"], ["check", "--help"], ["check", "a.net", "--bogus"], ["summary", "a.net", "-d", "-1"],
    ["summary", "a.net", "-d"], ["explain", "a.net", "b", "c"], ["check", "a.net", "--json", "--json"],
    ["export", "a.net", "-o", "out.onnx"],
])
def test_everything_else_is_left_to_typer(argv):
    assert plan(app, argv) is None


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["check", "summary", "explain"]) | st.sampled_from(COMMANDS),
       st.lists(st.sampled_from(WORDS[:20]) | st.sampled_from(WORDS), min_size=1, max_size=6))
def test_a_line_read_directly_is_a_line_typer_reads_the_same(command, words):
    argv = [command, *words]
    direct = direct_call(argv)
    if direct is not None:
        with pytest.MonkeyPatch.context() as monkeypatch:
            assert direct == typer_call(argv, monkeypatch)
