"""`netspec fmt`: spec files -> the same specs in the canonical layout, rewritten in place or checked (--check)."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from netspec.cli.app import Exit, argument, colour, command, option, spec_paths
from netspec.diagnostics import Diagnostics, NetspecError
from netspec.files import write as write_file

MAX_FILE_BYTES = 2_000_000


FILES = argument(
    "files",
    "Spec files, or directories to format every *.net below; `-` reads stdin and writes stdout.",
    metavar="FILE",
    type=Path,
    many=True,
    complete="spec",
)
CHECK = option("check", "--check", flag=True, help="Change nothing; exit status 1 if a file would change.")


@command(FILES, CHECK)
def fmt(files: list[Path], check: bool) -> None:
    """Format specs in one canonical layout: comments kept, meaning unchanged. Unparseable files are left alone."""
    changed = failed = 0
    files = spec_paths(files)
    for file in files:
        try:
            changed += _one(file, check)
        except NetspecError as e:
            failed += 1
            print(e.render(colour(sys.stderr)), file=sys.stderr)
    if [str(f) for f in files] != ["-"]:
        _tally(len(files), changed, failed, check)
    if failed or (check and changed):
        raise Exit(1)


def _one(file: Path, check: bool) -> bool:
    """Format one file (or stdin); whether it changed (or would)."""
    from netspec.format import format_text

    if str(file) == "-":
        text = sys.stdin.read()
        out = format_text(text, "<stdin>")
        if not check:
            sys.stdout.write(out)
        return out != text
    text = _read(file)
    out = format_text(text, str(file))
    if out == text:
        return False
    if check:
        print(f"would reformat {file}", file=sys.stderr)
        return True
    mode = stat.S_IMODE(file.stat().st_mode)
    write_file(file, out)
    os.chmod(file, mode)
    print(f"reformatted {file}", file=sys.stderr)
    return True


def _read(file: Path) -> str:
    from netspec.parse import decode

    diags = Diagnostics()
    try:
        if not stat.S_ISREG(file.stat().st_mode):
            diags.error(f"cannot read {file}: not a regular file", None, help="check the path")
        else:
            with file.open("rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
            if len(data) > MAX_FILE_BYTES:
                diags.error(f"{file} is too large (over {MAX_FILE_BYTES:,} bytes)", None)
            else:
                return decode(data, str(file))
    except (OSError, ValueError) as e:
        diags.error(f"cannot read {file}: {getattr(e, 'strerror', None) or e}", None, help="check the path")
    raise NetspecError(diags.items)


def _tally(total: int, changed: int, failed: int, check: bool) -> None:
    verb = "would be reformatted" if check else "reformatted"
    parts = [f"{changed} file{'s' * (changed != 1)} {verb}", f"{total - changed - failed} unchanged"]
    if failed:
        parts.append(f"{failed} could not be formatted")
    print(", ".join(parts), file=sys.stderr)
