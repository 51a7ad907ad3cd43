"""The `netspec` command: the typer app and what every command shares (spec loading, errors, safe writes)."""

from __future__ import annotations

import contextlib
import errno
import gc
import io
import os
import re
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from netspec.diagnostics import Diagnostics, NetspecError, Span

app = typer.Typer(
    name="netspec",
    help="Check, summarise and compile convolutional network specs (.net files). `netspec --version` prints "
         "the version.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

SetOption = Annotated[list[str], typer.Option("--set", "-s", metavar="NAME=VALUE",
                                              help="Override a network parameter, e.g. --set classes=10.")]
InputOption = Annotated[str | None, typer.Option("--input", "-i", metavar="CxHxW",
                                                 help="Override the input shape, e.g. 3x32x32.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


class UsageError(NetspecError):
    """A command line netspec cannot use (a bad --set or --input, a spec file that is not there): exit status 2."""


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
            diags.error(f"cannot read --set {item!r}", where, help="write --set name=value, e.g. --set classes=10",
                        code="usage")
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


def _set_hint(name: str, text: str) -> str:
    if text in ("True", "False"):
        return f"booleans are written in lower case: --set {name}={text.lower()}"
    unknown = text.isidentifier() and text not in ("true", "false")
    return f"""a string needs quotes: --set '{name}="{text}"'""" if unknown else ""


def parse_input(text: str | None) -> tuple[int, ...] | None:
    """`3x224x224` -> (3, 224, 224)."""
    if text is None:
        return None
    parts = text.lower().replace(",", "x").split("x")
    if not all(re.fullmatch(r"[0-9]{1,10}", p.strip()) for p in parts) or len(parts) not in (1, 3):
        diags = Diagnostics()
        diags.error(f"cannot read --input {text!r}", Span.point("--input", 1, 1, max(1, len(text))),
                    help="write channels x height x width, e.g. --input 3x224x224", code="usage")
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


def spec_source(file: Path):
    """What the API reads for a FILE argument: `-` is the spec text on standard input; a missing file is a
    usage error (exit 2)."""
    from netspec.api import Text

    if str(file) == "-":
        return Text(sys.stdin.read(), STDIN)
    if not os.path.lexists(file):
        diags = Diagnostics()
        diags.error(f"cannot read {file}: no such file", None, help="check the path", code="usage")
        raise UsageError(diags.items)
    return file


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
    from netspec.cli import register
    from netspec.cli.dispatch import plan
    from netspec.files import guard_signals

    # One short process that builds one graph and exits: collecting every 700 allocations (the default) costs
    # a quarter of `check` at 100k layers, and nothing it builds is garbage before the end.
    gc.set_threshold(20_000, 10, 10)
    _safe_stdout()
    if sys.argv[1:] in (["--version"], ["-V"]):
        from netspec import __version__

        print(f"netspec {__version__}")
        return
    try:
        with guard_signals():  # Ctrl-C or SIGTERM: no output is written, no temporary is left
            _run(plan, register)
            sys.stdout.flush()  # a full disk under stdout shows here, not as a traceback at exit
    except Exit as e:
        sys.exit(e.code)
    except UsageError as e:
        print(e.render(colour()), file=sys.stderr)
        sys.exit(2)
    except NetspecError as e:
        print(e.render(colour()), file=sys.stderr)
        sys.exit(1)
    except _click_errors() as e:
        e.show()
        sys.exit(2)
    except BrokenPipeError:  # `netspec summary ... | head`: stop quietly, as typer does
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
        sys.stdout.reconfigure(errors="replace")


def ascii_only(stream=None) -> bool:
    """Whether the stream's encoding cannot show the table's box-drawing characters."""
    stream = sys.stdout if stream is None else stream
    try:
        "┃━╇│×…".encode(getattr(stream, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return True
    return False


def _run(plan, register) -> None:
    # Only the command's own module is imported, and a plain command line skips typer's ~100 ms setup
    # (see dispatch.py); typer itself, for help, mistakes and the unusual, gets every command.
    direct = plan(register(sys.argv[1] if len(sys.argv) > 1 else None), sys.argv[1:])
    if direct is None:
        code = register()(standalone_mode=False)  # typer returns the status of Ctrl-C (130) instead of exiting
        if isinstance(code, int) and code:
            raise Exit(code)
    else:
        direct[0](**direct[1])


def _click_errors():
    try:
        from click import ClickException
    except ImportError:  # typer >= 0.24 vendors click as typer._click
        from typer._click.exceptions import ClickException
    return ClickException
