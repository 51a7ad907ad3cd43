"""The `netspec` command: the registry of commands and what every command shares (spec loading, errors, safe writes)."""

from __future__ import annotations

import contextlib
import errno
import gc
import inspect
import io
import os
import re
import sys
from argparse import ArgumentTypeError
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any, overload

from netspec.diagnostics import Diagnostics, NetspecError, Span
from netspec.records import record

HELP = "Check, summarise and compile convolutional network specs (.net files)."


@record(slots=True)
class Arg:
    """One argument or option of a command: what the parser is told (cli/parser.py), what `--help` says and what
    shell completion offers (cli/completion.py). Positionals have no `names`."""

    dest: str  # the command function's keyword
    names: tuple[str, ...] = ()  # an option's spellings, e.g. ("--set", "-s")
    help: str = ""
    metavar: str | None = None
    type: Callable[[str], Any] | None = None  # word -> value; ValueError/ArgumentTypeError is a usage error
    default: Any = None
    many: bool = False  # a positional of one or more words; an option given repeatedly
    flag: bool = False  # an option without a value (True when given)
    negatable: bool = False  # a flag with a --no- form
    required: bool = False  # an option that must be given
    optional: bool = False  # a positional that may be left out
    choices: tuple[str, ...] = ()  # offered by completion (the type function checks them)
    complete: str | Callable[[dict[str, Any]], list[str]] | None = None  # "spec", "file", or values from what is read

    @property
    def option(self) -> bool:
        return bool(self.names)


@record(slots=True)
class Command:
    name: str
    function: Callable[..., None]
    args: tuple[Arg, ...]

    @property
    def help(self) -> str:
        return inspect.cleandoc(self.function.__doc__ or "")

    @property
    def summary(self) -> str:
        """The first sentence of the docstring: the command's line in `netspec --help`."""
        first = self.help.split("\n\n")[0].replace("\n", " ")
        return first.split(". ")[0].rstrip(".") + "."


COMMANDS: dict[str, Command] = {}  # in the order `netspec --help` lists them (cli/__init__.py imports that way)


def command(*args: Arg, name: str | None = None):
    """Register the decorated function as `netspec NAME`, called with one keyword per Arg."""

    def register(function: Callable[..., None]) -> Callable[..., None]:
        key = name or function.__name__.rstrip("_")
        COMMANDS[key] = Command(key, function, args)
        return function

    return register


def argument(dest: str, help: str, **settings: Any) -> Arg:
    return Arg(dest, (), help, **settings)


def option(dest: str, *names: str, help: str, **settings: Any) -> Arg:
    return Arg(dest, names, help, **settings)


def whole(low: int, high: int | None = None) -> Callable[[str], int]:
    """The type of an option taking a whole number in [low, high]: its usage error in the user's words."""

    def read(text: str) -> int:
        ok = re.fullmatch(r"[+-]?[0-9]{1,18}", text.strip())
        if not ok or int(text) < low or (high is not None and int(text) > high):
            raise ArgumentTypeError(
                f"{text!r} is not a whole number >= {low}" + (f" and <= {high:,}" if high is not None else "")
            )
        return int(text)

    return read


