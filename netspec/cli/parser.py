"""argv -> (command function, its keyword arguments), by argparse from the one definition in cli/app.COMMANDS.

The same definitions give `--help`, usage errors (exit status 2, in netspec's diagnostic form, with the nearest
command or option) and shell completion (cli/completion.py). Only the named command's parser is built: a
few hundred microseconds, where typer's per-run machinery cost ~100 ms.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import textwrap
from collections.abc import Callable
from typing import Any, NoReturn

from netspec.cli import register
from netspec.cli.app import COMMANDS, HELP, Arg, Command, Exit, UsageError, usage
from netspec.diagnostics import did_you_mean


class Parser(argparse.ArgumentParser):
    """argparse whose errors are netspec's usage errors, not a message and `sys.exit(2)` of its own."""

    def error(self, message: str) -> NoReturn:
        line = " ".join(self.format_usage().split()[1:])  # one line, whatever the terminal's width
        raise usage(message, f"usage: {line}; `{self.prog} --help` explains every option")


COLUMNS = min(100, shutil.get_terminal_size().columns - 2)


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """The description (the command's docstring) as written; options listed with their defaults."""

    def __init__(self, prog: str):
        super().__init__(prog, width=COLUMNS, max_help_position=32)

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if default in (None, False, True, [], argparse.SUPPRESS) or "default" in text or not action.option_strings:
            return text
        return f"{text.rstrip('.')} (default: {default})."


def read(argv: list[str]) -> tuple[Callable[..., None], dict[str, Any]]:
    """What to call for a command line; UsageError (exit status 2) for one netspec cannot use."""
    if not argv or argv[0] in ("-h", "--help", "help"):
        return (_help, {"stream": sys.stdout}) if argv else (_no_command, {})
    if argv[0] in ("-V", "--version"):
        return _version, {}
    if argv[0] == "__complete":  # what the shell scripts of `netspec completion` call
        from netspec.cli.completion import complete_words

        return complete_words, {"words": argv[1:]}
    found = register(argv[0]).get(argv[0])
    if found is None:
        raise _unknown_command(argv[0])
    return found.function, arguments(found, argv[1:])


def arguments(command: Command, words: list[str]) -> dict[str, Any]:
    """The command function's keywords for the words after its name."""
    parser = build(command)
    # options may come between the files (as `check a.net --json b.net`); after a `--` every word is a file,
    # which argparse's intermixed reading does not handle in Python 3.11
    parse = parser.parse_known_args if "--" in words else parser.parse_known_intermixed_args
    values, extra = parse(words)
    if extra:
        raise _unknown_word(command, extra[0])
    return vars(values)


def build(command: Command) -> Parser:
    parser = Parser(
        prog=f"netspec {command.name}", description=command.help, allow_abbrev=False, formatter_class=_Formatter
    )
    for arg in command.args:
        parser.add_argument(*arg.names, **_settings(arg))
    return parser


def _settings(arg: Arg) -> dict[str, Any]:
    if not arg.option:
        nargs = "+" if arg.many else "?" if arg.optional else None
        return {
            "dest": arg.dest,
            "help": arg.help,
            "metavar": arg.metavar or arg.dest.upper(),
            "type": arg.type,
            "nargs": nargs,
            "default": arg.default,
        }
    settings: dict[str, Any] = {"dest": arg.dest, "help": arg.help, "default": arg.default}
    if arg.flag:
        action = argparse.BooleanOptionalAction if arg.negatable else "store_true"
        return {**settings, "action": action, "default": bool(arg.default)}
    return {
        **settings,
        "metavar": arg.metavar,
        "type": arg.type,
        "required": arg.required,
        "action": "append" if arg.many else "store",
    }


def _unknown_command(word: str) -> UsageError:
    names = list(register())
    if word.startswith("-"):
        return usage(
            f"unknown option `{word}` before a command",
            f"write the command first, e.g. `netspec check FILE {word}`; `netspec --help` lists the commands",
        )
    hint = did_you_mean(word, names) or f"the commands: {', '.join(names)}"
    return usage(f"unknown command `{word}`", hint)


def _unknown_word(command: Command, word: str) -> UsageError:
    options = [name for arg in command.args for name in arg.names if name.startswith("--")]
    options += [f"--no-{name[2:]}" for arg in command.args if arg.negatable for name in arg.names]
    if word.startswith("-") and word != "-":
        name = word.split("=", 1)[0]
        hint = did_you_mean(name, options) or f"`netspec {command.name} --help` lists its options"
        return usage(f"`netspec {command.name}` has no option `{name}`", hint)
    return usage(
        f"unexpected argument `{word}` for `netspec {command.name}`",
        f"`netspec {command.name} --help` says what it takes",
    )


def top_help() -> str:
    """`netspec --help`: every command with the first sentence of its help, in the order of use."""
    register()
    width = max(len(name) for name in COMMANDS) + 4
    lines = ["usage: netspec COMMAND [ARGUMENTS] [OPTIONS]", "", HELP, "", "Commands:"]
    for name, command in COMMANDS.items():
        lines += textwrap.wrap(
            command.summary, COLUMNS, initial_indent=f"  {name:<{width - 2}}", subsequent_indent=" " * width
        )
    lines += [
        "",
        "Options:",
        "  -h, --help     show this help",
        "  -V, --version  print the version",
        "",
        "`netspec COMMAND --help` explains a command's arguments and options. Exit status: 0 ok, 1 errors in",
        "the spec, 2 a command line netspec cannot use.",
    ]
    return "\n".join(lines)


def _help(stream) -> None:
    print(top_help(), file=stream)


def _no_command() -> None:
    print(top_help(), file=sys.stderr)
    raise Exit(2)


def _version() -> None:
    from netspec import __version__

    print(f"netspec {__version__}")
