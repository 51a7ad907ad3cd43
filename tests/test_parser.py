"""netspec.cli.parser: one argparse definition per command gives the calls, --help and the usage errors."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from netspec.cli import COMMANDS
from netspec.cli.parser import arguments, read

ROOT = Path(__file__).resolve().parent.parent
LECTURE = str(ROOT / "specs" / "lecture.net")


def test_every_command_is_defined_once_for_its_function():
    for name, command in COMMANDS.items():
        params = list(inspect.signature(command.function).parameters)
        assert params == [arg.dest for arg in command.args], name


def test_a_command_line_becomes_the_function_call():
    function, values = read(["check", "a.net", "--set", "x=1", "b.net", "-s", "y=2", "--json"])
    assert function is COMMANDS["check"].function  # options may come between the files, as in typer
    assert values == {
        "files": [Path("a.net"), Path("b.net")],
        "set": ["x=1", "y=2"],
        "input": None,
        "strict": False,
        "json_": True,
    }
    assert arguments(COMMANDS["summary"], ["-", "-d", "2", "--set=c=1", "-sk=3"]) == {
        "files": [Path("-")],
        "depth": "2",
        "set": ["c=1", "k=3"],
        "input": None,
        "json_": False,
    }
    assert arguments(COMMANDS["export"], ["a.net", "-o", "a.onnx", "--no-verify", "--opset", "18"])["verify"] is False
    assert arguments(COMMANDS["diagram"], ["a.net", "-o", "a.svg", "--rankdir", "lr"])["rankdir"] == "LR"
    assert arguments(COMMANDS["zoo"], [])["index"] is None and arguments(COMMANDS["check"], ["--", "-a.net"])[
        "files"
    ] == [Path("-a.net")]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["chek", LECTURE], "unknown command `chek` | did you mean `check`?"),
        (["check", LECTURE, "--jsn"], "`netspec check` has no option `--jsn` | did you mean `--json`?"),
        (["check", LECTURE, "--js"], "has no option `--js`"),  # no abbreviations: a prefix never silently picks one
        (["check"], "the following arguments are required: FILE | usage: netspec check"),
        (["explain", LECTURE, "conv1", "extra"], "unexpected argument `extra` for `netspec explain`"),
        (["summary", LECTURE, "-d"], "argument --depth/-d: expected one argument"),
        (["sizes", LECTURE, "--max", "0"], "'0' is not a whole number >= 1 and <= 1,000,000"),
        (["memory", LECTURE, "--optimizer", "sdg"], "'sdg' is not one of sgd, momentum, adam, adamw"),
        (["export", LECTURE, "-o", "x.onnx", "--tolerance", "nan"], "'nan' is not a number >= 0"),
        (["--json", "check"], "unknown option `--json` before a command | write the command first"),
    ],
)
def test_usage_errors_name_the_mistake_and_the_fix(cli, argv, message):
    code, out, err = cli(*argv)
    assert code == 2 and out == "" and "Traceback" not in err
    for part in message.split(" | "):
        assert part in err, err


def test_help_for_the_program_and_every_command(cli):
    code, out, _ = cli("--help")
    assert code == 0 and out.startswith("usage: netspec COMMAND") and "-V, --version" in out
    code, _, err = cli()
    assert code == 2 and "Commands:" in err  # nothing to do: the help, as a usage error
    for name in COMMANDS:
        code, out, err = cli(name, "--help")
        assert code == 0 and out.startswith(f"usage: netspec {name}") and not err, name
        for internal in ("<list", "Path]", "{files}", "Input should be", "NoneType", "json_", "typer"):
            assert internal not in out, (name, internal)
    _, out, _ = cli("export", "--help")
    assert "--opset N" in out and "(default: 20)" in out and "--verify, --no-verify" in out


def test_the_readme_command_table_names_every_command_and_only_real_options():
    """README's table of commands is what users read first: one row per command, no option the parser lacks."""
    rows = {}
    for line in (ROOT / "README.md").read_text().splitlines():
        if found := re.match(r"\| `netspec (\w+)(.*?)` [|(]", line):
            rows[found[1]] = set(re.findall(r"(?<![\w-])--?[a-z][\w-]*", found[2]))
    assert sorted(rows) == sorted(COMMANDS)
    for name, used in rows.items():
        args = COMMANDS[name].args
        names = {n for a in args for n in a.names}
        names |= {"--no-" + n[2:] for a in args if a.negatable for n in a.names if n.startswith("--")}
        assert used <= names, (name, used - names)