def number(low: float) -> Callable[[str], float]:
    def read(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not value >= low or value == float("inf"):
            raise ArgumentTypeError(f"{text!r} is not a number >= {low:g}")
        return value

    return read


def one_of(*choices: str) -> Callable[[str], str]:
    """The type of an option taking one of a few words, in any case (`--rankdir lr`)."""

    def read(text: str) -> str:
        for choice in choices:
            if text.lower() == choice.lower():
                return choice
        raise ArgumentTypeError(f"{text!r} is not one of {', '.join(choices)}")

    return read


def depth_word(text: str) -> str:
    """The type of `--depth` (diagram and summary): a number >= 1, `blocks` or `full` (netspec.analysis.folding)."""
    from netspec.analysis.folding import parse_depth as parse

    try:
        parse(text)
    except ValueError as e:
        raise ArgumentTypeError(str(e)) from None
    return text


def _spec_params(values: dict[str, Any]) -> list[str]:
    """`--set` completion: `name=` for each parameter of the network in the spec already on the line."""
    from netspec.cli.completion import spec_params

    return spec_params(values)


SpecArgument = argument(
    "file", "The spec (- reads it from standard input).", metavar="FILE", type=Path, complete="spec"
)
SpecsArgument = argument(
    "files", "Spec files (- reads one from standard input).", metavar="FILE", type=Path, many=True, complete="spec"
)
SetOption = option(
    "set",
    "--set",
    "-s",
    metavar="NAME=VALUE",
    many=True,
    complete=_spec_params,
    help="Override a network parameter, e.g. --set classes=10.",
)
InputOption = option("input", "--input", "-i", metavar="CxHxW", help="Override the input shape, e.g. 3x32x32.")
JsonOption = option("json_", "--json", flag=True, help="Print the result as JSON.")


class UsageError(NetspecError):
    """A command line netspec cannot use (a bad --set or --input, a spec file that is not there): exit status 2."""


def usage(message: str, help: str = "") -> UsageError:
    """A usage error (exit status 2) in netspec's own words, e.g. for an option's value only the command can judge."""
    diags = Diagnostics()
    diags.error(message, None, help=help, code="usage")
    return UsageError(diags.items)


class Exit(Exception):
    """Leave a command with this status after the diagnostics are printed."""

    def __init__(self, code: int):
        self.code = code


def colour(stream=None) -> bool:
    """Colour for a terminal (stderr unless `stream` is given), unless NO_COLOR is set."""
    stream = sys.stderr if stream is None else stream  # looked up now: sys.stderr may have been replaced
    return stream.isatty() and "NO_COLOR" not in os.environ


def fail(error: NetspecError) -> None:
    """Print every diagnostic of the error, rustc-style, and exit with status 1."""
    print(error.render(colour()), file=sys.stderr)
    raise Exit(1)


def parse_sets(values: list[str] | None) -> dict[str, Any]:
    """`name=value` pairs; the values are expressions of the language (`10`, `true`, `[64, 128]`)."""
    return {name: value for name, value, _ in read_sets(values)}


def parse_variants(values: list[str] | None) -> list[tuple[str, dict[str, Any]]]:
    """`--set`s as variants to compare: a name given once holds in all of them, a name given again makes one
    variant per value (every combination of them). Each comes with its label: the pairs as typed."""
    import itertools

    choices: dict[str, list[tuple[Any, str]]] = {}
    for name, value, text in read_sets(values):
        choices.setdefault(name, []).append((value, f"{name}={text.strip()}"))
    out = []
    for combination in itertools.product(*choices.values()):
        params = dict(zip(choices, (value for value, _ in combination), strict=True))
        out.append((", ".join(label for _, label in combination), params))
    return out


def read_sets(values: list[str] | None) -> list[tuple[str, Any, str]]:
    """Every `--set name=value` as (name, value, the value's text); UsageError for any that cannot be read."""
    from netspec.elaborate.evaluate import Env, EvalError, evaluate
    from netspec.parse import parse_expr

    out: list[tuple[str, Any, str]] = []
    diags = Diagnostics()
    sources: dict[str, str] = {}
    for item in values or []:
        name, sep, text = item.partition("=")
        source = f"--set {name.strip()}" if sep else "--set"
        sources[source] = item
        where = Span.point(source, 1, 1, max(1, len(item)))
        if not sep or not name.strip().isidentifier():
            diags.error(
                f"cannot read --set {item!r}", where, help="write --set name=value, e.g. --set classes=10", code="usage"
            )
            continue
        word = text.strip()
        if not word:  # else the parser's "unexpected end of file ... is a closing `}` missing?" at column 1
            diags.error(
                f"--set {name.strip()}= gives no value",
                where,
                help=f"""write one, e.g. --set {name.strip()}=10, or --set {name.strip()}='""' for the empty string""",
                code="usage",
            )
            continue
        if word.isidentifier() and word not in _WORDS:  # no names are in scope here: a bare word can only be a string
            out.append((name.strip(), word, text))
            continue
        try:  # the value is parsed in place, so spans point into `item` itself
            out.append((name.strip(), evaluate(parse_expr(" " * (len(name) + 1) + text, source), Env()), text))
        except NetspecError as e:
            diags.items.extend(e.diagnostics)
        except EvalError as e:
            diags.error(e.message, e.span, e.label, _set_hint(name.strip(), text.strip()) or e.help, code="usage")
    if diags.has_errors:
        raise UsageError(diags.items, sources)
    return out


# Words a --set value reads as the language does, not as a string: the booleans, the padding constants, and
# Python's spellings, which get a hint instead of silently becoming the string "True".
_WORDS = {"true", "false", "same", "valid", "True", "False", "None"}


def _set_hint(name: str, text: str) -> str:
    if text in ("True", "False"):
        return f"booleans are written in lower case: --set {name}={text.lower()}"
    return ""


@overload
def parse_input(text: str) -> tuple[int, ...]: ...
@overload
def parse_input(text: None) -> None: ...
@overload
def parse_input(text: str | None) -> tuple[int, ...] | None: ...
def parse_input(text: str | None) -> tuple[int, ...] | None:
    """`3x224x224` -> (3, 224, 224)."""
    if text is None:
        return None
    parts = text.lower().replace(",", "x").split("x")
    if not all(re.fullmatch(r"[0-9]{1,10}", p.strip()) for p in parts) or len(parts) not in (1, 3):
        diags = Diagnostics()
        diags.error(
            f"cannot read --input {text!r}",
            Span.point("--input", 1, 1, max(1, len(text))),
            help="write channels x height x width, e.g. --input 3x224x224",
            code="usage",
        )
        raise UsageError(diags.items, {"--input": text})
    return tuple(int(p) for p in parts)


def build_report(file: Path, sets: list[str] | None, input: str | None, params: dict[str, Any] | None = None):
    """The analysed spec for a command (`params` already read, or `sets` to read); prints diagnostics and exits 1
    on errors in the spec. A bad --set or --input is a usage error (exit 2), raised as it is."""
    from netspec.api import analyse

    shape, params = parse_input(input), parse_sets(sets) if params is None else params
    source = spec_source(file)
    try:
        return analyse(source, input=shape, **params)
    except NetspecError as e:
        fail(e)


STDIN = "<stdin>"


def spec_name(file: Path | str) -> str:
    """A FILE argument as netspec names it, in diagnostics, titles and JSON: `-` is `<stdin>` (as Python and
    ruff say), a path is itself."""
    return STDIN if str(file) == "-" else os.fsdecode(file)


def spec_source(file: Path):
    """What the API reads for a FILE argument: `-` is the spec text on standard input; a missing file is a
    usage error (exit 2)."""

    if str(file) == "-":
        return _stdin()
    if not os.path.lexists(file):
        diags = Diagnostics()
        diags.error(f"cannot read {file}: no such file", None, help="check the path", code="usage")
        raise UsageError(diags.items)
    return file


def spec_paths(paths: list[Path]) -> list[Path]:
    """The FILE arguments of a command that takes several specs, with each directory replaced by the `*.net`
    files below it (netspec.files.specs_below); a directory without any is a usage error (exit 2)."""
    from netspec.files import shown, specs_below

    out: list[Path] = []
    for path in paths:
        if str(path) == "-" or not path.is_dir():
            out.append(path)
            continue
        found = specs_below(path)
        if not found:
            diags = Diagnostics()
            diags.error(
                f"{shown(path)} holds no .net files",
                None,
                help="name spec files or a directory with some below it (hidden directories are skipped)",
                code="usage",
            )
            raise UsageError(diags.items)
        out += found
    return list(dict.fromkeys(out))  # `specs specs/lib` checks each file once


_read: list[Any] = []  # [the stream, its text]: standard input is read once (the stream kept, so it is that one)


def _stdin():
    """Standard input's spec text, read once: `check - --set n=1 --set n=2` checks the same text twice."""
    from netspec.api import Text

    if not _read or _read[0] is not sys.stdin:  # first use, or a test harness replaced the stream
        _read[:] = [sys.stdin, Text(sys.stdin.read(), STDIN)]
    return _read[1]


def vet_output(output: Path, *inputs: Path | str | None) -> None:
    """Before any work: refuse an -o that is one of the command's inputs, or not a regular file (see netspec.files)."""
    from netspec import files

    try:
        files.check_output(output, [i for i in inputs if i is not None])
    except NetspecError as e:
        fail(e)


def spec_files(graph) -> list[str]:
    """Every file a built spec was read from: the spec and its imports."""
    return [name for name in graph.sources if not name.startswith("<")]  # not <input> or <stdin>


def write_output(output: Path, data: str | bytes, inputs=()) -> None:
    """Write atomically through netspec.files (never over an input or a non-regular file); exit 1 if it cannot."""
    from netspec import files

    try:
        files.write(output, data, [i for i in inputs if i is not None])
    except NetspecError as e:
        fail(e)


@contextmanager
def atomic_output(path: Path, mode: str = "w", inputs=()):
    """A handle whose contents are written by `write_output` when the block ends without an error."""
    buffer = io.BytesIO() if "b" in mode else io.StringIO()
    yield buffer
    write_output(path, buffer.getvalue(), inputs)


def main() -> None:
    """Console entry point: exit statuses 0 (ok), 1 (errors in the spec), 2 (usage)."""
    from netspec.cli.parser import read
    from netspec.files import guard_signals

    # One short process that builds one graph and exits: collecting every 700 allocations (the default) costs
    # a quarter of `check` at 100k layers, and nothing it builds is garbage before the end.
    gc.set_threshold(20_000, 10, 10)
    _safe_stdout()
    try:
        with guard_signals():  # Ctrl-C or SIGTERM: no output is written, no temporary is left
            function, values = read(sys.argv[1:])
            function(**values)
            sys.stdout.flush()  # a full disk under stdout shows here, not as a traceback at exit
    except Exit as e:
        sys.exit(e.code)
    except UsageError as e:
        print(e.render(colour()), file=sys.stderr)
        sys.exit(2)
    except NetspecError as e:
        print(e.render(colour()), file=sys.stderr)
        sys.exit(1)
    except BrokenPipeError:  # `netspec summary ... | head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except OSError as e:  # stdout on a full disk (`> /dev/full`), or a file-size limit
        if e.errno not in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):  # files netspec writes say so themselves
            raise
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print(f"error: cannot write to standard output: {e.strerror or e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)


def _safe_stdout() -> None:
    """A terminal or pipe that cannot show some character (PYTHONIOENCODING=ascii) gets `?`, not a crash; the
    table itself falls back to ASCII rules (see `ascii_only`)."""
    with contextlib.suppress(AttributeError, ValueError):  # replaced by a test harness, or closed
        if isinstance(sys.stdout, io.TextIOWrapper):
            sys.stdout.reconfigure(errors="replace")


def ascii_only(stream=None) -> bool:
    """Whether the stream's encoding cannot show the table's box-drawing characters."""
    stream = sys.stdout if stream is None else stream
    try:
        "┃━╇│×…".encode(getattr(stream, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return True
    return False
